#!/usr/bin/env bats
# --nats-js-domain and --nats-js-prefix (evpipe-brokers(7)): the nats://
# source and target reach a JetStream that is not the one of the account
# they connect to.  Real nats-servers on 127.0.0.1, from config files the
# test writes: a hub in the JetStream domain "hub" with a leaf node that
# has a JetStream of its own (domain "leaf"), where evpipe connects; and
# a server whose account APP imports the JetStream API of account JS
# under the prefix JS.js.API.  Streams are made and read back on the
# JetStream side by tests/helpers/nats-peer.c.  A missing nats-server or
# helper fails the file.
load test_helper
load nats_helper

setup_file() {
	nats_require
	nats_leaf_pair "$BATS_FILE_TMPDIR/hub" "$BATS_FILE_TMPDIR/leaf"
}

teardown_file() {
	nats_nodes_stop
}

setup() {
	T=$BATS_TEST_TMPDIR
	nats_require
	HUB=$(<"$BATS_FILE_TMPDIR/hub/url")
	LEAF=$(<"$BATS_FILE_TMPDIR/leaf/url")
}

# evpipe_to FILE ARGS...: evpipe ARGS with stdout into FILE (at most 30 s)
evpipe_to() {
	local file=$1
	shift
	timeout 30 "$EVPIPE" "$@" >"$file"
}

# hub ARGS...: the peer on the hub
hub() {
	timeout 120 "$PEER" "nats://$HUB" "$@"
}

@test "nats domain: through a leaf node, --nats-js-domain hub consumes and acknowledges the hub's stream, and publishes to it" {
	hub stream HS 'hs.>'
	printf '{"id":1}\n{"id":2}\n{"id":3}\n' | hub pub hs.x
	# the leaf's own JetStream has no such stream
	status=0
	timeout 30 "$EVPIPE" -i "nats://$LEAF/HS?consumer=c" head -n 3 >"$T/out" 2>"$T/err" || status=$?
	[[ $status -eq 3 ]] || fail "exit $status: $(cat "$T/err")"
	sed "s/$LEAF/LEAF/" "$T/err" >"$T/got"
	same "$T/got" "evpipe: -i nats://LEAF/HS?consumer=c: no stream 'HS' on the server\n"
	# the domain's API answers once the leaf node has told the hub its
	# interest
	nats_until 30 evpipe_to "$T/a" --nats-js-domain hub -i "nats://$LEAF/HS?consumer=c" head -n 2
	same "$T/a" '{"id":1}\n{"id":2}\n'
	# acknowledged on the hub: the next run starts after them
	run_to "$T/b" --nats-js-domain hub -i "nats://$LEAF/HS?consumer=c" head -n 1
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	same "$T/b" '{"id":3}\n'
	local i
	for ((i = 0; i < 300; i++)); do
		hub consumer HS c >"$T/state"
		grep -q 'ack_floor=3 ' "$T/state" && break
		sleep 0.1
	done
	grep -q 'pending=0 ack_pending=0 redelivered=0 ack_floor=3 ' "$T/state" || fail "$(cat "$T/state")"
	# the prefix the domain stands for does the same
	# shellcheck disable=SC2016 # the prefix begins with a literal $
	run_to "$T/c" --nats-js-prefix '$JS.hub.API' -i "nats://$LEAF/HS?consumer=other" head -n 3
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	same "$T/c" '{"id":1}\n{"id":2}\n{"id":3}\n'
	# the target: published through the leaf node, stored by the hub
	printf '{"id":4}\n{"id":5}\n' >"$T/in"
	run_to "$T/out" --nats-js-domain hub -o "nats://$LEAF/hs.y" cat "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	hub dump HS | grep '^hs\.y' | cut -f 3 >"$T/dump"
	same "$T/dump" '{"id":4}\n{"id":5}\n'
	# a domain nobody serves
	status=0
	timeout 30 "$EVPIPE" --nats-js-domain nowhere -i "nats://$LEAF/HS?consumer=c" cat >"$T/out" 2>"$T/err" || status=$?
	[[ $status -eq 3 ]] || fail "exit $status: $(cat "$T/err")"
	sed "s/$LEAF/LEAF/" "$T/err" >"$T/got"
	same "$T/got" "evpipe: -i nats://LEAF/HS?consumer=c: stream info: no JetStream answers at \$JS.nowhere.API (--nats-js-domain)\n"
}

