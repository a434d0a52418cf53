"""Notification receivers on loopback for the integration tests
(t_notify.sh, t_leader_hang.sh): python3 notify_rx.py DIR MODE...

One HTTP server per MODE, each on a free port of 127.0.0.1; their ports,
in the order given, are written to DIR/ports (whole, once all listen).
Every POST adds a line to DIR/MODE.count. The modes:
  ok        answers 200; keeps each body as a line of DIR/ok.jsonl, its
            path as the same line of DIR/ok.path, and the body in
            DIR/ok-PATH.jsonl too (PATH without its '/' and query: one
            file per sender when each is given its own path)
  hang      reads the request and never answers
  fail      answers 500
  redirect  answers 302 to the same path, for ever
"""
import http.server
import os
import re
import sys
import threading
import time

out = sys.argv[1]
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        mode = self.server.mode
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock, open(os.path.join(out, mode + ".count"), "a") as f:
            f.write("1\n")
        if mode == "hang":
            time.sleep(3600)  # accepted, read, never answered
            return
        if mode == "ok":
            name = re.sub(r"[^A-Za-z0-9_.-]", "", self.path.split("?")[0])
            with lock:
                with open(os.path.join(out, "ok.jsonl"), "ab") as f:
                    f.write(body + b"\n")
                with open(os.path.join(out, "ok.path"), "a") as f:
                    f.write(self.path + "\n")
                with open(os.path.join(out, "ok-%s.jsonl" % name), "ab") as f:
                    f.write(body + b"\n")
            self.send_response(200)
        elif mode == "fail":
            self.send_response(500)
        else:  # redirect, to itself, for ever
            self.send_response(302)
            self.send_header("Location", self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ports = []
for mode in sys.argv[2:]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.mode = mode
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    ports.append(str(srv.server_address[1]))
with open(os.path.join(out, "ports.tmp"), "w") as f:
    f.write(" ".join(ports) + "\n")
os.rename(os.path.join(out, "ports.tmp"), os.path.join(out, "ports"))
while True:
    time.sleep(3600)
