#!/usr/bin/env python3
"""tools/bench_plot.py on saved `tally bench --json` runs (runs.jsonl, kept
from a `tools/dev bench record`, plus a small reconcile and expire run, whose
figures expire nests): the charts appear and are PNG images of
the promised size; a run missing a field is refused with a message naming
the file, the line, the mode and the field, and draws nothing; no field of
a saved run, removed or of the wrong type, gets a traceback.

Usage: bench_plot_test.py SOURCE_ROOT. Exits 77 (skipped) only when
gnuplot is not installed (tools/dev setup installs gnuplot-nox).
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

root = sys.argv[1]
script = os.path.join(root, "tools", "bench_plot.py")
runs = os.path.join(root, "tests", "bench_plot", "runs.jsonl")
checks = {"passed": 0, "failed": 0}


def check(ok, what):
    checks["passed" if ok else "failed"] += 1
    if not ok:
        print("FAILED:", what)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


if shutil.which("gnuplot") is None:
    print("gnuplot is not installed (tools/dev setup installs gnuplot-nox): skipped")
    sys.exit(77)

with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "charts")
    done = subprocess.run([sys.executable, script, out, runs], capture_output=True, text=True)
    check(done.returncode == 0, f"plot exits 0 (stderr: {done.stderr})")
    for chart in ("throughput", "cpu", "lookups", "settle", "load"):
        path = os.path.join(out, chart + ".png")
        check(os.path.exists(path), f"{chart}.png is drawn")
        if os.path.exists(path):
            check(png_size(path) == (800, 500), f"{chart}.png is an 800x500 PNG, got {png_size(path)}")
            check(path in done.stdout.split(), f"{chart}.png is listed on stdout")

    # One run without its throughput: refused, naming it, nothing drawn.
    lines = open(runs, encoding="utf-8").read().splitlines()
    first = json.loads(lines[0])
    del first["transfers_per_second"]
    broken = os.path.join(tmp, "broken.jsonl")
    with open(broken, "w", encoding="utf-8") as f:
        f.write("\n".join([lines[1], json.dumps(first)]) + "\n")
    out2 = os.path.join(tmp, "charts2")
    done = subprocess.run([sys.executable, script, out2, broken], capture_output=True, text=True)
    check(done.returncode != 0, "a run missing a field is refused")
    check(f"{broken} line 2 (mode transfers): field \"transfers_per_second\" is missing" in done.stderr,
          f"the refusal names file, line, mode and field: {done.stderr!r}")
    check("Traceback" not in done.stderr, "no traceback")
    check(not os.path.exists(out2) or not os.listdir(out2), "nothing drawn")

    # A nested field: the lookups' p99 of an idle run.
    nested = json.loads(lines[0])
    del nested["lookups_idle"]["p99_us"]
    with open(broken, "w", encoding="utf-8") as f:
        f.write(json.dumps(nested) + "\n")
    done = subprocess.run([sys.executable, script, out2, broken], capture_output=True, text=True)
    check("field \"lookups_idle.p99_us\" is missing" in done.stderr, f"nested fields are named: {done.stderr!r}")

# Every field of every saved run, removed or made a string in turn: the
# script either draws or refuses with a message; it never raises anything
# else (a traceback). In-process, gnuplot is not run for this sweep.
sys.path.insert(0, os.path.join(root, "tools"))
import bench_plot  # noqa: E402


def paths(value, prefix=()):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield prefix + (key,)
            yield from paths(inner, prefix + (key,))


def mutated(run, path, how):
    copy = json.loads(json.dumps(run))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if how == "removed":
        del parent[path[-1]]
    else:
        parent[path[-1]] = "x"
    return copy


escaped = []
with tempfile.TemporaryDirectory() as tmp:
    one = os.path.join(tmp, "one.jsonl")
    for line in open(runs, encoding="utf-8").read().splitlines():
        run = json.loads(line)
        for path in paths(run):
            for how in ("removed", "a string"):
                with open(one, "w", encoding="utf-8") as f:
                    f.write(json.dumps(mutated(run, path, how)) + "\n")
                try:
                    bench_plot.charts(bench_plot.load([one]), tmp, tmp)
                except bench_plot.Refused:
                    pass
                except Exception as e:  # what the script would show as a traceback
                    escaped.append(f"{run['mode']} {'.'.join(path)} {how}: {type(e).__name__}: {e}")
check(not escaped, f"every bad field is refused with a message, not a traceback: {escaped[:5]}")

total = checks["passed"] + checks["failed"]
print(f"[doctest] test cases: 1 | {1 if checks['failed'] == 0 else 0} passed | {1 if checks['failed'] else 0} failed")
print(f"[doctest] assertions: {total} | {checks['passed']} passed | {checks['failed']} failed |")
sys.exit(1 if checks["failed"] else 0)
