#!/bin/sh
# github-webhook: take GitHub webhook deliveries over HTTP, check their
# signature (X-Hub-Signature-256, HMAC-SHA256 of the body with the
# webhook's secret), validate the payload against a schema, and route it
# by its event type (X-GitHub-Event) to a file per type.  A delivery is
# answered only once it is written (or dead-lettered, when its payload
# does not fit the schema): GitHub sends again what got no 2xx.
#
# evpipe listens on 127.0.0.1 with a port the system chooses; curl plays
# GitHub.  Prints the answers, then the files and the dead letters.
#
# usage: sh examples/github-webhook.sh [EVPIPE]
set -eu
EVPIPE=${1:-evpipe}
case $EVPIPE in */*) EVPIPE=$(cd "$(dirname "$EVPIPE")" && pwd)/${EVPIPE##*/} ;; esac
schema=$(cd "$(dirname "$0")" && pwd)/schemas/github/webhook.schema.json
dir=$(mktemp -d "${TMPDIR:-/tmp}/evpipe-example.XXXXXX")
server=
trap '[ -z "$server" ] || kill "$server" 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
printf 'webhook-secret' >secret

# 1. The receiver: signature checked before anything else, then the
#    schema; push and issues events go to their files, the rest to
#    other.ndjson, invalid payloads to the dead letters.
"$EVPIPE" -i http://:0/github --http-hmac-file secret --dlq dead.ndjson -q \
	validate -s "$schema" \
	"then" route -w 'input_meta.headers["x-github-event"] == "push"' -t push.ndjson \
	-w 'input_meta.headers["x-github-event"] == "issues"' -t issues.ndjson \
	-e other.ndjson 2>err &
server=$!
i=0
url=
while [ -z "$url" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { echo "evpipe did not start: $(cat err)" >&2; exit 1; }
	sleep 0.1
	url=$(sed -n 's/^evpipe: listening on \(http[^ ]*\)$/\1/p' err)
done

# deliver EVENT BODY [SECRET]: what GitHub sends, signed with SECRET
# (default: the right one); prints the answer's status and body.
deliver() {
	printf '%s' "$2" >body
	sig=$(openssl dgst -sha256 -hmac "${3:-webhook-secret}" -r <body | cut -d' ' -f1)
	curl -sS --max-time 20 -w '%{http_code}' -o answer \
		-H 'Content-Type: application/json' -H "X-GitHub-Event: $1" \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary @body "$url" >code
	printf '{"event":"%s","status":%s,"answer":%s}\n' "$1" "$(cat code)" "$(cat answer)"
}

deliver push '{"ref":"refs/heads/main","repository":{"full_name":"acme/app"},"sender":{"login":"ada"}}'
deliver issues '{"action":"opened","repository":{"full_name":"acme/app"},"sender":{"login":"bob"}}'
deliver star '{"action":"created","repository":{"full_name":"acme/app"},"sender":{"login":"cy"}}'
deliver issues '{"action":"opened","repository":{"full_name":"x"}}'
deliver push '{"ref":"refs/heads/evil","repository":{"full_name":"acme/app"},"sender":{"login":"eve"}}' guessed-secret

# 2. Stop the receiver: SIGTERM writes out what it holds and exits 143.
kill -TERM "$server"
status=0
wait "$server" || status=$?
server=
[ "$status" -eq 143 ] || { echo "evpipe: exit status $status: $(cat err)" >&2; exit 1; }
"$EVPIPE" map '{file: input_filename, repo: .repository.full_name, by: .sender.login}' \
	push.ndjson issues.ndjson other.ndjson
"$EVPIPE" map '{dead: .stage, reason, line}' dead.ndjson
