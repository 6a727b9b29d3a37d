// Generated from crates/iops-core/src/report.rs by `UPDATE_CONTRACT=1 cargo test -p iops-core contract`:
// do not edit. The report as every source and front end writes it (see docs/report.md).

/** The report of one capture or import. */
export interface Report {
  /** Version of this format (`REPORT_VERSION`). */
  version: number;
  /** The source of the figures: "ptrace" (our tracer), "ebpf" (our eBPF tracepoints), "strace" (a live strace run), "strace-log" (`iops import` of a saved strace log), "fs_usage" (macOS, live or an imported log), "etw" (Windows), or a counters fallback: "proc-io" (Linux), "io-counters" (Windows), "rusage" (macOS). */
  method: Source;
  /** Launch mode: the command as run; null when attached or imported. */
  command: Array<string> | null;
  /** The traced process (its first one in a log); null when unknown. */
  pid: number | null;
  /** Length of the window in seconds, as the program ran under the source: under a tracer that stops it (ptrace), stops included (see `tracerTime`); null when the source has no clock (a log without timestamps). */
  elapsedSeconds: number | null;
  /** The tracer's estimated share of `elapsedSeconds`; null for sources that do not stop the program or cannot count its stops (logs, counters, fs_usage, ETW, a live strace). */
  tracerTime: TracerTime | null;
  /** True when `summary` includes sockets, pipes and ttys (`--all-fds`, or a source that cannot tell fds apart). */
  allFds: boolean;
  /** File I/O: regular files and block devices (plus every other fd with `allFds`). */
  summary: Totals;
  /** I/O on sockets, pipes, ttys and other fds, kept out of `summary`; null when the source cannot tell fds apart. */
  otherFds: Totals | null;
  /** Bytes that reached the storage layer (page-cache misses, dirtied pages); null when the source does not see them. */
  storage: StorageBytes | null;
  /** Data calls that failed: not operations, counted by errno; null for counters. */
  failedOps: FailedOps | null;
  /** Metadata calls; null when the source did not see them. */
  metadataOps: MetadataOps | null;
  /** Every fd target with at least one operation, busiest first; null when the source does not see files. */
  files: Array<FileReport> | null;
  /** Per-syscall calls, bytes and failures; null for counters. */
  syscalls: Array<SyscallReport> | null;
  /** Operation sizes in bytes, for the summary's fds; null for counters. */
  histogram: SizeHistogram | null;
  /** Per-operation latency in nanoseconds, for the summary's fds; null when the source has no call durations. */
  latency: Latency | null;
  /** Operations and bytes over time, for the summary's fds; null without a clock or for counters. */
  timeline: TimelineReport | null;
  /** Where the time goes: each kind of call with its count and time, every kind with a call, the most time first; null when the source has no call durations (counters, a log without -T). */
  callTime: Array<CallKindTime> | null;
  /** Files mapped with mmap (their page-fault I/O is not counted; a `mmap-not-counted` warning says so when a file other than code is mapped 1 MiB or more), most bytes first; null when the source does not see mmap (fs_usage, ETW, counters, the eBPF source for now, a strace log recorded without mmap). */
  mappings: Array<Mapping> | null;
  /** Operation sizes over time, in the timeline's time bins; null without a clock or for counters. */
  heatmap: Heatmap | null;
  /** What the figures show that a reader can act on, most important first. */
  findings: Array<Finding>;
  /** Launch mode: how the command ended; null otherwise. */
  exit: ExitInfo | null;
  /** The machine the capture ran on (for an import: the machine that read the log); null when unknown. Set by the Node layer. */
  host: HostInfo | null;
  /** The rank of the process in its job, from the launcher's environment (`SLURM_PROCID`, `OMPI_COMM_WORLD_RANK`, `PMI_RANK`, `PMIX_RANK`, the first set); null outside a launcher and for imports. */
  rank: number | null;
  /** The job's id from the launcher's environment (`SLURM_JOB_ID`, Open MPI's `OMPI_MCA_ess_base_jobid`, `PMIX_NAMESPACE`, the first set); null outside a launcher and for imports. */
  jobId: string | null;
  /** Wall-clock time at the window's start, milliseconds since the Unix epoch (UTC), so windows of different processes line up (`iops merge`); null when unknown (imports). For a merged report, the earliest start. */
  startedAt: number | null;
  /** A merged report (`iops merge`): one row per input report, in the order read; null for the report of one process. */
  ranks: Array<RankRow> | null;
  /** What a reader must know about these figures (io_uring, a fallback, what the source could not see...), one line each. */
  warnings: Array<string>;
  /** The stable code of each warning, same length and order as `warnings`. */
  warningCodes: Array<WarningCode>;
}

