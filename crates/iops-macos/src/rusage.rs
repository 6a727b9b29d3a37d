//! The "rusage" source: a process's disk counters from `proc_pid_rusage`
//! (`ri_diskio_bytesread`, `ri_diskio_byteswritten`), read before and
//! after. These are bytes that reached the disk, like Linux's
//! `read_bytes`/`write_bytes`: no operation counts, no syscall-level bytes,
//! so the report's summary figures are null, not zero.

use iops_core::report::{ExitInfo, ReportContext, StorageBytes, Totals};
use iops_core::{Report, Source};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiskUsage {
    pub read_bytes: u64,
    pub write_bytes: u64,
}

impl DiskUsage {
    pub fn since(&self, before: &DiskUsage) -> DiskUsage {
        DiskUsage {
            read_bytes: self.read_bytes.saturating_sub(before.read_bytes),
            write_bytes: self.write_bytes.saturating_sub(before.write_bytes),
        }
    }
}

pub const SOURCE: &str = "proc_pid_rusage (ri_diskio_bytesread, ri_diskio_byteswritten)";

/// The report of a window measured by disk counters alone: the summary's
/// counts and syscall-level bytes are null (rusage cannot count
/// operations: `Source::Rusage.sees()`); the disk bytes are in `storage`.
/// `scope` says whose counters they are ("this process, every thread").
pub fn rusage_report(
    delta: &DiskUsage,
    elapsed_ns: u64,
    pid: i32,
    reason: &str,
    scope: &str,
    exit: Option<ExitInfo>,
    command: Option<Vec<String>>,
) -> Report {
    Report::from_counters(
        Totals::new(0, 0, 0, 0, elapsed_ns as f64 / 1e9),
        reason,
        &format!("proc_pid_rusage ({scope})"),
        ReportContext {
            method: Source::Rusage,
            command,
            pid: Some(pid),
            elapsed_ns,
            storage: Some(StorageBytes { read_bytes: delta.read_bytes, write_bytes: delta.write_bytes, source: SOURCE.into() }),
            exit,
            ..Default::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_bytes_are_storage_and_counts_are_null() {
        let before = DiskUsage { read_bytes: 4096, write_bytes: 0 };
        let after = DiskUsage { read_bytes: 8192, write_bytes: 1 << 20 };
        let json = rusage_report(&after.since(&before), 1_000_000, 7, "fs_usage needs root", "the process itself", None, None).to_json();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["method"], "rusage");
        assert_eq!(v["storage"]["readBytes"], 4096);
        assert_eq!(v["storage"]["writeBytes"], 1 << 20);
        for k in ["readOps", "writeOps", "readBytes", "writeBytes", "totalOps", "totalBytes", "iops", "throughputBytesPerSecond"] {
            assert!(v["summary"][k].is_null(), "{k} is not measured by rusage");
        }
        assert!(v["histogram"].is_null() && v["files"].is_null() && v["latency"].is_null());
        assert_eq!(v["warnings"][0], "fs_usage needs root; figures come from proc_pid_rusage (the process itself)");
    }
}
