#!/usr/bin/env python3
"""Turn the benches' results into benches/REPORT.md and benches/chart.svg.

Usage (from the repository root, after `cargo bench`):

    python3 scripts/bench_report.py [--target-dir target] [--note TEXT]

Writes benches/REPORT.md, benches/chart.svg and the block between the
bench-summary markers in README.md. Reads:

- `<target-dir>/criterion/peers-runs.jsonl`, the samples that
  benches/peers.rs appends, one JSON line per process of a case (its
  `MAY_CHANNEL_BENCH_PROCESSES` fresh processes, default 3). Each case counts
  with the latest run that measured it: a process's figure is the median of
  its samples' time per run, the case's the median over its processes, with
  their min and max (the spread);
- for the other benches, `<target-dir>/criterion/<group>/<function>/new/{benchmark,estimates}.json`
  (the median point estimate and the group's throughput); several passes
  (`cargo bench -- --save-baseline pass1`, then `pass2`, ...) count with
  their median, and their min and max;
- the stall log `<target-dir>/criterion/stalled.txt` written by
  benches/select.rs (benches/peers.rs logs its stalls in the JSON lines too),
  and `<target-dir>/criterion/may_select_lost.txt`.

Every number in the outputs comes from those files; nothing is typed in.
Data from a quick pass (`MAY_CHANNEL_BENCH_QUICK=1`) is marked as such in
every output: a smoke pass is not a measurement.

Standard library only.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import subprocess
import sys
import xml.dom.minidom
from xml.sax.saxutils import escape

RUNTIMES = ["threads", "coroutines"]
SHAPES = ["seq", "spsc", "mpsc", "mpmc"]
CAPACITIES = ["unbounded", "cap0", "cap1", "cap1024"]
CAPACITY_WORDS = {
    "unbounded": "unbounded",
    "cap0": "zero capacity (rendezvous)",
    "cap1": "capacity 1",
    "cap1024": "capacity 1024",
}
DEFAULT_ALIAS = {
    "unbounded": "UnboundedMpmc",
    "cap0": "RendezvousMpmc",
    "cap1": "BoundedBlocking<1>",
    "cap1024": "BoundedBlocking<1024>",
}
OURS = "may_channel"
OUR_FLAVOURS = ["may_channel", "may_channel Spin", "may_channel Park", "may_channel spsc",
                "may_channel spsc Park"]
PEERS = ["std::sync::mpsc", "crossbeam-channel", "flume", "kanal"]
MAY = ["may::sync::spsc", "may::sync::mpsc", "may::sync::mpmc"]
CONTENDERS = OUR_FLAVOURS + PEERS + MAY
PARKS = " (parks worker)"
WORKLOAD_GROUP = re.compile(r"^(threads|coroutines)/(seq|spsc|mpsc|mpmc)/(unbounded|cap0|cap1|cap1024)$")

# The rows of benches/core.rs: (group, baseline, contender, what the ratio prices).
COST_ROWS = [
    ("zero_cost/ping", "may_channel::queue::BoundedQueue", "may_channel::SpinRing",
     "the channel layer (`SpinRing`) over the raw ring it is built on"),
    ("zero_cost/ping", "crossbeam_queue::ArrayQueue", "may_channel::queue::BoundedQueue",
     "our raw ring over crossbeam's `ArrayQueue`"),
    ("zero_cost/burst", "may_channel::queue::BoundedQueue", "may_channel::SpinRing",
     "the channel layer (`SpinRing`) over the raw ring it is built on"),
    ("zero_cost/burst", "crossbeam_queue::ArrayQueue", "may_channel::queue::BoundedQueue",
     "our raw ring over crossbeam's `ArrayQueue`"),
    ("zero_cost/counters/ping", "BoundedBlocking", "InstrumentedBounded",
     "the `Counters` sink over `NoMetrics`"),
    ("zero_cost/counters/threads/spsc/cap1024", "BoundedBlocking", "InstrumentedBounded",
     "the `Counters` sink over `NoMetrics`"),
    ("zero_cost/builder/ping", "BoundedBlocking::new", "ChannelBuilder",
     "a builder-built channel over the alias (the same type)"),
    ("zero_cost/builder/threads/spsc/cap1024", "BoundedBlocking::new", "ChannelBuilder",
     "a builder-built channel over the alias (the same type)"),
]
COST_GROUPS = {row[0] for row in COST_ROWS}
SELECT_GROUPS = [
    "select_rx/threads",
    "select_rx/coroutines",
    "select_rx/coroutines-may-select",
    "select_both/threads",
    "select_both/coroutines",
]


# ----------------------------------------------------------------------- input

# A pass directory (`--save-baseline passN`) counts only if it was written
# within this long of the case's latest result: older ones belong to an
# earlier run.
PASS_WINDOW_S = 3 * 3600


def pass_medians(case_dir, newest_mtime):
    """Median estimates (ns) of the case's `pass*` baselines from this run."""
    medians = []
    for name in sorted(os.listdir(case_dir)):
        path = os.path.join(case_dir, name, "estimates.json")
        if not name.startswith("pass") or not os.path.exists(path):
            continue
        if newest_mtime - os.path.getmtime(path) > PASS_WINDOW_S:
            continue
        try:
            with open(path) as f:
                medians.append(json.load(f)["median"]["point_estimate"])
        except (OSError, ValueError, KeyError) as err:
            print(f"skipping {path}: {err}", file=sys.stderr)
    return medians


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def spread_of(result):
    """(max - min) / median of a result measured more than once, else None."""
    if result.get("processes", result.get("passes", 1)) < 2 or not result["mps"]:
        return None
    return (result["max"] - result["min"]) / result["mps"]


