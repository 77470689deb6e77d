#!/usr/bin/env python3
"""Runs rlhf4j's `bench ppo` and the PyTorch yardstick (or any other contender) interleaved,
A B A B ..., on a quiet machine only, and prints the median of every headline key with ratios.

  python3 tools/bench/compare.py --runs 3 -- --preset small --batch 8 --prompt-len 32 \
      --new-tokens 32 --ppo-epochs 1 --mini-batch-size 2 --seed 0 --threads 2

Contenders are NAME=COMMAND templates with {args} (the arguments after --) and {json} (a file the
command writes its report to). Defaults: `rlhf4j` (cli/target/rlhf4j.jar run as a user runs it) and
`yardstick` (../shared/bench/reference_ppo.py under Debian's /usr/bin/python3). Add e.g.
  --contender 'old=java -jar /path/to/old/rlhf4j.jar bench ppo {args} --json {json}'
to compare two builds. Before every run the 1-minute load average must be below --max-load and no
other JVM or Maven may be running (between runs: the cores idle for 3 s instead, since the previous run
itself still weighs on the load average), else the script waits (up to --wait seconds) and refuses.
Writes every report and the medians to --out (JSON). Standard library only.
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULTS = {
    "rlhf4j": "java -jar " + os.path.join(ROOT, "cli/target/rlhf4j.jar")
    + " bench ppo {args} --json {json}",
    "yardstick": "/usr/bin/python3 " + os.path.join(ROOT, "../shared/bench/reference_ppo.py")
    + " {yargs} --skip-checks --no-kv-off --json {json}",
}
# rlhf4j preset -> the yardstick's preset of the same shape ({yargs} in a template)
YARDSTICK_PRESETS = {"small": "small", "mini": "tiny"}


def yardstick_args(args):
    out = list(args)
    for i, x in enumerate(out[:-1]):
        if x == "--preset":
            if out[i + 1] not in YARDSTICK_PRESETS:
                sys.exit(f"the yardstick has no preset of the shape of rlhf4j's '{out[i + 1]}'; "
                         f"use one of {sorted(YARDSTICK_PRESETS)}")
            out[i + 1] = YARDSTICK_PRESETS[out[i + 1]]
    return out
# rlhf4j key -> yardstick key where they differ (the yardstick measures both reference modes)
ALIASES = {"peak_rss_mb": ("peak_rss_mb_adapter_switch", "peak_rss_mb")}
HIGHER_IS_BETTER = ("per_s", "gflops", "fraction")


def busy_processes():
    """Other JVMs or Maven runs (they steal cores and make timings meaningless)."""
    out = subprocess.run(["ps", "-eo", "pid,comm,args"], capture_output=True, text=True).stdout
    me = os.getpid()
    busy = []
    for line in out.splitlines()[1:]:
        parts = line.split(None, 2)
        if len(parts) < 3 or int(parts[0]) == me:
            continue
        if parts[1] == "java" or "maven" in parts[2] or "plexus-classworlds" in parts[2]:
            busy.append(line.strip()[:120])
    return busy


def cpu_busy(seconds=3.0):
    """Fraction of all cores busy over the next few seconds (from /proc/stat)."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]  # total, idle + iowait
    t0, i0 = sample()
    time.sleep(seconds)
    t1, i1 = sample()
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


def wait_quiet(max_load, wait_s, first):
    """Before the first run the 1-minute load average must be low; between runs (when our own
    previous run still weighs on that average) the cores must be idle for a few seconds."""
    deadline = time.time() + wait_s
    while True:
        load = os.getloadavg()[0]
        busy = busy_processes()
        quiet = load < max_load if first else cpu_busy() < 0.1
        if quiet and not busy:
            return load
        if time.time() > deadline:
            sys.exit(f"refusing to benchmark: load average {load:.2f} (max {max_load}) "
                     f"and {len(busy)} other JVM/Maven processes {busy[:3]}; stop them and retry")
        time.sleep(5)


def value(report, key, name):
    s = report.get("summary", report)
    for k in (key,) + (ALIASES.get(key, ()) if name != "rlhf4j" else ()):
        if k in s:
            v = s[k]
            return v[1] if isinstance(v, list) else v  # the yardstick gives [min, median]
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=3, help="rounds of A B ... (default 3)")
    p.add_argument("--max-load", type=float, default=0.3)
    p.add_argument("--wait", type=float, default=300, help="seconds to wait for a quiet machine")
    p.add_argument("--contender", action="append", default=[], metavar="NAME=COMMAND")
    p.add_argument("--only", default=None, help="comma-separated contender names to run")
    p.add_argument("--out", default="bench-compare.json")
    p.add_argument("--allow-busy", action="store_true",
                   help="smoke-test the script on a busy machine (numbers meaningless, marked so)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="-- then the workload arguments")
    a = p.parse_args()
    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    contenders = dict(DEFAULTS)
    for c in a.contender:
        name, _, cmd = c.partition("=")
        contenders[name] = cmd
    if a.only:
        contenders = {k: v for k, v in contenders.items() if k in a.only.split(",")}
    names = list(contenders)
    reports = {n: [] for n in names}
    tmp = tempfile.mkdtemp(prefix="bench-compare-")
    for r in range(a.runs):
        for n in names:
            first = r == 0 and n == names[0]
            load = os.getloadavg()[0] if a.allow_busy else wait_quiet(a.max_load, a.wait, first)
            out = os.path.join(tmp, f"{n}-{r}.json")
            yargs = yardstick_args(args) if "{yargs}" in contenders[n] else args
            cmd = contenders[n].format(args=" ".join(shlex.quote(x) for x in args),
                                       yargs=" ".join(shlex.quote(x) for x in yargs),
                                       json=out)
            print(f"[run {r + 1}/{a.runs}] {n} (load {load:.2f}): {cmd}", file=sys.stderr)
            t0 = time.time()
            done = subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
            if done.returncode != 0 or not os.path.exists(out):
                sys.exit(f"{n} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
            with open(out) as f:
                rep = json.load(f)
            rep["_wall_s"] = round(time.time() - t0, 1)
            reports[n].append(rep)
    keys = []
    for rep in reports[names[0]]:
        for k in rep.get("summary", {}):
            if k not in keys:
                keys.append(k)
    medians = {}
    base = names[-1]
    print(f"\n{'key':38}" + "".join(f"{n:>14}" for n in names)
          + "".join(f"{n + '/' + base:>20}" for n in names[:-1]))
    for k in keys:
        row = {}
        for n in names:
            vals = [value(rep, k, n) for rep in reports[n]]
            vals = [v for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool)]
            row[n] = statistics.median(vals) if vals else None
        if all(v is None for v in row.values()):
            continue
        medians[k] = row
        line = f"{k:38}" + "".join(f"{'' if row[n] is None else round(row[n], 3):>14}" for n in names)
        for n in names[:-1]:
            if row[n] and row[base]:
                ratio = row[n] / row[base]
                faster = ratio if any(h in k for h in HIGHER_IS_BETTER) else 1 / ratio
                line += f"{f'{ratio:.3f} ({faster:.2f}x)':>20}"
        print(line)
    print("\n(ratio = contender / last contender; (Nx) > 1 means the contender is better:"
          " faster, more throughput or less memory)")
    with open(a.out, "w") as f:
        json.dump({"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   "machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())},
                   "workload": args, "busy_machine_numbers_meaningless": a.allow_busy, "contenders": contenders, "medians": medians,
                   "reports": reports}, f, indent=1)
    print(f"wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
