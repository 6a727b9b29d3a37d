//! Which text format an input is, from its first lines: each format scores
//! them, and the best one that accepts them wins. Scores count lines, not
//! bytes (a first line of any length is one line), and tolerate lines of
//! another origin: `strace ./app 2>&1 | iops import -` interleaves the
//! program's own output with strace's.

use super::formats::{Format, FORMATS};

/// How many lines from its start detection looks at (fewer when the input is shorter).
pub const LINES: usize = 1000;

/// The format of an input from its first lines (each whole, without its
/// line end; at most `LINES` are looked at): of the formats that accept
/// them, the one with the most signature lines (the first listed on a tie).
pub fn detect(first_lines: &[&[u8]]) -> Option<&'static Format> {
    let lines = &first_lines[..first_lines.len().min(LINES)];
    let mut best: Option<(&'static Format, u32)> = None;
    for f in FORMATS {
        let s = (f.score)(lines);
        if s.accepts() && best.is_none_or(|(_, sig)| s.signature > sig) {
            best = Some((f, s.signature));
        }
    }
    best.map(|(f, _)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        let path = format!("{}/../../__test__/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn name_of(text: &[u8]) -> Option<&'static str> {
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        detect(&lines).map(|f| f.name)
    }

    #[test]
    fn a_first_line_longer_than_any_buffer_is_one_line() {
        // Field case: a write whose data preview makes the first line 70,033 bytes.
        let text = fixture("strace/strace_long_first_line.log");
        assert!(text.iter().position(|&b| b == b'\n').unwrap() > 64 * 1024);
        assert_eq!(name_of(&text), Some("strace"));
    }

    #[test]
    fn program_output_interleaved_with_strace_is_tolerated() {
        // Field case: `strace ./app 2>&1 |`: the program's output cuts strace's write line in two.
        assert_eq!(name_of(&fixture("strace/strace_app_output_interleaved.log")), Some("strace"));
        // A chatty program: ten lines of its own per strace line, after strace's start-up lines.
        let mut text = b"execve(\"./app\", [\"./app\"], 0x7ffc /* 20 vars */) = 0\nbrk(NULL) = 0x1000\n".to_vec();
        for i in 0..60 {
            text.extend_from_slice(b"write(1, \"...\", 400) = 400\n");
            for j in 0..10 {
                text.extend_from_slice(format!("line {i}.{j} of the program's own output\n").as_bytes());
            }
        }
        assert_eq!(name_of(&text), Some("strace"));
    }

    #[test]
    fn text_that_is_neither_is_not_taken_for_either() {
        assert_eq!(name_of(b"hello\nworld\n"), None);
        assert_eq!(name_of(b""), None);
        assert_eq!(name_of(&[0u8; 4096]), None);
        // Prose about one call, drowned in other lines.
        let mut text = b"write(1, \"x\", 1) = 1\n".to_vec();
        for _ in 0..5 {
            text.extend_from_slice(b"and then the program wrote more\n");
        }
        assert_eq!(name_of(&text), None);
    }

    #[test]
    fn fs_usage_is_told_from_strace() {
        assert_eq!(name_of(&fixture("fs_usage/crafted-workload.txt")), Some("fs_usage"));
        assert_eq!(name_of(&fixture("fs_usage/fs_usage_nocancel.log")), Some("fs_usage"));
    }
}
