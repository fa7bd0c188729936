# SPDX-License-Identifier: LGPL-2.1-or-later
# A tiny HTTP server for tests/pull/test_pull.sh, bound to 127.0.0.1 only.
# Serves the files of one directory under four path prefixes (modes):
#   /ok/NAME     normal, with Range support and the sha256 as X-Linked-Etag
#   /cut/NAME    the first GET of NAME stops after CUT bytes, then normal
#   /missing/NAME  404
#   /bad/NAME    other bytes of the same length, with the true sha256
#   /hf/NAME     a 302 to /ok/NAME carrying X-Linked-Size and X-Linked-Etag,
#                as Hugging Face answers for a large (LFS) file
# Usage: serve.py DIR PORT_FILE LOG_FILE CUT LIFETIME_S
import hashlib
import http.server
import os
import sys
import threading

root, port_file, log_file = sys.argv[1], sys.argv[2], sys.argv[3]
cut_at, lifetime = int(sys.argv[4]), float(sys.argv[5])
cut_done = set()
lock = threading.Lock()


def log(line):
    with lock, open(log_file, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def resolve(self):
        parts = self.path.split("/")
        if len(parts) != 3 or parts[1] not in ("ok", "cut", "missing", "bad", "hf"):
            return None, None
        path = os.path.join(root, os.path.basename(parts[2]))
        if parts[1] == "missing" or not os.path.isfile(path):
            return parts[1], None
        with open(path, "rb") as f:
            data = f.read()
        return parts[1], data

    def head_or_get(self, send_body):
        rng = self.headers.get("Range", "")
        log(f"{self.command} {self.path} Range={rng or '-'}")
        mode, data = self.resolve()
        if data is None:
            self.send_error(404, "Entry not found")
            return
        sha = hashlib.sha256(data).hexdigest()
        if mode == "hf":
            self.send_response(302)
            self.send_header("Location", "/ok/" + self.path.split("/")[2])
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "bad":
            data = bytes(b ^ 0x5A for b in data)
        start = 0
        if rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                self.send_error(416, "Range not satisfiable")
                return
        body = data[start:]
        self.send_response(206 if start else 200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Linked-Etag", f'"{sha}"')
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if not send_body:
            return
        with lock:
            cut = mode == "cut" and self.path not in cut_done
            cut_done.add(self.path)
        if cut:
            self.wfile.write(body[:cut_at])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def do_HEAD(self):
        self.head_or_get(False)

    def do_GET(self):
        self.head_or_get(True)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
# never outlive a test that forgot to stop us
threading.Timer(lifetime, server.shutdown).start()
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
