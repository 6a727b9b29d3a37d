//! Text arriving in chunks of any size (a pipe, a file read in blocks), cut
//! into lines across chunk boundaries, for the log parsers.

/// A line longer than this (a call whose data strace printed whole: `-s`
/// large, `-xx`) is kept only in part, so memory stays bounded on any input:
/// its first `MAX_LINE` bytes and its last `LONG_LINE_TAIL` (see `join_long`).
pub const MAX_LINE: usize = 1 << 20;

/// How much of the end of an over-long line is kept: where its call's
/// result is.
pub const LONG_LINE_TAIL: usize = 64 << 10;

/// Cuts chunks into lines. Keeps the start of a line whose end has not
/// arrived yet; a line longer than `MAX_LINE` is given as its start and its
/// end, its middle skipped (see `join_long`).
#[derive(Default, Debug)]
pub struct LineFeeder {
    carry: Vec<u8>,
    /// The last bytes of the over-long line being skipped.
    tail: Vec<u8>,
    skipping: bool,
    skipped: u64,
    /// A NUL byte was among the skipped bytes: no text (text traces escape NULs).
    binary: bool,
    lines: u64,
}

impl LineFeeder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Lines given out so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Bytes of the current over-long line skipped so far (0 when none is
    /// being skipped): a caller may give up on an input with no line ends.
    pub fn skipped(&self) -> u64 {
        if self.skipping {
            self.skipped
        } else {
            0
        }
    }

    /// Whether the over-long line being skipped holds a NUL byte: binary
    /// data (/dev/zero, a binary file), not a long line of text.
    pub fn skipping_binary(&self) -> bool {
        self.skipping && self.binary
    }

    /// Gives `line` every complete line of `chunk` (without its `\n`), whose
    /// line ends are at `line_ends` (ascending offsets of its `\n`s: the
    /// caller may have found them already), after the line the previous
    /// chunk left unfinished. With each line comes, when the line lies
    /// wholly in `chunk` (from just after the previous line end, or the
    /// chunk's start), the index of its line end in `line_ends`: what a
    /// caller found about `chunk`'s lines ahead of time is about that line.
    #[inline]
    pub fn feed(&mut self, chunk: &[u8], mut line_ends: impl Iterator<Item = usize>, mut line: impl FnMut(&[u8], Option<usize>)) {
        let mut start = 0;
        let mut index = 0;
        // Finish the line the previous chunk cut.
        if !self.carry.is_empty() || self.skipping {
            let Some(nl) = line_ends.next() else {
                self.hold(chunk, &mut line);
                return;
            };
            if self.skipping {
                self.keep_tail(&chunk[..nl]);
                self.lines += 1;
                line(&join_long(&self.carry, &self.tail), None);
            } else {
                self.carry.extend_from_slice(&chunk[..nl]);
                self.lines += 1;
                line(&self.carry, None);
            }
            self.skipping = false;
            self.binary = false;
            self.carry.clear();
            self.tail.clear();
            start = nl + 1;
            index = 1;
        }
        for nl in line_ends {
            self.lines += 1;
            line(&chunk[start..nl], Some(index));
            start = nl + 1;
            index += 1;
        }
        self.hold(&chunk[start..], &mut line);
    }

    /// End of input: gives `line` the last line if it had no line end.
    pub fn finish(&mut self, mut line: impl FnMut(&[u8])) {
        if self.skipping {
            self.lines += 1;
            line(&join_long(&self.carry, &self.tail));
        } else if !self.carry.is_empty() {
            self.lines += 1;
            line(&self.carry);
        }
        self.carry.clear();
        self.tail.clear();
        self.skipping = false;
        self.binary = false;
    }

    /// Keeps the start of a line until its end arrives, up to `MAX_LINE`;
    /// of a longer one, only its end (`keep_tail`).
    fn hold(&mut self, part: &[u8], _line: &mut impl FnMut(&[u8], Option<usize>)) {
        if self.skipping {
            self.keep_tail(part);
            return;
        }
        self.carry.extend_from_slice(part);
        if self.carry.len() > MAX_LINE {
            self.skipping = true;
            self.skipped = 0;
            let rest = self.carry.split_off(MAX_LINE);
            self.keep_tail(&rest);
        }
    }

    /// The last `LONG_LINE_TAIL` bytes (at most twice that held) of the
    /// over-long line, `part` being its next bytes.
    fn keep_tail(&mut self, part: &[u8]) {
        self.skipped += part.len() as u64;
        self.binary |= memchr::memchr(0, part).is_some();
        if part.len() >= LONG_LINE_TAIL {
            self.tail.clear();
            self.tail.extend_from_slice(&part[part.len() - LONG_LINE_TAIL..]);
        } else {
            self.tail.extend_from_slice(part);
            if self.tail.len() > 2 * LONG_LINE_TAIL {
                self.tail.drain(..self.tail.len() - LONG_LINE_TAIL);
            }
        }
    }
}

