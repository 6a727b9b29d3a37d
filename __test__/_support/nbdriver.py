#!/usr/bin/env python3
"""Drives a real Jupyter kernel (nbclient, jupyter_client) for the notebook
tests and the notebook bench.

Three modes, all reading their kernel from JUPYTER_PATH (the tests point it
at a scratch kernelspec, never at the user's Jupyter config):

  nbdriver.py notebook <in.ipynb> <out.ipynb> --cwd DIR [--kernel NAME]
      executes a whole notebook file (the docs notebooks) and writes it back
      with its outputs.

  nbdriver.py session --cwd DIR --out results.json [--kernel NAME] < steps.json
      one kernel for a list of steps, each one of
        {"cell": "<source>"}                       run a cell
        {"cell": "<source>", "interruptWhen": path}  ... and interrupt the kernel as Jupyter does
                                                   (KernelManager.interrupt_kernel: SIGINT to its
                                                   whole process group) once the cell has created
                                                   the file `path`
        {"cell": "<source>", "killWhen": path}     ... or SIGKILL (a crashed kernel); status "dead"
        {"restart": true}                          restart the kernel
        {"complete": "<source>"}                   code completion at the end of the source
        {"inspect": true}                          the kernel's pid, its threads' states and
                                                   tracers, and its child processes
      and writes one result per step as JSON to --out: cells give
      {"status": "ok"|"error"|"abort", "outputs": [...]}.

  nbdriver.py timing --cwd DIR --out times.json [--repeat N] [--setup CODE] < cells.json
      the round-trip time of each cell (bench/notebook.mjs), N times each, in turn,
      after a first round (its times reported apart: the first %%iops cell starts
      the tracer helper); writes {"first": [s per cell], "times": [[s, ...] per cell]}.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync


def task_states(pid):
    """Each thread of `pid`: its scheduler state letter, its tracer's pid (0: not traced), its CPUs."""
    tasks = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        state, tracer = "?", -1
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("State:"):
                        state = line.split()[1]
                    elif line.startswith("TracerPid:"):
                        tracer = int(line.split()[1])
        except FileNotFoundError:
            continue  # the thread ended meanwhile
        try:
            cpus = sorted(os.sched_getaffinity(int(tid)))
        except OSError:
            continue
        tasks.append({"tid": int(tid), "state": state, "tracerPid": tracer, "cpus": cpus})
    return tasks


def children(pid):
    """Live child processes of `pid`, with their command lines."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except FileNotFoundError:
            continue
        for kid in kids:
            try:
                with open(f"/proc/{kid}/cmdline", "rb") as f:
                    argv = [a.decode() for a in f.read().split(b"\0") if a]
            except FileNotFoundError:
                continue
            out.append({"pid": kid, "argv": argv})
    return out


def kernel_pid(client):
    return client.km.provisioner.process.pid


def signal_when(client, path, signum, done):
    """Once `path` exists (the cell has got there): SIGINT as Jupyter's stop
    button sends it (KernelManager.interrupt_kernel, to the kernel's process
    group, helpers included), another signal to the kernel's pid."""
    while not done.is_set():
        if os.path.exists(path):
            time.sleep(0.2)
            if signum == signal.SIGINT:
                run_sync(client.km.interrupt_kernel)()
            else:
                os.kill(kernel_pid(client), signum)
            return
        time.sleep(0.05)


def run_cell(client, nb, source, interrupt_when=None, kill_when=None):
    cell = nbformat.v4.new_code_cell(source)
    nb.cells.append(cell)
    replies = {}
    client.on_cell_executed = lambda cell, cell_index, execute_reply: replies.update(reply=execute_reply)
    done = threading.Event()
    for path, signum in ((interrupt_when, signal.SIGINT), (kill_when, signal.SIGKILL)):
        if path is not None:
            threading.Thread(target=signal_when, args=(client, path, signum, done), daemon=True).start()
    try:
        client.execute_cell(cell, len(nb.cells) - 1)
    except DeadKernelError:
        return {"status": "dead", "outputs": cell.outputs}
    finally:
        done.set()
    reply = replies.get("reply") or {}
    status = reply.get("content", {}).get("status", "unknown")
    if status == "error":
        # After a failed cell, tslab aborts the requests that reach it within
        # 200 ms (tslab issue #19); a person is never that quick.
        time.sleep(0.3)
    return {"status": status, "outputs": cell.outputs}


def session(args):
    steps = json.load(sys.stdin)
    nb = nbformat.v4.new_notebook()
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        allow_errors=True,
        resources={"metadata": {"path": args.cwd}},
    )
    results = []
    with client.setup_kernel():
        for step in steps:
            if "cell" in step:
                results.append(run_cell(client, nb, step["cell"], step.get("interruptWhen"), step.get("killWhen")))
            elif step.get("restart"):
                old = kernel_pid(client)
                run_sync(client.km.restart_kernel)(now=True)
                run_sync(client.kc.wait_for_ready)(timeout=60)
                results.append({"oldPid": old, "pid": kernel_pid(client)})
            elif "complete" in step:
                code = step["complete"]
                reply = run_sync(client.kc.complete)(code, len(code), reply=True, timeout=60)
                results.append(reply["content"])
            elif step.get("inspect"):
                pid = kernel_pid(client)
                results.append({"pid": pid, "tasks": task_states(pid), "children": children(pid)})
            else:
                raise SystemExit(f"nbdriver: unknown step {step!r}")
    # To a file, not stdout: the kernels inherit our stdout and may write to it.
    with open(args.out, "w") as f:
        json.dump(results, f, default=lambda o: dict(o))


def timing(args):
    """Round-trip time of each cell, as the notebook user waits for it: from
    the execute request to the kernel's idle after its last output. The
    cells are run in turn, `--repeat` times, after one warm-up round."""
    from jupyter_client.manager import start_new_kernel

    cells = json.load(sys.stdin)
    km, kc = start_new_kernel(kernel_name=args.kernel, cwd=args.cwd)
    try:
        for code in args.setup or []:
            kc.execute_interactive(code, timeout=args.timeout, output_hook=lambda m: None)
        first = [None for _ in cells]
        times = [[] for _ in cells]
        for round_ in range(args.repeat + 1):
            for i, code in enumerate(cells):
                start = time.perf_counter()
                reply = kc.execute_interactive(code, timeout=args.timeout, output_hook=lambda m: None)
                elapsed = time.perf_counter() - start
                if reply["content"]["status"] != "ok":
                    raise SystemExit(f"nbdriver: cell {code!r} failed: {reply['content']}")
                if round_ > 0:
                    times[i].append(elapsed)
                else:
                    first[i] = elapsed
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    with open(args.out, "w") as f:
        json.dump({"first": first, "times": times}, f)


def notebook(args):
    nb = nbformat.read(args.input, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        resources={"metadata": {"path": args.cwd}},
    )
    client.execute()
    nbformat.write(nb, args.output)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    for name in ("session", "notebook", "timing"):
        p = sub.add_parser(name)
        p.add_argument("--cwd", required=True)
        p.add_argument("--kernel", default="tslab")
        p.add_argument("--timeout", type=int, default=120)
        if name in ("session", "timing"):
            p.add_argument("--out", required=True)
        if name == "timing":
            p.add_argument("--repeat", type=int, default=30)
            p.add_argument("--setup", action="append")
        if name == "notebook":
            p.add_argument("input")
            p.add_argument("output")
    args = ap.parse_args()
    {"session": session, "notebook": notebook, "timing": timing}[args.mode](args)


if __name__ == "__main__":
    main()
