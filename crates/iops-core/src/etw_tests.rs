//! The ETW decoder on events laid out as the providers' manifests define
//! them (see __test__/fixtures/etw/README.md). Every count is exact.

use super::*;
use crate::report::ReportContext;
use serde_json::Value;

struct Json<'a>(&'a serde_json::Map<String, Value>);

impl Fields for Json<'_> {
    fn u64(&self, name: &str) -> Option<u64> {
        match self.0.get(name)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => u64::from_str_radix(s.strip_prefix("0x")?, 16).ok(),
            _ => None,
        }
    }
    fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name)?.as_str()
    }
}

/// Feeds a fixture's events as the live session does: by provider.
fn replay(d: &mut EtwDecoder, name: &str) -> Aggregator {
    let path = format!("{}/../../__test__/fixtures/etw/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut agg = Aggregator::new();
    for line in text.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let h = Header {
            id: e["id"].as_u64().unwrap() as u16,
            time_ns: e["ts"].as_u64().unwrap() * 100,
            pid: e["pid"].as_u64().unwrap() as u32,
        };
        let fields = Json(e["fields"].as_object().unwrap());
        match e["provider"].as_str().unwrap() {
            "Microsoft-Windows-Kernel-File" => d.file_event(h, &fields, &mut agg),
            "Microsoft-Windows-Kernel-Process" => d.process_event(h, &fields),
            p => panic!("unknown provider {p}"),
        }
    }
    d.finish();
    agg
}

fn decoder() -> EtwDecoder {
    let mut d = EtwDecoder::new(4242, true);
    d.add_device(r"\Device\HarddiskVolume3", "C:");
    d
}

#[test]
fn a_workload_is_decoded_exactly() {
    let mut d = decoder();
    let agg = replay(&mut d, "kernel-file-workload.jsonl");
    let r = d.report(&agg, ReportContext::default());
    assert_eq!(r.method, "etw");
    let s = &r.summary;
    // out.bin: 8192 + a 0-byte read at end of file; old.bin (named by its
    // FileKey): 100. Writes: 4 x 4096 to out.bin, 512 from the child.
    assert_eq!((s.read_ops, s.read_bytes), (3, 8192 + 100));
    assert_eq!((s.write_ops, s.write_bytes), (5, 4 * 4096 + 512));
    let files = r.files.as_ref().unwrap();
    let f = |p: &str| files.iter().find(|f| f.path == p).unwrap_or_else(|| panic!("no {p} in {files:?}"));
    let out = f(r"C:\work\out.bin");
    assert_eq!((out.read_ops, out.read_bytes, out.write_ops, out.write_bytes), (2, 8192, 4, 16384));
    assert_eq!(f(r"C:\data\old.bin").read_bytes, 100);
    assert_eq!(f(r"C:\work\child.log").write_bytes, 512, "the child's write is followed");
    assert_eq!(f(r"\Device\NamedPipe\iops-test").kind, FdKind::Pipe);
    assert_eq!(f("(file opened before the trace)").kind, FdKind::Unknown);

    let o = r.other_fds.as_ref().unwrap();
    assert_eq!((o.read_ops, o.read_bytes, o.write_ops, o.write_bytes), (1, 50, 1, 13), "unknown file object, pipe");

    let failed = r.failed_ops.as_ref().unwrap();
    assert_eq!((failed.total, failed.by_errno.get("STATUS_DISK_FULL")), (1, Some(&1)));
    let m = r.metadata_ops.as_ref().unwrap();
    assert_eq!(
        (m.opens, m.closes, m.fsyncs, m.stats, m.getdents, m.unlinks, m.renames, m.failed),
        (3, 1, 1, 1, 1, 1, 1, 1),
        "STATUS_NO_MORE_FILES is a warning status, not a failure; the missing file's open failed"
    );
    assert_eq!(d.paging(), PagingIo { read_ops: 1, read_bytes: 16384, write_ops: 0, write_bytes: 0 });
    let storage = r.storage.as_ref().unwrap();
    assert_eq!((storage.read_bytes, storage.write_bytes), (16384, 0));

    // Latency is request to completion: 25 µs for the slowest write (the
    // out-of-order completions are matched by Irp), 4 µs for the 8 KiB read.
    let lat = r.latency.as_ref().unwrap();
    assert_eq!(lat.write.as_ref().unwrap().max_ns, 25_000);
    assert_eq!(lat.read.as_ref().unwrap().max_ns, 4_000);
    assert!(r.warnings[0].starts_with("1 requests had no completion event"), "{:?}", r.warnings);
    assert!(!d.is_traced(4300), "the child's stop removed it");
    assert!(!d.is_traced(5000), "another process's child is not ours");
}

