//! Windows kernel file I/O events (ETW), decoded into the aggregator.
//!
//! The source is the `Microsoft-Windows-Kernel-File` provider, whose
//! manifest defines the events and their fields (event ids, `Irp`,
//! `FileObject`, `FileKey`, `ByteOffset`, `IOSize`, `IOFlags`, `Status`,
//! `ExtraInformation`, `FileName`, ...), plus process start/stop events of
//! `Microsoft-Windows-Kernel-Process` to follow the traced process's
//! children. A read or write is two events: the request (event 15/16, with
//! its offset and requested size, from the issuing process) and its
//! `OperationEnd` (event 24, same `Irp`, with the NTSTATUS and the bytes
//! actually moved); the latency is the time between them. File names come
//! from `Create` (event 12, by `FileObject`) and `NameCreate` (event 10, by
//! `FileKey`).
//!
//! Everything here is platform-free and tested on fixtures; the live
//! session that feeds it (crates/iops-windows) is a thin layer over the
//! Windows API. Nothing here allocates per event except the first sight of
//! a file and the pending table of requests awaiting their completion.

use std::collections::{HashMap, HashSet};

use crate::aggregate::{Aggregator, FileId};
use crate::event::{DataOp, Direction, FdKind, MetaKind, Syscall};
use crate::report::{Report, ReportContext, StorageBytes};
use crate::window::Window;
use crate::source::Source;
use crate::warning::{Warning, WarningCode};

/// `Microsoft-Windows-Kernel-File`.
pub const KERNEL_FILE_PROVIDER: &str = "edd08927-9cc4-4e65-b970-c2560fb5c289";
/// `Microsoft-Windows-Kernel-Process`.
pub const KERNEL_PROCESS_PROVIDER: &str = "22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716";
/// FILENAME | FILEIO | OP_END | CREATE | READ | WRITE | DELETE_PATH | RENAME_SETLINK_PATH.
pub const KERNEL_FILE_KEYWORDS: u64 = 0x10 | 0x20 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800;
/// WINEVENT_KEYWORD_PROCESS of Kernel-Process.
pub const KERNEL_PROCESS_KEYWORDS: u64 = 0x10;

/// `IOFlags` bits (the IRP's flags, wdm.h): paging I/O is the memory
/// manager or the cache manager moving pages, not a call of the program.
const IRP_PAGING_IO: u32 = 0x2;
const IRP_SYNCHRONOUS_PAGING_IO: u32 = 0x40;

/// Requests awaiting their completion; beyond this many, events were lost.
const MAX_PENDING: usize = 1 << 16;

/// Named fields of one event, as the manifest names them (the live session
/// reads them with the TDH parser; tests read them from fixtures).
pub trait Fields {
    fn u64(&self, name: &str) -> Option<u64>;
    fn str(&self, name: &str) -> Option<&str>;
}

/// The event header fields the decoder needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Event id within its provider.
    pub id: u16,
    /// Nanoseconds on the session's clock (the header's 100 ns FILETIME × 100).
    pub time_ns: u64,
    pub pid: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    Read,
    Write,
    Create,
    Flush,
    DirEnum,
    Query,
    Delete,
    Rename,
    Close,
}

#[derive(Clone, Copy, Debug)]
struct Pending {
    request: Request,
    file: Option<FileId>,
    /// Create: the file object it will name.
    object: Option<u64>,
    offset: Option<u64>,
    paging: bool,
    time_ns: u64,
    /// Create: where the name is kept until the completion says it opened.
    name_index: u32,
}

#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagingIo {
    pub read_ops: u64,
    pub read_bytes: u64,
    pub write_ops: u64,
    pub write_bytes: u64,
}

