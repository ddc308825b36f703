#!/usr/bin/env python3
"""Runs every command block of README.md and docs/*.md marked runnable, so
the docs cannot drift from what the commands do (docs/testing.md "Docs that
run").

A runnable block is a fenced block whose opening fence line directly follows
a line `<!-- runnable -->`. Each block runs on its own with
`bash -euo pipefail` in a fresh temporary directory that holds `docs` and
`README.md` (links into the source tree), with the built `tally` first on
PATH; it must exit 0 within 120 s. Relative paths in a block therefore stay
inside that directory.

Usage: run_blocks.py SOURCE_ROOT TALLY_BINARY
"""
import os
import pathlib
import subprocess
import sys
import tempfile

MARK = "<!-- runnable -->"


def blocks(path):
    """(line number, text) of each runnable block in `path`."""
    lines = path.read_text(encoding="utf-8").split("\n")
    out = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == MARK:
            if i + 1 >= len(lines) or not lines[i + 1].startswith("```"):
                raise SystemExit(f"{path}:{i + 1}: {MARK} must be followed by a fenced block")
            start = i + 2
            end = start
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            if end == len(lines):
                raise SystemExit(f"{path}:{i + 2}: the runnable block is never closed")
            out.append((start, "\n".join(lines[start:end]) + "\n"))
            i = end
        i += 1
    return out


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    tally = pathlib.Path(sys.argv[2]).resolve()
    files = [root / "README.md"] + sorted((root / "docs").glob("*.md"))
    found = [(f, line, text) for f in files for (line, text) in blocks(f)]
    if not found:
        print("no runnable blocks found: the marker or this script is broken")
        print("[doctest] test cases: 1 | 0 passed | 1 failed | 0 skipped")
        return 1
    env = dict(os.environ, PATH=f"{tally.parent}:{os.environ.get('PATH', '')}")
    failed = 0
    for f, line, text in found:
        where = f"{f.relative_to(root)}:{line}"
        with tempfile.TemporaryDirectory(prefix="tally-docs-") as cwd:
            os.symlink(root / "docs", pathlib.Path(cwd) / "docs")
            os.symlink(root / "README.md", pathlib.Path(cwd) / "README.md")
            try:
                r = subprocess.run(["bash", "-euo", "pipefail", "-c", text], cwd=cwd, env=env,
                                   capture_output=True, text=True, timeout=120)
                rc, output = r.returncode, r.stdout + r.stderr
            except subprocess.TimeoutExpired as e:
                rc, output = "timeout", (e.stdout or b"").decode() + (e.stderr or b"").decode()
        if rc == 0:
            print(f"ok   {where}")
        else:
            failed += 1
            print(f"FAIL {where} (exit {rc})\n--- block\n{text}--- output\n{output}---")
    print(f"{len(found) - failed} of {len(found)} runnable blocks passed")
    # The summary tools/dev test counts (one test case per block), in
    # doctest's words, as every test binary of the suite prints it.
    print(f"[doctest] test cases: {len(found)} | {len(found) - failed} passed | {failed} failed | 0 skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