def load_results(criterion_dir):
    """{(group, function): {"mps": M msg/s (median), "min", "max", "mtime":
    seconds, "passes": n}} from criterion's files, for every group but the
    workloads of benches/peers.rs (see load_peer_runs).

    A case measured in several passes (`cargo bench -- --save-baseline
    passN`, N = 1, 2, ...) counts with the median of its passes; min and max
    say how far they spread."""
    results = {}
    for root, _dirs, files in os.walk(criterion_dir):
        if os.path.basename(root) != "new" or "benchmark.json" not in files:
            continue
        try:
            with open(os.path.join(root, "benchmark.json")) as f:
                bench = json.load(f)
            estimates_path = os.path.join(root, "estimates.json")
            with open(estimates_path) as f:
                estimates = json.load(f)
        except (OSError, ValueError) as err:
            print(f"skipping {root}: {err}", file=sys.stderr)
            continue
        throughput = bench.get("throughput") or {}
        elements = throughput.get("Elements")
        mtime = os.path.getmtime(estimates_path)
        if WORKLOAD_GROUP.match(bench["group_id"]):
            continue  # benches/peers.rs: from its JSON lines
        medians = pass_medians(os.path.dirname(root), mtime) or [estimates["median"]["point_estimate"]]
        if not elements or min(medians) <= 0:
            continue
        key = (bench["group_id"], bench["function_id"])
        rates = [elements / ns * 1e3 for ns in medians]  # elements per ns * 1e9 / 1e6
        results[key] = {
            "mps": median(rates),
            "min": min(rates),
            "max": max(rates),
            "mtime": mtime,
            "passes": len(medians),
        }
    return results


PEER_RUNS = "peers-runs.jsonl"