/// Decodes kernel file I/O events of one process tree into an aggregator.
pub struct EtwDecoder {
    traced: HashSet<u32>,
    /// Launch mode: the process that starts the command (ourselves), whose
    /// own I/O is not counted but whose children are.
    spawner: Option<u32>,
    root: Option<u32>,
    follow_children: bool,
    window: Option<Window<u64>>,
    origin: Option<u64>,
    first: Option<u64>,
    last: Option<u64>,
    by_object: HashMap<u64, FileId>,
    by_key: HashMap<u64, FileId>,
    pending: HashMap<u64, Pending>,
    /// Names of creates awaiting completion (reused slots).
    create_names: Vec<String>,
    free_names: Vec<u32>,
    /// `\Device\HarddiskVolume3` → `C:`.
    devices: Vec<(String, String)>,
    paging: PagingIo,
    lost: u64,
    unmatched_ends: u64,
}

impl EtwDecoder {
    /// Traces `root` (and, with `follow_children`, the processes it starts).
    pub fn new(root: u32, follow_children: bool) -> EtwDecoder {
        EtwDecoder {
            traced: HashSet::from([root]),
            spawner: None,
            root: Some(root),
            follow_children,
            window: None,
            origin: None,
            first: None,
            last: None,
            by_object: HashMap::new(),
            by_key: HashMap::new(),
            pending: HashMap::new(),
            create_names: Vec::new(),
            free_names: Vec::new(),
            devices: Vec::new(),
            paging: PagingIo::default(),
            lost: 0,
            unmatched_ends: 0,
        }
    }

    /// Launch mode: traces the processes `spawner` starts (and theirs), not
    /// `spawner` itself. The session starts before the command, so its
    /// first event is seen.
    pub fn children_of(spawner: u32) -> EtwDecoder {
        let mut d = EtwDecoder::new(0, true);
        d.traced.clear();
        d.spawner = Some(spawner);
        d.root = None;
        d
    }

    /// The first process traced (launch mode: the command).
    pub fn root(&self) -> Option<u32> {
        self.root
    }

    /// Counts only requests issued between `begin_ns` and `end_ns` (the
    /// session's clock).
    pub fn set_window(&mut self, begin_ns: u64, end_ns: u64) {
        self.window = Some(Window::between(begin_ns, end_ns));
        self.origin = Some(begin_ns);
    }

    /// A window whose ends come later, as the measured code runs: nothing
    /// counts until `begin_window`.
    pub fn await_window(&mut self) {
        self.window = Some(Window::waiting());
        self.origin = None;
    }

    pub fn begin_window(&mut self, begin_ns: u64) {
        self.window = Some(Window::open_at(begin_ns));
        self.origin = Some(begin_ns);
    }

    pub fn end_window(&mut self, end_ns: u64) {
        // A window that never began stays unopened.
        if let Some(b) = self.window.and_then(|w| w.begin()) {
            self.window = Some(Window::between(b, end_ns));
        }
    }

    /// Kernel paths name volumes by device (`\Device\HarddiskVolume3\x`);
    /// `device` → `drive` (from QueryDosDevice) turns them into `C:\x`.
    pub fn add_device(&mut self, device: &str, drive: &str) {
        self.devices.push((device.trim_end_matches('\\').to_string(), drive.to_string()));
    }

    pub fn paging(&self) -> PagingIo {
        self.paging
    }

    pub fn is_traced(&self, pid: u32) -> bool {
        self.traced.contains(&pid)
    }

    pub fn elapsed_ns(&self) -> Option<u64> {
        match self.window {
            // Still open: up to the latest event.
            Some(w) if w.is_open() => Some(w.length(self.last?)),
            Some(w) => Some(w.length(0)),
            None => Some(self.last?.saturating_sub(self.first?)),
        }
    }

    /// A `Microsoft-Windows-Kernel-Process` event: ProcessStart (1) adds a
    /// child of a traced process, ProcessStop (2) removes a process.
    pub fn process_event(&mut self, h: Header, f: &impl Fields) {
        let Some(pid) = f.u64("ProcessID").and_then(|p| u32::try_from(p).ok()) else { return };
        let parent = f.u64("ParentProcessID").and_then(|p| u32::try_from(p).ok());
        match h.id {
            1 if self.follow_children && parent.is_some_and(|p| self.traced.contains(&p) || self.spawner == Some(p)) => {
                self.traced.insert(pid);
                self.root.get_or_insert(pid);
            }
            2 => {
                self.traced.remove(&pid);
            }
            _ => {}
        }
    }

