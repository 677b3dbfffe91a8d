#!/usr/bin/env python3
"""gen.py -- the load for "make soak" (tests/soak/run).

    gen.py DIR PORT SECONDS RATE

Writes RATE events a second for SECONDS, half appended to DIR/follow.ndjson
(renamed away and recreated every 7 seconds, as logrotate does) and half
sent over 4 TCP connections to 127.0.0.1:PORT.  About 5% of the events
repeat the id of a recent one (dedup must drop them) and 1% of the lines
are not JSON (they must be rejected).  Records what must come out:
DIR/expected.ndjson (each unique event, byte for byte), and the counts in
DIR/counts.json.
"""
import json
import os
import random
import socket
import sys
import time


def main():
    d, port, seconds, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    rnd = random.Random(42)
    path = os.path.join(d, "follow.ndjson")
    f = open(path, "ab", buffering=0)
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
    expected = open(os.path.join(d, "expected.ndjson"), "wb")
    counts = {"sent": 0, "unique": 0, "dups": 0, "invalid": 0, "rotations": 0}
    recent = []
    seq = 0
    start = time.monotonic()
    last_rot = start
    tick = 0.02
    per_tick = max(1, int(rate * tick))
    while True:
        now = time.monotonic()
        if now - start >= seconds:
            break
        if now - last_rot >= 7:
            f.close()
            os.rename(path, path + ".%d" % counts["rotations"])
            f = open(path, "ab", buffering=0)
            counts["rotations"] += 1
            last_rot = now
        file_lines, sock_lines = [], [[] for _ in socks]
        for _ in range(per_tick):
            seq += 1
            r = rnd.random()
            if r < 0.01:
                line = b'{"id": broken ' + str(seq).encode() + b"\n"
                counts["invalid"] += 1
            elif r < 0.06 and recent:
                ev = rnd.choice(recent)
                line = ev + b"\n"
                counts["dups"] += 1
            else:
                ev = json.dumps({"id": "e%09d" % seq, "seq": seq,
                                 "type": rnd.choice(["a", "b", "c"]),
                                 "pad": "x" * rnd.randint(10, 300)},
                                separators=(",", ":")).encode()
                line = ev + b"\n"
                expected.write(line)
                counts["unique"] += 1
                recent.append(ev)
                if len(recent) > 500:
                    recent.pop(0)
            counts["sent"] += 1
            if seq % 2:
                file_lines.append(line)
            else:
                sock_lines[seq % len(socks)].append(line)
        if file_lines:
            f.write(b"".join(file_lines))
        for s, lines in zip(socks, sock_lines):
            if lines:
                s.sendall(b"".join(lines))
        sleep = start + (seq / rate) - time.monotonic()
        if sleep > 0:
            time.sleep(sleep)
    f.close()
    for s in socks:
        s.close()
    expected.close()
    with open(os.path.join(d, "counts.json"), "w") as c:
        json.dump(counts, c)


if __name__ == "__main__":
    main()
