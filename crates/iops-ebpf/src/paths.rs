//! The kernel's name of a file opened by path, as /proc/<pid>/fd/<fd> shows
//! it (and so as the ptrace source names it): the path the open was given,
//! joined to the directory it is relative to, resolved through the file
//! system as the kernel resolved it (each symlink followed where it stands,
//! so `link/..` is the parent of the link's target, not the link's
//! directory), never by removing `..` from the text.
//!
//! The records are read up to a drain later than the open, so the file
//! system is asked then. Directories resolved are kept (`dirs`), so an open
//! costs one `lstat` of its last component once its directory is known
//! (the same single call that gives its kind); a symlink as the last
//! component costs a `realpath` more. A file gone before the drain (made,
//! written and removed within one) keeps the name it had in its resolved
//! directory, as ptrace's readlink at its first data call showed it; only a
//! directory never seen and gone too falls back to the text, `.` and `..`
//! removed.
//!
//! A process's paths are relative to its root (chroot): the caller joins
//! an absolute path to that root's name (from ours), and here an absolute
//! symlink target starts again from it and `..` at it stays there, as the
//! kernel walks them. A process whose root is ours ("/") takes the plain
//! `canonicalize` path.

use std::collections::HashMap;
use std::ffi::{CStr, CString, OsStr};
use std::os::unix::ffi::OsStrExt;

use iops_core::FdKind;
use iops_linux::fds;

/// Directories kept at most; the map is emptied when full (a program that
/// opens files in that many directories pays the resolving again).
const MAX_DIRS: usize = 4096;

/// A file's name and what it is.
pub struct Named {
    /// Absolute: the kernel's name, or the fallback text (see the module docs).
    pub name: Vec<u8>,
    /// What it is now (`None`: gone, or unreadable).
    pub kind: Option<FdKind>,
}

/// Resolved directories: the absolute text given → the kernel's name.
#[derive(Default)]
pub struct Resolver {
    dirs: HashMap<Vec<u8>, Vec<u8>>,
}

impl Resolver {
    /// The kernel's name of directory `dir` (absolute text, as joined from
    /// a call's arguments) for a process whose root is `root` (the kernel's
    /// name of it, "/" for ours), or `None` when it cannot be resolved.
    pub fn dir(&mut self, root: &[u8], dir: &[u8]) -> Option<&[u8]> {
        let key = cache_key(root, dir);
        if !self.dirs.contains_key(&*key) {
            let real = real_path(root, dir)?;
            if self.dirs.len() >= MAX_DIRS {
                self.dirs.clear();
            }
            self.dirs.insert(key.to_vec(), real);
        }
        self.dirs.get(&*key).map(Vec::as_slice)
    }

    /// The kernel's name of the file an open of `path` (absolute text,
    /// joined to the process's root `root` as `dir` says) reached;
    /// `follow`: a symlink as its last component was followed (no
    /// O_NOFOLLOW).
    pub fn file(&mut self, root: &[u8], path: &[u8], follow: bool) -> Named {
        let (parent, last) = split_last(path);
        let Some(last) = last else {
            // "/", or a last component "." or "..": a directory throughout.
            return match self.dir(root, path) {
                Some(real) => Named { name: real.to_vec(), kind: Some(FdKind::Other) },
                None => Named { name: clean_path(path), kind: None },
            };
        };
        let Some(dir) = self.dir(root, parent) else {
            return Named { name: clean_path(path), kind: None };
        };
        let mut name = Vec::with_capacity(dir.len() + 1 + last.len());
        name.extend_from_slice(dir);
        if dir != b"/" {
            name.push(b'/');
        }
        name.extend_from_slice(last);
        match lstat(&name) {
            Some(st) if st.st_mode & libc::S_IFMT == libc::S_IFLNK && follow => {
                match real_path(root, &name) {
                    Some(real) => {
                        let kind = stat(&real).map(|st| fds::kind_of_mode(st.st_mode, st.st_rdev));
                        Named { name: real, kind }
                    }
                    // The link's target is gone: the link's name is the best left.
                    None => Named { name, kind: None },
                }
            }
            Some(st) => Named { name, kind: Some(fds::kind_of_mode(st.st_mode, st.st_rdev)) },
            // Removed since: the name it had in its (resolved) directory.
            None => Named { name, kind: None },
        }
    }
}

/// The resolved directories' key: the text, after its root where that is not ours.
fn cache_key<'a>(root: &[u8], text: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
    if root == b"/" {
        return text.into();
    }
    let mut key = Vec::with_capacity(root.len() + 1 + text.len());
    key.extend_from_slice(root);
    key.push(0);
    key.extend_from_slice(text);
    key.into()
}

/// `text` (absolute) resolved as the kernel resolves it for a process whose
/// root is `root`: ours, `canonicalize`; another, `within`.
fn real_path(root: &[u8], text: &[u8]) -> Option<Vec<u8>> {
    if root == b"/" {
        return Some(std::fs::canonicalize(OsStr::from_bytes(text)).ok()?.into_os_string().into_encoded_bytes());
    }
    within(root, text)
}