/** Which source produced the figures. Serialized as the report's `method`. */
export type Source =
  /** Our eBPF source (Linux): raw_syscalls tracepoints filtered in the kernel. */
  | "ebpf"
  /** Our own ptrace tracer (Linux). */
  | "ptrace"
  /** A live strace run, parsed as it writes. */
  | "strace"
  /** `iops import` of a saved strace log. */
  | "strace-log"
  /** macOS fs_usage, live or an imported log. */
  | "fs_usage"
  /** Windows' ETW kernel file I/O session. */
  | "etw"
  /** Counters fallback, Linux: /proc/<pid>/io. */
  | "proc-io"
  /** Counters fallback, Windows: GetProcessIoCounters. */
  | "io-counters"
  /** Counters fallback, macOS: proc_pid_rusage disk bytes. */
  | "rusage";

/** Every value of `Source`. */
export const SOURCE_VALUES: readonly Source[] = ["ebpf", "ptrace", "strace", "strace-log", "fs_usage", "etw", "proc-io", "io-counters", "rusage"];

/** The tracer's own share of the elapsed time. Every stop of the program at a traced call is a round trip to the tracer that an untraced run does not make. Measured in the run: how long the tracer held each stop (`heldSeconds`, its clock at waitpid's return and at the resume); in sampled intervals between a thread's consecutive stops, the time a stop costs beyond what the scheduler books (the wake-ups of tracer and program, `wakeNsPerStop`) and the run-queue wait a resumed thread has (`waitNsPerStop`); the scheduler's books of the program's threads and of the tracer's (CPU time and run-queue wait, `programCpuSeconds`, `tracerCpuSeconds`, …). Measured after it, on the same machine: what one stop costs (a throwaway child making traced calls: its elapsed and CPU time per stop, on the tracer's CPU and across CPUs, weighted by where the capture's sampled stops happened), of which the CPU time a stop adds to the program (`cpuNsPerStop`) is used where the run made no bare stop pairs (`barePairs`). The untraced time is estimated from these (see `estimatedUntracedSeconds`); without the scheduler's books it is `elapsedSeconds − stops × nsPerStop`. */
export interface TracerTime {
  /** Stops of the program's threads in the window (syscall, seccomp, event and signal stops). */
  stops: number;
  /** Measured cost of one stop to the program with it on the tracer's CPU, nanoseconds; null when it could not be measured. */
  sameCpuNsPerStop: number | null;
  /** Measured cost of one stop with the program on another CPU, nanoseconds; null with one CPU allowed or a shared CPU (`sharedCpu`). */
  crossCpuNsPerStop: number | null;
  /** Share of the sampled stops (the first, then one in 64) where the program had last run on another CPU than the tracer's, 0 to 1; null without samples. */
  crossCpuShare: number | null;
  /** The cost of a stop this capture is estimated with: the two costs weighted by `crossCpuShare`, nanoseconds; null when not measured. */
  nsPerStop: number | null;
  /** `elapsedSeconds − estimatedUntracedSeconds`, seconds, at most `elapsedSeconds`: the tracer's estimated share of the elapsed time, a rough estimate (`npm run bench -- fidelity` prints its error); null when neither estimate below can be made. */
  estimatedSeconds: number | null;
  /** How long the window would have taken untraced, seconds, estimated, at most `elapsedSeconds`: the sum of (1) the program's own CPU time, `programCpuSeconds − stops × cpuNsPerStop`; (2) its own run-queue wait, `programWaitSeconds − stops × waitNsPerStop`; (3) the time it was blocked on its own account, `elapsedSeconds − heldSeconds − stops × wakeNsPerStop − programCpuSeconds − programWaitSeconds`: what neither the stops nor its threads' CPU time and wait explain of the window; each at least 0. Without sampled intervals (`sampledIntervals` 0) the two per-stop figures count as 0. It sums the threads' time, so a program whose threads or processes work in parallel is estimated too long. Without the scheduler's books, `elapsedSeconds − stops × nsPerStop`. Rough where stops dominate (see docs/performance.md "Fidelity"), so the text, page and notebook do not show it; null as `estimatedSeconds` is. */
  estimatedUntracedSeconds: number | null;
  /** The program's threads' CPU time in the window, summed, seconds (the kernel's schedstat, read as the window opens and closes and as each thread exits); null where the kernel keeps none. */
  programCpuSeconds: number | null;
  /** The time those threads waited on a run queue for a CPU, summed, seconds; null as `programCpuSeconds` is. */
  programWaitSeconds: number | null;
  /** The tracer's thread's CPU time in the window, seconds; null where the kernel keeps no schedstat. */
  tracerCpuSeconds: number | null;
  /** The time the tracer's thread waited on a run queue in the window, seconds; null as `tracerCpuSeconds` is. */
  tracerWaitSeconds: number | null;
  /** The CPU time one stop adds to the program's own, nanoseconds: from the run's bare stop pairs where there are any (`barePairs`), else measured with the cost of a stop on the throwaway child (on the tracer's CPU and on another, weighted as `nsPerStop`); null when not measured. */
  cpuNsPerStop: number | null;
  /** The time the tracer held the program's stopped threads, from waitpid's return to the resume, summed over the window's stops, seconds; absent in reports made before it was added. */
  heldSeconds: number | null;
  /** Intervals between a thread's consecutive stops that were sampled (one stop in 256 opens one) and in which the thread did not block (its voluntary context switches grew by one, the stop that ends it): what the two figures below are the means of; 0 in reports made before it was added. */
  sampledIntervals: number;
  /** Bare stop pairs measured in the run (launch mode): one stop in 256, an exit stop with no call pending, is resumed to its thread's next call's syscall-entry stop, which the kernel reports before it runs seccomp, so our filter's stop of the same call follows with none of the program's work between; the thread's CPU time across the pair (schedstat) is one stop's mechanics, and their mean is `cpuNsPerStop`. 0 where none were made (attach mode, few stops) and in reports made before it was added. */
  barePairs: number;
  /** What a stop costs the program beside the time the tracer held it and the CPU time and run-queue wait the scheduler books: the wake-ups of the tracer and of the resumed thread, nanoseconds; the mean over the sampled intervals of their length (the tracer's clock from the resume to the thread's next stop) less the thread's CPU time and run-queue wait in them (its schedstat); null without them. */
  wakeNsPerStop: number | null;
  /** The run-queue wait of a resumed thread before it ran again, nanoseconds, the mean over the sampled intervals; null without them. */
  waitNsPerStop: number | null;
  /** The tracer and the program shared one CPU (`--share-cpu`): the program saw one CPU and its threads were serialised on it. */
  sharedCpu: boolean;
  /** How `nsPerStop` was obtained, in words. */
  calibration: string;
}

