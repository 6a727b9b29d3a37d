//! Text trace sources from JavaScript: a saved log (`iops import`) or the
//! live output of `strace` (`--method strace`), pushed in chunks of any
//! size. Lines are split here, across chunk boundaries, and fed to the
//! format's parser in the core; `finish` returns the report as JSON.
//! Portable: builds and works on every platform.

use iops_core::lines::{line_ends, LineFeeder, MAX_LINE};
use iops_core::parse::{self, detect, not_text, LexedLine, LineParser};
use iops_core::report::{ExitInfo, ReportContext};
use iops_core::{Aggregator, Source, Warning};
use memchr::memchr_iter;
use std::io::Read;
use std::sync::mpsc::sync_channel;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// `pushFile` reads in chunks of this size, this many ahead of the parser.
const FILE_CHUNK: usize = 256 << 10;
const READ_AHEAD: usize = 4;

/// The share of a block's lines the reading thread lexes, in steps of
/// 1/`SHARE_STEPS`; the parsing thread lexes the rest itself. Lexing costs
/// more than parsing: when the reader lexes every line the parser waits for
/// it. The share follows how far ahead the reader is (see `Share::next`),
/// so that the two threads finish together on two free cores and the work
/// simply adds up on one (a line lexed where it is parsed costs no less).
const SHARE_STEPS: usize = 16;

/// The reading thread's share of the lexing, from how many blocks are
/// waiting for the parser when the reader hands it one more.
struct Share(usize);

impl Share {
    /// The share for the next block, given `waiting` blocks already queued:
    /// none, the parser is idle (it takes more); the queue full, it is
    /// the slower one (it takes less).
    fn next(&mut self, waiting: usize) -> usize {
        if waiting == 0 {
            self.0 = self.0.saturating_sub(1);
        } else if waiting >= READ_AHEAD - 1 {
            self.0 = (self.0 + 1).min(SHARE_STEPS);
        }
        self.0
    }

    /// How many of `lines` lines the reader lexes.
    fn of(&self, lines: usize) -> usize {
        lines * self.0 / SHARE_STEPS
    }
}

/// A block of a file read ahead: `buf[..len]`, with the offsets of its
/// `\n`s and, when the format has a lexer, its first `lexed_len` lines
/// lexed (`lexed[k]` is the line that ends at `line_ends[k]`, from the
/// previous one's end or the block's start; the parser lexes the others).
struct Chunk {
    buf: Vec<u8>,
    len: usize,
    line_ends: Vec<u32>,
    lexed: Vec<LexedLine>,
    lexed_len: usize,
}

/// A format's stateless lexer (`parse::Format::lex`).
type LexFn = fn(&[u8], &mut LexedLine) -> bool;

/// Lexes the lines of `buf` that end at `ends[from..from + out.len()]` into `out`.
fn lex_lines(lex: LexFn, buf: &[u8], ends: &[u32], from: usize, out: &mut [LexedLine]) {
    let mut start = if from == 0 { 0 } else { ends[from - 1] as usize + 1 };
    for (k, rec) in out.iter_mut().enumerate() {
        let end = ends[from + k] as usize;
        lex(&buf[start..end], rec);
        start = end + 1;
    }
}

/// Fills `buf` from `r` (short only at the end of the file).
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A "line" that runs this long without a line end, with NUL bytes in it,
/// is no text at all (a device such as /dev/zero, a binary file): the
/// import stops with an error rather than read it forever. A long line of
/// text (strace -s large) is read whatever its length (see `lines::join_long`).
const MAX_SKIPPED: u64 = 64 << 20;

/// Detection holds the first lines of the input until it has
/// `detect::LINES` of them, or this many bytes (each line cut to `MAX_LINE`).
const DETECT_BYTES: usize = 8 << 20;

#[napi(object)]
pub struct ImportProgress {
    /// Bytes pushed so far.
    pub bytes: f64,
    pub lines: f64,
    /// Storage operations counted so far, and the bytes they moved.
    pub ops: f64,
    pub op_bytes: f64,
}

