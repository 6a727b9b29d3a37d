//! The live sources: the sources that measure a running program, each
//! declared by the `live(<cfg>) { .. }` clause of its row in the source table
//! (`iops_core::source_table!`, crates/iops-core/src/source.rs), expanded here
//! into `LIVE_SOURCES` under its platform's cfg. The binding starts a session
//! by the row its `method` names (`TraceSession.launch` / `.attach`), and
//! tells JavaScript what the rows declare (`liveSources()`): the CLI's
//! `--method` choices, the check of `profile()`'s `method` and
//! src/sources/select.ts's choice all come from here. Adding a live source is
//! its module (its capture code, in its own crate or platform module, a
//! dependency under its platform's cfg) plus its row in the source table.

use iops_core::Source;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::options::TraceOptions;
#[cfg(any(target_os = "macos", windows))]
use crate::platform;
use crate::session::TraceSession;

/// How a window on this very process (`profile()`, the notebook magics) is measured.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[allow(dead_code)] // each platform's rows use some of them
pub enum Window {
    /// A process cannot measure itself with this source (ptrace): the tracer
    /// helper process (src/helper.ts) attaches to us with the row's `attach`
    /// and a marker cookie. It also attaches to our own children, whose
    /// stops libuv would reap.
    Helper,
    /// The row's `attach` of our own pid with a marker cookie, in this process (ETW).
    InProcess,
    /// The source's TypeScript module opens it (a `Start::Script` source).
    Script,
    /// No window of its own: this process's counters measure one (a counters source).
    Counters,
}

/// Starts a session that measures a command (`argv`) to its end.
pub type Launch = fn(Vec<std::ffi::OsString>, TraceOptions) -> Result<TraceSession>;
/// Starts a session that measures a running pid until `stop()` (or, with a
/// marker cookie, the window that pid marks).
pub type Attach = fn(i32, TraceOptions) -> Result<TraceSession>;

/// How a source starts.
#[derive(Clone, Copy)]
#[allow(dead_code)] // each platform's rows use some of them
pub enum Start {
    /// The binding runs it: a session that measures `argv` to its end, or a
    /// running pid until `stop()`.
    Binding { launch: Launch, attach: Attach },
    /// Its TypeScript module (src/sources/<name>.ts) runs it and parses what
    /// it writes with the binding's line parsers (strace, fs_usage).
    Script,
}

/// A row's `start` for a Linux tracer whose entry point is shaped as
/// `iops_linux::trace` is (`linux::TracerEntry`): `tracer!(iops_linux::trace)`.
#[cfg(target_os = "linux")]
macro_rules! tracer {
    ($entry:path) => {
        Start::Binding {
            launch: |argv, o| crate::platform::run_tracer(iops_linux::Target::Launch(argv), o, $entry),
            attach: |pid, o| crate::platform::run_tracer(iops_linux::Target::Attach(pid), o, $entry),
        }
    };
}

/// A live source: what the registry declares of it.
pub struct LiveSource {
    /// Its report `method`.
    pub source: Source,
    /// What it is, in a few words (`iops --method`'s help).
    pub about: &'static str,
    /// Whether it is tried when no source is asked for: the first such row
    /// (in table order) is the platform's default.
    pub by_default: bool,
    /// Why it cannot run in this process (rights, kernel, build), or `None`:
    /// the row's `permitted` probe, cheap (nothing is loaded or started).
    pub unavailable: fn() -> Option<String>,
    pub window: Window,
    pub start: Start,
}

/// A row's `permitted` probe, or none: the source says why it cannot run
/// when it starts (ptrace refused: the labelled counters fallback).
macro_rules! probe {
    () => {
        always_permitted
    };
    ($probe:path) => {
        $probe
    };
}

fn always_permitted() -> Option<String> {
    None
}

