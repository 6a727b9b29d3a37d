#![cfg(target_os = "linux")]
use std::process::Command;
use std::sync::Arc;

fn fixture(name: &str, dir: &std::path::Path) -> String {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../__test__/fixtures").join(format!("{name}.c"));
    let bin = dir.join(name);
    let st = Command::new("gcc").args(["-O2", "-static", "-Wall", "-Werror", "-pthread", "-o"]).arg(&bin).arg(&src).status().unwrap();
    assert!(st.success());
    bin.to_str().unwrap().to_string()
}

#[test]
fn writes() {
    let dir = std::env::temp_dir().join(format!("iops-ebpf-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = fixture("writes", &dir);
    let out = dir.join("w.dat");
    let (_s, w) = iops_linux::stop_pair().unwrap();
    let r = iops_ebpf::trace(
        iops_linux::Target::Launch(vec![bin, out.to_str().unwrap().into(), "500".into(), "4096".into()]),
        &iops_linux::Options::default(),
        Arc::new(Default::default()),
        w,
        &mut |_| {},
    );
    let r = match r { Ok(r) => r, Err(e) => panic!("{e}") };
    println!("{}", r.to_json());
}
