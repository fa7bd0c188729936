# SPDX-License-Identifier: LGPL-2.1-or-later
# The integration tests' serving engine: llama.cpp's llama-server (built by
# scripts/build-llama-server.sh) on a free port of 127.0.0.1, started,
# waited for, killed and restarted; every server a test started dies with it,
# whatever way the test ends.
import atexit
import concurrent.futures
import ctypes
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77  # meson's exit code for a skipped test


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(SKIP)


def find_binary():
    """GEMMA4_LLAMA_SERVER, else the build script's cache, else PATH; None if absent."""
    path = os.environ.get("GEMMA4_LLAMA_SERVER")
    if path:
        return path if os.access(path, os.X_OK) else None
    cache = os.environ.get("GEMMA4_CACHE", os.path.expanduser("~/.cache/gst-gemma4"))
    built = sorted(glob.glob(os.path.join(cache, "llama-server", "*", "llama-server")))
    return built[-1] if built else shutil.which("llama-server")


def require_binary():
    path = find_binary()
    if not path:
        skip("llama-server not found: run scripts/build-llama-server.sh (scripts/test.sh does) "
             "or set GEMMA4_LLAMA_SERVER")
    return path


def free_port():
    """A port of 127.0.0.1 free right now (the server may still lose it to a race:
    LlamaServer.start tries again on another)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    # PR_SET_PDEATHSIG: the server gets SIGKILL when the test process dies,
    # even by SIGKILL from meson's timeout, where atexit never runs.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


_running = []
# The thread every server is started on: PR_SET_PDEATHSIG fires when the
# thread that started the child ends, not the process, and tests restart
# servers from helper threads that end right after (the restarted server
# was killed as soon as it was ready). This one lives as long as the process.
_spawner = concurrent.futures.ThreadPoolExecutor(max_workers=1)


@atexit.register
def _kill_all():
    for server in list(_running):
        server.kill()


def http_json(url, body=None, timeout=60.0):
    """GET (body None) or POST JSON; returns (status, decoded JSON or text)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


class LlamaServer:
    """One llama-server process serving model (and mmproj) on 127.0.0.1."""

    def __init__(self, model, mmproj=None, parallel=2, ctx=4096, threads=1, extra=()):
        self.binary = require_binary()
        self.args = ["-m", model, "-c", str(ctx), "-np", str(parallel), "-t", str(threads),
                     "--no-webui", "--no-warmup", "--seed", "1"]
        if mmproj:
            self.args += ["--mmproj", mmproj]
        self.args += list(extra)
        self.port = None
        self.proc = None
        self.ready_after = 0.0  # seconds the last start took
        self.log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=120.0, port=None):
        """Starts the server (on port, or a free one) and waits until /health says ready."""
        for attempt in range(3):
            self.port = port or free_port()
            self.proc = _spawner.submit(
                subprocess.Popen,
                [self.binary, "--host", "127.0.0.1", "--port", str(self.port)] + self.args,
                stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent).result()
            _running.append(self)
            started = time.monotonic()
            if self._wait_ready(timeout):
                self.ready_after = time.monotonic() - started
                return self
            self.kill()
            if port or "bind" not in self.log_tail().lower():
                break
        raise RuntimeError(f"llama-server did not become ready on {self.url}:\n{self.log_tail()}")

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                status, _ = http_json(self.url + "/health", timeout=2.0)
                if status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def kill(self):
        """SIGKILL: the way a crashed or unplugged server goes away."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self in _running:
            _running.remove(self)

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def restart(self, timeout=120.0):
        """Back on the same port, as a restarted service would be."""
        self.kill()
        return self.start(timeout, port=self.port)

    def log_tail(self, n=40):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return "".join(f.readlines()[-n:])

    def chat(self, messages, **params):
        body = {"messages": messages, "temperature": 0, "seed": 1}
        body.update(params)
        return http_json(self.url + "/v1/chat/completions", body)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            print(f"llama-server log ({self.log.name}):\n{self.log_tail()}")
        self.stop()
        os.unlink(self.log.name)
        return False
