#!/usr/bin/env python3
"""pty-run.py CMD ARGS...: run CMD with its stdout on a pseudo-terminal
(stdin and stderr as given) and copy what it wrote there to our stdout,
byte for byte (no CR added before LF).  Exits with CMD's status."""
import os
import subprocess
import sys
import termios

master, slave = os.openpty()
attrs = termios.tcgetattr(slave)
attrs[1] &= ~termios.OPOST
termios.tcsetattr(slave, termios.TCSANOW, attrs)
proc = subprocess.Popen(sys.argv[1:], stdout=slave)
os.close(slave)
out = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: the child closed the terminal
        break
    if not chunk:
        break
    out += chunk
sys.stdout.buffer.write(out)
sys.exit(proc.wait())
