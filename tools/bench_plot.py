#!/usr/bin/env python3
"""Draws PNG charts of `tally bench ... --json` results with gnuplot
(docs/benchmarks.md "Charts"). Standard library only.

    bench_plot.py OUT_DIR FILE.jsonl [FILE.jsonl ...]

Each FILE holds one JSON object per line, as `tally bench MODE --json`
prints them. Charts written to OUT_DIR (only those the runs have data for):

    throughput.png  operations per second of each run, by mode (expire: of
                    its expiries; reconcile: transfers checked)
    cpu.png         CPU time per operation of each run
    lookups.png     balance lookup latency percentiles, idle and under load
    settle.png      saga settle latency percentiles (log time)
    load.png        settle and record latency p99 against offered load (--rate runs)

A run that lacks a field its mode must have is refused with a message that
names the file, the line, the mode and the field, and nothing is drawn.
"""
import json
import os
import subprocess
import sys
import tempfile

# Per mode: the path of its throughput field and of its CPU-per-operation
# field (None: the mode has none). expire nests its figures under "expire"
# (a run with --skip-expire has no such object and no throughput).
MODES = {
    "transfers": (["transfers_per_second"], ["cpu_us_per_transfer"]),
    "replay": (["commands_per_second"], ["cpu_us_per_command"]),
    "reconcile": (["transfers_per_second"], None),
    "log": (["commands_per_second"], None),
    "expire": (["expire", "expiries_per_second"], ["expire", "cpu_us_per_expiry"]),
}
HEADER = ("mode", "commit", "cpu_model", "cores", "options")


class Refused(Exception):
    pass


def field(run, path, where):
    """run[path[0]][path[1]]...; Refused naming the dotted path when absent."""
    value = run
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise Refused(f"{where}: field \"{'.'.join(path)}\" is missing")
        value = value[key]
    if isinstance(value, bool) or not isinstance(value, (int, float, dict, str, list)):
        raise Refused(f"{where}: field \"{'.'.join(path)}\" is not a number")
    return value


def number(run, path, where):
    v = field(run, path, where)
    if not isinstance(v, (int, float)):
        raise Refused(f"{where}: field \"{'.'.join(path)}\" is not a number")
    return float(v)


