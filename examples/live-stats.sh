#!/bin/sh
# live-stats: watch a stream as it flows.  stats counts the events per
# level, the lag of their timestamps and the rejects of the whole
# pipeline, writes its stats events to a file (-t/--target) and passes the
# events on, here to a filter that keeps the errors.  On a terminal,
# --live also redraws a table of rates, a sparkline and lag percentiles
# on stderr, leaving stdout alone; a Prometheus textfile is written for
# node_exporter.  Lag is measured from a fixed --now, so the output is
# the same on every run (leave it out to use the clock).
#
# usage: sh examples/live-stats.sh [EVPIPE] <examples/live-stats.in.ndjson
#    or: tail -F app.ndjson | sh examples/live-stats.sh
set -eu
EVPIPE=${1:-evpipe}
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT

live=
[ -t 2 ] && live=--live
status=0
# shellcheck disable=SC2086 # $live is one word or none
"$EVPIPE" -q stats $live -k .level --lag .ts --now 2026-11-26T12:00:00Z \
	--target "$dir/stats.ndjson" --prometheus "$dir/evpipe.prom" \
	'then' filter '.level == "error"' || status=$?
# The truncated line is a reject: exit status 1.
[ "$status" -eq 1 ] || { echo "expected exit status 1, got $status" >&2; exit 1; }

# The final stats event, without the fields that depend on the clock.
"$EVPIPE" map 'del(.elapsed_s, .events_per_s)' "$dir/stats.ndjson"
grep -q '^evpipe_events_total 7$' "$dir/evpipe.prom"
