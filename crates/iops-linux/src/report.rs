//! The report of a ptrace capture: the tracer's findings plus what the
//! session knows (target, options), and every warning it gives, built in
//! one function (`warnings`).

use iops_core::report::{ExitInfo, TracerTime};
use iops_core::{Report, ReportContext, Source, Warning, WarningCode};

use crate::calibrate::Calibration;
use crate::error::strerror;
use crate::leftover::{left_running_warning, unprivileged_warning, LeftRunning, Why};
use crate::placement::Stops;
use crate::schedstat::{Sched, Spent};
use crate::stoptime::Held;
use crate::tracer::Outcome;
use crate::wait::Ended;

/// What the session itself noticed during a capture, beside the tracer.
#[derive(Default)]
pub struct SessionNotes {
    /// Attach mode (else launch).
    pub attached: bool,
    /// Launch mode: our seccomp filter was refused with this errno, so every
    /// syscall was traced.
    pub filter_refused: Option<i32>,
    /// The program shared the tracer's one CPU (`Options::share_cpu`).
    pub shared_cpu: bool,
    /// The cost of a stop, measured after the capture (none without stops).
    pub calibration: Option<Calibration>,
    /// Launch: the processes the command left running when the capture
    /// ended, why, and what became of them.
    pub left: Option<(Vec<LeftRunning>, Why, Fate)>,
    /// Launch: daemons (out of the command's session) waited for all the
    /// same, because our seccomp filter needs their tracer.
    pub waited: Option<Vec<LeftRunning>>,
}

/// What the ptrace source did with processes a command left running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Detached (no seccomp filter of ours): they run on untouched.
    Detached,
    /// Under our seccomp filter, which fails their counted calls without a
    /// tracer: asked to end (SIGTERM) at a stop asked.
    Terminated,
    /// Likewise, ended (SIGKILL) at a second stop asked.
    Killed,
}

/// `command`: the launched argv (none when attached); `all_fds`: see
/// `Options::all_fds`.
pub fn build(outcome: &Outcome, notes: &SessionNotes, command: Option<Vec<String>>, all_fds: bool) -> Report {
    // Attached: from the window's begin (none read: unknown, never the
    // process's lifetime); launched: the command's whole life.
    let base = match (notes.attached, outcome.storage_begin) {
        (true, begin) => begin,
        (false, _) => Some(Default::default()),
    };
    let storage = outcome.storage_last.zip(base).map(|(last, base)| outcome.storage_orphans.storage(outcome.root, &last, &base));
    let exit = if notes.attached { None } else { outcome.root_ended.map(exit_info) };
    Report::from_aggregator(
        &outcome.agg,
        ReportContext {
            method: Source::Ptrace,
            command,
            pid: Some(outcome.root),
            elapsed_ns: outcome.elapsed_ns,
            all_fds,
            storage,
            exit,
            warnings: warnings(outcome, notes),
            tracer_time: Some(tracer_time(&outcome.stops, notes.calibration, notes.shared_cpu, outcome.elapsed_ns, &outcome.spent, &outcome.held)),
            sees: None,
        },
    )
}

