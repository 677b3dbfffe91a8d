#!/usr/bin/env python3
"""http-sink.py -- the HTTP server of tests/85-http-target*.bats.

Listens on 127.0.0.1 (port 0: the kernel picks one, written to
--port-file once the server listens), takes POST requests and answers
them as --script says, one word per request in the order they arrive:

  200, 400, 500, ...   that status (a short JSON body saying so)
  429:N, 503:N         that status with "Retry-After: N"
  close                the status line and half a body, then the
                       connection is closed mid-response
  hang                 no answer for 60 s (past the client's timeout)

then --default (200) for every later request.  Each request is logged to
--log as one JSON line: n, path, query, status, client port, content
type and encoding, header names and values (lower case), body bytes,
events (NDJSON lines, or array elements) and whether a gzip body
inflated.  The body of every request answered 2xx is appended to --out
as NDJSON (array elements one a line, as JSON.dumps writes them).  With
--tls CERT KEY it speaks HTTPS.
"""
import argparse
import gzip
import json
import os
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--script", default="")
    ap.add_argument("--default", default="200")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = ap.parse_args()

    script = args.script.split()
    lock = threading.Lock()
    state = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def do_POST(self):
            n_bytes = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n_bytes)
            with lock:
                state["n"] += 1
                n = state["n"]
                word = script.pop(0) if script else args.default
            enc = self.headers.get("Content-Encoding", "")
            ctype = self.headers.get("Content-Type", "")
            gzip_ok = None
            body = raw
            if enc == "gzip":
                try:
                    body = gzip.decompress(raw)
                    gzip_ok = True
                except (OSError, EOFError):
                    gzip_ok = False
            lines = []
            if gzip_ok is not False:
                if ctype == "application/json":
                    try:
                        lines = [json.dumps(e, separators=(",", ":"),
                                            ensure_ascii=False).encode()
                                 for e in json.loads(body)]
                    except ValueError:
                        lines = None
                else:
                    lines = body.split(b"\n")
                    if lines and lines[-1] == b"":
                        lines.pop()
            path, _, query = self.path.partition("?")
            status = word.split(":")[0]
            rec = {
                "n": n, "path": path, "query": query, "answer": word,
                "port": self.client_address[1], "content_type": ctype,
                "content_encoding": enc, "bytes": len(raw),
                "events": None if lines is None else len(lines),
                "gzip_ok": gzip_ok,
                "headers": {k.lower(): v for k, v in self.headers.items()},
            }
            with lock:
                with open(args.log, "a") as f:
                    f.write(json.dumps(rec) + "\n")
                if status.isdigit() and status.startswith("2") and lines:
                    with open(args.out, "ab") as f:
                        f.write(b"".join(x + b"\n" for x in lines))
            if word == "hang":
                time.sleep(60)
                self.close_connection = True
                return
            if word == "close":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: "
                                 b"100\r\n\r\n{\"half\":")
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            code = int(status)
            text = json.dumps({"status": code, "request": n}).encode()
            self.send_response(code)
            if ":" in word:
                self.send_header("Retry-After", word.split(":")[1])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