/// An over-long line from its first bytes (`head`) and its last (`tail`):
/// text traces put what makes a line long (the data strace prints with
/// `-s` large) in a quoted string, so when `head` ends inside one and
/// `tail` shows where it closes, the line is given with that string (or
/// the run of strings between, `[{iov_base="..."}, ...]`) emptied:
/// `write(3</f>, "", 20971520) = 20971520`, whose call and result read
/// as they were. Otherwise `head` alone (the parser says it did not
/// understand it).
pub fn join_long(head: &[u8], tail: &[u8]) -> Vec<u8> {
    let mut open = None;
    let mut i = 0;
    while i < head.len() {
        match (open.is_some(), head[i]) {
            (true, b'\\') => i += 1,
            (true, b'"') => open = None,
            (false, b'"') => open = Some(i),
            _ => {}
        }
        i += 1;
    }
    let Some(open) = open else { return head.to_vec() };
    // The string's closing quote: the first `"` in `tail` after an even run
    // of backslashes that begins inside `tail` (an escape cut by the tail's
    // start is at most 4 bytes: `\x61`, `\377`).
    let mut run = 0usize;
    let mut close = None;
    for (j, &c) in tail.iter().enumerate() {
        match c {
            b'\\' => run += 1,
            b'"' if j >= 4 && run.is_multiple_of(2) && run < j => {
                close = Some(j);
                break;
            }
            _ => run = 0,
        }
        if c == b'"' {
            run = 0;
        }
    }
    let Some(close) = close else { return head.to_vec() };
    let mut line = Vec::with_capacity(open + 1 + tail.len() - close);
    line.extend_from_slice(&head[..=open]);
    line.extend_from_slice(&tail[close..]);
    line
}

/// Appends to `out` the offset of every `\n` in `buf` (shorter than 4 GiB),
/// in order: what collecting `memchr_iter` gives, without a search per line
/// (whose fixed cost is most of the work when lines are short: the second
/// half of a split strace call is about 40 bytes). On x86-64, each 64-byte
/// piece gives a bit mask of its line ends.
pub fn line_ends(buf: &[u8], out: &mut Vec<u32>) {
    // Moved only by the x86-64 loop.
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
    let mut at = 0u32;
    #[cfg(target_arch = "x86_64")]
    for piece in buf.chunks_exact(64) {
        let mut mask = newlines(piece.try_into().expect("64 bytes"));
        while mask != 0 {
            out.push(at + mask.trailing_zeros());
            mask &= mask - 1;
        }
        at += 64;
    }
    out.extend(memchr::memchr_iter(b'\n', &buf[at as usize..]).map(|p| at + p as u32));
}