/** Read and write totals of one class of fds over the window. Every figure is null when the source cannot count operations (macOS `rusage`: its disk bytes are in `storage`; `Sees::op_counts`). */
export interface Totals {
  /** Read operations (calls that moved data, any size). */
  readOps: number | null;
  /** Write operations. */
  writeOps: number | null;
  /** Bytes read, as the calls returned them. */
  readBytes: number | null;
  /** Bytes written, as the calls returned them. */
  writeBytes: number | null;
  /** `readOps + writeOps`. */
  totalOps: number | null;
  /** `readBytes + writeBytes`. */
  totalBytes: number | null;
  /** Operations per second of the window (`elapsedSeconds`: under a tracer that stops the program, the traced time, stops included; see `tracerTime`); null when the source has no clock (a log without timestamps), or when operations happened in a window of no measurable length (strace -t in a run under a second). */
  iops: number | null;
  /** Bytes per second of the window (traced time, as `iops`); null as `iops` is. */
  throughputBytesPerSecond: number | null;
}

export interface StorageBytes {
  /** Bytes read from storage (page-cache misses). */
  readBytes: number;
  /** Bytes sent to storage (dirtied pages written back). */
  writeBytes: number;
  /** Where the figures come from, e.g. "/proc/1234/io". */
  source: string;
}

