//! Inputs that are no text trace at all, told from their first bytes: a
//! compressed log, UTF-16 text, binary data. Each parser would read such an
//! input as lines it does not understand (and an endless one, such as
//! /dev/urandom, forever): the import stops at once and says what it is.

/// How many bytes from the start of an input `why_not_text` looks at.
pub const SAMPLE: usize = 4096;

/// Why the input that starts with `sample` (its first `SAMPLE` bytes, or
/// all of a shorter input) is not a text trace; `None` when it may be one.
/// A sample without any line end is left to the line splitter, which
/// stops an over-long line on its own.
pub fn why_not_text(sample: &[u8]) -> Option<&'static str> {
    const COMPRESSED: [(&[u8], &str); 6] = [
        (b"\x1f\x8b", "it is gzip-compressed: decompress it first (gzip -dc LOG | iops import -)"),
        (b"\x28\xb5\x2f\xfd", "it is zstd-compressed: decompress it first (zstd -dc LOG | iops import -)"),
        (b"\xfd7zXZ\x00", "it is xz-compressed: decompress it first (xz -dc LOG | iops import -)"),
        (b"BZh", "it is bzip2-compressed: decompress it first (bzip2 -dc LOG | iops import -)"),
        (b"\x04\x22\x4d\x18", "it is lz4-compressed: decompress it first (lz4 -dc LOG | iops import -)"),
        (b"PK\x03\x04", "it is a zip archive: extract the log first (unzip -p ARCHIVE | iops import -)"),
    ];
    for (magic, why) in COMPRESSED {
        // bzip2's "BZh" is followed by the block size digit; the others are unambiguous.
        if sample.starts_with(magic) && (magic != b"BZh" || sample.get(3).is_some_and(|d| (b'1'..=b'9').contains(d))) {
            return Some(why);
        }
    }
    const UTF16: &str = "it is UTF-16 text: convert it first (iconv -f UTF-16 -t UTF-8 LOG | iops import -)";
    if sample.starts_with(b"\xff\xfe") || sample.starts_with(b"\xfe\xff") {
        return Some(UTF16);
    }
    if !sample.contains(&b'\n') {
        return None;
    }
    // UTF-16 without a byte order mark: ASCII with a NUL beside every byte.
    let pairs = sample.len() / 2;
    let nul_at = |parity: usize| sample.chunks_exact(2).filter(|p| p[parity] == 0 && p[1 - parity] != 0).count();
    if pairs >= 8 && (nul_at(0) * 4 > pairs * 3 || nul_at(1) * 4 > pairs * 3) {
        return Some(UTF16);
    }
    // Text (strace escapes every byte that is not printable; fs_usage
    // prints paths, mostly UTF-8) has next to no control bytes and no
    // broken UTF-8; random or compressed data is over half of them.
    // A quarter leaves room for a program's binary output mixed in.
    if binary_bytes(sample) * 4 > sample.len() {
        return Some("it is binary data, not a text trace");
    }
    None
}

/// Bytes of `s` that text does not have: NUL and control bytes other than
/// tab, line ends, form feed and escape, and bytes of broken UTF-8 (a
/// sequence cut by the end of `s` is not counted).
fn binary_bytes(s: &[u8]) -> usize {
    let mut n = 0;
    let mut rest = s;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(text) => return n + control_bytes(text.as_bytes()),
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                n += control_bytes(valid);
                match e.error_len() {
                    Some(bad) => {
                        n += bad;
                        rest = &after[bad..];
                    }
                    None => return n,
                }
            }
        }
    }
    n
}

fn control_bytes(s: &[u8]) -> usize {
    s.iter().filter(|&&c| (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || c == 0x7f).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        let path = format!("{}/../../__test__/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn sample(text: &[u8]) -> &[u8] {
        &text[..text.len().min(SAMPLE)]
    }

    #[test]
    fn traces_are_text() {
        for f in ["strace/strace_app_output_interleaved.log", "strace/strace_long_first_line.log", "fs_usage/crafted-workload.txt", "fs_usage/sre-lab-diskio.txt"] {
            assert_eq!(why_not_text(sample(&fixture(f))), None, "{f}");
        }
        // Names in UTF-8, a line cut inside a character, an empty input.
        assert_eq!(why_not_text("1 openat(AT_FDCWD, \"/tmp/é\", O_RDONLY) = 3\n1 read(3</tmp/\u{e9}".as_bytes()), None);
        let cut = "1 write(1, \"a\", 1) = 1\nopen /tmp/é".as_bytes();
        assert_eq!(why_not_text(&cut[..cut.len() - 1]), None);
        assert_eq!(why_not_text(b""), None);
    }

    #[test]
    fn compressed_utf16_and_binary_inputs_are_named() {
        let log = fixture("strace/strace_app_output_interleaved.log");
        assert!(why_not_text(b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\x03a.log\x00").unwrap().contains("gzip-compressed"));
        assert!(why_not_text(b"\x28\xb5\x2f\xfd\x24\x00").unwrap().contains("zstd"));
        assert!(why_not_text(b"BZh91AY&SY").unwrap().contains("bzip2"));
        assert_eq!(why_not_text(b"BZh is not bzip2\n"), None);
        let utf16le: Vec<u8> = log.iter().flat_map(|&c| [c, 0]).collect();
        let utf16be: Vec<u8> = log.iter().flat_map(|&c| [0, c]).collect();
        for u in [&utf16le, &utf16be] {
            assert!(why_not_text(sample(u)).unwrap().contains("UTF-16"));
        }
        // Pseudo-random bytes, as /dev/urandom gives (with a line end now and then).
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let random: Vec<u8> = (0..SAMPLE)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        assert!(random.contains(&b'\n'));
        assert_eq!(why_not_text(&random), Some("it is binary data, not a text trace"));
    }
}