/// Bit `k` set when `piece[k]` is `\n`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn newlines(piece: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    let mut mask = 0u64;
    for k in 0..4 {
        // SAFETY: SSE2 is part of x86-64; the 16 bytes loaded lie inside `piece`.
        let bits = unsafe {
            let v = _mm_loadu_si128(piece.as_ptr().add(16 * k).cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)))
        };
        mask |= u64::from(bits as u16) << (16 * k);
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_are_those_memchr_finds() {
        // Lengths around the 64-byte pieces, line ends dense and sparse, at the edges.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in (0..200).chain([255, 256, 257, 4096, 4097]) {
            for density in [0, 1, 8, 64, 256] {
                let buf: Vec<u8> = (0..len)
                    .map(|_| {
                        let r = next();
                        if density > 0 && r % density == 0 { b'\n' } else { (r >> 8) as u8 | 0x80 }
                    })
                    .collect();
                let mut found = Vec::new();
                line_ends(&buf, &mut found);
                let want: Vec<u32> = memchr::memchr_iter(b'\n', &buf).map(|p| p as u32).collect();
                assert_eq!(found, want, "len {len}, density {density}");
            }
        }
        let mut found = vec![7];
        line_ends(&[b'\n'; 130], &mut found);
        assert_eq!(found, [7].into_iter().chain(0..130).collect::<Vec<u32>>(), "appends, every byte a line end");
    }

    fn feed_all(chunks: &[&[u8]]) -> (Vec<Vec<u8>>, LineFeeder) {
        let mut f = LineFeeder::new();
        let mut out = Vec::new();
        for c in chunks {
            f.feed(c, memchr::memchr_iter(b'\n', c), |l, _| out.push(l.to_vec()));
        }
        f.finish(|l| out.push(l.to_vec()));
        (out, f)
    }

    #[test]
    fn lines_across_chunks() {
        let (lines, f) = feed_all(&[b"ab", b"c\nd", b"", b"e\n\nf"]);
        assert_eq!(lines, [&b"abc"[..], b"de", b"", b"f"]);
        assert_eq!(f.lines(), 4);
    }

    #[test]
    fn lines_wholly_in_a_chunk_carry_the_index_of_their_line_end() {
        let mut f = LineFeeder::new();
        let mut seen = Vec::new();
        for c in [&b"a\nbb\ncc"[..], b"c\nd\n"] {
            f.feed(c, memchr::memchr_iter(b'\n', c), |l, i| seen.push((l.to_vec(), i)));
        }
        assert_eq!(seen, [(b"a".to_vec(), Some(0)), (b"bb".to_vec(), Some(1)), (b"ccc".to_vec(), None), (b"d".to_vec(), Some(1))]);
    }

    #[test]
    fn an_over_long_line_is_cut_and_its_rest_skipped() {
        let long = vec![b'x'; MAX_LINE + 10];
        let (lines, f) = feed_all(&[b"a\nyy", &long, b"zz", b"z\nb\n"]);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], b"a");
        assert_eq!(lines[1].len(), MAX_LINE, "no quoted string across the cut: its start alone");
        assert!(lines[1].starts_with(b"yyxx"));
        assert_eq!(lines[2], b"b", "the rest of the long line is no line of its own");
        assert_eq!(f.skipped(), 0);
        let mut f = LineFeeder::new();
        f.feed(&long, std::iter::empty(), |_, _| {});
        f.feed(b"12345", std::iter::empty(), |_, _| {});
        assert_eq!(f.skipped(), 15);
        assert!(!f.skipping_binary());
        f.feed(b"\0", std::iter::empty(), |_, _| {});
        assert!(f.skipping_binary());
    }

    #[test]
    fn an_over_long_line_keeps_its_call_and_result_its_long_string_emptied() {
        // `write(3</f>, "\x61\x61...", N) = N`, with -xx: 4 bytes per data byte, in odd chunks.
        let n = MAX_LINE; // data bytes: 4 MiB of text
        let mut text = b"123 write(3</tmp/big.bin>, \"".to_vec();
        for _ in 0..n {
            text.extend_from_slice(b"\\x61");
        }
        text.extend_from_slice(format!("\", {n}) = {n}\nnext\n").as_bytes());
        for chunk in [7usize, 65536, 1 << 20, 3 << 20] {
            let chunks: Vec<&[u8]> = text.chunks(chunk).collect();
            let (lines, f) = feed_all(&chunks);
            assert_eq!(lines[0], format!("123 write(3</tmp/big.bin>, \"\", {n}) = {n}").as_bytes(), "chunks of {chunk}");
            assert_eq!(lines[1], b"next");
            assert_eq!(f.lines(), 2);
        }
        // Escaped quotes and backslashes inside the string, a string before it, and the line's end at the input's end.
        let mut text = b"9 writev(1, [{iov_base=\"ab\\\"\", iov_len=3}, {iov_base=\"".to_vec();
        text.extend(std::iter::repeat_n(b"\\\\\\\"z".iter().copied(), MAX_LINE / 2).flatten());
        text.extend_from_slice(b"\", iov_len=7}], 2) = 10");
        let (lines, _) = feed_all(&[&text]);
        assert_eq!(lines, [b"9 writev(1, [{iov_base=\"ab\\\"\", iov_len=3}, {iov_base=\"\", iov_len=7}], 2) = 10".to_vec()]);
    }
}