@test "nats domain: --nats-js-prefix reaches the JetStream another account exports" {
	local d=$BATS_FILE_TMPDIR/acc url
	mkdir -p "$d"
	cat >"$d/conf" <<'EOF'
accounts {
  JS: {
    jetstream: enabled
    users: [ { user: js, password: js } ]
    exports: [
      { service: "$JS.API.>", response_type: stream }
      { service: "$JS.ACK.>" }
      { service: "ac.>" }
    ]
  }
  APP: {
    users: [ { user: app, password: app } ]
    imports: [
      { service: { account: JS, subject: "$JS.API.>" }, to: "JS.js.API.>" }
      { service: { account: JS, subject: "$JS.ACK.>" } }
      { service: { account: JS, subject: "ac.>" } }
    ]
  }
}
no_auth_user: app
EOF
	nats_server_start "$d" -c "$d/conf"
	url=$(<"$d/url")
	js() {
		timeout 120 "$PEER" "nats://js:js@$url" "$@"
	}
	js stream AC 'ac.>'
	printf '{"id":1}\n{"id":2}\n' | js pub ac.x
	# APP has no JetStream of its own
	status=0
	timeout 30 "$EVPIPE" -i "nats://$url/AC?consumer=c" cat >"$T/out" 2>"$T/err" || status=$?
	[[ $status -eq 3 ]] || fail "exit $status: $(cat "$T/err")"
	grep -q "^evpipe: -i nats://$url/AC?consumer=c: stream info: .*JetStream not enabled for account" "$T/err" ||
		fail "$(cat "$T/err")"
	run_to "$T/a" --nats-js-prefix JS.js.API -i "nats://$url/AC?consumer=c" head -n 2
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	same "$T/a" '{"id":1}\n{"id":2}\n'
	# the acknowledgements went through the import too
	local i
	for ((i = 0; i < 300; i++)); do
		js consumer AC c >"$T/state"
		grep -q 'ack_floor=2 ' "$T/state" && break
		sleep 0.1
	done
	grep -q 'pending=0 ack_pending=0 redelivered=0 ack_floor=2 ' "$T/state" || fail "$(cat "$T/state")"
	# the target publishes into JS's stream through the import
	echo '{"id":3}' >"$T/in"
	run_to "$T/out" --nats-js-prefix JS.js.API -o "nats://$url/ac.y" cat "$T/in"
	[[ $status -eq 0 ]] || fail "exit $status: $stderr"
	js dump AC | cut -f 1,3 >"$T/dump"
	same "$T/dump" 'ac.x\t{"id":1}\nac.x\t{"id":2}\nac.y\t{"id":3}\n'
}

