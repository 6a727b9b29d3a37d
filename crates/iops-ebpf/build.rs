//! Compiles the kernel side (bpf/iops.bpf.c) with clang's BPF target into
//! OUT_DIR, where src/program.rs embeds it; sets `cfg(iops_ebpf)` when it
//! did. Without clang the crate still builds: the source then says "not
//! built with eBPF" and the other sources run as before.
//!
//! The object is the same for every target (BPF bytecode, little-endian,
//! no kernel headers), so cross-builds use the host's clang.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCE: &str = "bpf/iops.bpf.c";

/// `$CLANG`, else `clang` on PATH.
fn find_clang() -> Option<PathBuf> {
    if let Some(c) = env::var_os("CLANG") {
        return Some(PathBuf::from(c));
    }
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|d| d.join("clang")).find(|p| p.is_file())
}

fn main() {
    println!("cargo::rustc-check-cfg=cfg(iops_ebpf)");
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-env-changed=CLANG");
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rerun-if-env-changed=IOPS_NO_EBPF");
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let little = env::var("CARGO_CFG_TARGET_ENDIAN").as_deref() == Ok("little");
    if target_os != "linux" || !little || env::var_os("IOPS_NO_EBPF").is_some() {
        return;
    }
    let Some(clang) = find_clang() else {
        // Rerun when clang appears in any PATH directory (a package install
        // touches the directory), so `npm test` after setup-dev builds it in.
        if let Some(path) = env::var_os("PATH") {
            for dir in env::split_paths(&path).filter(|d| d.is_dir()) {
                println!("cargo:rerun-if-changed={}", dir.display());
            }
        }
        println!("cargo:warning=clang not found: iops-ebpf is built without its BPF program (the eBPF source will say so); install clang and rebuild");
        return;
    };
    println!("cargo:rerun-if-changed={}", clang.display());
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("iops.bpf.o");
    let status = Command::new(&clang)
        .args(["-O2", "-g", "-target", "bpfel", "-Wall", "-Werror", "-c", SOURCE, "-o"])
        .arg(&out)
        .status();
    match status {
        Ok(s) if s.success() && Path::new(&out).is_file() => println!("cargo:rustc-cfg=iops_ebpf"),
        Ok(s) => panic!("{} failed to compile {SOURCE} ({s})", clang.display()),
        Err(e) => println!("cargo:warning=cannot run {}: {e}; built without the BPF program", clang.display()),
    }
}