def load(files):
    runs = []
    for name in files:
        with open(name, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{name} line {n}"
                try:
                    run = json.loads(line)
                except json.JSONDecodeError as e:
                    raise Refused(f"{where}: not JSON ({e.msg})") from None
                if not isinstance(run, dict):
                    raise Refused(f"{where}: not a JSON object")
                for h in HEADER:
                    field(run, [h], where)
                if not isinstance(run["options"], dict):
                    raise Refused(f"{where}: field \"options\" is not an object")
                runs.append((where + f" (mode {run['mode']})", run))
    if not runs:
        raise Refused("no runs in " + ", ".join(files))
    return runs


def label(run):
    """What tells a run from the others of its mode: its "run" name (e.g.
    same_partition and wallets of a --compare), workload, cross, rate."""
    o = run["options"]
    parts = [run["mode"]]
    if run.get("run"):
        parts.append(str(run["run"]))
    if run["mode"] == "transfers":
        if o.get("workload") and o["workload"] != run.get("run"):
            parts.append(str(o["workload"]))
        if o.get("cross"):
            parts.append(f"cross {o['cross']}")
        if o.get("rate"):
            parts.append(f"at {o['rate']}/s")
    return " ".join(parts).replace('"', "'")


def write_data(tmp, name, rows):
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(" ".join(f'"{c}"' if isinstance(c, str) else repr(c) for c in row) + "\n")
    return path


def common(out, title, ylabel):
    return (f"set terminal pngcairo size 800,500 noenhanced font ',10'\nset output '{out}'\n"
            f"set title \"{title}\"\nset ylabel \"{ylabel}\"\nset grid ytics\nset key top left\n")


def bars(tmp, out, title, ylabel, rows, columns, log=False):
    """A clustered bar chart; `log`: a logarithmic y axis (figures that span decades)."""
    data = write_data(tmp, os.path.basename(out) + ".dat", rows)
    plots = ", ".join(f"'{data}' using {i + 2}:xtic(1) title \"{c}\"" for i, c in enumerate(columns))
    low = min(min(r[1:]) for r in rows)
    yrange = f"set logscale y\nset yrange [{max(low / 2, 1e-9)}:*]\n" if log else "set yrange [0:*]\n"
    return (common(out, title, ylabel) + "set style data histograms\nset style histogram clustered gap 1\n"
            "set style fill solid 0.8 border -1\nset boxwidth 0.9\n" + yrange + "set xtics rotate by -25\n"
            f"plot {plots}\n")


def charts(runs, out_dir, tmp):
    scripts = []
    machine = runs[0][1]
    sub = f"{machine['cpu_model']}, {machine['cores']} cores, commit {machine['commit']}"
    through, cpu, lookups, settle, load = [], [], [], [], []
    for where, run in runs:
        mode = run["mode"]
        if mode not in MODES:
            continue
        tput, cpu_field = MODES[mode]
        if mode == "expire" and run["options"].get("skip-expire") is True:
            tput = cpu_field = None
        if tput:
            through.append((label(run), number(run, tput, where)))
        if cpu_field:
            cpu.append((label(run), number(run, cpu_field, where)))
        for kind in ("lookups_idle", "lookups_under_load"):
            if kind in run:
                lookups.append((label(run) + " " + kind.split("_", 1)[1].replace("_", " "),
                                *(number(run, [kind, p], where) for p in ("p50_us", "p99_us", "p999_us"))))
        if "settle" in run and "log_time_p50_ms" in run["settle"]:
            settle.append((label(run), *(number(run, ["settle", f"log_time_{p}_ms"], where)
                                         for p in ("p50", "p99", "p100"))))
        rate = number(run, ["options", "rate"], where) if mode == "transfers" and "rate" in run["options"] else 0
        if rate:
            latency = number(run, ["record_latency_ms", "p99"], where)
            s = number(run, ["settle", "log_time_p99_ms"], where) if "settle" in run else float("nan")
            load.append((float(rate), latency, s))
    if through:
        scripts.append(bars(tmp, os.path.join(out_dir, "throughput.png"), "Throughput per run (" + sub + ")",
                            "operations per second (log scale)", through, ["per second"], log=True))
    if cpu:
        scripts.append(bars(tmp, os.path.join(out_dir, "cpu.png"), "CPU time per operation (" + sub + ")",
                            "CPU microseconds per operation (log scale)", cpu, ["CPU us"], log=True))
    if lookups:
        scripts.append(bars(tmp, os.path.join(out_dir, "lookups.png"), "Balance lookup latency (" + sub + ")",
                            "microseconds", lookups, ["p50", "p99", "p99.9"]))
    if settle:
        scripts.append(bars(tmp, os.path.join(out_dir, "settle.png"), "Saga settle latency, log time (" + sub + ")",
                            "milliseconds", settle, ["p50", "p99", "p100"]))
    if load:
        load.sort()
        out = os.path.join(out_dir, "load.png")
        data = write_data(tmp, "load.dat", load)
        scripts.append(common(out, "Latency against offered load (" + sub + ")", "p99, milliseconds") +
                       "set xlabel \"offered transfers per second (--rate)\"\nset logscale y\n"
                       f"plot '{data}' using 1:2 with linespoints title \"record latency p99\", "
                       f"'{data}' using 1:3 with linespoints title \"settle p99 (log time)\"\n")
    return scripts


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out_dir, files = sys.argv[1], sys.argv[2:]
    try:
        runs = load(files)
        os.makedirs(out_dir, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            scripts = charts(runs, out_dir, tmp)
            if not scripts:
                raise Refused("none of the runs has figures these charts draw (modes: " + ", ".join(MODES) + ")")
            for script in scripts:
                done = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
                if done.returncode != 0:
                    raise Refused("gnuplot failed: " + done.stderr.strip())
    except Refused as e:
        sys.exit(f"bench_plot.py: {e}")
    except FileNotFoundError as e:
        sys.exit(f"bench_plot.py: {e.filename}: not found" + (" (tools/dev setup installs gnuplot-nox)"
                                                             if e.filename == "gnuplot" else ""))
    for name in sorted(os.listdir(out_dir)):
        if name.endswith(".png"):
            print(os.path.join(out_dir, name))


if __name__ == "__main__":
    main()
