//! A file name's text: the one form every source (our tracer's
//! /proc/<pid>/fd links, strace's `-y` annotations, fs_usage's paths) gives
//! the aggregator, and so the one reports, tables and JSON show.
//!
//! On Linux and macOS a name is bytes, not text: two files may differ only
//! in a byte that is not valid UTF-8 (`caf\xe9.txt` and `caf\xea.txt`, both
//! of which a lossy decoding turns into `caf\u{fffd}.txt`). The text form
//! keeps every name distinct and readable:
//!
//! - valid UTF-8 stays as it is (control characters too: JSON escapes them,
//!   the text table shows them escaped);
//! - each byte that is not part of valid UTF-8 becomes `\xNN` (two lower-case
//!   hex digits);
//! - a backslash becomes `\\`, so a name that holds the four characters
//!   `\xe9` never reads like one that holds the byte 0xE9.
//!
//! `name_bytes` undoes it: `name_bytes(&name_text(b)) == b` for every `b`.

use std::borrow::Cow;

/// The text of file name `name` (see the module docs). Borrows when the name
/// is valid UTF-8 without a backslash, which is nearly always.
pub fn name_text(name: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(name) {
        Ok(text) if !text.contains('\\') => Cow::Borrowed(text),
        _ => Cow::Owned(escape(name)),
    }
}

fn escape(mut rest: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(rest.len() + 8);
    let push_valid = |out: &mut String, text: &str| {
        for c in text.chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
    };
    loop {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                push_valid(&mut out, text);
                return out;
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                // Checked by from_utf8 just above.
                push_valid(&mut out, std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(after.len());
                for &b in &after[..bad] {
                    out.push_str("\\x");
                    out.push(HEX[(b >> 4) as usize] as char);
                    out.push(HEX[(b & 15) as usize] as char);
                }
                rest = &after[bad..];
            }
        }
    }
}

/// The bytes of a name given in its text form (`name_text`'s inverse). A
/// backslash not followed by `\` or `xNN` is kept as it is.
pub fn name_bytes(text: &str) -> Vec<u8> {
    let s = text.as_bytes();
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' {
            if s.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
                continue;
            }
            let hex = |k: usize| s.get(k).and_then(|c| (*c as char).to_digit(16));
            if s.get(i + 1) == Some(&b'x') {
                if let (Some(h), Some(l)) = (hex(i + 2), hex(i + 3)) {
                    out.push((h * 16 + l) as u8);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_utf8_is_borrowed_as_it_is() {
        assert!(matches!(name_text(b"/tmp/x.dat"), Cow::Borrowed("/tmp/x.dat")));
        assert_eq!(name_text("/tmp/caf\u{e9}.txt".as_bytes()), "/tmp/caf\u{e9}.txt");
        // Control characters stay: JSON escapes them, the table shows them escaped.
        assert_eq!(name_text(b"/tmp/a\tb\n\x1b"), "/tmp/a\tb\n\x1b");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_hex_escapes() {
        assert_eq!(name_text(b"/tmp/caf\xe9.txt"), "/tmp/caf\\xe9.txt");
        assert_eq!(name_text(b"/tmp/caf\xea.txt"), "/tmp/caf\\xea.txt");
        // A cut multi-byte sequence, and valid text after it.
        assert_eq!(name_text(b"\xc3\xa9\xc3/\xff\xfe\xe2\x82"), "\u{e9}\\xc3/\\xff\\xfe\\xe2\\x82");
    }

    #[test]
    fn a_backslash_is_escaped_so_no_two_names_meet() {
        assert_eq!(name_text(b"C:\\dir"), "C:\\\\dir");
        // The four characters `\xe9` and the byte 0xE9: two names, two texts.
        assert_ne!(name_text(b"caf\\xe9"), name_text(b"caf\xe9"));
        assert_eq!(name_text(b"caf\\xe9"), "caf\\\\xe9");
    }

    #[test]
    fn name_bytes_undoes_name_text() {
        for name in [&b"/tmp/caf\xe9.txt"[..], b"a\\xe9", b"\\", b"\\\\x", b"\xff\\\xfe", b"plain", "\u{e9}\u{1f600}".as_bytes(), b""] {
            assert_eq!(name_bytes(&name_text(name)), name, "{name:?}");
        }
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        fn name() -> impl Strategy<Value = Vec<u8>> {
            const BYTES: &[u8] = b"\\xe9a\xe9\xc3\xa9\xff";
            proptest::collection::vec(proptest::sample::select(BYTES), 0..8)
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
            /// Distinct byte names never share a text: the text form is one-to-one.
            /// (Names from a few bytes that matter, so that near-misses are common.)
            #[test]
            fn one_to_one(a in name(), b in name()) {
                prop_assert_eq!(name_bytes(&name_text(&a)), a.clone());
                if a != b {
                    prop_assert_ne!(name_text(&a), name_text(&b));
                }
            }
        }
    }
}
