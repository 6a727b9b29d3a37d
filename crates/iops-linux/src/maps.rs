//! The file mappings a process already has when a window opens on it
//! running (`-p`, a profile() window): what it reads or writes there goes
//! by page faults, with no mmap call in the window to show the file, so
//! they are listed from /proc/PID/maps, marked as made before the window.

use iops_core::event::MapMode;
use iops_core::path_name::name_text;

use crate::tasks::{through_live_task, TaskPath};

/// One file-backed region of /proc/PID/maps: (path as /proc shows it, its
/// protection and sharing, its size in bytes).
pub type Region = (String, MapMode, u64);

/// The file-backed regions of process `pid` now (none if /proc cannot be
/// read), through a live thread: a leader that called pthread_exit shows
/// none.
pub fn regions(pid: i32) -> Vec<Region> {
    let read = |task| std::fs::read(TaskPath::entry(pid, task, "maps").as_path()).ok().filter(|text| !text.is_empty());
    through_live_task(pid, pid, read).map(|text| parse(&text)).unwrap_or_default()
}

/// The regions of a maps file's text: lines "start-end perms offset dev
/// inode path"; anonymous ones ([heap], [stack], none) are left out.
pub fn parse(text: &[u8]) -> Vec<Region> {
    let mut out = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let mut rest = line;
        let mut fields: [&[u8]; 5] = [&[]; 5];
        for field in fields.iter_mut() {
            let start = rest.iter().position(|&b| b != b' ').unwrap_or(rest.len());
            rest = &rest[start..];
            let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
            *field = &rest[..end];
            rest = &rest[end..];
        }
        let path = &rest[rest.iter().position(|&b| b != b' ').unwrap_or(rest.len())..];
        if path.first() != Some(&b'/') {
            continue;
        }
        let range = std::str::from_utf8(fields[0]).unwrap_or("");
        let Some((lo, hi)) = range.split_once('-') else { continue };
        let (Ok(lo), Ok(hi)) = (u64::from_str_radix(lo, 16), u64::from_str_radix(hi, 16)) else { continue };
        let perms = fields[1];
        let mode = MapMode {
            read: perms.first() == Some(&b'r'),
            write: perms.get(1) == Some(&b'w'),
            exec: perms.get(2) == Some(&b'x'),
            shared: perms.get(3) == Some(&b's'),
        };
        out.push((name_text(path).into_owned(), mode, hi.saturating_sub(lo)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_regions_with_their_modes_and_sizes_anonymous_ones_left_out() {
        let text = b"00400000-00401000 r-xp 00000000 fe:01 123   /usr/bin/my prog\n\
01000000-01021000 rw-p 00000000 00:00 0          [heap]\n\
7f0000000000-7f0001400000 rw-s 00000000 fe:01 456   /data/table.bin\n\
7f0001400000-7f0001401000 rw-p 00000000 00:00 0 \n\
7f0002000000-7f0002001000 r--p 00000000 fe:01 789   /tmp/gone (deleted)\n";
        let r = parse(text);
        let mode = |s: &str| MapMode { read: s.contains('r'), write: s.contains('w'), exec: s.contains('x'), shared: s.contains('s') };
        assert_eq!(
            r,
            vec![
                ("/usr/bin/my prog".to_string(), mode("rx"), 0x1000),
                ("/data/table.bin".to_string(), mode("rws"), 0x1400000),
                ("/tmp/gone (deleted)".to_string(), mode("r"), 0x1000),
            ]
        );
    }
}