/// The tracer's share of the window: the window less its estimated
/// untraced time (`untraced_estimate`, from the stops timed in the run,
/// `held`, and the scheduler's books of it, `spent`), or without those
/// books its stops × the calibrated elapsed cost of one. Each calibrated
/// cost per stop is weighted by how often the sampled stops had each CPU
/// placement.
fn tracer_time(stops: &Stops, calibration: Option<Calibration>, shared_cpu: bool, elapsed_ns: u64, spent: &Spent, held: &Held) -> TracerTime {
    let elapsed_s = elapsed_ns as f64 / 1e9;
    let c = calibration.unwrap_or_default();
    let share = stops.cross_cpu_share();
    let ns_per_stop = match (c.same_cpu_ns, c.cross_cpu_ns, share) {
        (Some(same), Some(cross), Some(f)) => Some(same * (1.0 - f) + cross * f),
        (same, cross, _) => same.or(cross),
    };
    // Measured in the run where it could be (bare stop pairs), else on the
    // throwaway child.
    let cpu_ns_per_stop = held.bare_pairs.cpu_ns_per_stop().or(match (c.same_cpu_cpu_ns, c.cross_cpu_cpu_ns, share) {
        (Some(same), Some(cross), Some(f)) => Some(same * (1.0 - f) + cross * f),
        (same, cross, _) => same.or(cross),
    });
    let program = (spent.program.run_ns > 0).then_some(spent.program);
    let untraced = program.zip(cpu_ns_per_stop).map(|(p, cpu_ns)| untraced_estimate(elapsed_s, stops.total, cpu_ns, p, held));
    let estimated = if stops.total == 0 {
        Some(0.0)
    } else {
        untraced.map(|u| elapsed_s - u).or(ns_per_stop.map(|ns| stops.total as f64 * ns / 1e9)).map(|e| e.min(elapsed_s))
    };
    let us = |ns: f64| format!("{:.1} µs", ns / 1000.0);
    let calibration = match (stops.total, c.same_cpu_ns, c.cross_cpu_ns) {
        (0, _, _) => "no stops: the tracer took no share of the time".to_string(),
        (_, None, None) => "the cost of a stop could not be measured here".to_string(),
        (_, same, cross) => {
            let when = if c.age_s > 0.0 {
                format!("measured after an earlier capture of this process, {:.1} s before", c.age_s)
            } else {
                "measured after the capture".to_string()
            };
            let mut text = format!("{when}, by a throwaway child's traced calls: a stop cost ");
            match (same, cross) {
                (Some(s), Some(x)) => text += &format!("{} with the program on the tracer's CPU, {} on another", us(s), us(x)),
                (Some(s), None) if shared_cpu => text += &format!("{} on the CPU the tracer shared with the program", us(s)),
                (Some(s), None) => text += &format!("{} (one CPU allowed)", us(s)),
                (None, Some(x)) => text += &format!("{} across CPUs", us(x)),
                (None, None) => unreachable!(),
            }
            if let (Some(f), Some(_), Some(_)) = (share, same, cross) {
                let sampled = stops.same_cpu + stops.cross_cpu;
                text += &format!("; {:.0}% of {sampled} sampled stops were across CPUs", f * 100.0);
            }
            if untraced.is_some() {
                if held.bare_pairs.count > 0 {
                    text += &format!("; the CPU time a stop adds from {} bare stop pairs in the run", held.bare_pairs.count);
                }
                text += "; the time each stop was held, by the tracer's clock, and the program's CPU time and run-queue wait, from the kernel's schedstat, in the run";
            }
            text
        }
    };
    TracerTime {
        stops: stops.total,
        same_cpu_ns_per_stop: c.same_cpu_ns,
        cross_cpu_ns_per_stop: c.cross_cpu_ns,
        cross_cpu_share: share,
        ns_per_stop,
        estimated_seconds: estimated,
        estimated_untraced_seconds: estimated.map(|e| elapsed_s - e),
        program_cpu_seconds: program.map(|p| p.run_ns as f64 / 1e9),
        program_wait_seconds: program.map(|p| p.wait_ns as f64 / 1e9),
        tracer_cpu_seconds: spent.tracer.map(|t| t.run_ns as f64 / 1e9),
        tracer_wait_seconds: spent.tracer.map(|t| t.wait_ns as f64 / 1e9),
        cpu_ns_per_stop,
        held_seconds: (held.stops > 0).then(|| held.held_ns as f64 / 1e9),
        sampled_intervals: held.intervals.count,
        bare_pairs: held.bare_pairs.count,
        wake_ns_per_stop: held.intervals.wake_ns(),
        wait_ns_per_stop: held.intervals.wait_ns_per_stop(),
        shared_cpu,
        calibration,
    }
}

