#!/bin/sh
# syslog-errors: a syslog file mixing RFC 5424 and RFC 3164 lines, read as
# events; the ones at severity err or worse, per program, as plain text.
#
# usage: sh examples/syslog-errors.sh [EVPIPE]
set -eu
EVPIPE=${1:-evpipe}

cat <<'LOG' | "$EVPIPE" --from syslog -r \
	filter '.severity | IN("emerg", "alert", "crit", "err")' \
	"then" map '"\(.app_name)[\(.procid // "-")] \(.severity): \(.message)"'
<165>1 2026-12-05T06:25:00.003Z web1 nginx 812 - - worker process started
<11>1 2026-12-05T06:25:01.120Z web1 api 4242 ID47 [req@32473 id="a2"] upstream timed out
<86>Dec  5 06:25:02 web1 sshd[999]: Accepted publickey for deploy
<83>Dec  5 06:25:03 web1 sshd[1001]: error: maximum authentication attempts exceeded
<2>Dec  5 06:25:04 web1 kernel: Out of memory: Killed process 4242 (api)
LOG