export interface FailedOps {
  /** Failed data calls. */
  total: number;
  /** Failed data calls by errno name ("EBADF", "EINTR"; NTSTATUS names on Windows). */
  byErrno: { [key in string]: number };
}

export interface MetadataOps {
  /** open, openat, openat2, creat. */
  opens: number;
  /** close calls. */
  closes: number;
  /** stat, fstat, lstat, newfstatat, statx and the like. */
  stats: number;
  /** Sync calls: fsync, fdatasync, sync_file_range, sync, syncfs, msync (the calls of `callTime`'s `sync` kind: one definition of a sync). */
  fsyncs: number;
  /** unlink, unlinkat, rmdir. */
  unlinks: number;
  /** rename, renameat, renameat2. */
  renames: number;
  /** Directory reads: getdents, getdents64. */
  getdents: number;
  /** All metadata calls above. */
  total: number;
  /** Metadata calls that failed. */
  failed: number;
}

/** One file's row: what was done to it and how (its access pattern). */
export interface FileReport {
  /** The fd's target as /proc shows it: a path, or `socket:[inode]`, `pipe:[inode]`... A name is bytes on Linux and macOS: a byte that is not UTF-8 is written `\xNN` (`caf\xe9.txt`) and a backslash `\\`, so two names that differ in any byte are two rows. */
  path: string;
  /** What the fd refers to. */
  kind: FdKind;
  /** Read operations on it. */
  readOps: number;
  /** Write operations on it. */
  writeOps: number;
  /** Bytes read from it. */
  readBytes: number;
  /** Bytes written to it. */
  writeBytes: number;
  /** The pattern of most of its reads and writes together. */
  pattern: Pattern;
  /** Reads and writes of fewer than 4096 bytes. */
  smallOps: number;
  /** The pattern of its reads; null when it had none. */
  readAccess: AccessSummary | null;
  /** The pattern of its writes; null when it had none. */
  writeAccess: AccessSummary | null;
  /** In a merged report (`iops merge`): how many of the merged processes did I/O on it; null in the report of one process. */
  processes: number | null;
  /** Seconds spent in its data calls that moved data and in its sync calls (fsync, fdatasync, sync_file_range); null when the source has no call durations. */
  seconds: number | null;
  /** fsync, fdatasync and sync_file_range calls on it (failed ones included). */
  syncs: number;
  /** The notable flags any open of it carried, strace's names, in this order: "O_DIRECT" (bypasses the page cache), "O_SYNC", "O_DSYNC" (every write waits for the device); empty when none, or when the source does not see open flags. */
  openFlags: Array<string>;
  /** Reads that started where the previous read of it had started: the same range read again, back to back (a header re-read at every turn); 0 when the source does not know offsets. */
  repeatedReads: number;
}

/** What an fd refers to. Only `File` and `BlockDevice` count as storage I/O in the summary; the rest is reported apart. */
export type FdKind =
  | "file"
  | "blockDevice"
  | "socket"
  | "pipe"
  | "tty"
  | "other"
  | "unknown";

/** Every value of `FdKind`. */
export const FD_KIND_VALUES: readonly FdKind[] = ["file", "blockDevice", "socket", "pipe", "tty", "other", "unknown"];

export type Pattern =
  | "sequential"
  | "strided"
  | "random"
  | "unknown";

/** Every value of `Pattern`. */
export const PATTERN_VALUES: readonly Pattern[] = ["sequential", "strided", "random", "unknown"];

