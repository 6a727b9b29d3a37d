//! Text arriving in chunks of any size (a pipe, a file read in blocks), cut
//! into lines across chunk boundaries, for the log parsers.

/// A line longer than this is no trace line: it is cut here (the parser
/// sees the cut start, and says it did not understand it) and the rest of
/// it is skipped, so memory stays bounded on any input.
pub const MAX_LINE: usize = 1 << 20;

/// Cuts chunks into lines. Keeps the start of a line whose end has not
/// arrived yet; a line longer than `MAX_LINE` is cut there and the rest of
/// it skipped up to its end (never read as lines of its own).
#[derive(Default, Debug)]
pub struct LineFeeder {
    carry: Vec<u8>,
    skipping: bool,
    skipped: u64,
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
            if !self.skipping {
                self.carry.extend_from_slice(&chunk[..nl]);
                self.lines += 1;
                line(&self.carry, None);
            }
            self.skipping = false;
            self.carry.clear();
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
        if !self.carry.is_empty() && !self.skipping {
            self.lines += 1;
            line(&self.carry);
        }
        self.carry.clear();
        self.skipping = false;
    }

    /// Keeps the start of a line until its end arrives, up to `MAX_LINE`;
    /// skips the rest of a longer one.
    fn hold(&mut self, part: &[u8], line: &mut impl FnMut(&[u8], Option<usize>)) {
        if self.skipping {
            self.skipped += part.len() as u64;
            return;
        }
        self.carry.extend_from_slice(part);
        if self.carry.len() > MAX_LINE {
            self.lines += 1;
            line(&self.carry[..MAX_LINE], None);
            self.skipping = true;
            self.skipped = (self.carry.len() - MAX_LINE) as u64;
            self.carry.clear();
        }
    }
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
        assert_eq!(lines[1].len(), MAX_LINE);
        assert!(lines[1].starts_with(b"yyxx"));
        assert_eq!(lines[2], b"b", "the rest of the long line is no line of its own");
        assert_eq!(f.skipped(), 0);
        let mut f = LineFeeder::new();
        f.feed(&long, std::iter::empty(), |_, _| {});
        f.feed(b"12345", std::iter::empty(), |_, _| {});
        assert_eq!(f.skipped(), 15);
    }
}