/// Symlinks followed in one path at most, as the kernel's MAXSYMLINKS.
const MAX_LINKS: u32 = 40;

/// `text` (absolute, from our root) walked a component at a time as the
/// kernel walks it for a process whose root is `root` (the kernel's name of
/// it from ours, no trailing slash): `..` at `root` stays there, and a
/// symlink with an absolute target starts again from `root`. `None` when a
/// component is missing or the links loop.
fn within(root: &[u8], text: &[u8]) -> Option<Vec<u8>> {
    let inside = text.starts_with(root) && matches!(text.get(root.len()), None | Some(b'/'));
    let (mut at, rest) = if inside { (root.to_vec(), &text[root.len()..]) } else { (b"/".to_vec(), text) };
    // Components still to walk, the next last (a link's target is pushed after them).
    let mut todo: Vec<Vec<u8>> = rest.split(|&b| b == b'/').rev().map(<[u8]>::to_vec).collect();
    let mut links = 0;
    while let Some(part) = todo.pop() {
        match &part[..] {
            b"" | b"." => {}
            b".." => {
                if at != root && at != b"/" {
                    let slash = at.iter().rposition(|&b| b == b'/').unwrap_or(0);
                    at.truncate(slash.max(1));
                }
            }
            _ => {
                let mut next = at.clone();
                if next != b"/" {
                    next.push(b'/');
                }
                next.extend_from_slice(&part);
                let st = lstat(&next)?;
                if st.st_mode & libc::S_IFMT != libc::S_IFLNK {
                    at = next;
                    continue;
                }
                links += 1;
                if links > MAX_LINKS {
                    return None;
                }
                let target = std::fs::read_link(OsStr::from_bytes(&next)).ok()?.into_os_string().into_encoded_bytes();
                if target.first() == Some(&b'/') {
                    at = root.to_vec();
                }
                todo.extend(target.split(|&b| b == b'/').rev().map(<[u8]>::to_vec));
            }
        }
    }
    Some(at)
}

/// `path` split at its last component, when that names an entry of the
/// part before it (not "", ".", "..").
fn split_last(path: &[u8]) -> (&[u8], Option<&[u8]>) {
    let Some(slash) = path.iter().rposition(|&b| b == b'/') else { return (path, None) };
    let last = &path[slash + 1..];
    if matches!(last, b"" | b"." | b"..") {
        return (path, None);
    }
    let parent = if slash == 0 { &path[..1] } else { &path[..slash] };
    (parent, Some(last))
}

fn lstat(path: &[u8]) -> Option<libc::stat> {
    let c = CString::new(path).ok()?;
    stat_with(&c, libc::lstat)
}

fn stat(path: &[u8]) -> Option<libc::stat> {
    let c = CString::new(path).ok()?;
    stat_with(&c, libc::stat)
}

fn stat_with(path: &CStr, call: unsafe extern "C" fn(*const libc::c_char, *mut libc::stat) -> libc::c_int) -> Option<libc::stat> {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    (unsafe { call(path.as_ptr(), &mut st) } == 0).then_some(st)
}