/** One stream's access pattern in the report. */
export interface AccessSummary {
  pattern: Pattern;
  sequentialOps: number;
  stridedOps: number;
  randomOps: number;
  /** Operations whose start offset the source could not know. */
  unknownOps: number;
  /** Operations of fewer than 4096 bytes. */
  smallOps: number;
  /** Start-to-start distance of the latest stride, when there was one (negative: backwards). */
  strideBytes: number | null;
}

export interface SyscallReport {
  /** The syscall as strace names it ("read", "pwrite64", ...). */
  name: string;
  /** Calls that succeeded (operations). */
  calls: number;
  /** Bytes those calls moved. */
  bytes: number;
  /** Calls that failed (not operations). */
  failed: number;
}

/** Operation sizes in bytes; each bin holds values in `[lo, hi)`, its operation count and the bytes those operations moved (`sum`). Bins are exact below 64 bytes, then 32 per power of two: fine enough to redraw any log-spaced binning. */
export interface SizeHistogram {
  /** Read sizes, ascending bins. */
  read: Array<Bin>;
  /** Write sizes, ascending bins. */
  write: Array<Bin>;
}

/** One non-empty bin: values in `[lo, hi)`. */
export interface Bin {
  lo: number;
  hi: number;
  count: number;
  sum: number;
}

/** Per-operation latency: time from syscall entry to exit as the source saw it. */
export interface Latency {
  /** Reads; null when there were none. */
  read: LatencySummary | null;
  /** Writes; null when there were none. */
  write: LatencySummary | null;
}

export interface LatencySummary {
  /** Operations timed. */
  count: number;
  /** Mean, nanoseconds. */
  meanNs: number;
  /** Median, nanoseconds (as exact as its bin). */
  p50Ns: number;
  /** 99th percentile, nanoseconds (as exact as its bin). */
  p99Ns: number;
  /** Longest, nanoseconds. */
  maxNs: number;
  /** Latency distribution in nanoseconds, same binning as sizes. */
  bins: Array<Bin>;
}

/** Operations over time. Its interval doubles instead of growing past 1024 points, so memory is bounded by files and bins, never by operations. */
export interface TimelineReport {
  /** Length of each interval, seconds. */
  intervalSeconds: number;
  /** One point per interval, from the window's start. */
  points: Array<TimelinePoint>;
}

export interface TimelinePoint {
  /** Start of the interval, seconds since the window began. */
  t: number;
  /** Reads in the interval. */
  readOps: number;
  /** Writes in the interval. */
  writeOps: number;
  /** Bytes read in the interval. */
  readBytes: number;
  /** Bytes written in the interval. */
  writeBytes: number;
}

/** The time spent in one kind of call: data calls on the fds the summary counts (files and block devices; every fd with `allFds`), so that a pipe's or a socket's blocking read is no storage time, and every metadata and sync call. */
export interface CallKindTime {
  /** The kind of call. */
  kind: CallKind;
  /** Calls of this kind that succeeded. */
  calls: number;
  /** Calls of this kind that failed (besides `calls`). */
  failed: number;
  /** Seconds inside these calls, failed ones included: entry to exit as the source saw it (under ptrace, the tracer's stops inside a call are not in it; see `tracerTime`). */
  totalSeconds: number;
  /** `totalSeconds / (calls + failed)`, seconds; null when no call was timed. */
  meanSeconds: number | null;
  /** 99th percentile of one call, seconds (as exact as its latency bin, about 2 %); null when no call was timed. */
  p99Seconds: number | null;
  /** `totalSeconds / elapsedSeconds`, 0 to 1 for one thread (more when threads wait at once); null without a clock. */
  shareOfElapsed: number | null;
}

