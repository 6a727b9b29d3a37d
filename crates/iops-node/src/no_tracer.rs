//! The tracer-only functions of the platforms without our ptrace tracer
//! (CPU pinning and Yama are Linux matters): nothing to do.

use napi::bindgen_prelude::*;

pub fn own_cpus() -> Vec<u32> {
    Vec::new()
}

pub fn restore_own_cpus(_cpus: &[u32]) {}

pub fn allow_tracer(_pid: i32) -> Result<()> {
    Ok(())
}