/// `LIVE_SOURCES` from the `live` clauses of the source table; the clause's
/// names (`Start`, `Window`'s variants, `tracer!`, `platform`) resolve here.
macro_rules! live_sources {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $label:literal, $sees:expr, $limits:expr
        $(, log($($format:ident),+))?
        $(, live($($cfg:tt)*) { about: $about:literal, by_default: $by_default:literal, $(permitted: $permitted:path,)? window: $window:ident, start: $start:expr })?;)*) => {
        /// Every live source this build has, in default order (the table's).
        /// A counters source (`Source::is_counters`) is never asked for: it is
        /// the labelled fallback.
        pub const LIVE_SOURCES: &[LiveSource] = &[$($(
            #[cfg($($cfg)*)]
            LiveSource {
                source: Source::$variant,
                about: $about,
                by_default: $by_default,
                unavailable: probe!($($permitted)?),
                window: Window::$window,
                start: $start,
            },
        )?)*];
    };
}

iops_core::source_table!(live_sources);

/// The row `method` names, or with none the platform's default; a clear
/// error (InvalidArg) for a method this build does not have.
pub fn live_source(method: Option<&str>) -> Result<&'static LiveSource> {
    let found = match method {
        Some(name) => LIVE_SOURCES.iter().find(|s| s.source.name() == name),
        None => LIVE_SOURCES.iter().find(|s| s.by_default && (s.unavailable)().is_none()),
    };
    found.ok_or_else(|| match method {
        Some(name) => {
            let known: Vec<_> = LIVE_SOURCES.iter().map(|s| s.source.name()).collect();
            Error::new(Status::InvalidArg, format!("unknown method {name:?}: one of {}", known.join(", ")))
        }
        None => Error::from_reason(format!("iops-profiler has no capture source on {}", std::env::consts::OS)),
    })
}

/// The start functions of the row `method` names (see `live_source`); an
/// error for a source its TypeScript module runs.
pub fn binding_start(method: Option<&str>) -> Result<(Launch, Attach)> {
    let row = live_source(method)?;
    match row.start {
        Start::Binding { launch, attach } => Ok((launch, attach)),
        Start::Script => Err(Error::new(
            Status::InvalidArg,
            format!("the {} source is run from TypeScript (src/sources/), not by TraceSession", row.source.name()),
        )),
    }
}

/// Why the live source `name` cannot run in this process, in one line that
/// says how to get it (its row's `permitted` probe); `null` when it may. An
/// unknown name: InvalidArg.
#[napi]
pub fn source_unavailable(name: String) -> Result<Option<String>> {
    Ok((live_source(Some(&name))?.unavailable)())
}

/// What JavaScript learns of a live source (see `LiveSource`).
#[napi(object)]
pub struct LiveSourceInfo {
    /// The report `method` it writes, and the name one asks for it by.
    pub name: String,
    pub about: String,
    /// Tried when no source is asked for (the first such is the default).
    pub by_default: bool,
    /// How a window on this process is measured.
    #[napi(ts_type = "'helper' | 'in-process' | 'script' | 'counters'")]
    pub window: String,
    /// Who runs it: the binding (`TraceSession`), or its TypeScript module.
    #[napi(ts_type = "'binding' | 'script'")]
    pub start: String,
    /// A counters source: the labelled fallback, never asked for.
    pub counters: bool,
}

/// The live sources of this build, in default order.
#[napi]
pub fn live_sources() -> Vec<LiveSourceInfo> {
    LIVE_SOURCES
        .iter()
        .map(|s| LiveSourceInfo {
            name: s.source.name().to_string(),
            about: s.about.to_string(),
            by_default: s.by_default,
            window: match s.window {
                Window::Helper => "helper",
                Window::InProcess => "in-process",
                Window::Script => "script",
                Window::Counters => "counters",
            }
            .to_string(),
            start: match s.start {
                Start::Binding { .. } => "binding",
                Start::Script => "script",
            }
            .to_string(),
            counters: s.source.is_counters(),
        })
        .collect()
}
