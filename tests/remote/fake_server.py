#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A fault-injecting OpenAI-compatible server on 127.0.0.1 for the
backend=openai tests (standard library only).

usage: fake_server.py NAME [MODE] [ARG] [PORT]

Prints "PORT <n>" once it listens (on PORT, default any free one) and
stops when its standard input closes. GET /health, GET /v1/models and
POST /v1/chat/completions behave as MODE says; GET /control?mode=M&arg=A
switches the mode, GET /control/stats returns what was asked so far
({"chat": n, "health": n, "models": n, "last": the last chat body,
"open": chats not answered yet, "closed": chats the client left before
their answer, "most_open": the most chats open at once}). GET /control/gone
makes the server go away at once (it stops listening, and requests on
connections already open are closed unanswered) and returns the stats of
that moment, which are then final.

Modes (ARG in parentheses):
  ok          canned SSE completions: "hello from NAME", or when the request
              has a response_format the last label of a string enum as JSON
              (classification), else a box list; reasoning_content first
              when thinking is on
  e500        chat answers 500
  e429        the first ARG (1) chats answer 429 with Retry-After: 1
  loading     /health and chat answer 503 for ARG (1.5) seconds from start
  slow        chat waits ARG (3) seconds before its first byte
  numbered    chat n (from 1) answers "answer T" after ARG (1) seconds times
              (4 - (n - 1) % 4) / 4 (of each 4 requests at once, the last
              is answered first), T the first mm:ss time stamp of the
              request's messages (gemma4caption's frame times), else n
  trickle     as ok, ARG (0.3) seconds between the answer's chunks
  reset       chat sends one SSE chunk, then resets the connection
  malformed   chat sends an SSE chunk that is not JSON
  huge        chat streams 100 MB of valid chunks
  wrongtype   chat answers 200 with text/html
  hang        nothing answers, not even /health (the connection stays open)
  hangchat    /health and /v1/models answer, chat never does
  auth        chat wants "Authorization: Bearer ARG", else 401