/** What a call does, for where the time goes (`callTime`). */
export type CallKind =
  /** read, pread64, readv, preadv, preadv2. */
  | "read"
  /** write, pwrite64, writev, pwritev, pwritev2. */
  | "write"
  /** fsync, fdatasync, sync_file_range, sync, syncfs, msync. */
  | "sync"
  /** open, openat, openat2, creat. */
  | "open"
  /** stat, fstat, lstat, newfstatat, statx, access and the like. */
  | "stat"
  /** Directory reads: getdents, getdents64. */
  | "getdents"
  /** close. */
  | "close"
  /** Calls that move data from one fd to another: sendfile, splice, copy_file_range, tee. */
  | "transfer"
  /** Other metadata calls: unlink, rename, mkdir, rmdir, truncate... */
  | "other-metadata";

/** Every value of `CallKind`. */
export const CALL_KIND_VALUES: readonly CallKind[] = ["read", "write", "sync", "open", "stat", "getdents", "close", "transfer", "other-metadata"];

/** One file mapped into memory with mmap. Its pages are read and written by page faults, not syscalls: that I/O is not in the counts (storage-level bytes show it). */
export interface Mapping {
  /** The mapped file, as `files` names it. */
  path: string;
  /** What the fd referred to. */
  kind: FdKind;
  /** Successful mmap calls of it with this protection and sharing. */
  maps: number;
  /** Bytes mapped, the sum of the calls' lengths. */
  bytes: number;
  /** Protection: "r", "w", "x" in that order ("rw", "rx"), "" for PROT_NONE. */
  prot: string;
  /** MAP_SHARED (writes reach the file) rather than MAP_PRIVATE. */
  shared: boolean;
  /** The file was mapped executable (PROT_EXEC): code, such as the shared libraries the dynamic loader maps, not data the program reads; all of such a file's mappings are one row (`prot` their union). */
  exec: boolean;
  /** `true`: found in /proc/PID/maps when the window opened on the process running (`-p`, a profile() window), made before it: `maps` counts its regions there, `bytes` their sizes. What the program reads or writes there in the window is by page faults, not counted. Absent for a mapping made by a call in the window. */
  beforeWindow?: boolean;
}

/** Operation sizes over time, for the summary's fds (reads and writes together): a count of operations and of bytes per time bin and size bin. */
export interface Heatmap {
  /** Width of a time bin, seconds: the timeline's `intervalSeconds`; time bin `i` starts at `i × binSeconds` from the window's start. */
  binSeconds: number;
  /** The size bins, bytes, fixed and log-spaced: `[0, 1)`, then one per power of two (`[1, 2)`, `[2, 4)`, ...) up to the largest operation; `count` and `sum` are their totals over the whole window. */
  sizeBins: Array<Bin>;
  /** Operations, `ops[timeBin][sizeBin]`. */
  ops: Array<Array<number>>;
  /** Bytes moved, `bytes[timeBin][sizeBin]`. */
  bytes: Array<Array<number>>;
}

/** One conclusion drawn from the figures, with the numbers that show it. */
export interface Finding {
  /** What it is about, stable across releases (kebab-case, e.g. "fsync-heavy"). */
  code: string;
  /** "info" or "warn". */
  severity: Severity;
  /** What was seen, with its numbers, one sentence. */
  text: string;
  /** What to do about it. */
  advice: string;
  /** The file it is about (as `files` names it); null when about the run. */
  file: string | null;
  /** The figures it rests on, by name (units in the name: "seconds", "bytes"...). */
  numbers: { [key in string]: number };
}

/** How much a finding matters. */
export type Severity =
  | "info"
  | "warn";

/** Every value of `Severity`. */
export const SEVERITY_VALUES: readonly Severity[] = ["info", "warn"];

export interface ExitInfo {
  /** Exit status; null when killed by a signal. */
  code: number | null;
  /** Name of the signal that killed it ("SIGKILL"), when known. */
  signal: string | null;
  /** Number of that signal. */
  signalNumber: number | null;
}

/** The machine a report was made on. */
export interface HostInfo {
  /** Its host name (`os.hostname()`). */
  name: string;
  /** Node's `process.platform`: "linux", "darwin", "win32". */
  platform: string;
  /** Kernel release (`os.release()`). */
  release: string;
  /** CPU architecture (`process.arch`): "x64", "arm64". */
  arch: string;
}