def load_peer_runs(criterion_dir):
    """({(group, function): result}, {bench id: stall reason}) from the JSON
    lines of benches/peers.rs.

    Each case counts with the latest run (the parent's start, ms since the
    epoch) that has a line for it. A process's figure is the median of its
    samples' time per run (ns / iterations); the case's M msg/s is the median
    of its processes' figures, "min" and "max" their range. A stall in any
    process of that run makes the case stalled."""
    path = os.path.join(criterion_dir, PEER_RUNS)
    by_case = {}
    if not os.path.exists(path):
        return {}, {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            try:
                record = json.loads(line)
                run = int(record["run"])
            except (ValueError, KeyError) as err:
                print(f"skipping {path}:{number}: {err}", file=sys.stderr)
                continue
            by_case.setdefault(record["id"], {}).setdefault(run, []).append(record)
    results, stalls = {}, {}
    for bench_id, runs in by_case.items():
        run = max(runs)
        records = runs[run]
        first = records[0]
        stalled = [r for r in records if "stalled" in r]
        if stalled:
            stalls[bench_id] = "; ".join(r["stalled"] for r in stalled)
            continue
        rates = []
        for r in records:
            per_run = median([ns / iters for ns, iters in zip(r["ns"], r["iters"]) if iters])
            if per_run > 0:
                rates.append(r["messages"] / per_run * 1e3)
        if not rates:
            continue
        results[(first["group"], first["function"])] = {
            "mps": median(rates),
            "min": min(rates),
            "max": max(rates),
            "processes": len(rates),
            "processes_asked": first["processes"],
            "messages": first["messages"],
            "samples": len(first["ns"]),
            "quick": any(r.get("quick") for r in records),
            "run": run,
            # when the last process wrote its line (older lines: the run's start)
            "mtime": max(r.get("written", run) for r in records) / 1000,
        }
    return results, stalls


def load_stalls(criterion_dir):
    """{bench id: reason} from the stall log."""
    stalls = {}
    path = os.path.join(criterion_dir, "stalled.txt")
    if not os.path.exists(path):
        return stalls
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.startswith("STALLED: "):
                continue
            bench_id, _, reason = line[len("STALLED: "):].partition("\t")
            stalls[bench_id] = reason or "stalled"
    return stalls


def load_may_select_loss(criterion_dir):
    path = os.path.join(criterion_dir, "may_select_lost.txt")
    try:
        with open(path) as f:
            lost, sent = f.read().split()
        return int(lost), int(sent)
    except (OSError, ValueError):
        return None


def command_output(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    nproc = command_output(["nproc"])
    if nproc == "unknown":
        nproc = str(os.cpu_count())
    return {
        "nproc": nproc,
        "cpu": cpu,
        "rustc": command_output(["rustc", "--version"]),
        "os": f"{platform.system()} {platform.release()}",
    }


# ------------------------------------------------------------------- analysis

class Cell:
    """One contender in one workload group: measured, stalled, or absent."""

    def __init__(self, mps=None, stalled=None, parks=False, result=None):
        self.mps = mps
        self.stalled = stalled
        self.parks = parks
        self.result = result or {}


def workload_cells(results, stalls):
    """{(runtime, shape, capacity): {contender: Cell}}."""
    table = {}
    for (group, function), value in results.items():
        match = WORKLOAD_GROUP.match(group)
        if not match:
            continue
        name = function[: -len(PARKS)] if function.endswith(PARKS) else function
        cell = Cell(mps=value["mps"], parks=function.endswith(PARKS), result=value)
        table.setdefault(match.groups(), {})[name] = cell
    for bench_id, reason in stalls.items():
        group, _, function = bench_id.rpartition("/")
        match = WORKLOAD_GROUP.match(group)
        if not match:
            continue
        name = function[: -len(PARKS)] if function.endswith(PARKS) else function
        # A stall in the latest run overrides an older measurement.
        table.setdefault(match.groups(), {})[name] = Cell(stalled=reason, parks=function.endswith(PARKS))
    return table


def best(cells, names):
    """(name, M msg/s) of the fastest measured contender among names, or None."""
    measured = [(cells[n].mps, n) for n in names if n in cells and cells[n].mps is not None]
    if not measured:
        return None
    mps, name = max(measured)
    return name, mps


def summarize(cells, threads_cells=None):
    """Ratios for one workload group; threads_cells is the same workload on OS
    threads, for the coroutine target "at least crossbeam-channel's speed on
    threads"."""
    ours = cells.get(OURS)
    ours_mps = ours.mps if ours else None
    best_ours = best(cells, OUR_FLAVOURS)
    best_peer = best(cells, PEERS + MAY)
    best_may = best(cells, MAY)
    crossbeam = best(threads_cells or {}, ["crossbeam-channel"])
    return {
        "ours": ours_mps,
        "ours_stalled": bool(ours and ours.stalled),
        "best_ours": best_ours,
        "best_peer": best_peer,
        "best_may": best_may,
        "vs_peer": ratio(ours_mps, best_peer),
        "best_vs_peer": ratio(best_ours[1] if best_ours else None, best_peer),
        "vs_may": ratio(ours_mps, best_may),
        "vs_crossbeam_threads": ratio(ours_mps, crossbeam),
        "best_peer_parks": bool(best_peer and cells[best_peer[0]].parks),
        "stalled": sorted(n for n, c in cells.items() if c.stalled),
    }


def spread_stats(results):
    """(median, worst, worst case id, cases) of the relative spread (max -
    min) / median over the workload cases measured in two or more processes."""
    spreads = sorted((spread_of(v), f"{g}/{f}") for (g, f), v in results.items()
                     if WORKLOAD_GROUP.match(g) and spread_of(v) is not None)
    if not spreads:
        return None
    worst, worst_id = spreads[-1]
    return median([s for s, _ in spreads]), worst, worst_id, len(spreads)


def fmt_pct(value):
    return f"{value * 100:.0f}%"


def spread_sentence(results):
    stats = spread_stats(results)
    if stats is None:
        return "Every case ran in one process: no spread to report."
    med, worst, worst_id, cases = stats
    processes = sorted({v["processes"] for (g, _f), v in results.items() if WORKLOAD_GROUP.match(g)})
    counts = (str(processes[0]) if len(processes) == 1
              else f"{processes[0]} to {processes[-1]}")
    return (f"Runs spread: each case ran in {counts} fresh processes; "
            f"the relative spread of a case, (max − min) / median of its processes, is "
            f"{fmt_pct(med)} at the median of the {cases} cases and {fmt_pct(worst)} at worst "
            f"(`{worst_id}`); read a ratio that close to 1 as a tie.")


def quick_pass(results):
    return any(v.get("quick") for (g, _f), v in results.items() if WORKLOAD_GROUP.match(g))


QUICK_BANNER = ("**Quick pass: not a measurement.** These figures come from "
                "`MAY_CHANNEL_BENCH_QUICK=1` (20,000 messages per run, short sampling): "
                "a smoke test of the harness, not a result.")


def ratio(mps, other):
    if mps is None or other is None:
        return None
    return mps / other[1]


# --------------------------------------------------------------------- output

def fmt_mps(mps):
    if mps is None:
        return "—"
    if mps >= 10:
        return f"{mps:.1f}"
    if mps >= 0.1:
        return f"{mps:.2f}"
    return f"{mps:.3f}"


def fmt_cell(cell):
    """`median (min–max)`, and `[n]` if fewer processes than asked for."""
    r = cell.result
    text = fmt_mps(cell.mps)
    if r.get("processes", 1) > 1:
        text += f" ({fmt_mps(r['min'])}–{fmt_mps(r['max'])})"
    if r.get("processes", 1) < r.get("processes_asked", 1):
        text += f" [{r['processes']}]"
    return text


def fmt_ratio(value):
    return "—" if value is None else f"{value:.2f}×"


def fmt_named(entry):
    return "—" if entry is None else f"{fmt_mps(entry[1])} ({entry[0]})"


def workload_name(shape, capacity):
    return f"{shape} / {capacity}"


def summarize_key(cells_by_key, key):
    runtime, shape, capacity = key
    threads = cells_by_key.get(("threads", shape, capacity)) if runtime == "coroutines" else None
    return summarize(cells_by_key[key], threads)


def summary_table(lines, cells_by_key, runtime):
    coroutines = runtime == "coroutines"
    extra = " | ours / crossbeam on threads" if coroutines else ""
    lines.append(
        "| workload | may_channel | best of ours | best peer | ours / best peer "
        f"| best ours / best peer | ours / may{extra} | spread: ours, best peer | stalled |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if coroutines else "") + "---:|---|")
    for shape in SHAPES:
        for capacity in CAPACITIES:
            key = (runtime, shape, capacity)
            if key not in cells_by_key:
                continue
            s = summarize_key(cells_by_key, key)
            ours = "STALLED" if s["ours_stalled"] else fmt_mps(s["ours"])
            if s["best_peer"]:
                best_peer = fmt_named(s["best_peer"]) + (" †" if s["best_peer_parks"] else "")
            else:
                best_peer = "all stalled" if s["stalled"] else "—"
            stalled = ", ".join(s["stalled"]) if s["stalled"] else ""
            extra = f" | {fmt_ratio(s['vs_crossbeam_threads'])}" if coroutines else ""
            cells = cells_by_key[key]
            spreads = [spread_of(cells[name].result) if name in cells and cells[name].mps else None
                       for name in [OURS, s["best_peer"][0] if s["best_peer"] else None]]
            spread = ", ".join("—" if x is None else fmt_pct(x) for x in spreads)
            lines.append(
                f"| {workload_name(shape, capacity)} | {ours} | {fmt_named(s['best_ours'])} "
                f"| {best_peer} | **{fmt_ratio(s['vs_peer'])}** | {fmt_ratio(s['best_vs_peer'])} "
                f"| {fmt_ratio(s['vs_may'])}{extra} | {spread} | {stalled} |"
            )
    lines.append("")


def workload_tables(lines, cells_by_key):
    for shape in SHAPES:
        for capacity in CAPACITIES:
            per_runtime = {rt: cells_by_key.get((rt, shape, capacity)) for rt in RUNTIMES}
            if not any(per_runtime.values()):
                continue
            lines.append(f"### {shape}, {CAPACITY_WORDS[capacity]}")
            lines.append("")
            lines.append(f"`may_channel` is `{DEFAULT_ALIAS[capacity]}`; M msg/s: the median "
                         "over processes, (min–max) of the processes, and [processes] where "
                         "fewer than the run asked for.")
            lines.append("")
            lines.append("| contender | threads | coroutines |")
            lines.append("|---|---:|---:|")
            for name in CONTENDERS:
                row = []
                present = False
                for rt in RUNTIMES:
                    cells = per_runtime[rt] or {}
                    cell = cells.get(name)
                    if cell is None:
                        row.append("—")
                        continue
                    present = True
                    if cell.stalled:
                        row.append("**STALLED**")
                    else:
                        row.append(fmt_cell(cell) + (" †" if cell.parks else ""))
                if present:
                    lines.append(f"| {name} | {' | '.join(row)} |")
            for label, field in [
                ("ours / best peer", "vs_peer"),
                ("best ours / best peer", "best_vs_peer"),
                ("ours / may", "vs_may"),
            ]:
                row = []
                for rt in RUNTIMES:
                    cells = per_runtime[rt]
                    if not cells:
                        row.append("—")
                        continue
                    s = summarize_key(cells_by_key, (rt, shape, capacity))
                    value = fmt_ratio(s[field])
                    other = s["best_may"] if field == "vs_may" else s["best_peer"]
                    if s[field] is not None and other is not None:
                        value += f" vs {other[0]}"
                    row.append(value)
                lines.append(f"| *{label}* | {' | '.join(row)} |")
            lines.append("")


def cost_tables(lines, results):
    lines.append("Each row prices one feature: the contender's throughput over its baseline's, "
                 "measured in the same run (1.00× = free, below 1 = it costs).")
    lines.append("")
    lines.append("| group | what is priced | baseline M msg/s | contender M msg/s | contender / baseline |")
    lines.append("|---|---|---:|---:|---:|")
    for group, baseline, contender, what in COST_ROWS:
        base, cont = results.get((group, baseline)), results.get((group, contender))
        if not base or not cont:
            continue
        lines.append(f"| {group} | {what} | {fmt_mps(base['mps'])} | {fmt_mps(cont['mps'])} "
                     f"| {fmt_ratio(cont['mps'] / base['mps'])} |")
    lines.append("")


def select_table(lines, results, stalls, loss):
    present = [g for g in SELECT_GROUPS if any(k[0] == g for k in results)]
    may_id = "select_rx/coroutines-may-select/may::select!"
    if not present and may_id not in stalls:
        return
    lines.append("| group | contender | M msg/s |")
    lines.append("|---|---|---:|")
    for group in SELECT_GROUPS:
        for (g, function), value in sorted(results.items()):
            if g == group:
                stalled = f"{group}/{function}" in stalls
                lines.append(f"| {group} | {function} | {'**STALLED**' if stalled else fmt_mps(value['mps'])} |")
    if may_id in stalls and ("select_rx/coroutines-may-select", "may::select!") not in results:
        lines.append(f"| select_rx/coroutines-may-select | may::select! | **STALLED** |")
    lines.append("")
    notes = []
    for shape in ["select_rx", "select_both"]:
        ours = results.get((f"{shape}/threads", "may_channel"))
        peer = results.get((f"{shape}/threads", "crossbeam"))
        if ours and peer:
            notes.append(f"{shape}, threads: may_channel / crossbeam = {fmt_ratio(ours['mps'] / peer['mps'])}")
    ours = results.get(("select_rx/coroutines", "may_channel"))
    may = results.get(("select_rx/coroutines-may-select", "may::select!"))
    if ours and may:
        notes.append(f"select_rx, coroutines: may_channel / may::select! = {fmt_ratio(ours['mps'] / may['mps'])} "
                     "(may's runs are pre-filled and use fewer messages)")
    if loss:
        notes.append(f"may::select! lost {loss[0]} of {loss[1]} messages sent in its runs; "
                     "ours loses none (the bench checks every count)")
    for note in notes:
        lines.append(f"- {note}")
    lines.append("")


def messages_sentence(workload):
    """Messages per timed run, and on which workloads where it differs."""
    by_count = {}
    for (group, _f), v in workload.items():
        by_count.setdefault(v["messages"], set()).add(group)
    most = max(by_count, key=lambda n: len(by_count[n]))
    parts = [f"{most:,}"]
    for count in sorted(by_count, reverse=True):
        if count != most:
            names = sorted({g.split("/", 1)[1] for g in by_count[count]})
            parts.append(f"{count:,} on {', '.join(names)}")
    return "; ".join(parts)


def write_report(path, results, stalls, loss, info, note, chart_name):
    cells_by_key = workload_cells(results, stalls)
    mtimes = [v["mtime"] for (g, _f), v in results.items()
              if WORKLOAD_GROUP.match(g) or g in SELECT_GROUPS or g in COST_GROUPS]
    lines = ["# Benchmark report", ""]
    lines.append("Generated by `python3 scripts/bench_report.py` from the benches' results; "
                 "do not edit by hand.")
    lines.append("")
    if note:
        lines.append(f"> **Note.** {note}")
        lines.append("")
    lines.append(f"- machine: {info['nproc']} cores, {info['cpu']}, {info['os']}")
    lines.append(f"- toolchain: {info['rustc']}")
    if mtimes:
        first = datetime.datetime.fromtimestamp(min(mtimes)).astimezone()
        last = datetime.datetime.fromtimestamp(max(mtimes)).astimezone()
        lines.append(f"- results written {first:%Y-%m-%d %H:%M} – {last:%H:%M %Z} "
                     f"({(max(mtimes) - min(mtimes)) / 60:.0f} min from first to last)")
    lines.append(f"- report generated {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    workload = {k: v for k, v in results.items() if WORKLOAD_GROUP.match(k[0])}
    runs = sorted({v["run"] for v in workload.values()})
    if runs:
        processes = sorted({v["processes_asked"] for v in workload.values()})
        lines.append(f"- workloads (`benches/peers.rs`): {len(workload)} cases from "
                     f"{len(runs)} run{'s' if len(runs) > 1 else ''} ("
                     + ", ".join(f"`{r}`" for r in runs) + "), "
                     f"{'/'.join(map(str, processes))} fresh processes per case, round-robin")
        lines.append("- messages per timed run: " + messages_sentence(workload))
        mixed = sorted({g for g, _f in workload
                        if len({v["run"] for (g2, _f2), v in workload.items() if g2 == g}) > 1})
        if mixed:
            lines.append(f"- **mixed runs**: the contenders of {len(mixed)} group{'s' if len(mixed) > 1 else ''} come from different "
                         f"runs (e.g. `{mixed[0]}`); their ratios were not measured side by side")
    passes = sorted({v["passes"] for v in results.values() if "passes" in v})
    if passes and passes != [1]:
        lines.append(f"- other benches, passes per case: {', '.join(map(str, passes))} (`cargo bench -- "
                     "--save-baseline passN`, one whole run after the other); each case counts "
                     "with the median of its passes")
    lines.append("")
    if quick_pass(results):
        lines.append(f"> {QUICK_BANNER}")
        lines.append("")
    lines.append(spread_sentence(results))
    lines.append("")
    lines.append("Throughput is million messages per second: for a workload, the median over the "
                 "case's processes of each process's median time per timed run; a ratio "
                 "above 1 means `may_channel` is faster. *ours* is the default flavour for the "
                 "capacity, *best of ours* the fastest of the default, `Spin` and `Park` flavours "
                 "(and, unbounded `seq`/`spsc` only, the `spsc` handles, default and `Park`), "
                 "*best peer* the fastest measured of std, crossbeam-channel, flume, kanal and "
                 "`may::sync`, *may* the fastest `may::sync` channel (unbounded only: may has no "
                 "bounded channel). *spread* is (max − min) / median over the case's processes. "
                 "† marks a peer whose blocking parks the may worker thread; "
                 "**STALLED** means one of its timed runs (the trial included) did not finish within "
                 "the watchdog's limit in one of its processes; a stalled case is not measured.")
    lines.append("")
    lines.append("Method: `benches/peers.rs` spawns a case's producers and consumers once per "
                 "process; for every timed run it creates fresh endpoints, hands them to the "
                 "waiting tasks and starts the clock when all have arrived at a start gate; the "
                 "clock stops at the last receive. Every consumer takes a fixed share of the "
                 "messages and the sum received is checked. Each case runs in several fresh "
                 "processes, round-robin over all cases (process 1 of every case, then process 2, "
                 "...), each one trial run and then criterion (10 samples after a warm-up, 1 s, "
                 "flat sampling) under a 5 s watchdog per run. Coroutine tasks yield once before "
                 "they return: that works around a may 0.3.51 deadlock (a coroutine woken on may's "
                 "fast path that finishes inside `Park::subscribe` spins its worker for ever in "
                 "`Park::drop` when its last handle goes; `may_channel` parks coroutines on their "
                 "own handle and so exposes it). See `benches/common/mod.rs`. The peers that park "
                 "the worker stall in coroutines whenever a blocked task holds the worker that "
                 "the task it waits for was queued on, on `spsc` too (see `benches/peers.rs`).")
    lines.append("")
    lines.append(f"![ratios]({chart_name})")
    lines.append("")
    for runtime in RUNTIMES:
        title = "OS threads" if runtime == "threads" else "may coroutines (workers = cores)"
        lines.append(f"## Summary: {title}")
        lines.append("")
        summary_table(lines, cells_by_key, runtime)
    stalled_ids = sorted(stalls)
    lines.append("## Stalled cases")
    lines.append("")
    if stalled_ids:
        for bench_id in stalled_ids:
            lines.append(f"- `{bench_id}`: {stalls[bench_id]}")
    else:
        lines.append("None.")
    lines.append("")
    lines.append("## Select")
    lines.append("")
    select_table(lines, results, stalls, loss)
    lines.append("## Zero-cost checks")
    lines.append("")
    cost_tables(lines, results)
    lines.append("## Every workload")
    lines.append("")
    workload_tables(lines, cells_by_key)
    with open(path, "w") as f:
        f.write("\n".join(lines).rstrip() + "\n")
    return cells_by_key


# ---------------------------------------------------------------------- chart

AXIS_LIMIT = 4  # the chart's axis ends at 2**-4 and 2**4 at most
BARS = [
    ("vs_peer", "ours / best peer", "#2b6cb0"),
    ("vs_may", "ours / may::sync", "#dd6b20"),
    ("vs_crossbeam_threads", "ours / crossbeam-channel on OS threads", "#38a169"),
]


def write_chart(path, cells_by_key, info, date, quick=False):
    """A horizontal bar chart of the ratios on a log scale, one panel per
    runtime, one row per workload, one bar per ratio that exists."""
    rows = {rt: [] for rt in RUNTIMES}
    for rt in RUNTIMES:
        for shape in SHAPES:
            for capacity in CAPACITIES:
                key = (rt, shape, capacity)
                if key in cells_by_key:
                    rows[rt].append((workload_name(shape, capacity), summarize_key(cells_by_key, key)))
    # The ratio to crossbeam-channel on threads only means something for
    # coroutines (the target: no slower in coroutines than crossbeam on threads).
    bars = {"threads": BARS[:2], "coroutines": BARS}
    ratios = [s[k] for rt in RUNTIMES for _n, s in rows[rt] for k, _l, _c in bars[rt] if s[k]]
    # Powers of two from at most 1/16 to at most 16; longer bars are cut at the
    # edge and keep their number.
    lo_exp = max(-AXIS_LIMIT, math.floor(math.log2(min([0.5] + ratios))))
    hi_exp = min(AXIS_LIMIT, math.ceil(math.log2(max([2.0] + ratios))))

    label_w, plot_w, right = 130, 460, 210
    bar_h, gap = 8, 2
    top, panel_gap = 82, 44
    width = label_w + plot_w + right

    def row_h(rt):
        return len(bars[rt]) * (bar_h + gap) + 8

    def x_of(value):
        exp = min(max(math.log2(value), lo_exp), hi_exp)
        return label_w + (exp - lo_exp) / (hi_exp - lo_exp) * plot_w

    panels = []
    y = top
    for rt in RUNTIMES:
        panels.append((rt, y))
        y += 30 + len(rows[rt]) * row_h(rt) + panel_gap
    height = y

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">'
        "may_channel throughput ratios (log scale; &gt; 1 = may_channel faster)</text>",
        f'<text x="{width / 2}" y="37" text-anchor="middle" fill="#555">'
        f'{escape(info["nproc"])} cores, {escape(info["cpu"])}, {escape(date)}; '
        "ours = the default flavour; medians over fresh processes</text>",
    ]
    if quick:
        out.append(f'<text x="{width - 8}" y="20" text-anchor="end" font-size="13" font-weight="bold" '
                   'fill="#c53030">QUICK PASS: NOT A MEASUREMENT</text>')
    for i, (_key, label, colour) in enumerate(BARS):
        lx, ly = label_w + (i % 2) * 230, 48 + (i // 2) * 14
        out.append(f'<rect x="{lx}" y="{ly}" width="12" height="9" fill="{colour}"/>')
        out.append(f'<text x="{lx + 16}" y="{ly + 8}">{escape(label)}</text>')

    for rt, y0 in panels:
        title = "OS threads" if rt == "threads" else "may coroutines"
        out.append(f'<text x="8" y="{y0 + 16}" font-size="13" font-weight="bold">{title}</text>')
        plot_top = y0 + 24
        plot_bottom = plot_top + len(rows[rt]) * row_h(rt)
        for exp in range(lo_exp, hi_exp + 1):
            x = x_of(2.0 ** exp)
            stroke = "#333" if exp == 0 else "#ddd"
            out.append(f'<line x1="{x:.1f}" y1="{plot_top}" x2="{x:.1f}" y2="{plot_bottom}" stroke="{stroke}"/>')
            tick = f"{2.0 ** exp:g}" if exp >= 0 else f"1/{2 ** -exp}"
            out.append(f'<text x="{x:.1f}" y="{plot_bottom + 13}" text-anchor="middle" fill="#555">{tick}</text>')
        for i, (name, s) in enumerate(rows[rt]):
            ry = plot_top + i * row_h(rt) + 4
            mid = ry + (row_h(rt) - 8) / 2 + 4
            out.append(f'<text x="{label_w - 6}" y="{mid:.1f}" text-anchor="end">{escape(name)}</text>')
            for j, (key, label, colour) in enumerate(bars[rt]):
                value = s[key]
                if value is None:
                    continue
                by = ry + j * (bar_h + gap)
                x0, x1 = x_of(1.0), x_of(value)
                out.append(f'<rect x="{min(x0, x1):.1f}" y="{by}" width="{max(abs(x1 - x0), 1):.1f}" '
                           f'height="{bar_h}" fill="{colour}"><title>{escape(name)}: '
                           f'{escape(label)} = {value:.2f}</title></rect>')
                out.append(f'<text x="{max(x0, x1) + 3:.1f}" y="{by + bar_h - 1}" font-size="9" '
                           f'fill="{colour}">{value:.2f}</text>')
            if s["ours_stalled"]:
                note = "may_channel STALLED"
            elif s["best_peer"] is None and s["stalled"]:
                note = "every peer stalled"
            elif s["stalled"]:
                note = f"{len(s['stalled'])} peers stalled"
            else:
                note = ""
            if note:
                out.append(f'<text x="{label_w + plot_w + 50}" y="{mid:.1f}" fill="#c53030">{escape(note)}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


README_START = "<!-- bench-summary:start (generated by scripts/bench_report.py) -->"
README_END = "<!-- bench-summary:end -->"


def readme_summary(cells_by_key, results, stalls, info, date, note, report_link, chart_link):
    """The README's share of the report: the ratios per workload, the chart."""
    lines = [README_START, ""]
    if quick_pass(results):
        lines.append(QUICK_BANNER)
        lines.append("")
    lines.append(f"Measured on {info['nproc']} cores ({info['cpu']}), {info['rustc']}, {date}."
                 + (f" {note}" if note else ""))
    lines.append("Ratios of medians over fresh processes. " + spread_sentence(results))
    lines.append("Ratios of throughput, above 1 = `may_channel` (its default flavour) faster; "
                 "where another flavour of ours does at least 10% better, the cell names it "
                 "(`Spin`, `Park`, `spsc`: the `may_channel::spsc` handles) with its ratio; "
                 f"the numbers behind them, the stalled cases and the zero-cost checks are in "
                 f"[{report_link}]({report_link}).")
    lines.append("")
    lines.append("| workload | threads: ours / best peer | coroutines: ours / best peer "
                 "| coroutines: ours / may::sync | coroutines: ours / crossbeam-channel on threads |")
    lines.append("|---|---:|---:|---:|---:|")
    for shape in SHAPES:
        for capacity in CAPACITIES:
            row = [workload_name(shape, capacity)]
            threads = ("threads", shape, capacity)
            coroutines = ("coroutines", shape, capacity)
            if threads not in cells_by_key and coroutines not in cells_by_key:
                continue
            for key, field in [(threads, "vs_peer"), (coroutines, "vs_peer"),
                               (coroutines, "vs_may"), (coroutines, "vs_crossbeam_threads")]:
                if key not in cells_by_key:
                    row.append("—")
                    continue
                s = summarize_key(cells_by_key, key)
                if s["ours_stalled"]:
                    row.append("ours STALLED")
                elif field == "vs_peer" and s["best_peer"] is None and s["stalled"]:
                    row.append("every peer stalled")
                else:
                    value = fmt_ratio(s[field])
                    if field == "vs_peer" and s[field] is not None:
                        value += f" ({s['best_peer'][0]}{' †' if s['best_peer_parks'] else ''}"
                        # Another flavour of ours well ahead of the default:
                        # name it (the issue asks for the fastest flavour we
                        # have too).
                        best_ours, best_vs_peer = s["best_ours"], s["best_vs_peer"]
                        if (best_ours and best_ours[0] != OURS and best_vs_peer is not None
                                and best_vs_peer >= 1.1 * s[field]):
                            value += f"; {best_ours[0].removeprefix('may_channel ')}: {fmt_ratio(best_vs_peer)}"
                        value += ")"
                    row.append(value)
            lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append(f"† parks the may worker thread. {len(stalls)} cases stalled (listed in the report).")
    lines.append("")
    lines.append(f"![throughput ratios]({chart_link})")
    lines.append("")
    lines.append(README_END)
    return "\n".join(lines)


def update_readme(path, summary):
    with open(path) as f:
        text = f.read()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        print(f"warning: {path} has no bench-summary markers; README not updated", file=sys.stderr)
        return False
    text = text[:start] + summary + text[end + len(README_END):]
    with open(path, "w") as f:
        f.write(text)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target-dir", default="target",
                        help="cargo's target directory holding criterion/ (default: target)")
    parser.add_argument("--note", default="", help="free text for the report header")
    parser.add_argument("--report", default="benches/REPORT.md", help="Markdown output")
    parser.add_argument("--chart", default="benches/chart.svg", help="SVG output")
    parser.add_argument("--readme", default="README.md",
                        help="file whose bench-summary block is rewritten ('' to skip)")
    args = parser.parse_args()

    criterion_dir = os.path.join(args.target_dir, "criterion")
    if not os.path.isdir(criterion_dir):
        sys.exit(f"no criterion results in {criterion_dir}: run `cargo bench` first")
    results = load_results(criterion_dir)
    peer_results, peer_stalls = load_peer_runs(criterion_dir)
    results.update(peer_results)
    # benches/peers.rs's stalls come from its JSON lines (a stall in any
    # process of the latest run); the log keeps the other benches'.
    stalls = {i: r for i, r in load_stalls(criterion_dir).items()
              if not WORKLOAD_GROUP.match(i.rpartition("/")[0])}
    stalls.update(peer_stalls)
    loss = load_may_select_loss(criterion_dir)
    info = machine()
    if not any(WORKLOAD_GROUP.match(g) for g, _f in results):
        sys.exit(f"no workload results in {os.path.join(criterion_dir, PEER_RUNS)}: "
                 "run `cargo bench --bench peers` first")
    if quick_pass(results):
        print("quick pass: not a measurement (MAY_CHANNEL_BENCH_QUICK=1 data); "
              "every output says so")

    cells_by_key = write_report(args.report, results, stalls, loss, info, args.note,
                                os.path.relpath(args.chart, os.path.dirname(args.report) or "."))
    workload_mtimes = [v["mtime"] for (g, _f), v in results.items() if WORKLOAD_GROUP.match(g)]
    date = datetime.datetime.fromtimestamp(max(workload_mtimes)).astimezone().strftime("%Y-%m-%d")
    write_chart(args.chart, cells_by_key, info, date, quick_pass(results))
    xml.dom.minidom.parse(args.chart)  # fails loudly if the SVG is not well-formed XML
    stale = [f"{g}/{f}" for (g, f), v in results.items()
             if WORKLOAD_GROUP.match(g) and max(workload_mtimes) - v["mtime"] > 6 * 3600]
    if stale:
        print(f"warning: {len(stale)} results are over 6 h older than the newest, e.g. {stale[0]}",
              file=sys.stderr)
    written = [args.report, args.chart]
    if args.readme:
        base = os.path.dirname(args.readme) or "."
        summary = readme_summary(cells_by_key, results, stalls, info, date, args.note,
                                 os.path.relpath(args.report, base), os.path.relpath(args.chart, base))
        if update_readme(args.readme, summary):
            written.append(args.readme)
    print(f"wrote {', '.join(written)} ({len(results)} results, {len(stalls)} stalled)")


if __name__ == "__main__":
    main()