#[napi(object)]
#[derive(Default)]
pub struct ImportFinishOptions {
    /// The report's `method` (its source), when not the format's own for a
    /// saved log ("strace-log", "fs_usage"): "strace" for the live source.
    pub method: Option<String>,
    pub command: Option<Vec<String>>,
    /// Count sockets, pipes and ttys in the summary too.
    pub all_fds: Option<bool>,
    /// How a launched command ended (the live source knows; a log may say).
    pub exit_code: Option<i32>,
    pub exit_signal: Option<String>,
    pub exit_signal_number: Option<i32>,
    /// Warnings the caller wants in the report, first.
    pub warnings: Option<Vec<crate::options::WarningNote>>,
    /// Seconds the caller measured the capture for (the live source): the
    /// report's elapsed time when the input has no line at all, a capture
    /// in which nothing was traced (zero operations in that time). Unused
    /// otherwise: a log's own timestamps give its time.
    pub elapsed_seconds: Option<f64>,
}

#[napi]
pub struct LineImport {
    /// Empty until detection has named it (`detecting`).
    format: &'static str,
    parser: Box<dyn LineParser + Send>,
    agg: Aggregator,
    /// Cuts the input into lines (an over-long one cut to `MAX_LINE`).
    lines: LineFeeder,
    bytes: u64,
    /// The format's lexer, for the reading thread of `pushFile` (set once
    /// the format is known).
    lexer: Arc<Mutex<Option<LexFn>>>,
    /// Detecting the format: the first lines, as the parser will see them
    /// (split and cut by the same code), recorded until there are enough.
    head: Option<Arc<Mutex<Head>>>,
    /// The input's first bytes, until there are `not_text::SAMPLE` of them
    /// (or the input ends) and they have been found to be text.
    sample: Option<Vec<u8>>,
    /// A format given by the caller (`--format`): the first lines, kept
    /// until they can be scored as that format (see `confirm`), so that a
    /// wrong format is an error, not a report of zeros.
    given: Option<(&'static parse::Format, Head)>,
}

/// The first lines of an input, held for detection.
#[derive(Default)]
struct Head {
    lines: Vec<Vec<u8>>,
    bytes: usize,
}

/// The parser of an import whose format is not known yet: records lines.
struct Recorder(Arc<Mutex<Head>>);

impl LineParser for Recorder {
    fn line(&mut self, line: &[u8], _: &mut Aggregator) {
        let mut head = self.0.lock().unwrap_or_else(|e| e.into_inner());
        head.bytes += line.len();
        head.lines.push(line.to_vec());
    }
    fn finish(&mut self, _: &mut Aggregator) {}
    fn warnings(&self) -> Vec<Warning> {
        Vec::new()
    }
}

/// The format of the input that starts with `head` (read as its first
/// lines, the last one left out when it may be cut); null when none accepts them.
#[napi]
pub fn detect_trace_format(head: Buffer) -> Option<String> {
    let mut lines: Vec<&[u8]> = head.split(|&c| c == b'\n').take(detect::LINES + 1).collect();
    if lines.len() > 1 {
        lines.pop();
    }
    let lines: Vec<&[u8]> = lines.iter().map(|l| &l[..l.len().min(MAX_LINE)]).collect();
    parse::detect(&lines).map(|f| f.name.to_string())
}

fn unknown_format() -> Error {
    let names: Vec<_> = parse::FORMATS.iter().map(|f| f.name).collect();
    Error::from_reason(format!("cannot tell the format of this input (known: {}); give it with --format", names.join(", ")))
}


/// Names of the formats `LineImport` reads.
#[napi]
pub fn trace_formats() -> Vec<String> {
    parse::FORMATS.iter().map(|f| f.name.to_string()).collect()
}

#[napi]
impl LineImport {
    #[napi(constructor)]
    pub fn new(format: String) -> Result<LineImport> {
        let f = parse::format(&format).ok_or_else(|| {
            let names: Vec<_> = parse::FORMATS.iter().map(|f| f.name).collect();
            Error::from_reason(format!("unknown trace format {format:?} (known: {})", names.join(", ")))
        })?;
        let mut import = Self::of(f.name, (f.parser)());
        *import.lexer.lock().unwrap_or_else(|e| e.into_inner()) = f.lex;
        import.given = Some((f, Head::default()));
        Ok(import)
    }