/** One input report's row of a merged report (`iops merge`): one process of a job, for its imbalance and stragglers. */
export interface RankRow {
  /** The launcher's rank of the process (`rank` of its report); null when it ran outside a launcher. */
  rank: number | null;
  /** Its host's name; null when its report did not say. */
  host: string | null;
  /** Its pid (the report's `pid`). */
  pid: number | null;
  /** The report file it came from, as given to `iops merge`. */
  file: string;
  /** Its window's wall-clock start, milliseconds since the Unix epoch; null when unknown. */
  startedAt: number | null;
  /** Its window's length, seconds; null without a clock. */
  elapsedSeconds: number | null;
  /** Read operations (its `summary`). */
  readOps: number;
  /** Write operations. */
  writeOps: number;
  /** Bytes read. */
  readBytes: number;
  /** Bytes written. */
  writeBytes: number;
  /** Time inside its reads and writes, seconds (the sum of their latencies); null without call durations. */
  ioSeconds: number | null;
}

/** What a warning is about, stable across releases and wordings (serialized kebab-case: "counters-fallback", "no-timestamps", ...). */
export type WarningCode =
  /** Counters were used because no event source could run; the text says why. */
  | "counters-fallback"
  /** The platform's first default source cannot run here (rights, kernel, build, its program refused): the next one measured; the text says why and how to get the first (Linux: ptrace, and what eBPF needs). */
  | "default-source-unavailable"
  /** What this source cannot see by its nature (counters, fs_usage, ETW). */
  | "source-limits"
  /** Windows counters read under wine: zeros, not measurements. */
  | "wine-counters"
  /** Windows I/O requests that are neither reads nor writes, not counted. */
  | "other-requests-uncounted"
  /** Our seccomp filter was refused: every syscall was traced instead. */
  | "seccomp-filter-refused"
  /** The measurement window never opened: nothing was counted. */
  | "window-never-opened"
  /** A start or end window marker is missing from a trace: nothing was counted. */
  | "window-markers-missing"
  /** The attached process exited before the capture ended. */
  | "exited-before-end"
  /** Calls through the 32-bit syscall ABI, not counted. */
  | "compat-syscalls-uncounted"
  /** The program uses io_uring, whose I/O is not counted. */
  | "io-uring-uncounted"
  /** Lines of a log that were not understood and skipped. */
  | "lines-not-understood"
  /** The last line of a log is cut short and was skipped. */
  | "last-line-cut"
  /** strace calls cut in two by the program's own output, put back together. */
  | "calls-rejoined"
  /** Calls that started but never returned in the log; not counted. */
  | "calls-never-returned"
  /** Operations that had begun before the log starts; their fd is unknown. */
  | "calls-begun-before-log"
  /** A strace log without -y: files cannot be told from other fds. */
  | "fds-without-target"
  /** Operations on fds the source could not name, counted apart from files. */
  | "fds-unnamed"
  /** Operations on fds opened before the trace began (fs_usage), counted apart. */
  | "fds-opened-before-trace"
  /** No timestamps: elapsed time, rates and the timeline are unknown. */
  | "no-timestamps"
  /** Timestamps in whole seconds: rates only as exact as a second. */
  | "whole-second-timestamps"
  /** No call durations: latency is unknown. */
  | "no-durations"
  /** Only data calls were traced: metadata calls are unknown. */
  | "no-metadata-calls"
  /** The access pattern of calls without a known offset is unknown. */
  | "offsets-unknown"
  /** The access pattern of O_APPEND writes is unknown. */
  | "appends-unknown"
  /** Disk I/O requests that failed (fs_usage). */
  | "disk-requests-failed"
  /** Calls that look like I/O that the parser does not read. */
  | "io-calls-uncounted"
  /** Requests without a completion event (ETW): not counted. */
  | "requests-incomplete"
  /** The event source lost events: counts are a lower bound. */
  | "events-lost"
  /** The eBPF source's set of traced tasks was full: tasks forked past it were not traced, counts are a lower bound. */
  | "traced-set-full"
  /** The source does not see storage-level bytes (strace). */
  | "no-storage-bytes"
  /** A tracer process of ours did not exit when told to. */
  | "tracer-still-running"
  /** The tracer and the program shared one CPU (`--share-cpu`): the program saw one CPU and its threads ran one at a time. */
  | "cpu-shared"
  /** A merged report (`iops merge`): more distinct warnings of the merged reports than it repeats. */
  | "merged-warnings"
  /** A merged report: some inputs have no wall-clock start or no clock, so the job has no duration, rates or timeline. */
  | "no-wall-clock"
  /** Files were mapped with mmap: their page-fault I/O is not counted (storage-level bytes show it). */
  | "mmap-not-counted"
  /** `--share-cpu` was asked of a source that never stops the program (eBPF): nothing was pinned, the program kept its CPUs. */
  | "share-cpu-ignored"
  /** The pid given to attach mode is a thread: its whole process was traced (reports are per process). */
  | "pid-is-thread"
  /** The program's own ptrace calls (a debugger, strace, LeakSanitizer) were refused because the ptrace source traces it. */
  | "program-ptrace-refused"
  /** The eBPF source ran its raw sys_enter program, the typed (tp_btf) one being refused here: the same figures, at a few ns more per call; the text says why. */
  | "ebpf-raw-tracepoint"
  /** The eBPF source, run in a PID namespace, did not count the calls of traced tasks in a namespace nested in it (it cannot name them by iops's pids): counts are a lower bound. */
  | "nested-pid-namespace"
  /** Launch: the command ended leaving processes running (daemons that left its session, or any when iops was asked to stop after the command's end); the text names them and what the source did with them. */
  | "left-running"
  /** A program exec'd under ptrace ran without the set-user-ID, set-group-ID or file capabilities of its file; the text names it. */
  | "privileges-ignored"
  /** iops ran in a PID namespace whose /proc is another namespace's: nothing was read from it (no storage level; fds no record named, unnamed). */
  | "proc-of-another-namespace"
  /** A log that shows only part of the calls (strace -Z, -z, -e status=, -e trace= without the data calls): what it cannot show is unknown; the text says which option hid it and how that was told. */
  | "calls-filtered-out";