/// How long the window would have taken untraced, seconds, from what the
/// scheduler says of the program's threads in the run (`program`, summed),
/// the stops as the tracer timed them (`held`) and the CPU time a stop
/// adds to the program (`cpu_ns_per_stop`): its own CPU time (its CPU
/// time less the stops'), its own run-queue wait (its wait less what a
/// resumed thread waits per stop), and the time it was blocked on its own
/// account (what neither the stops, held and woken, nor its CPU time and
/// wait explain of the window). At most `elapsed_s`.
fn untraced_estimate(elapsed_s: f64, stops: u64, cpu_ns_per_stop: f64, program: Sched, held: &Held) -> f64 {
    let s = |ns: f64| ns / 1e9;
    let n = stops as f64;
    let (run, wait) = (program.run_ns as f64, program.wait_ns as f64);
    let own_cpu = s(run - n * cpu_ns_per_stop).max(0.0);
    let own_wait = s(wait - n * held.intervals.wait_ns_per_stop().unwrap_or(0.0)).max(0.0);
    let stops_time = held.held_ns as f64 + n * held.intervals.wake_ns().unwrap_or(0.0);
    let blocked = (elapsed_s - s(stops_time + run + wait)).max(0.0);
    (own_cpu + own_wait + blocked).min(elapsed_s)
}

/// Every warning of a ptrace capture, in the order the report lists them.
fn warnings(outcome: &Outcome, notes: &SessionNotes) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if let Some(errno) = notes.filter_refused {
        warnings.push(WarningCode::SeccompFilterRefused.with(format!(
            "the seccomp filter that stops only I/O calls could not be installed ({}, {}); every syscall was traced instead: the same counts, more slowly",
            strerror(errno),
            iops_core::errno::linux_name(errno as i64)
        )));
    }
    if outcome.never_opened {
        warnings.push(WarningCode::WindowNeverOpened.with("the measurement window never opened: nothing was counted"));
    }
    if notes.attached && outcome.root_ended.is_some() {
        warnings.push(WarningCode::ExitedBeforeEnd.with("the traced process exited before the capture ended"));
    }
    if notes.shared_cpu {
        warnings.push(WarningCode::CpuShared.with(
            "the program shared one CPU with the tracer (--share-cpu): it saw one CPU, and its threads ran one at a time",
        ));
    }
    if outcome.compat_calls > 0 || outcome.compat_meta_calls > 0 {
        warnings.push(compat_calls_warning(outcome.compat_calls, outcome.compat_meta_calls));
    }
    if outcome.io_uring_seen {
        warnings.push(WarningCode::IoUringUncounted.with(
            "the program uses io_uring: I/O submitted through io_uring does not pass through read/write syscalls and is not counted here",
        ));
    }
    if outcome.program_ptrace != Default::default() {
        warnings.push(program_ptrace_warning(outcome.program_ptrace));
    }
    if !crate::tasks::proc_is_ours() {
        warnings.push(crate::tasks::foreign_proc_warning());
    }
    if outcome.refused_ops > 0 {
        warnings.push(crate::calls::refused_warning(outcome.refused_ops));
    }
    if let Some((left, why, fate)) = &notes.left {
        let fate = match fate {
            Fate::Detached => "iops detached {them}, and {they} will run on untouched",
            Fate::Terminated => "started under iops's seccomp filter, {they} could not run on untraced (each counted call would fail with ENOSYS), so iops asked {them} to end (SIGTERM), counting {their} I/O until then; as root, the default eBPF source leaves such processes running",
            Fate::Killed => "started under iops's seccomp filter, {they} could not run on untraced (each counted call would fail with ENOSYS), so iops asked {them} to end (SIGTERM) and, asked to stop again, ended what was still running (SIGKILL); as root, the default eBPF source leaves such processes running",
        };
        warnings.push(left_running_warning(left, *why, fate));
    } else if let Some(waited) = &notes.waited {
        let names: Vec<String> = waited.iter().take(5).map(|p| format!("pid {} ({})", p.pid, p.command)).collect();
        warnings.push(WarningCode::LeftRunning.with(format!(
            "the command left {} running outside its session (daemons): {}; started under iops's seccomp filter, they cannot run on untraced (each counted call would fail with ENOSYS), so iops waited for them to end and counted their I/O; Ctrl-C or SIGTERM to iops end such a wait (asking them to end, SIGTERM; a second time, SIGKILL); as root, the default eBPF source does not wait for them",
            if waited.len() == 1 { "1 process".to_string() } else { format!("{} processes", waited.len()) },
            names.join(", ")
        )));
    }
    if !outcome.unprivileged.is_empty() {
        warnings.push(unprivileged_warning(&outcome.unprivileged, "ptrace"));
    }
    warnings
}