    /// An import whose format is detected from the input's first lines
    /// (`parse::detect`): they are held until there are enough of them (or
    /// the input ends), then parsed. `push`, `pushFile` or `finish` throw
    /// "cannot tell the format..." when no format accepts them.
    #[napi(factory)]
    pub fn detecting() -> LineImport {
        let head = Arc::new(Mutex::new(Head::default()));
        LineImport { head: Some(head.clone()), ..Self::of("", Box::new(Recorder(head))) }
    }

    fn of(format: &'static str, parser: Box<dyn LineParser + Send>) -> LineImport {
        LineImport {
            format,
            parser,
            agg: Aggregator::new(),
            lines: LineFeeder::new(),
            bytes: 0,
            lexer: Arc::new(Mutex::new(None)),
            head: None,
            sample: Some(Vec::new()),
            given: None,
        }
    }

    /// strace output of a process measuring a window of its own: counts only
    /// between its window markers with `cookie` (see `windowBegin`).
    #[napi(factory)]
    pub fn strace_window(cookie: u32) -> LineImport {
        Self::own_strace(iops_core::parse::strace::StraceParser::windowed(cookie))
    }

    /// strace output of our own `--method strace` run, whose trace set has
    /// lseek and the metadata calls: read/write offsets are followed from
    /// the first line, and no metadata call in the log is a zero.
    #[napi(factory)]
    pub fn strace_own() -> LineImport {
        Self::own_strace(iops_core::parse::strace::StraceParser::new())
    }

    fn own_strace(parser: iops_core::parse::strace::StraceParser) -> LineImport {
        let import = Self::of("strace", Box::new(parser.tracing_lseek().tracing_metadata()));
        *import.lexer.lock().unwrap_or_else(|e| e.into_inner()) = Some(iops_core::parse::strace::lex_line);
        import
    }

    /// The format's name (empty while it is being detected).
    #[napi]
    pub fn format(&self) -> String {
        self.format.to_string()
    }

    /// Parses every complete line of `chunk`; keeps a cut last line for the
    /// next chunk. Throws when the input is not a text trace (its first 4 KiB
    /// are compressed, UTF-16 or binary data; a line with no end after
    /// 64 MiB) or its format cannot be told (`detecting`).
    #[napi]
    pub fn push(&mut self, chunk: Buffer) -> Result<()> {
        self.feed(&chunk, memchr_iter(b'\n', &chunk), &mut [])
    }

    /// Parses a whole file: one thread reads ahead into recycled buffers,
    /// finds their line ends and (once the format is known, if it has a
    /// lexer) lexes a share of their lines, while this one lexes the rest
    /// and parses what they say: the share (`Share`) keeps both threads
    /// busy, so reading, splitting and most lexing cost next to nothing. Blocks the
    /// caller until the end of the file (then call `finish`). Throws as
    /// `push` does, or when the file cannot be read.
    #[napi]
    pub fn push_file(&mut self, path: String) -> Result<()> {
        self.read_file(&path, &AtomicBool::new(false))
    }

    #[napi]
    pub fn progress(&self) -> ImportProgress {
        let p = self.agg.progress();
        ImportProgress {
            bytes: self.bytes as f64,
            lines: self.lines.lines() as f64,
            ops: p.ops.load(Ordering::Relaxed) as f64,
            op_bytes: p.bytes.load(Ordering::Relaxed) as f64,
        }
    }

    /// The input has ended: detection (`detecting`) names the format from
    /// what there was. Returns the format's name; throws when none accepts
    /// the input. (`finish` does this too.)
    #[napi]
    pub fn end_of_input(&mut self) -> Result<String> {
        self.end()?;
        Ok(self.format.to_string())
    }

