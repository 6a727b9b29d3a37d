//! Where an fd's file position is in kernel memory (task_struct.files →
//! files_struct.fdt → fdtable.fd[fd] → file.f_pos, file.f_flags, and its
//! inode's number and size: file.f_inode → inode.i_ino, i_size), from the
//! kernel's own BTF (/sys/kernel/btf/vmlinux): these offsets move with
//! every kernel version and configuration. The BPF program has no CO-RE
//! relocations (the loader would parse all of BTF for them: a third of a
//! second); this reads only type names and struct members, in one pass.
//! Layout: include/uapi/linux/btf.h.

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

/// The running kernel's offsets; `None` where its BTF lacks any of them.
pub fn file_offsets() -> Option<FileOffsets> {
    Btf::parse(&std::fs::read("/sys/kernel/btf/vmlinux").ok()?)?.file_offsets()
}

const MAGIC: u16 = 0xeb9f;
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
        let o = file_offsets().expect("task_struct.files ... file.f_flags in the kernel's BTF");
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
    }
}