    fn in_window(&self, t: u64) -> bool {
        self.window.is_none_or(|w| w.contains(t))
    }

    fn display_path(&self, kernel_path: &str) -> String {
        for (device, drive) in &self.devices {
            if let Some(rest) = kernel_path.strip_prefix(device.as_str()) {
                if rest.is_empty() || rest.starts_with('\\') {
                    return format!("{drive}{rest}");
                }
            }
        }
        kernel_path.to_string()
    }

    fn kind_of(kernel_path: &str) -> FdKind {
        let p = kernel_path.to_ascii_lowercase();
        if p.starts_with(r"\device\namedpipe") {
            FdKind::Pipe
        } else if p.starts_with(r"\device\afd") {
            FdKind::Socket
        } else if p.starts_with(r"\device\condrv") {
            FdKind::Tty
        } else {
            FdKind::File
        }
    }

    fn file_for(&mut self, object: Option<u64>, key: Option<u64>) -> Option<FileId> {
        if let Some(f) = object.and_then(|o| self.by_object.get(&o)) {
            return Some(*f);
        }
        let f = key.and_then(|k| self.by_key.get(&k)).copied();
        if let (Some(f), Some(o)) = (f, object) {
            self.by_object.insert(o, f);
        }
        f
    }

    fn unknown_file(agg: &mut Aggregator) -> FileId {
        agg.file("(file opened before the trace)", FdKind::Unknown)
    }

    fn park_name(&mut self, name: &str) -> u32 {
        match self.free_names.pop() {
            Some(i) => {
                let slot = &mut self.create_names[i as usize];
                slot.clear();
                slot.push_str(name);
                i
            }
            None => {
                self.create_names.push(name.to_string());
                (self.create_names.len() - 1) as u32
            }
        }
    }

    fn begin(&mut self, irp: u64, p: Pending) {
        if self.pending.len() >= MAX_PENDING {
            // Completions are being lost: what is pending will never settle.
            self.lost += self.pending.len() as u64;
            self.pending.clear();
            self.free_names = (0..self.create_names.len() as u32).collect();
        }
        if let Some(old) = self.pending.insert(irp, p) {
            self.lost += 1;
            if old.request == Request::Create {
                self.free_names.push(old.name_index);
            }
        }
    }

