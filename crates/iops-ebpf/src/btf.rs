//! What the load takes from the kernel's own BTF (/sys/kernel/btf/vmlinux),
//! which moves with every kernel version and configuration: where an fd's
//! file position is in kernel memory (task_struct.files → files_struct.fdt
//! → fdtable.fd[fd] → file.f_pos, file.f_flags, and its inode's number and
//! size: file.f_inode → inode.i_ino, i_size), and the type ids of the sys_enter/sys_exit
//! tracepoints (`btf_trace_sys_enter`, ...), which a `tp_btf` program is
//! loaded against. The BPF program has no CO-RE relocations (the loader
//! would parse all of BTF for them: a third of a second); this reads only
//! type names and struct members, in one pass. Layout:
//! include/uapi/linux/btf.h.

/// Byte offsets of the members the kernel side reads (its CFG_TASK_FILES..).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileOffsets {
    pub task_files: u64,
    pub files_fdt: u64,
    pub fdt_max_fds: u64,
    pub fdt_fd: u64,
    pub file_pos: u64,
    pub file_flags: u64,
    pub file_inode: u64,
    pub inode_ino: u64,
    /// inode.i_size: where the file ends (an append at an explicit offset).
    pub inode_size: u64,
}

/// Where a task's pid in a given PID namespace is: task_struct.thread_pid
/// (its `struct pid`), task_struct.group_leader, pid.level (the depth of
/// the task's own namespace) and pid.numbers (a `struct upid { int nr;
/// struct pid_namespace *ns; }` per level, 16 bytes each, from the initial
/// namespace down). The kernel side's CFG_TASK_THREAD_PID.. (bpf/iops.bpf.c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PidOffsets {
    pub task_thread_pid: u64,
    pub task_group_leader: u64,
    pub pid_level: u64,
    pub pid_numbers: u64,
}

/// What the running kernel's BTF gives (each `None` where it lacks a part).
pub struct Kernel {
    pub files: Option<FileOffsets>,
    pub pids: Option<PidOffsets>,
    /// The type id of `btf_trace_sys_enter`.
    pub sys_enter: Option<u32>,
}

/// Reads the running kernel's BTF once.
pub fn kernel() -> Kernel {
    let data = std::fs::read("/sys/kernel/btf/vmlinux").ok();
    let Some(btf) = data.as_deref().and_then(Btf::parse) else { return Kernel { files: None, pids: None, sys_enter: None } };
    Kernel { files: btf.file_offsets(), pids: btf.pid_offsets(), sys_enter: btf.find_typedef(b"btf_trace_sys_enter") }
}

/// A BTF blob, in this machine's byte order, whose only named types are
/// TYPEDEFs `names` at their ids (every other id up to the largest an
/// unnamed pointer to void): all that aya's `BtfTracePoint::load` takes
/// from the kernel's BTF is the id of `btf_trace_<tracepoint>`, which it
/// finds by name in the `Btf` it is given; given the kernel's, that `Btf`
/// is all of it parsed (a third of a second), given this, a few ms.
pub fn typedefs_at(names: &[(&str, u32)]) -> Vec<u8> {
    let last = names.iter().map(|&(_, id)| id).max().unwrap_or(0);
    let mut strings = vec![0u8];
    let mut named = Vec::with_capacity(names.len());
    for &(name, id) in names {
        named.push((id, strings.len() as u32));
        strings.extend_from_slice(name.as_bytes());
        strings.push(0);
    }
    let mut types = Vec::with_capacity(12 * last as usize);
    for id in 1..=last {
        let head = match named.iter().find(|&&(i, _)| i == id) {
            Some(&(_, name)) => [name, KIND_TYPEDEF << 24, 0],
            None => [0, KIND_PTR << 24, 0],
        };
        for w in head {
            types.extend_from_slice(&w.to_ne_bytes());
        }
    }
    let mut out = Vec::with_capacity(24 + types.len() + strings.len());
    out.extend_from_slice(&MAGIC.to_ne_bytes());
    out.extend_from_slice(&[1, 0]); // version, flags
    for w in [24u32, 0, types.len() as u32, types.len() as u32, strings.len() as u32] {
        out.extend_from_slice(&w.to_ne_bytes());
    }
    out.extend_from_slice(&types);
    out.extend_from_slice(&strings);
    out
}

/// Byte offsets of a process's I/O accounting (/proc/PID/io's read_bytes
/// and write_bytes: its threads' own `task_struct.ioac`, and the ended
/// threads' and reaped children's in `signal_struct.ioac`) and of who its
/// parent is: the kernel side's CFG_TASK_IOAC.. (bpf/iops.bpf.c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoOffsets {
    pub task_ioac: u64,
    pub task_signal: u64,
    pub signal_ioac: u64,
    pub task_group_leader: u64,
    pub task_real_parent: u64,
    pub task_tgid: u64,
    pub ioac_read_bytes: u64,
    pub ioac_write_bytes: u64,
}

