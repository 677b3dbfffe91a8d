#!/usr/bin/env python3
"""rst-peer.py OUT N -- a tcp peer that resets its first connection.

Listens on 127.0.0.1 (a free port, written to OUT.port once listening).
The first connection: read exactly N lines, then close with SO_LINGER 0,
so the kernel sends a reset (RST) instead of an orderly FIN, and create
OUT.reset.  Later connections: every line is appended to OUT.  Every
line received is appended to OUT (flushed at once).  Exits when OUT.stop
exists and no client is connected, or after 60 seconds.
"""
import os
import socket
import struct
import sys
import time

out, n = sys.argv[1], int(sys.argv[2])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(8)
srv.settimeout(0.05)
with open(out + ".port.tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
os.rename(out + ".port.tmp", out + ".port")
deadline = time.time() + 60
first = True
with open(out, "ab", buffering=0) as sink:
    while time.time() < deadline:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            if os.path.exists(out + ".stop"):
                break
            continue
        conn.settimeout(None)
        limit, first = (n if first else 0), False
        buf, lines = b"", 0
        while True:
            # byte by byte on the first connection: exactly N lines
            data = conn.recv(1 if limit else 65536)
            if not data:
                break
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                sink.write(line + b"\n")
                lines += 1
            if limit and lines >= limit:
                break
        if limit:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
        conn.close()
        if limit:
            open(out + ".reset", "w").close()