"""
import json
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

NAME = sys.argv[1] if len(sys.argv) > 1 else 'fake'
STATE = {'mode': sys.argv[2] if len(sys.argv) > 2 else 'ok',
         'arg': sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None,
         'start': time.monotonic(), 'chat': 0, 'health': 0, 'models': 0,
         'last': None, 'open': 0, 'closed': 0, 'most_open': 0}
LOCK = threading.Lock()
STOP = threading.Event()
GONE = threading.Event()


def arg(default):
    return type(default)(STATE['arg']) if STATE['arg'] is not None else default


def chunk(delta=None, finish=None, usage=None):
    c = {'id': 'chatcmpl-test', 'object': 'chat.completion.chunk',
         'model': 'fake-gemma4', 'choices': []}
    if delta is not None or finish is not None:
        c['choices'] = [{'index': 0, 'delta': delta or {},
                         'finish_reason': finish}]
    if usage is not None:
        c['usage'] = usage
    return 'data: %s\n\n' % json.dumps(c)


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def send_plain(self, status, body, ctype='application/json', extra=None):
        data = body.encode()
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def hang(self, chat=False):
        # keep the connection open, answer nothing, until the client leaves
        self.connection.settimeout(0.2)
        while not STOP.is_set():
            try:
                if self.connection.recv(4096) == b'':
                    break
            except socket.timeout:
                continue
            except OSError:
                break
        if chat and not STOP.is_set():
            with LOCK:
                STATE['closed'] += 1
        self.close_connection = True

    def loading(self):
        return (STATE['mode'] == 'loading'
                and time.monotonic() - STATE['start'] < arg(1.5))

    def gone(self):
        """True (the connection closed, nothing answered) once gone."""
        if GONE.is_set():
            self.close_connection = True
            return True
        return False

    def do_GET(self):
        url = urlparse(self.path)
        if self.gone():
            return
        if url.path == '/control/gone':
            with LOCK:
                GONE.set()
                s = {k: STATE[k] for k in ('chat', 'health', 'models',
                                           'open', 'closed', 'most_open')}
            self.server.shutdown()
            self.server.server_close()
            self.close_connection = True
            return self.send_plain(200, json.dumps(s))
        if url.path == '/control':
            q = parse_qs(url.query)
            with LOCK:
                STATE['mode'] = q.get('mode', [STATE['mode']])[0]
                STATE['arg'] = q.get('arg', [None])[0]
                STATE['start'] = time.monotonic()
            return self.send_plain(200, '{}')
        if url.path == '/control/stats':
            with LOCK:
                s = {k: STATE[k] for k in ('chat', 'health', 'models', 'last',
                                           'open', 'closed', 'most_open')}
            return self.send_plain(200, json.dumps(s))
        if STATE['mode'] == 'hang':
            return self.hang()
        if url.path == '/health':
            with LOCK:
                STATE['health'] += 1
            if self.loading():
                return self.send_plain(503, '{"error":{"message":"Loading model"}}')
            return self.send_plain(200, '{"status":"ok"}')
        if url.path == '/v1/models':
            with LOCK:
                STATE['models'] += 1
            if self.loading():
                return self.send_plain(503, '{"error":{"message":"Loading model"}}')
            return self.send_plain(200, json.dumps({'object': 'list', 'data': [
                {'id': 'fake-gemma4', 'object': 'model', 'owned_by': NAME}]}))
        self.send_plain(404, '{"error":"not found"}')

    def start_sse(self):
        self.send_response(200)
        self.send_header('Content-Type', 'text/event-stream')
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()

    def sse(self, text):
        data = text.encode()
        self.wfile.write(b'%x\r\n%s\r\n' % (len(data), data))
        self.wfile.flush()

    def end_sse(self):
        self.wfile.write(b'0\r\n\r\n')
        self.wfile.flush()

    def do_POST(self):
        n = int(self.headers.get('Content-Length', '0'))
        raw = self.rfile.read(n)
        if urlparse(self.path).path != '/v1/chat/completions':
            return self.send_plain(404, '{"error":"not found"}')
        try:
            body = json.loads(raw)
        except ValueError:
            return self.send_plain(400, '{"error":"bad json"}')
        with LOCK:
            if self.gone():
                return
            STATE['chat'] += 1
            STATE['last'] = body
            count = STATE['chat']
            STATE['open'] += 1
            STATE['most_open'] = max(STATE['most_open'], STATE['open'])
        try:
            self.chat(body, count)
        finally:
            with LOCK:
                STATE['open'] -= 1

    def chat(self, body, count):
        mode = STATE['mode']
        if mode in ('hang', 'hangchat'):
            return self.hang(chat=True)
        if mode == 'e500':
            return self.send_plain(500, '{"error":{"message":"internal"}}')
        if mode == 'e429' and count <= arg(1):
            return self.send_plain(429, '{"error":"busy"}',
                                   extra={'Retry-After': '1'})
        if self.loading():
            return self.send_plain(503, '{"error":{"message":"Loading model"}}')
        if mode == 'auth' and self.headers.get('Authorization') != 'Bearer ' + arg(''):
            return self.send_plain(401, '{"error":"unauthorized"}')
        if mode == 'slow':
            if STOP.wait(arg(3.0)):
                return
        if mode == 'numbered':
            if STOP.wait(arg(1.0) * (4 - (count - 1) % 4) / 4):
                return
        if mode == 'wrongtype':
            return self.send_plain(200, '<html>hello</html>', 'text/html')
        self.start_sse()
        self.sse(chunk({'role': 'assistant'}))
        if mode == 'reset':
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack('ii', 1, 0))
            self.sse(chunk({'content': 'cut '}))
            self.connection.close()
            self.close_connection = True
            return
        if mode == 'malformed':
            self.sse('data: {"choices": [{"delta": {"content": "x"\n\n')
            self.end_sse()
            return
        if mode == 'huge':
            piece = chunk({'content': 'x' * 4000})
            try:
                for _ in range(100 * 1000 * 1000 // len(piece)):
                    self.sse(piece)
            except OSError:
                pass
            self.close_connection = True
            return
        kwargs = body.get('chat_template_kwargs', {})
        if kwargs.get('enable_thinking'):
            self.sse(chunk({'reasoning_content': 'let me think'}))
        schema = body.get('response_format', {}).get('json_schema', {}).get('schema', {})
        if schema.get('type') == 'string' and schema.get('enum'):
            answer = json.dumps(schema['enum'][-1])
        elif 'response_format' in body:
            answer = '[{"box_2d": [100, 200, 500, 600], "label": "cat"}]'
        elif mode == 'numbered':
            stamp = re.search(r'\b\d\d:\d\d\b', json.dumps(body['messages']))
            answer = 'answer %s' % (stamp.group(0) if stamp else count)
        else:
            answer = 'hello from %s' % NAME
        for i in range(0, len(answer), 6):
            if mode == 'trickle' and i and STOP.wait(arg(0.3)):
                return
            self.sse(chunk({'content': answer[i:i + 6]}))
        self.sse(chunk(finish='stop'))
        self.sse(chunk(usage={'prompt_tokens': 10, 'completion_tokens': 7,
                              'total_tokens': 17}))
        self.sse('data: [DONE]\n\n')
        self.end_sse()


def main():
    port = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else 0
    server = ThreadingHTTPServer(('127.0.0.1', port), Handler)
    server.daemon_threads = True
    print('PORT %d' % server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    STOP.set()
    server.shutdown()


if __name__ == '__main__':
    main()