/// The running kernel's; `None` where its BTF lacks any of them (a kernel
/// without CONFIG_TASK_IO_ACCOUNTING has no `ioac`).
pub fn io_offsets() -> Option<IoOffsets> {
    Btf::parse(&std::fs::read("/sys/kernel/btf/vmlinux").ok()?)?.io_offsets()
}

const MAGIC: u16 = 0xeb9f;
const KIND_PTR: u32 = 2;
const KIND_STRUCT: u32 = 4;
const KIND_UNION: u32 = 5;
// Kinds that only qualify another type: followed to find an anonymous member's struct.
const KIND_TYPEDEF: u32 = 8;
const KIND_VOLATILE: u32 = 9;
const KIND_CONST: u32 = 10;
const KIND_RESTRICT: u32 = 11;
const KIND_TYPE_TAG: u32 = 18;

struct Btf<'a> {
    types: &'a [u8],
    strings: &'a [u8],
    /// Where type id `i + 1` starts in `types` (id 0 is void).
    starts: Vec<u32>,
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl<'a> Btf<'a> {
    fn parse(data: &'a [u8]) -> Option<Btf<'a>> {
        if u16::from_ne_bytes(data.get(0..2)?.try_into().ok()?) != MAGIC {
            return None; // not BTF, or the other byte order
        }
        let hdr_len = u32_at(data, 4)? as usize;
        let (type_off, type_len) = (u32_at(data, 8)? as usize, u32_at(data, 12)? as usize);
        let (str_off, str_len) = (u32_at(data, 16)? as usize, u32_at(data, 20)? as usize);
        let types = data.get(hdr_len + type_off..hdr_len + type_off + type_len)?;
        let strings = data.get(hdr_len + str_off..hdr_len + str_off + str_len)?;
        let mut starts = Vec::with_capacity(type_len / 24);
        let mut at = 0;
        while at < types.len() {
            starts.push(at as u32);
            let info = u32_at(types, at + 4)?;
            let vlen = (info & 0xffff) as usize;
            // A 12-byte head, then what the kind carries.
            at += 12
                + match (info >> 24) & 0x1f {
                    1 | 14 | 17 => 4,               // INT, VAR, DECL_TAG
                    3 => 12,                        // ARRAY
                    4 | 5 | 15 | 19 => 12 * vlen,   // STRUCT, UNION, DATASEC, ENUM64
                    6 | 13 => 8 * vlen,             // ENUM, FUNC_PROTO
                    2 | 7..=12 | 16 | 18 => 0,      // PTR, FWD, TYPEDEF, qualifiers, FUNC, FLOAT, TYPE_TAG
                    _ => return None,               // a kind this reader does not know
                };
        }
        Some(Btf { types, strings, starts })
    }

    fn name(&self, off: u32) -> &[u8] {
        let rest = self.strings.get(off as usize..).unwrap_or_default();
        &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())]
    }

    /// (kind, name offset, vlen, kind_flag, start) of type `id`.
    fn head(&self, id: u32) -> Option<(u32, u32, usize, bool, usize)> {
        let at = *self.starts.get((id as usize).checked_sub(1)?)? as usize;
        let info = u32_at(self.types, at + 4)?;
        Some(((info >> 24) & 0x1f, u32_at(self.types, at)?, (info & 0xffff) as usize, info >> 31 == 1, at))
    }

    /// The byte offset of `member` in struct or union `id`, looking into
    /// its anonymous structs and unions.
    fn member(&self, id: u32, member: &[u8]) -> Option<u64> {
        let (kind, _, vlen, bitfields, at) = self.head(id)?;
        if kind != KIND_STRUCT && kind != KIND_UNION {
            return None;
        }
        for i in 0..vlen {
            let m = at + 12 + 12 * i;
            let (name, ty, off) = (u32_at(self.types, m)?, u32_at(self.types, m + 4)?, u32_at(self.types, m + 8)?);
            // With kind_flag the offset's top byte is a bitfield's size.
            let bits = if bitfields { off & 0xff_ffff } else { off } as u64;
            if name != 0 && self.name(name) == member {
                return Some(bits / 8);
            }
            if name == 0 {
                if let Some(inner) = self.member(self.strip(ty)?, member) {
                    return Some(bits / 8 + inner);
                }
            }
        }
        None
    }

    /// `id` without typedefs and qualifiers.
    fn strip(&self, mut id: u32) -> Option<u32> {
        for _ in 0..16 {
            let (kind, _, _, _, at) = self.head(id)?;
            if !matches!(kind, KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT | KIND_TYPE_TAG) {
                return Some(id);
            }
            id = u32_at(self.types, at + 8)?;
        }
        None
    }

    /// The first struct named `name` that has members.
    fn find_struct(&self, name: &[u8]) -> Option<u32> {
        (1..=self.starts.len() as u32).find(|&id| {
            self.head(id).is_some_and(|(kind, n, vlen, _, _)| kind == KIND_STRUCT && vlen > 0 && self.name(n) == name)
        })
    }

    /// The typedef named `name`.
    fn find_typedef(&self, name: &[u8]) -> Option<u32> {
        (1..=self.starts.len() as u32).find(|&id| self.head(id).is_some_and(|(kind, n, _, _, _)| kind == KIND_TYPEDEF && self.name(n) == name))
    }

    fn io_offsets(&self) -> Option<IoOffsets> {
        let (task, signal, ioac) =
            (self.find_struct(b"task_struct")?, self.find_struct(b"signal_struct")?, self.find_struct(b"task_io_accounting")?);
        Some(IoOffsets {
            task_ioac: self.member(task, b"ioac")?,
            task_signal: self.member(task, b"signal")?,
            signal_ioac: self.member(signal, b"ioac")?,
            task_group_leader: self.member(task, b"group_leader")?,
            task_real_parent: self.member(task, b"real_parent")?,
            task_tgid: self.member(task, b"tgid")?,
            ioac_read_bytes: self.member(ioac, b"read_bytes")?,
            ioac_write_bytes: self.member(ioac, b"write_bytes")?,
        })
    }

    fn pid_offsets(&self) -> Option<PidOffsets> {
        let (task, pid) = (self.find_struct(b"task_struct")?, self.find_struct(b"pid")?);
        Some(PidOffsets {
            task_thread_pid: self.member(task, b"thread_pid")?,
            task_group_leader: self.member(task, b"group_leader")?,
            pid_level: self.member(pid, b"level")?,
            pid_numbers: self.member(pid, b"numbers")?,
        })
    }

    fn file_offsets(&self) -> Option<FileOffsets> {
        let (task, files, fdt, file, inode) = (
            self.find_struct(b"task_struct")?,
            self.find_struct(b"files_struct")?,
            self.find_struct(b"fdtable")?,
            self.find_struct(b"file")?,
            self.find_struct(b"inode")?,
        );
        Some(FileOffsets {
            task_files: self.member(task, b"files")?,
            files_fdt: self.member(files, b"fdt")?,
            fdt_max_fds: self.member(fdt, b"max_fds")?,
            fdt_fd: self.member(fdt, b"fd")?,
            file_pos: self.member(file, b"f_pos")?,
            file_flags: self.member(file, b"f_flags")?,
            file_inode: self.member(file, b"f_inode")?,
            inode_ino: self.member(inode, b"i_ino")?,
            inode_size: self.member(inode, b"i_size")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A BTF blob of the given types (each a head and its members) and strings.
    fn blob(types: &[u32], strings: &[u8]) -> Vec<u8> {
        let type_bytes: Vec<u8> = types.iter().flat_map(|w| w.to_ne_bytes()).collect();
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC.to_ne_bytes());
        out.extend_from_slice(&[1, 0]);
        for w in [24u32, 0, type_bytes.len() as u32, type_bytes.len() as u32, strings.len() as u32] {
            out.extend_from_slice(&w.to_ne_bytes());
        }
        out.extend_from_slice(&type_bytes);
        out.extend_from_slice(strings);
        out
    }

    #[test]
    fn a_member_is_found_directly_and_inside_an_anonymous_union_behind_a_typedef() {
        // strings: 0 "", 1 "s", 3 "a", 5 "b", 7 "u", 9 "int"
        let strings = b"\0s\0a\0b\0u\0int\0";
        let types = [
            9, 1 << 24, 4, 32,                 // [1] INT "int" (4 bytes)
            1, (4 << 24) | 2, 16,              // [2] STRUCT "s", 2 members
            3, 1, 32,                          //     a: int at bit 32
            0, 4, 64,                          //     (anonymous): [4] at bit 64
            7, (5 << 24) | 1, 8,               // [3] UNION "u", 1 member
            5, 1, 0,                           //     b: int at bit 0
            0, 8 << 24, 3,                     // [4] TYPEDEF of [3]
        ];
        let data = blob(&types, strings);
        let btf = Btf::parse(&data).expect("parses");
        assert_eq!(btf.starts.len(), 4);
        let s = btf.find_struct(b"s").expect("s");
        assert_eq!(s, 2);
        assert_eq!(btf.member(s, b"a"), Some(4));
        assert_eq!(btf.member(s, b"b"), Some(8), "b of the anonymous union at byte 8");
        assert_eq!(btf.member(s, b"c"), None);
    }

    /// Byte offset of `member` of `strukt` as bpftool prints the kernel's BTF
    /// (`[id] STRUCT 'file' size=... vlen=...`, then `\t'f_pos' type_id=76 bits_offset=896`),
    /// for members that are the struct's own.
    fn bpftool_offset(dump: &str, strukt: &str, member: &str) -> Option<u64> {
        let head = format!("STRUCT '{strukt}' size=");
        let mut lines = dump.lines().skip_while(|l| !l.contains(&head)).skip(1);
        let line = lines.find(|l| !l.starts_with('\t') || l.trim_start().starts_with(&format!("'{member}' ")))?;
        let bits = line.split("bits_offset=").nth(1)?.split_whitespace().next()?.parse::<u64>().ok()?;
        Some(bits / 8)
    }

    #[test]
    fn the_running_kernels_offsets_are_bpftools() {
        if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
            return;
        }
        let o = kernel().files.expect("task_struct.files ... file.f_flags in the kernel's BTF");
        let Ok(out) = std::process::Command::new("bpftool").args(["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "raw"]).output() else {
            // Without bpftool: stable facts only (max_fds is fdtable's first member, fd a pointer after it).
            assert_eq!((o.fdt_max_fds, o.fdt_fd), (0, 8));
            return;
        };
        let dump = String::from_utf8_lossy(&out.stdout);
        let theirs = |s: &str, m: &str| bpftool_offset(&dump, s, m).unwrap_or_else(|| panic!("bpftool shows no {s}.{m}"));
        assert_eq!(
            o,
            FileOffsets {
                task_files: theirs("task_struct", "files"),
                files_fdt: theirs("files_struct", "fdt"),
                fdt_max_fds: theirs("fdtable", "max_fds"),
                fdt_fd: theirs("fdtable", "fd"),
                file_pos: theirs("file", "f_pos"),
                file_flags: theirs("file", "f_flags"),
                file_inode: theirs("file", "f_inode"),
                inode_ino: theirs("inode", "i_ino"),
                inode_size: theirs("inode", "i_size"),
            }
        );
        assert_eq!(
            kernel().pids.expect("task_struct.thread_pid, pid.level, pid.numbers in the kernel's BTF"),
            PidOffsets {
                task_thread_pid: theirs("task_struct", "thread_pid"),
                task_group_leader: theirs("task_struct", "group_leader"),
                pid_level: theirs("pid", "level"),
                pid_numbers: theirs("pid", "numbers"),
            }
        );
    }
}

#[cfg(test)]
mod typedef_tests {
    use super::*;

    #[test]
    fn the_typedef_blob_puts_each_name_at_its_id_and_aya_reads_it() {
        let data = typedefs_at(&[("btf_trace_sys_enter", 7), ("other", 3)]);
        let btf = Btf::parse(&data).expect("parses");
        assert_eq!(btf.starts.len(), 7);
        assert_eq!(btf.find_typedef(b"btf_trace_sys_enter"), Some(7));
        assert_eq!(btf.find_typedef(b"other"), Some(3));
        assert!(aya::Btf::parse(&data, aya::Endianness::default()).is_ok());
    }

    #[test]
    fn the_running_kernels_sys_enter_id_is_bpftools() {
        if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
            return;
        }
        let id = kernel().sys_enter.expect("btf_trace_sys_enter in the kernel's BTF");
        let Ok(out) = std::process::Command::new("bpftool").args(["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "raw"]).output() else { return };
        let dump = String::from_utf8_lossy(&out.stdout);
        let line = dump.lines().find(|l| l.contains("TYPEDEF 'btf_trace_sys_enter'")).expect("bpftool shows it");
        let theirs: u32 = line.trim_start_matches('[').split(']').next().and_then(|n| n.parse().ok()).expect("an id");
        assert_eq!(id, theirs);
    }

    /// What finding the id costs against aya's whole parse:
    /// `cargo test -p iops-ebpf --release -- --ignored --nocapture sys_enter_id_cost`.
    #[test]
    #[ignore]
    fn sys_enter_id_cost() {
        for _ in 0..5 {
            let t = std::time::Instant::now();
            let k = kernel();
            let ours = t.elapsed();
            let t = std::time::Instant::now();
            let blob = typedefs_at(&[("btf_trace_sys_enter", k.sys_enter.expect("id"))]);
            aya::Btf::parse(&blob, aya::Endianness::default()).expect("parses");
            let blob_ms = t.elapsed();
            let t = std::time::Instant::now();
            aya::Btf::from_sys_fs().expect("aya parses the kernel's BTF");
            let aya_ms = t.elapsed();
            println!("btf::kernel (offsets and id) {ours:?}; typedef blob made and parsed by aya {blob_ms:?}; aya's parse of vmlinux {aya_ms:?}");
        }
    }
}