/// The program tried to trace or be traced while the ptrace source traces it.
pub fn program_ptrace_warning(p: crate::calls::ProgramPtrace) -> Warning {
    let times = |n: u64| if n == 1 { "1 time".to_string() } else { format!("{n} times") };
    let what = match (p.refused, p.tracer_named) {
        (r, 0) => format!("tried to trace or be traced (ptrace TRACEME, ATTACH or SEIZE) and was refused {}", times(r)),
        (0, n) => format!("named a task to trace it (prctl PR_SET_PTRACER, as LeakSanitizer's leak check does) {}", times(n)),
        (r, n) => format!(
            "tried to trace or be traced (ptrace TRACEME, ATTACH or SEIZE) and was refused {}, and named a task to trace it (prctl PR_SET_PTRACER, as LeakSanitizer's leak check does) {}",
            times(r),
            times(n)
        ),
    };
    WarningCode::ProgramPtraceRefused.with(format!(
        "the program {what}: a task has one tracer, and the ptrace source is it, so a debugger, strace or a sanitizer's leak check in the program fails; measure it with --method ebpf, which does not trace with ptrace"
    ))
}

/// `data` read/write-family calls and `meta` metadata calls (opens,
/// closes, stats, syncs, ...) of the 32-bit ABI were seen and not counted.
pub fn compat_calls_warning(data: u64, meta: u64) -> Warning {
    let calls = match (data, meta) {
        (_, 0) => {
            return WarningCode::CompatSyscallsUncounted.with(format!(
                "{data} read/write-family calls were made through the 32-bit syscall ABI (int 0x80) and are not counted: the figures miss their I/O"
            ))
        }
        (0, _) => format!("{meta} metadata calls (opens, closes, stats, syncs, ...) were"),
        _ => format!("{data} read/write-family calls and {meta} metadata calls (opens, closes, stats, syncs, ...) were"),
    };
    WarningCode::CompatSyscallsUncounted.with(format!(
        "{calls} made through the 32-bit syscall ABI (a 32-bit program, or int 0x80) and are not counted: the figures miss them"
    ))
}

pub fn exit_info(ended: Ended) -> ExitInfo {
    match ended {
        Ended::Killed(sig) => ExitInfo { code: None, signal: Some(signal_name(sig)), signal_number: Some(sig) },
        Ended::Exited(code) => ExitInfo { code: Some(code), signal: None, signal_number: None },
    }
}

pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::stoptime::{BarePairs, Intervals};
    use iops_core::Aggregator;

    fn outcome() -> Outcome {
        Outcome {
            agg: Aggregator::new(),
            never_opened: false,
            elapsed_ns: 5,
            root: 42,
            root_ended: None,
            storage_begin: None,
            storage_last: None,
            storage_orphans: Default::default(),
            compat_calls: 0,
            compat_meta_calls: 0,
            io_uring_seen: false,
            refused_ops: 0,
            program_ptrace: Default::default(),
            stops: Default::default(),
            spent: Default::default(),
            held: Default::default(),
            unprivileged: Vec::new(),
        }
    }

    #[test]
    fn a_clean_capture_has_no_warning() {
        assert!(warnings(&outcome(), &SessionNotes::default()).is_empty());
        let launched_and_ended = Outcome { root_ended: Some(Ended::Exited(0)), ..outcome() };
        assert!(warnings(&launched_and_ended, &SessionNotes::default()).is_empty(), "a launched command ends");
    }

    #[test]
    fn a_programs_own_tracing_is_said_with_its_counts_and_the_way_out() {
        use crate::calls::ProgramPtrace;
        let said = |refused, tracer_named| {
            let o = Outcome { program_ptrace: ProgramPtrace { refused, tracer_named }, ..outcome() };
            let w = warnings(&o, &SessionNotes::default());
            assert_eq!(w.len(), 1, "{w:?}");
            assert_eq!(w[0].code, WarningCode::ProgramPtraceRefused);
            assert!(w[0].text.ends_with("; measure it with --method ebpf, which does not trace with ptrace"), "{}", w[0].text);
            w[0].text.clone()
        };
        assert!(said(1, 0).starts_with("the program tried to trace or be traced (ptrace TRACEME, ATTACH or SEIZE) and was refused 1 time: "));
        assert!(said(0, 2).starts_with("the program named a task to trace it (prctl PR_SET_PTRACER, as LeakSanitizer's leak check does) 2 times: "));
        assert!(said(3, 1).starts_with("the program tried to trace or be traced (ptrace TRACEME, ATTACH or SEIZE) and was refused 3 times, and named a task to trace it (prctl PR_SET_PTRACER, as LeakSanitizer's leak check does) 1 time: "));
    }

    #[test]
    fn every_warning_in_its_order() {
        let o = Outcome {
            never_opened: true,
            root_ended: Some(Ended::Killed(libc::SIGKILL)),
            compat_calls: 3,
            io_uring_seen: true,
            ..outcome()
        };
        let notes = SessionNotes { attached: true, filter_refused: Some(libc::EACCES), ..Default::default() };
        let w = warnings(&o, &notes);
        assert_eq!(w.len(), 5, "{w:?}");
        assert_eq!(
            w[0].text,
            "the seccomp filter that stops only I/O calls could not be installed (Permission denied, EACCES); every syscall was traced instead: the same counts, more slowly"
        );
        assert_eq!(w.iter().map(|w| w.code).collect::<Vec<_>>(), [WarningCode::SeccompFilterRefused, WarningCode::WindowNeverOpened, WarningCode::ExitedBeforeEnd, WarningCode::CompatSyscallsUncounted, WarningCode::IoUringUncounted]);
        assert_eq!(w[1].text, "the measurement window never opened: nothing was counted");
        assert_eq!(w[2].text, "the traced process exited before the capture ended");
        assert!(w[3].text.starts_with("3 read/write-family calls were made through the 32-bit syscall ABI"), "{}", w[3].text);
        assert!(w[4].text.starts_with("the program uses io_uring"), "{}", w[4].text);
    }

    #[test]
    fn storage_bytes_count_from_the_window_when_attached_and_from_the_start_when_launched() {
        use crate::procio::ProcIo;
        let o = Outcome {
            storage_begin: Some(ProcIo { read_bytes: 100, write_bytes: 10, ..Default::default() }),
            storage_last: Some(ProcIo { read_bytes: 150, write_bytes: 30, ..Default::default() }),
            root_ended: Some(Ended::Killed(libc::SIGTERM)),
            ..outcome()
        };
        let attached = build(&o, &SessionNotes { attached: true, ..Default::default() }, None, false);
        let s = attached.storage.as_ref().unwrap();
        assert_eq!((s.read_bytes, s.write_bytes), (50, 20));
        assert!(attached.exit.is_none(), "an attached process's exit is not the capture's");
        let launched = build(&o, &SessionNotes::default(), Some(vec!["cmd".into()]), false);
        let s = launched.storage.as_ref().unwrap();
        assert_eq!((s.read_bytes, s.write_bytes), (150, 30));
        let exit = launched.exit.as_ref().unwrap();
        assert_eq!((exit.code, exit.signal.as_deref(), exit.signal_number), (None, Some("SIGTERM"), Some(libc::SIGTERM)));
        // Attached with no reading at the window's begin: unknown, not the process's lifetime.
        let unread = Outcome { storage_begin: None, ..o };
        assert!(build(&unread, &SessionNotes { attached: true, ..Default::default() }, None, false).storage.is_none());
    }

    #[test]
    fn a_shared_cpu_is_said_after_the_window_warnings() {
        let notes = SessionNotes { attached: true, shared_cpu: true, ..Default::default() };
        let o = Outcome { never_opened: true, compat_calls: 1, ..outcome() };
        let codes: Vec<_> = warnings(&o, &notes).iter().map(|w| w.code).collect();
        assert_eq!(codes, [WarningCode::WindowNeverOpened, WarningCode::CpuShared, WarningCode::CompatSyscallsUncounted]);
    }

    #[test]
    fn the_tracer_share_is_stops_times_the_cost_weighted_by_where_the_stops_were() {
        let stops = Stops { total: 1000, same_cpu: 3, cross_cpu: 1 };
        let c = Calibration { same_cpu_ns: Some(4000.0), cross_cpu_ns: Some(16000.0), age_s: 0.0, ..Default::default() };
        let t = tracer_time(&stops, Some(c), false, 100_000_000, &Spent::default(), &Held::default());
        assert_eq!(t.ns_per_stop, Some(7000.0), "3/4 at 4 µs, 1/4 at 16 µs");
        assert_eq!((t.stops, t.cross_cpu_share), (1000, Some(0.25)));
        assert!((t.estimated_seconds.unwrap() - 0.007).abs() < 1e-12);
        assert!((t.estimated_untraced_seconds.unwrap() - 0.093).abs() < 1e-12);
        assert_eq!(t.calibration, "measured after the capture, by a throwaway child's traced calls: a stop cost 4.0 µs with the program on the tracer's CPU, 16.0 µs on another; 25% of 4 sampled stops were across CPUs");
        assert!(!t.shared_cpu);
    }

    #[test]
    fn the_untraced_time_is_the_programs_own_cpu_and_wait_plus_what_neither_they_nor_the_stops_explain() {
        let stops = Stops { total: 100_000, same_cpu: 10, cross_cpu: 0 };
        let c = Calibration { same_cpu_ns: Some(5000.0), same_cpu_cpu_ns: Some(1500.0), ..Default::default() };
        // The program ran 0.25 s of CPU (0.15 s of it the stops') and waited
        // 0.06 s for a CPU (0.05 s of it after resumes: 500 ns a stop); the
        // tracer held the stops 0.3 s and they cost 2 µs each beyond that
        // (0.2 s); the window was 1.2 s, so 0.39 s is left: blocked.
        let spent = Spent {
            program: Sched { run_ns: 250_000_000, wait_ns: 60_000_000, slices: 0 },
            tracer: Some(Sched { run_ns: 400_000_000, wait_ns: 100_000_000, slices: 0 }),
        };
        let held = Held {
            stops: 100_000,
            held_ns: 300_000_000,
            intervals: Intervals { count: 10, span_ns: 10 * 4_000, run_ns: 10 * 1_500, wait_ns: 10 * 500 },
            bare_pairs: BarePairs::default(),
        };
        let t = tracer_time(&stops, Some(c), false, 1_200_000_000, &spent, &held);
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-9);
        assert!(close(t.estimated_untraced_seconds, 0.1 + 0.01 + 0.39), "own CPU 0.1 s + own wait 0.01 s + 0.39 s blocked: {t:?}");
        assert!(close(t.estimated_seconds, 1.2 - 0.5));
        assert_eq!((t.program_cpu_seconds, t.program_wait_seconds), (Some(0.25), Some(0.06)));
        assert_eq!((t.tracer_cpu_seconds, t.tracer_wait_seconds, t.cpu_ns_per_stop), (Some(0.4), Some(0.1), Some(1500.0)));
        assert_eq!((t.held_seconds, t.sampled_intervals, t.wake_ns_per_stop, t.wait_ns_per_stop), (Some(0.3), 10, Some(2000.0), Some(500.0)));
        assert!(t.calibration.ends_with("from the kernel's schedstat, in the run"), "{}", t.calibration);
        // Bare stop pairs in the run: their CPU time per stop, not the child's.
        let paired = Held { bare_pairs: BarePairs { count: 2, run_ns: 2 * 1_000 }, ..held };
        let t = tracer_time(&stops, Some(c), false, 1_200_000_000, &spent, &paired);
        assert!(close(t.estimated_untraced_seconds, 0.15 + 0.01 + 0.39), "own CPU 0.25 - 100,000 × 1 µs: {t:?}");
        assert_eq!((t.cpu_ns_per_stop, t.bare_pairs), (Some(1000.0), 2));
        assert!(t.calibration.contains("; the CPU time a stop adds from 2 bare stop pairs in the run;"), "{}", t.calibration);
        // More stops than CPU time and wait: none of either left, only the blocked time.
        let t = tracer_time(&Stops { total: 1_000_000, ..stops }, Some(c), false, 1_200_000_000, &spent, &held);
        assert!(close(t.estimated_untraced_seconds, 0.0), "the stops explain more than the window: {t:?}");
        // Without sampled intervals a stop's wake-ups and wait count as 0.
        let bare = Held { intervals: Intervals::default(), ..held };
        let t = tracer_time(&stops, Some(c), false, 1_200_000_000, &spent, &bare);
        assert!(close(t.estimated_untraced_seconds, 0.1 + 0.06 + 0.59), "{t:?}");
        assert_eq!((t.wake_ns_per_stop, t.wait_ns_per_stop), (None, None));
        // Without the program's books: stops × the elapsed cost of a stop.
        let t = tracer_time(&stops, Some(c), false, 1_200_000_000, &Spent { program: Sched::default(), ..spent }, &held);
        assert!(close(t.estimated_seconds, 0.5) && t.program_cpu_seconds.is_none(), "{t:?}");
    }

    #[test]
    fn the_tracer_share_never_exceeds_the_window_and_is_zero_without_stops_and_unknown_without_a_cost() {
        let c = Calibration { same_cpu_ns: Some(10_000.0), cross_cpu_ns: None, age_s: 2.5, ..Default::default() };
        let many = Stops { total: 1_000_000, same_cpu: 5, cross_cpu: 0 };
        let t = tracer_time(&many, Some(c), true, 1_000_000_000, &Spent::default(), &Held::default());
        assert_eq!((t.estimated_seconds, t.estimated_untraced_seconds), (Some(1.0), Some(0.0)), "10 s of stops in a 1 s window");
        assert!(t.shared_cpu && t.calibration.contains("10.0 µs on the CPU the tracer shared with the program"), "{}", t.calibration);
        assert!(t.calibration.starts_with("measured after an earlier capture of this process, 2.5 s before, by"), "{}", t.calibration);
        let none = tracer_time(&Stops::default(), None, false, 5_000, &Spent::default(), &Held::default());
        assert_eq!((none.ns_per_stop, none.estimated_seconds, none.estimated_untraced_seconds), (None, Some(0.0), Some(5e-6)));
        let unmeasured = tracer_time(&many, Some(Calibration::default()), false, 5_000, &Spent::default(), &Held::default());
        assert_eq!((unmeasured.ns_per_stop, unmeasured.estimated_seconds, unmeasured.estimated_untraced_seconds), (None, None, None));
        assert_eq!(unmeasured.calibration, "the cost of a stop could not be measured here");
    }
}