#[test]
fn the_window_counts_requests_issued_inside_it() {
    // The 2nd and 3rd writes are issued at +32 µs and +33 µs (ticks 320 and
    // 330 of the fixture); the window [+31 µs, +34 µs] holds only them.
    let mut d = decoder();
    let base = 133_800_000_000_000_000u64 * 100;
    d.set_window(base + 31_000, base + 34_000);
    let agg = replay(&mut d, "kernel-file-workload.jsonl");
    let r = d.report(&agg, ReportContext::default());
    assert_eq!(r.elapsed_seconds, Some(3e-6));
    assert_eq!((r.summary.write_ops, r.summary.write_bytes, r.summary.read_ops), (2, 8192, 0));
    assert_eq!(r.metadata_ops.as_ref().unwrap().opens, 0, "the create came before the window");
    // Outside the window, the create still named the file object.
    assert!(r.files.as_ref().unwrap().iter().any(|f| f.path == r"C:\work\out.bin" && f.write_ops == 2));
    // Completions are matched whenever they come: 14.5 µs and 12 µs.
    assert_eq!(r.latency.as_ref().unwrap().write.as_ref().unwrap().max_ns, 14_500);
}

#[test]
fn a_window_opened_and_closed_as_the_code_runs() {
    // profile(): nothing counts before the begin; the end comes later.
    let mut d = decoder();
    let base = 133_800_000_000_000_000u64 * 100;
    d.await_window();
    d.begin_window(base + 31_000);
    d.end_window(base + 34_000);
    let agg = replay(&mut d, "kernel-file-workload.jsonl");
    let r = d.report(&agg, ReportContext::default());
    assert_eq!((r.summary.write_ops, r.summary.read_ops), (2, 0));
    assert_eq!(r.elapsed_seconds, Some(3e-6));
    let mut never = decoder();
    never.await_window();
    let agg = replay(&mut never, "kernel-file-workload.jsonl");
    assert_eq!(never.report(&agg, ReportContext::default()).summary.total_ops, 0, "a window never begun counts nothing");
}

#[test]
fn an_empty_window_reports_zero() {
    let mut d = decoder();
    d.set_window(1, 2);
    let agg = replay(&mut d, "kernel-file-workload.jsonl");
    let r = d.report(&agg, ReportContext::default());
    assert_eq!((r.summary.total_ops, r.summary.total_bytes), (0, 0));
    assert_eq!(r.metadata_ops.as_ref().unwrap().total, 0);
}

#[test]
fn without_children_only_the_root_counts() {
    let mut d = EtwDecoder::new(4242, false);
    let agg = replay(&mut d, "kernel-file-workload.jsonl");
    let r = d.report(&agg, ReportContext::default());
    assert_eq!(r.summary.write_ops, 4);
}

#[test]
fn launch_mode_traces_the_spawned_command_not_the_spawner() {
    // As if our process were 4242's parent: the fixture's 4242 would be the
    // command. Here, 4242 itself is the spawner: only its child 4300 counts.
    let mut d = EtwDecoder::children_of(4242);
    let agg = replay(&mut d, "kernel-file-workload.jsonl");
    let r = d.report(&agg, ReportContext::default());
    assert_eq!((r.summary.write_ops, r.summary.write_bytes, r.summary.read_ops), (1, 512, 0));
    assert_eq!(d.root(), Some(4300));
}

#[test]
fn ntstatus_names() {
    assert_eq!(ntstatus_name(0xC000_0022), "STATUS_ACCESS_DENIED");
    assert_eq!(ntstatus_name(0xC0FF_FFFF), "STATUS_OTHER");
    assert!(!nt_error(0x8000_0005) && nt_error(0xC000_0001) && !nt_error(0));
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    struct Map(Vec<(&'static str, u64)>, Option<String>);
    impl Fields for Map {
        fn u64(&self, name: &str) -> Option<u64> {
            self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
        }
        fn str(&self, _: &str) -> Option<&str> {
            self.1.as_deref()
        }
    }

    const NAMES: [&str; 9] = ["Irp", "FileObject", "FileKey", "ByteOffset", "IOSize", "IOFlags", "Status", "ExtraInformation", "ProcessID"];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
        /// Any sequence of events, fields missing or wild, never panics.
        #[test]
        fn never_panics(events in proptest::collection::vec(
            (0u16..40, 0u64..1_000, prop_oneof![Just(4242u32), Just(1), any::<u32>()],
             proptest::collection::vec((0usize..9, prop_oneof![0u64..8, any::<u64>()]), 0..9),
             proptest::option::of(".{0,12}"), any::<bool>()), 0..60)) {
            let mut d = EtwDecoder::new(4242, true);
            let mut agg = Aggregator::new();
            for (id, t, pid, fields, name, process) in events {
                let f = Map(fields.into_iter().map(|(i, v)| (NAMES[i], v)).collect(), name);
                let h = Header { id, time_ns: t, pid };
                if process { d.process_event(h, &f) } else { d.file_event(h, &f, &mut agg) }
            }
            d.finish();
            let _ = d.report(&agg, ReportContext::default()).to_json();
        }
    }
}
