//! The live ETW session: a real-time session with the
//! Microsoft-Windows-Kernel-File and Microsoft-Windows-Kernel-Process
//! providers (through ferrisetw), each event's fields handed to the
//! platform-free decoder in `iops_core::etw`. Needs administrator rights or
//! the Performance Log Users group. Untested on a real Windows machine
//! (type-checked for x86_64-pc-windows-msvc, built for -gnu).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrisetw::parser::{Parser, Pointer};
use ferrisetw::provider::Provider;
use ferrisetw::schema_locator::SchemaLocator;
use ferrisetw::trace::{TraceError, UserTrace};
use ferrisetw::EventRecord;
use iops_core::etw::{
    EtwDecoder, Fields, Header, KERNEL_FILE_KEYWORDS, KERNEL_FILE_PROVIDER, KERNEL_PROCESS_KEYWORDS, KERNEL_PROCESS_PROVIDER,
};
use iops_core::Aggregator;
use windows_sys::Win32::Foundation::FILETIME;
use windows_sys::Win32::Storage::FileSystem::{GetLogicalDrives, QueryDosDeviceW};
use windows_sys::Win32::System::SystemInformation::GetSystemTimePreciseAsFileTime;

/// Real-time sessions deliver buffers at least once a second: after the
/// measured work, this long is waited so its last events arrive.
pub const SETTLE: Duration = Duration::from_millis(1500);

pub struct State {
    pub decoder: EtwDecoder,
    pub agg: Aggregator,
}

/// One event's fields through the TDH parser; the file name (the only
/// string the decoder reads) is parsed once, for the events that carry it.
struct RecordFields<'p, 's, 'r> {
    parser: &'p Parser<'s, 'r>,
    name: Option<String>,
}

impl Fields for RecordFields<'_, '_, '_> {
    fn u64(&self, name: &str) -> Option<u64> {
        let p = self.parser;
        p.try_parse::<u64>(name)
            .ok()
            .or_else(|| p.try_parse::<Pointer>(name).ok().map(|v| *v as u64))
            .or_else(|| p.try_parse::<u32>(name).ok().map(u64::from))
    }
    fn str(&self, _name: &str) -> Option<&str> {
        self.name.as_deref()
    }
}

fn header(r: &EventRecord) -> Header {
    // Default real-time sessions stamp events in 100 ns FILETIME ticks.
    Header { id: r.event_id(), time_ns: (r.raw_timestamp().max(0) as u64).saturating_mul(100), pid: r.process_id() }
}

/// `\Device\HarddiskVolume3` → `C:` for every drive letter in use.
fn add_drives(d: &mut EtwDecoder) {
    // SAFETY: plain queries into a stack buffer of the given length.
    let mask = unsafe { GetLogicalDrives() };
    for i in 0..26u32 {
        if mask & (1 << i) == 0 {
            continue;
        }
        let drive = format!("{}:", (b'A' + i as u8) as char);
        let wide: Vec<u16> = drive.encode_utf16().chain(Some(0)).collect();
        let mut buf = [0u16; 512];
        let n = unsafe { QueryDosDeviceW(wide.as_ptr(), buf.as_mut_ptr(), buf.len() as u32) };
        if n > 0 {
            let end = buf.iter().position(|&c| c == 0).unwrap_or(0);
            d.add_device(&String::from_utf16_lossy(&buf[..end]), &drive);
        }
    }
}

pub struct Session {
    trace: UserTrace,
    state: Arc<Mutex<State>>,
}

/// Why a session could not start, in one line that says what to do.
pub fn explain(e: &TraceError) -> String {
    let denied = match e {
        TraceError::EtwNativeError(ferrisetw::native::EvntraceNativeError::IoError(io)) => {
            matches!(io.raw_os_error(), Some(5) | Some(-2147024891)) || io.kind() == std::io::ErrorKind::PermissionDenied
        }
        _ => false,
    };
    if denied {
        "a real-time ETW session needs administrator rights (or membership of the Performance Log Users group): run from an elevated prompt for per-call figures".into()
    } else {
        format!("the ETW session could not start ({e:?})")
    }
}

