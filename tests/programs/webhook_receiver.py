#!/usr/bin/env python3
"""A webhook receiver for the webhook tests: a real HTTP server on loopback
that verifies each delivery's signature on its own (Python's hmac, not
Tally's code) and behaves as the file MODE_FILE says at each request:

    ok      answer 200
    fail    answer 500
    stall   wait 3 s, then answer 200 (past the sender's timeout)

    webhook_receiver.py SECRET MODE_FILE LOG_FILE

Prints "listening PORT" once ready. Appends one JSON line per request to
LOG_FILE: {"id","event","timestamp","signature_ok","answered","body"}.
"""
import hashlib
import hmac
import http.server
import json
import sys
import time

SECRET, MODE_FILE, LOG_FILE = sys.argv[1].encode(), sys.argv[2], sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ts = self.headers.get("Tally-Webhook-Timestamp", "")
        sig = self.headers.get("Tally-Webhook-Signature", "")
        want = "v1=" + hmac.new(SECRET, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        with open(MODE_FILE, encoding="ascii") as f:
            mode = f.read().strip()
        if mode == "stall":
            time.sleep(3)
        status = 500 if mode == "fail" else 200
        fresh = ts.isdigit() and abs(time.time() - int(ts)) < 300
        entry = {"id": self.headers.get("Tally-Webhook-Id", ""), "event": self.headers.get("Tally-Webhook-Event", ""),
                 "signature_ok": hmac.compare_digest(sig, want) and fresh, "answered": status,
                 "path": self.path, "body": body.decode()}
        with open(LOG_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        reply = b"{}"
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender gave up waiting (stall)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("listening", server.server_address[1], flush=True)
server.serve_forever()