/// `path` (absolute) without "." and ".." components or repeated slashes:
/// the text's own reading, right only where no symlink precedes a "..".
pub fn clean_path(path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = Vec::with_capacity(path.len());
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn paths_are_cleaned_as_text() {
        assert_eq!(clean_path(b"/tmp/./a//b/../c"), b"/tmp/a/c");
        assert_eq!(clean_path(b"/.."), b"/");
        assert_eq!(clean_path(b"/work/x/"), b"/work/x");
    }

    /// A process's root (chroot): an absolute symlink target starts from
    /// it, `..` at it stays there, a path outside it (a working directory
    /// left outside) walks from ours.
    #[test]
    fn names_within_a_root() {
        let top = std::env::temp_dir().join(format!("iops-ebpf-root-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        std::fs::create_dir_all(top.join("jail/real/sub")).unwrap();
        std::fs::create_dir(top.join("other")).unwrap();
        let top = std::fs::canonicalize(&top).unwrap();
        let text = |p: &std::path::Path| p.as_os_str().as_bytes().to_vec();
        let root = text(&top.join("jail"));
        symlink("/real", top.join("jail/abs")).unwrap();
        std::fs::write(top.join("jail/real/f"), b"x").unwrap();
        symlink("/real/f", top.join("jail/real/flink")).unwrap();
        let mut r = Resolver::default();
        let at = |p: &str| [&root[..], p.as_bytes()].concat();
        assert_eq!(r.dir(&root, &at("/abs/sub")).unwrap(), text(&top.join("jail/real/sub")));
        assert_eq!(r.dir(&root, &at("/../../abs")).unwrap(), text(&top.join("jail/real")));
        assert_eq!(r.dir(&root, &at("/")).unwrap(), &root[..]);
        let f = r.file(&root, &at("/abs/flink"), true);
        assert_eq!(f.name, text(&top.join("jail/real/f")));
        assert!(f.kind == Some(FdKind::File));
        let new = r.file(&root, &at("/abs/../out.dat"), true);
        assert_eq!(new.name, text(&top.join("jail/out.dat")));
        // Outside the root (a cwd the chroot left behind): `..` walks on up.
        assert_eq!(within(&root, &text(&top.join("other/../jail/real"))).unwrap(), text(&top.join("jail/real")));
        assert_eq!(within(&root, &text(&top)).unwrap(), text(&top));
        std::fs::remove_dir_all(&top).unwrap();
    }

    #[test]
    fn last_components() {
        assert_eq!(split_last(b"/a/b"), (&b"/a"[..], Some(&b"b"[..])));
        assert_eq!(split_last(b"/b"), (&b"/"[..], Some(&b"b"[..])));
        assert_eq!(split_last(b"/a/.."), (&b"/a/.."[..], None));
        assert_eq!(split_last(b"/a/"), (&b"/a/"[..], None));
    }

    /// The field case: `..` after a symlinked directory is its target's
    /// parent; a symlinked file is its target; a file removed keeps its
    /// name in its directory.
    #[test]
    fn names_are_resolved_through_the_file_system() {
        let root = std::env::temp_dir().join(format!("iops-ebpf-paths-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("w/sub2/deep")).unwrap();
        let root = std::fs::canonicalize(&root).unwrap();
        symlink("sub2/deep", root.join("w/link3")).unwrap();
        std::fs::write(root.join("w/sub2/x.bin"), b"x").unwrap();
        symlink("sub2/x.bin", root.join("w/lnk.bin")).unwrap();
        let text = |p: &std::path::Path| p.as_os_str().as_bytes().to_vec();
        let mut r = Resolver::default();

        let up = r.file(b"/", &text(&root.join("w/link3/../x.bin")), true);
        assert_eq!(up.name, text(&root.join("w/sub2/x.bin")));
        assert!(up.kind == Some(FdKind::File));
        let link = r.file(b"/", &text(&root.join("w/lnk.bin")), true);
        assert_eq!(link.name, text(&root.join("w/sub2/x.bin")));
        let nofollow = r.file(b"/", &text(&root.join("w/lnk.bin")), false);
        assert_eq!(nofollow.name, text(&root.join("w/lnk.bin")));
        let dir = r.file(b"/", &text(&root.join("w/link3/.")), true);
        assert_eq!(dir.name, text(&root.join("w/sub2/deep")));

        std::fs::remove_file(root.join("w/sub2/x.bin")).unwrap();
        let gone = r.file(b"/", &text(&root.join("w/link3/../x.bin")), true);
        assert_eq!(gone.name, text(&root.join("w/sub2/x.bin")));
        assert!(gone.kind.is_none());

        // A directory resolved before it went keeps its name.
        std::fs::remove_dir_all(&root).unwrap();
        let kept = r.file(b"/", &text(&root.join("w/link3/../y.bin")), true);
        assert_eq!(kept.name, text(&root.join("w/sub2/y.bin")));
        let never = r.file(b"/", &text(&root.join("v/../z.bin")), true);
        assert_eq!(never.name, text(&root.join("z.bin")));
    }
}

/// What naming an open costs: `cargo test -p iops-ebpf --release -- --ignored --nocapture naming_cost`.
/// 2,000 files in one directory (tar's workload), each named 5 times, by the
/// text (`clean_path` and a `stat` for its kind, as before this module) and
/// through the file system. Prints ns per open; asserts only the names.
#[cfg(test)]
mod cost {
    use super::*;
    use std::time::Instant;

    #[test]
    #[ignore]
    fn naming_cost() {
        let root = std::env::temp_dir().join(format!("iops-ebpf-naming-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("small")).unwrap();
        let root = std::fs::canonicalize(&root).unwrap();
        let files = 2000;
        for i in 0..files {
            std::fs::write(root.join(format!("small/f-{i}")), b"x").unwrap();
        }
        let texts: Vec<Vec<u8>> =
            (0..files).map(|i| root.join(format!("small/./f-{i}")).as_os_str().as_bytes().to_vec()).collect();
        let rounds = 5;
        let t = Instant::now();
        for _ in 0..rounds {
            for p in &texts {
                let clean = clean_path(p);
                std::hint::black_box(stat(&clean).map(|st| fds::kind_of_mode(st.st_mode, st.st_rdev)));
            }
        }
        let text_ns = t.elapsed().as_nanos() as f64 / (rounds * files) as f64;
        let mut r = Resolver::default();
        let t = Instant::now();
        for _ in 0..rounds {
            for p in &texts {
                std::hint::black_box(r.file(b"/", p, true));
            }
        }
        let fs_ns = t.elapsed().as_nanos() as f64 / (rounds * files) as f64;
        assert_eq!(r.file(b"/", &texts[7], true).name, root.join("small/f-7").as_os_str().as_bytes());
        println!("naming an open, ns: by the text {text_ns:.0}, through the file system {fs_ns:.0} ({files} files x {rounds})");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
