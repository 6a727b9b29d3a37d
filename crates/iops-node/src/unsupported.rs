//! Platforms whose capture backend is not built yet (macOS: fs_usage,
//! Windows: ETW). The module loads, and every capture says so in one line.
//! Untested here beyond type-checking.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::TraceOptions;

fn unsupported() -> Error {
    Error::from_reason(format!("iops-profiler cannot capture on {} yet (Linux only for now)", std::env::consts::OS))
}


#[napi]
pub struct TraceSession {}

#[napi]
impl TraceSession {
    #[napi(factory)]
    pub fn launch(_argv: Vec<String>, _options: Option<TraceOptions>) -> Result<TraceSession> {
        Err(unsupported())
    }

    #[napi(factory)]
    pub fn attach(_pid: i32, _options: Option<TraceOptions>) -> Result<TraceSession> {
        Err(unsupported())
    }
}