@test "nats domain: a bad domain or prefix, or both, is a usage error for the source and the target" {
	local v long
	long=$(printf 'd%.0s' {1..256})
	# nothing listens on port 1: the values are refused before connecting
	for v in '' a.b 'a*' 'a>' 'a b' $'a\tb' "$long"; do
		status=0
		"$EVPIPE" --nats-js-domain "$v" -i "nats://127.0.0.1:1/S?consumer=c" cat </dev/null >"$T/out" 2>"$T/err" || status=$?
		[[ $status -eq 2 ]] || fail "-i, domain '$v': exit $status ($(cat "$T/err"))"
		grep -q "^evpipe: --nats-js-domain '.*': not a JetStream domain" "$T/err" || fail "$(cat "$T/err")"
		status=0
		"$EVPIPE" --nats-js-domain "$v" -o "nats://127.0.0.1:1/s.x" cat </dev/null >"$T/out" 2>"$T/err" || status=$?
		[[ $status -eq 2 ]] || fail "-o, domain '$v': exit $status ($(cat "$T/err"))"
		grep -q "^evpipe: -o: --nats-js-domain '.*': not a JetStream domain" "$T/err" || fail "$(cat "$T/err")"
	done
	for v in '' .a a. a..b 'a.*' 'a.>' 'a.>.b' 'a b.c' "$long.API"; do
		status=0
		"$EVPIPE" --nats-js-prefix "$v" -i "nats://127.0.0.1:1/S?consumer=c" cat </dev/null >"$T/out" 2>"$T/err" || status=$?
		[[ $status -eq 2 ]] || fail "-i, prefix '$v': exit $status ($(cat "$T/err"))"
		grep -q "^evpipe: --nats-js-prefix '.*': not a JetStream API prefix" "$T/err" || fail "$(cat "$T/err")"
		status=0
		"$EVPIPE" --nats-js-prefix "$v" -o "nats://127.0.0.1:1/s.x" cat </dev/null >"$T/out" 2>"$T/err" || status=$?
		[[ $status -eq 2 ]] || fail "-o, prefix '$v': exit $status ($(cat "$T/err"))"
		grep -q "^evpipe: -o: --nats-js-prefix '.*': not a JetStream API prefix" "$T/err" || fail "$(cat "$T/err")"
	done
	# the messages, word for word
	"$EVPIPE" --nats-js-domain a.b -i "nats://127.0.0.1:1/S?consumer=c" cat </dev/null 2>"$T/err" || true
	"$EVPIPE" --nats-js-prefix 'a.>' -o "nats://127.0.0.1:1/s.x" cat </dev/null 2>>"$T/err" || true
	"$EVPIPE" --nats-js-domain hub --nats-js-prefix JS.API -i "nats://127.0.0.1:1/S?consumer=c" cat </dev/null 2>>"$T/err" || true
	same "$T/err" "evpipe: --nats-js-domain 'a.b': not a JetStream domain (1 to 255 characters, no '.', '*', '>', spaces or control characters)
evpipe: -o: --nats-js-prefix 'a.>': not a JetStream API prefix (1 to 255 characters: tokens separated by '.', none empty; no '*', '>', spaces or control characters)
evpipe: --nats-js-domain and --nats-js-prefix exclude each other\n"
	# --help names both
	run "$EVPIPE" --help
	assert_output --partial '--nats-js-domain NAME'
	assert_output --partial '--nats-js-prefix PREFIX'
}

@test "nats domain: bash, zsh and fish complete --nats-js-domain and --nats-js-prefix, and take the word after each as its value" {
	local b=/usr/share/bash-completion/bash_completion
	command -v zsh >/dev/null || fail "zsh is not installed (make deps)"
	command -v fish >/dev/null || fail "fish is not installed (make deps)"
	[[ -r $b ]] || fail "bash-completion is not installed (make deps)"
	mkdir -p "$T/bin"
	ln -s "$EVPIPE" "$T/bin/evpipe"
	PATH=$T/bin:$PATH
	bc() {
		bash -c '
			source "$2" || exit 1
			source "$3/completions/evpipe.bash" || exit 1
			COMP_LINE=$1
			COMP_POINT=${#COMP_LINE}
			read -ra COMP_WORDS <<<"$COMP_LINE"
			[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMPREPLY=()
			_evpipe 2>/dev/null
			printf "%s\n" "${COMPREPLY[@]}"
		' bash "$1" "$b" "$REPO"
	}
	zc() {
		env FPATH="$REPO/completions" zsh -f "$REPO/tests/helpers/zsh-complete.zsh" "$1"
	}
	fc() {
		fish -c "source $REPO/completions/evpipe.fish; complete -C '$1'"
	}
	run -0 bc "evpipe --nats-js-"
	assert_line --nats-js-domain
	assert_line --nats-js-prefix
	run -0 bc "evpipe --nats-js-domain hub ca"
	assert_line cat
	run -0 bc "evpipe --nats-js-prefix JS.a.API -i nats://h:4222/S?consumer=c ca"
	assert_line cat
	run -0 zc "evpipe --nats-js-"
	assert_line --partial --nats-js-domain
	assert_line --partial --nats-js-prefix
	run -0 zc "evpipe --nats-js-domain hub ca"
	assert_line --partial cat
	run -0 fc "evpipe --nats-js-"
	assert_line --partial --nats-js-domain
	assert_line --partial --nats-js-prefix
	run -0 fc "evpipe --nats-js-prefix JS.a.API ca"
	assert_line --partial cat
}
