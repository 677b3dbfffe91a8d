#!/usr/bin/env python3
"""Clients for tests/73-listen.bats.

listen-clients.py load URL CLIENTS EVENTS
    CLIENTS concurrent clients of URL (tcp://HOST:PORT or unix:PATH) each
    send EVENTS events {"c":C,"n":N,"pad":...}, cut into chunks of random
    sizes (so lines are split across writes and interleave with the other
    clients' partial lines), then close.
listen-clients.py check OUT CLIENTS EVENTS
    OUT holds every (c, n) exactly once, every line intact, and each
    client's events in the order it sent them.  Prints "ok TOTAL".
listen-clients.py send URL [DATAGRAM...]
    tcp/unix: send standard input, then close.  udp://HOST:PORT: send
    each argument as one datagram (backslash escapes such as \\n work).
listen-clients.py hold URL
    Connect and report on stdout what the server did: "closed" if it
    closed the connection at once, "open" if it was still open after
    one second.
"""
import json
import random
import socket
import sys
import threading
import time


def connect(url):
    if url.startswith("tcp://"):
        host, port = url[6:].rsplit(":", 1)
        return socket.create_connection((host.strip("[]"), int(port)))
    if url.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(url[5:])
        return s
    sys.exit("bad url " + url)


def client(url, c, events, errors):
    try:
        rnd = random.Random(c)
        data = b"".join(
            json.dumps({"c": c, "n": n, "pad": "p" * rnd.randrange(0, 60)},
                       separators=(",", ":")).encode() + b"\n"
            for n in range(1, events + 1))
        s = connect(url)
        off = 0
        while off < len(data):
            k = rnd.randrange(1, 8192)
            s.sendall(data[off:off + k])
            off += k
            if rnd.random() < 0.01:
                time.sleep(0.001)
        s.close()
    except Exception as e:  # reported by the main thread
        errors.append("client %d: %s" % (c, e))


def load(url, clients, events):
    errors = []
    threads = [threading.Thread(target=client, args=(url, c, events, errors))
               for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit("\n".join(errors))


def check(out, clients, events):
    last = {}
    total = 0
    with open(out, "rb") as f:
        for i, raw in enumerate(f, 1):
            try:
                ev = json.loads(raw)
                c, n = ev["c"], ev["n"]
            except Exception:
                sys.exit("line %d is not intact: %r" % (i, raw[:100]))
            if n != last.get(c, 0) + 1:
                sys.exit("client %d: event %d after %d" %
                         (c, n, last.get(c, 0)))
            last[c] = n
            total += 1
    for c in range(clients):
        if last.get(c, 0) != events:
            sys.exit("client %d: %d of %d events" %
                     (c, last.get(c, 0), events))
    print("ok %d" % total)


def send(url, datagrams):
    if url.startswith("udp://"):
        host, port = url[6:].rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for d in datagrams:
            s.sendto(d.encode().decode("unicode_escape").encode("latin-1"),
                     (host, int(port)))
        return
    s = connect(url)
    s.sendall(sys.stdin.buffer.read())
    s.close()


def hold(url):
    s = connect(url)
    s.settimeout(1.0)
    try:
        print("closed" if s.recv(1) == b"" else "data")
    except socket.timeout:
        print("open")
    except ConnectionResetError:
        print("closed")


def main():
    cmd = sys.argv[1]
    if cmd == "load":
        load(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "check":
        check(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "send":
        send(sys.argv[2], sys.argv[3:])
    elif cmd == "hold":
        hold(sys.argv[2])
    else:
        sys.exit(__doc__)


main()
