//! `iops merge` in the binding: the reports are read here, one at a time,
//! and folded by `iops_core::merge` (see there).

use napi::{Error, Result};
use napi_derive::napi;

use iops_core::merge::Merger;

/// Merges the reports saved in `paths` (JSON as `--json` writes them),
/// reading one file at a time. Returns the merged report's JSON; throws an
/// Error whose message is one line naming the file at fault (unreadable,
/// not a report, a newer version, another source than the others).
#[napi]
pub fn merge_reports(paths: Vec<String>) -> Result<String> {
    let mut merger = Merger::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).map_err(|e| Error::from_reason(format!("{path}: cannot read it ({e})")))?;
        merger.add_json(path, &text).map_err(|e| Error::from_reason(e.0))?;
    }
    merger.finish().map(|r| r.to_json()).map_err(|e| Error::from_reason(e.0))
}