    /// End of input: parses a last line without its newline, settles what
    /// is pending, and returns the report as JSON. Throws when the format
    /// of the input could not be told (`detecting`).
    #[napi]
    pub fn finish(&mut self, options: ImportFinishOptions) -> Result<String> {
        self.end()?;
        self.parser.finish(&mut self.agg);
        if let Some(why) = self.parser.unusable() {
            return Err(Error::from_reason(why));
        }
        let exit = (options.exit_code.is_some() || options.exit_signal.is_some()).then_some(ExitInfo {
            code: options.exit_code,
            signal: options.exit_signal,
            signal_number: options.exit_signal_number,
        });
        let method = match &options.method {
            Some(name) => Source::from_name(name).ok_or_else(|| Error::from_reason(format!("unknown method: {name:?}")))?,
            None => parse::format(self.format).map_or(Source::StraceLog, |f| f.source),
        };
        let ctx = ReportContext {
            method,
            command: options.command,
            all_fds: options.all_fds.unwrap_or(false),
            exit,
            warnings: crate::options::warnings_of(options.warnings)?,
            elapsed_ns: seconds_to_ns(options.elapsed_seconds)?,
            ..Default::default()
        };
        Ok(self.parser.report(&self.agg, ctx).to_json())
    }
}

#[napi(object)]
pub struct FileImportOptions {
    /// The trace's format (one of `traceFormats()`); detected from its
    /// first lines when absent.
    pub format: Option<String>,
    /// Count sockets, pipes and ttys in the summary too.
    pub all_fds: Option<bool>,
}

/// A whole file imported on threads of its own while JavaScript goes on:
/// `LineImport`'s `pushFile` and `finish`, with the event loop free (`iops
/// import` loads what prints the report meanwhile; a notebook stays
/// responsive).
#[napi]
pub struct FileImport {
    worker: Arc<Mutex<Option<JoinHandle<Result<String>>>>>,
    stop: Arc<AtomicBool>,
}

#[napi]
impl FileImport {
    /// Starts importing the file at `path`. Throws at once on an unknown
    /// format; anything else (the file cannot be read, is no text trace,
    /// its format cannot be told) rejects `report()`.
    #[napi(constructor)]
    pub fn new(path: String, options: FileImportOptions) -> Result<FileImport> {
        let mut import = match options.format {
            Some(format) => LineImport::new(format)?,
            None => LineImport::detecting(),
        };
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let worker = std::thread::Builder::new()
            .name("iops-import".into())
            .spawn(move || {
                import.read_file(&path, &stopped)?;
                import.finish(ImportFinishOptions { all_fds: options.all_fds, ..Default::default() })
            })
            .map_err(|e| Error::from_reason(format!("cannot start the import: {e}")))?;
        Ok(FileImport { worker: Arc::new(Mutex::new(Some(worker))), stop })
    }

    /// Resolves with the report as JSON once the whole file is read; rejects
    /// with what `pushFile` or `finish` would throw, or when cancelled. Once.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn report(&self) -> AsyncTask<FileImportReport> {
        AsyncTask::new(FileImportReport(self.worker.clone()))
    }