    /// A `Microsoft-Windows-Kernel-File` event.
    pub fn file_event(&mut self, h: Header, f: &impl Fields, agg: &mut Aggregator) {
        if h.id == 10 {
            // NameCreate: names hold whatever process asked first.
            if let (Some(key), Some(name)) = (f.u64("FileKey"), f.str("FileName")) {
                if !self.by_key.contains_key(&key) {
                    let id = agg.file(&self.display_path(name), Self::kind_of(name));
                    self.by_key.insert(key, id);
                }
            }
            return;
        }
        if h.id == 24 {
            self.end(h, f, agg);
            return;
        }
        if !self.traced.contains(&h.pid) {
            return;
        }
        let request = match h.id {
            12 | 30 => Request::Create,
            14 => Request::Close,
            15 => Request::Read,
            16 => Request::Write,
            18 | 26 => Request::Delete,
            19 | 27 | 29 => Request::Rename,
            20 => Request::DirEnum,
            21 => Request::Flush,
            22 => Request::Query,
            _ => return,
        };
        let Some(irp) = f.u64("Irp") else { return };
        if !self.in_window(h.time_ns) {
            // Outside the window, a create still names its file object.
            if request == Request::Create {
                if let (Some(o), Some(name)) = (f.u64("FileObject"), f.str("FileName")) {
                    let id = agg.file(&self.display_path(name), Self::kind_of(name));
                    self.by_object.insert(o, id);
                }
            }
            return;
        }
        self.first = Some(self.first.map_or(h.time_ns, |t| t.min(h.time_ns)));
        self.last = Some(self.last.map_or(h.time_ns, |t| t.max(h.time_ns)));
        let object = f.u64("FileObject");
        let key = f.u64("FileKey");
        let mut p = Pending { request, file: None, object, offset: None, paging: false, time_ns: h.time_ns, name_index: 0 };
        match request {
            Request::Create => {
                let Some(name) = f.str("FileName") else { return };
                // The file object is named when the completion says it opened.
                p.name_index = self.park_name(name);
            }
            Request::Read | Request::Write => {
                p.file = self.file_for(object, key);
                p.offset = f.u64("ByteOffset");
                let flags = f.u64("IOFlags").unwrap_or(0) as u32;
                p.paging = flags & (IRP_PAGING_IO | IRP_SYNCHRONOUS_PAGING_IO) != 0;
            }
            Request::Close => {
                // Closing cannot fail: counted at once, and the object forgotten.
                agg.record_meta(MetaKind::Close, true, None);
                if let Some(o) = object {
                    self.by_object.remove(&o);
                }
                return;
            }
            _ => p.file = self.file_for(object, key),
        }
        self.begin(irp, p);
    }

    fn end(&mut self, h: Header, f: &impl Fields, agg: &mut Aggregator) {
        let Some(irp) = f.u64("Irp") else { return };
        let Some(p) = self.pending.remove(&irp) else {
            self.unmatched_ends += 1;
            return;
        };
        self.last = Some(self.last.map_or(h.time_ns, |t| t.max(h.time_ns)));
        let status = f.u64("Status").unwrap_or(0) as u32;
        let info = f.u64("ExtraInformation").unwrap_or(0);
        let ok = !nt_error(status);
        let kind = match p.request {
            Request::Create => {
                if ok {
                    let name = &self.create_names[p.name_index as usize];
                    let id = agg.file(&self.display_path(name), Self::kind_of(name));
                    if let Some(o) = p.object {
                        self.by_object.insert(o, id);
                    }
                }
                self.free_names.push(p.name_index);
                Some(MetaKind::Open)
            }
            Request::Flush => Some(MetaKind::Fsync),
            Request::DirEnum => Some(MetaKind::Getdents),
            Request::Query => Some(MetaKind::Stat),
            Request::Delete => Some(MetaKind::Unlink),
            Request::Rename => Some(MetaKind::Rename),
            Request::Close => None,
            Request::Read | Request::Write => {
                self.data_end(h, p, status, info, agg);
                None
            }
        };
        if let Some(kind) = kind {
            let latency = Some(h.time_ns.saturating_sub(p.time_ns));
            agg.record_meta(kind, ok, latency);
            if let (MetaKind::Fsync, Some(file)) = (kind, p.file) {
                agg.record_sync(file, latency);
            }
        }
    }

    fn data_end(&mut self, h: Header, p: Pending, status: u32, bytes: u64, agg: &mut Aggregator) {
        let (syscall, direction) = match p.request {
            Request::Read => (Syscall::Read, Direction::Read),
            _ => (Syscall::Write, Direction::Write),
        };
        // A read at end of file fails in NT; elsewhere it moves 0 bytes.
        let eof = status == STATUS_END_OF_FILE && direction == Direction::Read;
        let ok = !nt_error(status) || eof;
        if p.paging {
            if ok {
                let d = &mut self.paging;
                match direction {
                    Direction::Read => (d.read_ops, d.read_bytes) = (d.read_ops + 1, d.read_bytes + bytes),
                    Direction::Write => (d.write_ops, d.write_bytes) = (d.write_ops + 1, d.write_bytes + bytes),
                }
            }
            return;
        }
        let file = match p.file {
            Some(f) => f,
            None => Self::unknown_file(agg),
        };
        if !ok {
            let storage = agg.file_stats(file).kind.is_storage();
            agg.record_failure(syscall, ntstatus_name(status), storage, Some(h.time_ns.saturating_sub(p.time_ns)));
            return;
        }
        let origin = *self.origin.get_or_insert(p.time_ns);
        let op = DataOp {
            syscall,
            direction,
            bytes: if eof { 0 } else { bytes },
            start_ns: p.time_ns.saturating_sub(origin),
            latency_ns: Some(h.time_ns.saturating_sub(p.time_ns)),
            offset: p.offset,
        };
        agg.record_op(file, &op);
    }

