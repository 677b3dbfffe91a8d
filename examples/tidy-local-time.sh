#!/bin/sh
# tidy-local-time: tidy events before a report read by people in one time
# zone: trim the spaces around names, drop the empty tags, and add the
# event's time as the local clock shows it.
#
# trim removes the spaces at both ends; "P |= empty" deletes every path
# its update yields nothing for, all at once (jq 1.7.1's rule), so the
# empty tags go without moving the others; strflocaltime formats a time
# in the zone of TZ, here set for the command alone.
#
# usage: sh examples/tidy-local-time.sh [EVPIPE] <examples/tidy-local-time.in.ndjson
set -eu
EVPIPE=${1:-evpipe}

TZ=Asia/Tokyo "$EVPIPE" map '
	.name |= trim
	| (.tags[] | select(. == "")) |= empty
	| .local = (.ts | strflocaltime("%Y-%m-%d %H:%M %Z"))'