/** Every value of `WarningCode`. */
export const WARNING_CODE_VALUES: readonly WarningCode[] = ["counters-fallback", "default-source-unavailable", "source-limits", "wine-counters", "other-requests-uncounted", "seccomp-filter-refused", "window-never-opened", "window-markers-missing", "exited-before-end", "compat-syscalls-uncounted", "io-uring-uncounted", "lines-not-understood", "last-line-cut", "calls-rejoined", "calls-never-returned", "calls-begun-before-log", "fds-without-target", "fds-unnamed", "fds-opened-before-trace", "no-timestamps", "whole-second-timestamps", "no-durations", "no-metadata-calls", "offsets-unknown", "appends-unknown", "disk-requests-failed", "io-calls-uncounted", "requests-incomplete", "events-lost", "traced-set-full", "no-storage-bytes", "tracer-still-running", "cpu-shared", "merged-warnings", "no-wall-clock", "mmap-not-counted", "share-cpu-ignored", "pid-is-thread", "program-ptrace-refused", "ebpf-raw-tracepoint", "nested-pid-namespace", "left-running", "privileges-ignored", "proc-of-another-namespace", "calls-filtered-out"];

/** The sources that read per-process counters, not per-call events: the fallbacks when no event source can run. */
export const COUNTER_SOURCES: readonly Source[] = ["proc-io", "io-counters", "rusage"];

/** Each source's name for people ("ptrace syscall tracer"). */
export const SOURCE_LABELS: Readonly<Record<Source, string>> = {
  "ebpf": "eBPF syscall tracepoints",
  "ptrace": "ptrace syscall tracer",
  "strace": "strace, live",
  "strace-log": "strace log",
  "fs_usage": "fs_usage trace",
  "etw": "ETW kernel file I/O events",
  "proc-io": "/proc/<pid>/io counters (fallback)",
  "io-counters": "Windows I/O counters, GetProcessIoCounters (fallback)",
  "rusage": "proc_pid_rusage disk counters (fallback)",
};