impl Session {
    pub fn start(mut decoder: EtwDecoder) -> Result<Session, TraceError> {
        add_drives(&mut decoder);
        let state = Arc::new(Mutex::new(State { decoder, agg: Aggregator::new() }));
        let files = state.clone();
        let file_provider = Provider::by_guid(KERNEL_FILE_PROVIDER)
            .any(KERNEL_FILE_KEYWORDS)
            .add_callback(move |r: &EventRecord, locator: &SchemaLocator| {
                let Ok(schema) = locator.event_schema(r) else { return };
                let parser = Parser::create(r, &schema);
                let id = r.event_id();
                let name = if matches!(id, 10 | 12 | 30) { parser.try_parse::<String>("FileName").ok() } else { None };
                let fields = RecordFields { parser: &parser, name };
                if let Ok(mut st) = files.lock() {
                    let st = &mut *st;
                    st.decoder.file_event(header(r), &fields, &mut st.agg);
                }
            })
            .build();
        let processes = state.clone();
        let process_provider = Provider::by_guid(KERNEL_PROCESS_PROVIDER)
            .any(KERNEL_PROCESS_KEYWORDS)
            .add_callback(move |r: &EventRecord, locator: &SchemaLocator| {
                let Ok(schema) = locator.event_schema(r) else { return };
                let parser = Parser::create(r, &schema);
                let fields = RecordFields { parser: &parser, name: None };
                if let Ok(mut st) = processes.lock() {
                    st.decoder.process_event(header(r), &fields);
                }
            })
            .build();
        let trace = UserTrace::new()
            .named(format!("iops-profiler-{}", std::process::id()))
            .enable(file_provider)
            .enable(process_provider)
            .start_and_process()?;
        Ok(Session { trace, state })
    }

    pub fn state(&self) -> Arc<Mutex<State>> {
        self.state.clone()
    }

    /// Waits for the last buffers, stops the session, and hands over what
    /// it decoded (the lock is held while the caller builds its report).
    pub fn stop(self) -> Arc<Mutex<State>> {
        std::thread::sleep(SETTLE);
        let _ = self.trace.stop();
        if let Ok(mut st) = self.state.lock() {
            st.decoder.finish();
        }
        self.state
    }
}

/// Now, on the clock of the events' timestamps (system time, 100 ns ticks), in ns.
pub fn now_ns() -> u64 {
    let mut ft = FILETIME { dwLowDateTime: 0, dwHighDateTime: 0 };
    // SAFETY: writes the FILETIME we pass.
    unsafe { GetSystemTimePreciseAsFileTime(&mut ft) };
    (((ft.dwHighDateTime as u64) << 32) | ft.dwLowDateTime as u64).saturating_mul(100)
}

/// Sessions measuring a window of this process, by the window's cookie:
/// `profile()` opens and closes the window as its code runs.
static WINDOWS: Mutex<Vec<(u32, Arc<Mutex<State>>)>> = Mutex::new(Vec::new());

pub fn register_window(cookie: u32, state: Arc<Mutex<State>>) {
    if let Ok(mut w) = WINDOWS.lock() {
        w.push((cookie, state));
    }
}

pub fn forget_window(cookie: u32) {
    if let Ok(mut w) = WINDOWS.lock() {
        w.retain(|(c, _)| *c != cookie);
    }
}

fn with_window(cookie: u32, f: impl FnOnce(&mut EtwDecoder)) {
    let state = WINDOWS.lock().ok().and_then(|w| w.iter().find(|(c, _)| *c == cookie).map(|(_, s)| s.clone()));
    if let Some(state) = state {
        if let Ok(mut st) = state.lock() {
            f(&mut st.decoder);
        }
    }
}

/// The measured code starts now.
pub fn window_begin(cookie: u32) {
    let t = now_ns();
    with_window(cookie, |d| d.begin_window(t));
}

/// The measured code ended now.
pub fn window_end(cookie: u32) {
    let t = now_ns();
    with_window(cookie, |d| d.end_window(t));
}
