#!/usr/bin/env python3
"""Writers and checkers for tests/71-follow.bats.

follow-writer.py write MODE PATH TOTAL EVERY [OUT]
    Append TOTAL events {"n":1..TOTAL,...} to PATH, each line in two
    writes (so a reader sees partial lines), rotating every EVERY lines:
      plain         no rotation; a short pause every EVERY lines
      rename        wait until OUT holds every line written so far,
                    rename PATH to PATH.K, write 5 more lines to the old
                    file (a writer that has not reopened yet), then
                    create PATH again and write there
      copytruncate  wait until OUT holds every line written so far (the
                    reader caught up), copy PATH to PATH.K, truncate PATH
                    in place and go on writing at its start
follow-writer.py check OUT TOTAL [dups]
    Every n in 1..TOTAL is in OUT; without "dups" each exactly once, with
    "dups" at least once and the duplicated ones form one run of
    consecutive numbers (the window a checkpoint had not covered).
    Prints "ok N" or the problem, exits 1 on a problem.
"""
import json
import os
import shutil
import sys
import time


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def wait_for(path, n, limit=30.0):
    end = time.monotonic() + limit
    while count_lines(path) < n:
        if time.monotonic() > end:
            sys.exit("writer: reader did not catch up: %d < %d" %
                     (count_lines(path), n))
        time.sleep(0.02)


def write(mode, path, total, every, out=None):
    """plain and copytruncate modes."""
    f = open(path, "ab", buffering=0)
    k = 0
    for n in range(1, total + 1):
        line = json.dumps({"n": n, "pad": "x" * (n % 37)}).encode() + b"\n"
        cut = len(line) // 2
        f.write(line[:cut])
        f.write(line[cut:])
        if n % every or n == total:
            continue
        k += 1
        if mode == "plain":
            time.sleep(0.01)
        elif mode == "copytruncate":
            wait_for(out, n)
            shutil.copyfile(path, "%s.%d" % (path, k))
            os.truncate(path, 0)
    f.close()


def write_rename(path, total, every, out):
    """rename mode, with lines written to the old file after the rename."""
    f = open(path, "ab", buffering=0)
    k = 0
    n = 0
    while n < total:
        n += 1
        line = json.dumps({"n": n, "pad": "x" * (n % 37)}).encode() + b"\n"
        cut = len(line) // 2
        f.write(line[:cut])
        f.write(line[cut:])
        if n % every == 0 and n < total:
            k += 1
            wait_for(out, n)
            os.rename(path, "%s.%d" % (path, k))
            for _ in range(5):
                if n == total:
                    break
                n += 1
                f.write(json.dumps({"n": n, "late": True}).encode() + b"\n")
            f.close()
            f = open(path, "ab", buffering=0)
    f.close()


def check(out, total, dups):
    seen = {}
    with open(out, "rb") as f:
        for raw in f:
            ev = json.loads(raw)
            seen[ev["n"]] = seen.get(ev["n"], 0) + 1
    missing = [n for n in range(1, total + 1) if n not in seen]
    extra = sorted(n for n in seen if n < 1 or n > total)
    twice = sorted(n for n, c in seen.items() if c > 1)
    if missing:
        sys.exit("missing %d lines, first %s" % (len(missing), missing[:5]))
    if extra:
        sys.exit("unexpected lines %s" % extra[:5])
    if twice and not dups:
        sys.exit("%d lines twice, first %s" % (len(twice), twice[:5]))
    if twice and twice[-1] - twice[0] + 1 != len(twice):
        sys.exit("duplicates are not one window: %s" % twice[:20])
    print("ok %d %d" % (total, len(twice)))


def main():
    if sys.argv[1] == "write":
        mode, path, total, every = sys.argv[2], sys.argv[3], int(
            sys.argv[4]), int(sys.argv[5])
        if mode == "rename":
            write_rename(path, total, every, sys.argv[6])
        else:
            write(mode, path, total, every,
                  sys.argv[6] if len(sys.argv) > 6 else None)
    elif sys.argv[1] == "check":
        check(sys.argv[2], int(sys.argv[3]), len(sys.argv) > 4)
    else:
        sys.exit(__doc__)


main()
