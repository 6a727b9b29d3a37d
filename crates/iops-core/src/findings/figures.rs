//! The figures findings rest on, read from a report's JSON: only those
//! fields, each optional, so a report saved by an older release (no
//! `callTime`, `mappings`, per-file `syncs` or `openFlags`) reads as one
//! that did not see them, and the findings are those its figures allow.

use serde::Deserialize;

/// The part of a report the findings read.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Figures {
    pub method: String,
    pub command: Option<Vec<String>>,
    pub elapsed_seconds: Option<f64>,
    pub summary: Summary,
    pub storage: Option<Storage>,
    pub metadata_ops: Option<Metadata>,
    pub files: Option<Vec<File>>,
    pub call_time: Option<Vec<CallTime>>,
    pub mappings: Option<Vec<Mapping>>,
}

/// The summary's totals; null (None) when the source cannot count operations.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Summary {
    pub read_ops: Option<u64>,
    pub write_ops: Option<u64>,
    pub read_bytes: Option<u64>,
    pub write_bytes: Option<u64>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Storage {
    pub read_bytes: u64,
    pub write_bytes: u64,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Metadata {
    pub opens: u64,
    pub closes: u64,
    pub stats: u64,
    pub fsyncs: u64,
    pub unlinks: u64,
    pub renames: u64,
    pub getdents: u64,
    pub failed: u64,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct File {
    pub path: String,
    /// "file", "blockDevice", "socket", ... as the report names fd kinds.
    pub kind: String,
    pub read_ops: u64,
    pub write_ops: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub read_access: Option<Access>,
    pub write_access: Option<Access>,
    /// Seconds in its data and sync calls; None without durations.
    pub seconds: Option<f64>,
    /// Sync calls on it; None in a report older than the field.
    pub syncs: Option<u64>,
    pub open_flags: Vec<String>,
    /// Reads that started where the previous read of it started; None in
    /// a report older than the field.
    pub repeated_reads: Option<u64>,
}

impl File {
    pub fn is_regular(&self) -> bool {
        self.kind == "file"
    }

    pub fn is_storage(&self) -> bool {
        self.kind == "file" || self.kind == "blockDevice"
    }

    pub fn has_flag(&self, flag: &str) -> bool {
        self.open_flags.iter().any(|f| f == flag)
    }
}

/// One direction's access pattern counts (`AccessSummary`).
#[derive(Deserialize, Debug, Default, Clone, Copy)]
#[serde(rename_all = "camelCase", default)]
pub struct Access {
    pub sequential_ops: u64,
    pub strided_ops: u64,
    pub random_ops: u64,
    pub small_ops: u64,
}

impl Access {
    /// Operations whose offset was known and so classified.
    pub fn classified(&self) -> u64 {
        self.sequential_ops + self.strided_ops + self.random_ops
    }
}

/// One kind of call's time (`CallKindTime`).
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CallTime {
    /// "read", "write", "sync", "open", "stat", "getdents", "close",
    /// "transfer", "other-metadata".
    pub kind: String,
    pub calls: u64,
    pub failed: u64,
    pub total_seconds: f64,
}

/// One mapped file (`Mapping`).
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Mapping {
    pub path: String,
    pub kind: String,
    pub bytes: u64,
    pub prot: String,
    pub shared: bool,
    pub exec: bool,
}

impl Figures {
    /// Seconds in calls of the given kinds, and the calls timed (failed
    /// ones included); None without call durations.
    pub fn time_in(&self, kinds: &[&str]) -> Option<(f64, u64)> {
        let ct = self.call_time.as_ref()?;
        Some(ct.iter().filter(|c| kinds.contains(&c.kind.as_str())).fold((0.0, 0), |(s, n), c| (s + c.total_seconds, n + c.calls + c.failed)))
    }

    /// The storage files (regular files and block devices) with operations.
    pub fn storage_files(&self) -> impl Iterator<Item = &File> {
        self.files.iter().flatten().filter(|f| f.is_storage())
    }
}