    /// End of the capture: what is still pending never completed in view.
    pub fn finish(&mut self) {
        self.lost += self.pending.len() as u64;
        self.pending.clear();
    }

    pub fn warnings(&self) -> Vec<Warning> {
        let mut w = Vec::new();
        if self.lost > 0 {
            w.push(WarningCode::RequestsIncomplete.with(format!(
                "{} requests had no completion event (events lost, or still in flight when the capture ended): not counted",
                self.lost
            )));
        }
        w.push(WarningCode::SourceLimits.with("ETW sees I/O requests that reach the file system: reads served by a memory-mapped view are not seen, and write-back by the system's lazy writer is done by the System process"));
        w
    }

    /// The report: the aggregator's figures, paging I/O as the storage level.
    pub fn report(&self, agg: &Aggregator, mut ctx: ReportContext) -> Report {
        ctx.method = Source::Etw;
        if ctx.elapsed_ns == 0 {
            ctx.elapsed_ns = self.elapsed_ns().unwrap_or(0);
        }
        let d = self.paging;
        ctx.storage = Some(StorageBytes {
            read_bytes: d.read_bytes,
            write_bytes: d.write_bytes,
            source: format!("ETW paging I/O of the traced processes: {} reads, {} writes", d.read_ops, d.write_ops),
        });
        ctx.warnings.extend(self.warnings());
        Report::from_aggregator(agg, ctx)
    }
}

const STATUS_END_OF_FILE: u32 = 0xC000_0011;

/// Severity "error" (0xC...): success, information and warning statuses
/// (STATUS_BUFFER_OVERFLOW, STATUS_NO_MORE_FILES) are not failures.
fn nt_error(status: u32) -> bool {
    status >= 0xC000_0000
}

/// Names of the NTSTATUS failures file I/O commonly ends with.
pub fn ntstatus_name(status: u32) -> &'static str {
    match status {
        0xC000_0008 => "STATUS_INVALID_HANDLE",
        0xC000_000D => "STATUS_INVALID_PARAMETER",
        0xC000_0010 => "STATUS_INVALID_DEVICE_REQUEST",
        0xC000_0011 => "STATUS_END_OF_FILE",
        0xC000_0022 => "STATUS_ACCESS_DENIED",
        0xC000_0034 => "STATUS_OBJECT_NAME_NOT_FOUND",
        0xC000_0035 => "STATUS_OBJECT_NAME_COLLISION",
        0xC000_003A => "STATUS_OBJECT_PATH_NOT_FOUND",
        0xC000_0043 => "STATUS_SHARING_VIOLATION",
        0xC000_0054 => "STATUS_FILE_LOCK_CONFLICT",
        0xC000_007F => "STATUS_DISK_FULL",
        0xC000_00BA => "STATUS_FILE_IS_A_DIRECTORY",
        0xC000_0101 => "STATUS_DIRECTORY_NOT_EMPTY",
        0xC000_0120 => "STATUS_CANCELLED",
        0xC000_0185 => "STATUS_IO_DEVICE_ERROR",
        0x8000_0006 => "STATUS_NO_MORE_FILES",
        _ => "STATUS_OTHER",
    }
}

#[cfg(test)]
#[path = "etw_tests.rs"]
mod tests;
