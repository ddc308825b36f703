#!/usr/bin/env python3
"""Follows one partition of Tally's change stream (docs/events.md) over
Server-Sent Events, with nothing but Python's standard library.

    subscribe.py http://127.0.0.1:8080 PARTITION [--cursor-file FILE]
                 [--api-key KEY] [--idle-exit SECONDS]

Prints each event as one line of JSON on stdout, in log order. With
--cursor-file it resumes from the cursor saved there and saves the cursor
after each event it printed (written to a temporary file, then renamed), so
a subscriber killed at any moment starts again where it stopped: at most the
one event printed before the save is printed again, with the same "cursor"
(dedupe by it). --idle-exit stops after that many seconds without an event
(for scripts and tests); without it the subscriber runs until interrupted.
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request


def read_cursor(path):
    if path and os.path.exists(path):
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    return ""


def save_cursor(path, cursor):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(cursor)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def sse_messages(lines):
    """(id, data) for each message of an SSE body; comments and retry skipped."""
    event_id, data = "", []
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\n")
        if not line:
            if data:
                yield event_id, "\n".join(data)
            event_id, data = "", []
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])


def one_page(base, partition, cursor, api_key):
    """The events of one page (a list of (id, data)); raises on an error answer."""
    url = f"{base}/v1/events?partition={partition}&wait_ms=1000&limit=1000"
    req = urllib.request.Request(url, headers={"Accept": "text/event-stream"})
    if cursor:
        req.add_header("Last-Event-ID", cursor)
    if api_key:
        req.add_header("Authorization", "Bearer " + api_key)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return list(sse_messages(resp))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("base", help="the serve's address, e.g. http://127.0.0.1:8080")
    ap.add_argument("partition", type=int)
    ap.add_argument("--cursor-file")
    ap.add_argument("--api-key")
    ap.add_argument("--idle-exit", type=float)
    args = ap.parse_args()
    cursor = read_cursor(args.cursor_file)
    last_event = time.monotonic()
    while True:
        try:
            page = one_page(args.base.rstrip("/"), args.partition, cursor, args.api_key)
        except urllib.error.HTTPError as e:
            body = e.read().decode("utf-8", "replace")
            if e.code == 410:
                sys.exit(f"subscribe.py: the cursor {cursor} has expired: {body}")
            if e.code in (429, 503):
                time.sleep(float(e.headers.get("Retry-After", "1")))
                continue
            sys.exit(f"subscribe.py: HTTP {e.code}: {body}")
        except (urllib.error.URLError, ConnectionError) as e:
            print(f"subscribe.py: {e}; retrying", file=sys.stderr)
            time.sleep(1)
            continue
        for event_id, data in page:
            print(data, flush=True)
            cursor = event_id
            if args.cursor_file:
                save_cursor(args.cursor_file, cursor)
        if page:
            last_event = time.monotonic()
        elif args.idle_exit is not None and time.monotonic() - last_event > args.idle_exit:
            return


if __name__ == "__main__":
    main()
