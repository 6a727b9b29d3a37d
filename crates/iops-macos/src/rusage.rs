//! The "rusage" source: a process's disk counters from `proc_pid_rusage`
//! (`ri_diskio_bytesread`, `ri_diskio_byteswritten`), read before and
//! after. These are bytes that reached the disk, like Linux's
//! `read_bytes`/`write_bytes`: no operation counts, no syscall-level bytes,
//! so the report's summary figures are null, not zero.

use iops_core::report::{ExitInfo, ReportContext, StorageBytes, Totals};
use iops_core::Report;

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

pub const METHOD: &str = "rusage";
pub const SOURCE: &str = "proc_pid_rusage (ri_diskio_bytesread, ri_diskio_byteswritten)";

/// The report of a window measured by disk counters alone, as JSON: the
/// summary's counts and syscall-level bytes are null (not measured); the
/// disk bytes are in `storage`.
pub fn rusage_report_json(
    delta: &DiskUsage,
    elapsed_ns: u64,
    pid: i32,
    reason: &str,
    scope: &str,
    exit: Option<ExitInfo>,
    command: Option<Vec<String>>,
) -> String {
    let report = Report::from_counters(
        Totals::new(0, 0, 0, 0, elapsed_ns as f64 / 1e9),
        ReportContext {
            method: METHOD.into(),
            command,
            pid: Some(pid),
            elapsed_ns,
            all_fds: true,
            storage: Some(StorageBytes { read_bytes: delta.read_bytes, write_bytes: delta.write_bytes, source: SOURCE.into() }),
            exit,
            warnings: vec![
                format!("{reason}; figures come from proc_pid_rusage ({scope})"),
                "these are bytes that reached the disk only: operation counts, syscall-level bytes, sizes, files and latency are not measured".into(),
            ],
            ..Default::default()
        },
    );
    let mut value = serde_json::to_value(&report).expect("report serializes");
    if let Some(summary) = value.get_mut("summary").and_then(|s| s.as_object_mut()) {
        for v in summary.values_mut() {
            *v = serde_json::Value::Null;
        }
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_bytes_are_storage_and_counts_are_null() {
        let before = DiskUsage { read_bytes: 4096, write_bytes: 0 };
        let after = DiskUsage { read_bytes: 8192, write_bytes: 1 << 20 };
        let json = rusage_report_json(&after.since(&before), 1_000_000, 7, "fs_usage needs root", "the process itself", None, None);
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
