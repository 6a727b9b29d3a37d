//! Per-process I/O counters from /proc/<pid>/io: the fallback source when
//! ptrace is not permitted, and the storage-level bytes beside a trace.

use std::io::Read;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcIo {
    /// Bytes passed to read-family calls, any fd.
    pub rchar: u64,
    pub wchar: u64,
    /// Read-family and write-family syscalls, any fd.
    pub syscr: u64,
    pub syscw: u64,
    /// Bytes fetched from / sent to the storage layer (page-cache misses,
    /// dirtied pages).
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub cancelled_write_bytes: u64,
}

impl ProcIo {
    pub fn parse(text: &str) -> ProcIo {
        let mut io = ProcIo::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else { continue };
            let Ok(v) = value.trim().parse::<u64>() else { continue };
            match key {
                "rchar" => io.rchar = v,
                "wchar" => io.wchar = v,
                "syscr" => io.syscr = v,
                "syscw" => io.syscw = v,
                "read_bytes" => io.read_bytes = v,
                "write_bytes" => io.write_bytes = v,
                "cancelled_write_bytes" => io.cancelled_write_bytes = v,
                _ => {}
            }
        }
        io
    }

    /// Reads the counters of `pid` (any thread id names its whole process).
    pub fn read(pid: i32) -> std::io::Result<ProcIo> {
        if !crate::tasks::proc_is_ours() {
            return Err(std::io::Error::other("/proc is another PID namespace's"));
        }
        let mut buf = [0u8; 512];
        let mut f = std::fs::File::open(format!("/proc/{pid}/io"))?;
        let n = f.read(&mut buf)?;
        Ok(ProcIo::parse(&String::from_utf8_lossy(&buf[..n])))
    }

    /// Counters of the calling process, read with exactly one `read` call of
    /// `self_read_len` bytes, so a caller can subtract its own footprint.
    pub fn read_self() -> std::io::Result<(ProcIo, u64)> {
        let mut buf = [0u8; 512];
        let mut f = std::fs::File::open("/proc/self/io")?;
        let n = f.read(&mut buf)?;
        Ok((ProcIo::parse(&String::from_utf8_lossy(&buf[..n])), n as u64))
    }

    /// The parent process of `pid` (its `PPid`), as it is now.
    pub fn parent(pid: i32) -> Option<i32> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status.lines().find_map(|l| l.strip_prefix("PPid:"))?.trim().parse().ok()
    }

    /// `self` and `other` added up.
    pub fn plus(&self, other: &ProcIo) -> ProcIo {
        ProcIo {
            rchar: self.rchar + other.rchar,
            wchar: self.wchar + other.wchar,
            syscr: self.syscr + other.syscr,
            syscw: self.syscw + other.syscw,
            read_bytes: self.read_bytes + other.read_bytes,
            write_bytes: self.write_bytes + other.write_bytes,
            cancelled_write_bytes: self.cancelled_write_bytes + other.cancelled_write_bytes,
        }
    }

    pub fn since(&self, before: &ProcIo) -> ProcIo {
        ProcIo {
            rchar: self.rchar.saturating_sub(before.rchar),
            wchar: self.wchar.saturating_sub(before.wchar),
            syscr: self.syscr.saturating_sub(before.syscr),
            syscw: self.syscw.saturating_sub(before.syscw),
            read_bytes: self.read_bytes.saturating_sub(before.read_bytes),
            write_bytes: self.write_bytes.saturating_sub(before.write_bytes),
            cancelled_write_bytes: self.cancelled_write_bytes.saturating_sub(before.cancelled_write_bytes),
        }
    }
}

/// The storage-level counters of traced processes that ended outside the
/// root's tree of reaping (their parent was not traced: they outlived the
/// one that made them, as `( cmd & )` does), added up: no traced process
/// reaps them, so their I/O never reaches the root's /proc/<root>/io.
#[derive(Clone, Copy, Debug, Default)]
pub struct Orphans {
    pub io: ProcIo,
    pub processes: u32,
}

impl Orphans {
    /// One more such process, its whole counters at its end.
    pub fn add(&mut self, io: &ProcIo) {
        self.io = self.io.plus(io);
        self.processes += 1;
    }

    /// The storage figure: the root's counters since `base` (its reaped
    /// descendants in them), and these processes'.
    pub fn storage(&self, root: i32, last: &ProcIo, base: &ProcIo) -> iops_core::report::StorageBytes {
        let d = last.since(base).plus(&self.io);
        let source = match self.processes {
            0 => format!("/proc/{root}/io (read_bytes, write_bytes)"),
            1 => format!("/proc/{root}/io (read_bytes, write_bytes), and /proc/PID/io at the end of 1 traced process that outlived its parent"),
            n => format!("/proc/{root}/io (read_bytes, write_bytes), and /proc/PID/io at the end of {n} traced processes that outlived their parents"),
        };
        iops_core::report::StorageBytes { read_bytes: d.read_bytes, write_bytes: d.write_bytes, source }
    }
}

/// The report of a window measured by counters alone: counts and bytes of
/// every read and write call of the process, on any fd; no sizes, files or
/// latency (the report leaves those empty, and the warnings say so).
pub fn counters_report(
    delta: &ProcIo,
    elapsed_ns: u64,
    pid: i32,
    reason: &str,
    exit: Option<iops_core::report::ExitInfo>,
    command: Option<Vec<String>>,
) -> iops_core::Report {
    use iops_core::report::{ReportContext, StorageBytes, Totals};
    iops_core::Report::from_counters(
        Totals::new(delta.syscr, delta.syscw, delta.rchar, delta.wchar, elapsed_ns as f64 / 1e9),
        reason,
        &format!("/proc/{pid}/io counters"),
        ReportContext {
            method: iops_core::Source::ProcIo,
            command,
            pid: Some(pid),
            elapsed_ns,
            storage: Some(StorageBytes {
                read_bytes: delta.read_bytes,
                write_bytes: delta.write_bytes,
                source: format!("/proc/{pid}/io (read_bytes, write_bytes)"),
            }),
            exit,
            ..Default::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_kernel_format() {
        let text = "rchar: 4096\nwchar: 12\nsyscr: 3\nsyscw: 1\nread_bytes: 0\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n";
        let io = ProcIo::parse(text);
        assert_eq!((io.rchar, io.wchar, io.syscr, io.syscw, io.write_bytes), (4096, 12, 3, 1, 8192));
    }

    #[test]
    fn own_counters_move_with_own_writes() {
        let (before, _) = ProcIo::read_self().unwrap();
        // create_new (O_EXCL): never through a file or symlink someone put at the name first.
        let path = std::env::temp_dir().join(format!("iops-procio-{}-{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()));
        let mut f = std::fs::File::create_new(&path).unwrap();
        for _ in 0..10 {
            std::io::Write::write_all(&mut f, &[0u8; 100]).unwrap();
        }
        let (after, _) = ProcIo::read_self().unwrap();
        std::fs::remove_file(&path).unwrap();
        let d = after.since(&before);
        assert!(d.syscw >= 10 && d.wchar >= 1000, "{d:?}");
    }
}