    /// Stops the import at its next block (its `report()` then rejects).
    #[napi]
    pub fn cancel(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// `FileImport::report`: waits for the import's thread on libuv's pool.
pub struct FileImportReport(Arc<Mutex<Option<JoinHandle<Result<String>>>>>);

impl Task for FileImportReport {
    type Output = String;
    type JsValue = String;
    fn compute(&mut self) -> Result<String> {
        let worker = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        match worker.map(JoinHandle::join) {
            Some(Ok(outcome)) => outcome,
            Some(Err(_)) => Err(Error::from_reason("the import thread panicked")),
            None => Err(Error::from_reason("report() was already called on this import")),
        }
    }
    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}

impl LineImport {
    /// `push_file`'s work; stops with an error at the next block once
    /// `stop` is set.
    fn read_file(&mut self, path: &str, stop: &AtomicBool) -> Result<()> {
        let mut file = std::fs::File::open(path).map_err(|e| Error::from_reason(format!("cannot read {path}: {e}")))?;
        let (full_tx, full_rx) = sync_channel::<Chunk>(READ_AHEAD);
        let (empty_tx, empty_rx) = sync_channel::<Chunk>(READ_AHEAD + 1);
        for _ in 0..=READ_AHEAD {
            let _ = empty_tx.send(Chunk { buf: vec![0; FILE_CHUNK], len: 0, line_ends: Vec::new(), lexed: Vec::new(), lexed_len: 0 });
        }
        let lexer = self.lexer.clone();
        // Blocks read and not yet taken by the parser.
        let waiting = Arc::new(AtomicUsize::new(0));
        let queued = waiting.clone();
        let reader = std::thread::Builder::new()
            .name("iops-import-read".into())
            .spawn(move || -> std::io::Result<()> {
                let mut share = Share(SHARE_STEPS * 3 / 4);
                while let Ok(mut chunk) = empty_rx.recv() {
                    chunk.len = read_full(&mut file, &mut chunk.buf)?;
                    if chunk.len == 0 {
                        break;
                    }
                    chunk.line_ends.clear();
                    // FILE_CHUNK < 4 GiB: an offset fits in 32 bits.
                    line_ends(&chunk.buf[..chunk.len], &mut chunk.line_ends);
                    let lex = *lexer.lock().unwrap_or_else(|e| e.into_inner());
                    chunk.lexed_len = 0;
                    if let Some(lex) = lex {
                        let n = share.of(chunk.line_ends.len());
                        if chunk.lexed.len() < n {
                            chunk.lexed.resize(n, LexedLine::default());
                        }
                        lex_lines(lex, &chunk.buf, &chunk.line_ends, 0, &mut chunk.lexed[..n]);
                        chunk.lexed_len = n;
                    }
                    share.next(queued.fetch_add(1, Ordering::Relaxed));
                    if full_tx.send(chunk).is_err() {
                        break;
                    }
                }
                Ok(())
            })
            .map_err(|e| Error::from_reason(e.to_string()))?;
        let mut fed = Ok(());
        for mut chunk in full_rx.iter() {
            waiting.fetch_sub(1, Ordering::Relaxed);
            if stop.load(Ordering::Relaxed) {
                fed = Err(Error::from_reason("the import was cancelled"));
                break;
            }
            let Chunk { buf, len, line_ends, lexed, lexed_len } = &mut chunk;
            fed = self.feed(&buf[..*len], line_ends.iter().map(|&p| p as usize), &mut lexed[..*lexed_len]);
            if fed.is_err() {
                break;
            }
            let _ = empty_tx.send(chunk);
        }
        // The reader stops at its next send or receive.
        drop(full_rx);
        drop(empty_tx);
        let read = reader.join();
        fed?;
        match read {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::from_reason(format!("cannot read {path}: {e}"))),
            Err(_) => Err(Error::from_reason("the reading thread panicked")),
        }
    }

    /// Parses the lines of `chunk`, whose line ends are at `line_ends`
    /// (ascending), the first `lexed.len()` of them lexed ahead into `lexed`.
    fn feed(&mut self, chunk: &[u8], line_ends: impl Iterator<Item = usize>, lexed: &mut [LexedLine]) -> Result<()> {
        self.bytes += chunk.len() as u64;
        if let Some(sample) = &mut self.sample {
            sample.extend_from_slice(&chunk[..chunk.len().min(not_text::SAMPLE - sample.len())]);
            if sample.len() == not_text::SAMPLE {
                self.check_text()?;
            }
        }
        self.feed_lines(chunk, line_ends, lexed)?;
        if self.given.as_ref().is_some_and(|(_, h)| h.lines.len() >= detect::LINES || h.bytes >= DETECT_BYTES) {
            self.confirm()?;
        }
        if let Some(head) = &self.head {
            let enough = {
                let h = head.lock().unwrap_or_else(|e| e.into_inner());
                h.lines.len() >= detect::LINES || h.bytes >= DETECT_BYTES
            };
            if enough {
                self.decide()?;
            }
        }
        Ok(())
    }

    /// End of input: parses a last line without its line end, and names the
    /// format if it is still being detected. Can be called twice.
    fn end(&mut self) -> Result<()> {
        self.check_text()?;
        let (parser, agg) = (&mut self.parser, &mut self.agg);
        let given = &mut self.given;
        self.lines.finish(|line| {
            keep_head(given, line);
            parser.line(line, agg)
        });
        self.confirm()?;
        self.decide()
    }

    /// A given format (`given`): fails when its first lines do not read as
    /// that format by detection's own rule (`Score::accepts`), naming the
    /// format they read as when one does. An input of blank lines only
    /// passes (an empty capture).
    fn confirm(&mut self) -> Result<()> {
        let Some((f, head)) = self.given.take() else { return Ok(()) };
        let lines: Vec<&[u8]> = head.lines.iter().map(Vec::as_slice).collect();
        let score = (f.score)(&lines);
        if score.signature + score.understood + score.foreign == 0 || score.accepts() {
            return Ok(());
        }
        let hint = match parse::detect(&lines) {
            Some(other) => format!(": it reads as {0}; give --format {0}, or leave --format out", other.name),
            None => String::from(": leave --format out to have it detected"),
        };
        Err(Error::from_reason(format!(
            "this input is not a {} trace ({} of its first {} lines are not {} lines){hint}",
            f.name,
            score.foreign,
            lines.len(),
            f.name
        )))
    }

    /// Stops the import of an input that is no text (compressed, UTF-16,
    /// binary), whatever its format was said to be: read as lines, it would
    /// give nothing but lines not understood (forever, from /dev/urandom).
    fn check_text(&mut self) -> Result<()> {
        match self.sample.take() {
            Some(sample) => not_text::why_not_text(&sample).map_or(Ok(()), |why| Err(Error::from_reason(why))),
            None => Ok(()),
        }
    }

    /// Detection: names the format from the recorded first lines, then
    /// gives them to its parser.
    fn decide(&mut self) -> Result<()> {
        let Some(head) = self.head.take() else { return Ok(()) };
        let head = std::mem::take(&mut *head.lock().unwrap_or_else(|e| e.into_inner()));
        let lines: Vec<&[u8]> = head.lines.iter().map(Vec::as_slice).collect();
        let f = parse::detect(&lines).ok_or_else(unknown_format)?;
        self.format = f.name;
        self.parser = (f.parser)();
        *self.lexer.lock().unwrap_or_else(|e| e.into_inner()) = f.lex;
        for line in &lines {
            self.parser.line(line, &mut self.agg);
        }
        Ok(())
    }

    fn feed_lines(&mut self, chunk: &[u8], line_ends: impl Iterator<Item = usize>, lexed: &mut [LexedLine]) -> Result<()> {
        let (parser, agg, given) = (&mut self.parser, &mut self.agg, &mut self.given);
        // While detecting, `parser` records lines: records lexed for it are of no use.
        let lexed = if self.head.is_some() { &mut [][..] } else { lexed };
        self.lines.feed(chunk, line_ends, |line, whole| {
            keep_head(given, line);
            match whole.and_then(|k| lexed.get_mut(k)) {
                Some(l) => parser.lexed_line(line, l, agg),
                None => parser.line(line, agg),
            }
        });
        if self.lines.skipped() > MAX_SKIPPED && self.lines.skipping_binary() {
            return Err(Error::from_reason(format!(
                "line {} runs past {} MiB without a line end, with NUL bytes: this input is not a text trace",
                // The line being skipped is not counted until its end.
                self.lines.lines() + 1,
                MAX_SKIPPED >> 20
            )));
        }
        Ok(())
    }
}

/// Keeps `line` among a given format's first lines (see `LineImport::given`) while they are fewer than detection looks at.
#[inline]
fn keep_head(given: &mut Option<(&'static parse::Format, Head)>, line: &[u8]) {
    if let Some((_, head)) = given {
        if head.lines.len() < detect::LINES && head.bytes < DETECT_BYTES {
            head.bytes += line.len();
            head.lines.push(line.to_vec());
        }
    }
}

/// `elapsedSeconds` in nanoseconds (absent: 0, not measured); throws on a
/// negative or non-finite number.
fn seconds_to_ns(seconds: Option<f64>) -> Result<u64> {
    match seconds {
        None => Ok(0),
        Some(s) if s.is_finite() && s >= 0.0 => Ok((s * 1e9).round() as u64),
        Some(s) => Err(Error::from_reason(format!("elapsedSeconds must be a finite number of seconds, 0 or more: {s}"))),
    }
}
