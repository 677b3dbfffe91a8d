#!/usr/bin/env bats
# Docs as tests: man pages lint-clean and in step with the option tables;
# shell completions that really complete.  A missing tool fails the test.

load test_helper

setup() {
	# The completions call "evpipe" from PATH: make it the binary under
	# test, wherever it was built (build-san/ for the sanitized run).
	BINDIR=$(cd "$(dirname "$EVPIPE")" && pwd)
	if [[ $(basename "$EVPIPE") != evpipe ]]; then
		BINDIR=$BATS_TEST_TMPDIR/bin
		mkdir -p "$BINDIR"
		ln -s "$EVPIPE" "$BINDIR/evpipe"
	fi
	PATH=$BINDIR:$PATH
	cd "$REPO"
}

need() {
	command -v "$1" >/dev/null || fail "$1 is not installed (make deps)"
}

# The commands, without aliases and without "help".
commands() {
	local c
	for c in $("$EVPIPE" __complete commands); do
		[[ $c == help ]] && continue
		# An alias's help is the help of the command it belongs to.
		[[ $("$EVPIPE" help "$c" | head -1) == "usage: evpipe $c"* ]] || continue
		echo "$c"
	done
}

@test "every man page is lint-clean" {
	need mandoc
	local pages=(man/*.[1-9])
	[[ -e ${pages[0]} ]] || fail "no man pages"
	run mandoc -Tlint -Wwarning "${pages[@]}"
	echo "$output"
	assert_success
	assert_output ''
}

@test "every command has a man page that names all its options" {
	local c o n=0
	for c in $(commands); do
		n=$((n + 1))
		[[ -f man/evpipe-$c.1 ]] || fail "man/evpipe-$c.1 is missing"
		for o in $("$EVPIPE" __complete options "$c"); do
			[[ $o == --no-* ]] && continue
			# mdoc writes --lines as "Fl \-lines" and -n as "Fl n".
			grep -Eq "Fl (\\\\-)?${o#-}( |$|=)|Fl \\\\-${o#--}( |$|=)" \
				"man/evpipe-$c.1" ||
				fail "man/evpipe-$c.1 does not mention $o"
		done
	done
	((n >= 3)) || fail "only $n commands found"
}

@test "evpipe(1) names every global option" {
	local o
	for o in $("$EVPIPE" __complete global); do
		[[ $o == --no-* ]] && continue
		grep -Eq "Fl (\\\\-)?${o#-}( |$|=)|Fl \\\\-${o#--}( |$|=)" man/evpipe.1 ||
			fail "man/evpipe.1 does not mention $o"
	done
}

@test "evpipe(1) lists every command in SEE ALSO" {
	local c
	for c in $(commands); do
		grep -q "^\.Xr evpipe-$c 1" man/evpipe.1 ||
			fail "man/evpipe.1 does not refer to evpipe-$c(1)"
	done
}

@test "CMD --help works and matches the man page synopsis" {
	local c
	for c in $(commands); do
		run -0 "$EVPIPE" "$c" --help
		assert_line --index 0 --partial "usage: evpipe $c"
		assert_output --partial "evpipe-$c(1)"
		grep -q "^\.Cm $c\$" "man/evpipe-$c.1" ||
			fail "man/evpipe-$c.1 SYNOPSIS does not name $c"
	done
}

# option_pairs CMD: "--long -s" or "--long" a line, for every option of
# CMD (of the global options when CMD is empty).
option_pairs() {
	local w line=
	if [[ -n $1 ]]; then
		set -- $("$EVPIPE" __complete options "$1")
	else
		set -- $("$EVPIPE" __complete global)
	fi
	for w; do
		if [[ $w == --* ]]; then
			[[ -n $line ]] && echo "$line"
			line=$w
		else
			line+=" $w"
		fi
	done
	[[ -n $line ]] && echo "$line"
}

# synopsis FILE: the SYNOPSIS section of a man page.
synopsis() {
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$1"
}

@test "CMD --help: the usage line names every option of the command" {
	local c long short usage n=0
	for c in $(commands); do
		usage=$("$EVPIPE" "$c" --help | sed -n '1,/^[^ u]/p' | grep -E '^(usage: | {7})evpipe ')
		[[ -n $usage ]] || fail "$c --help: no usage line"
		while read -r long short; do
			n=$((n + 1))
			grep -Eq -- "(\[| )(${long}|--no-${long#--}${short:+|$short})( |\]|$)" <<<"$usage" ||
				fail "evpipe $c --help: the usage line does not name $long: $usage"
		done < <(option_pairs "$c")
	done
	((n >= 50)) || fail "only $n options found"
}

@test "every man page SYNOPSIS names every option of its command" {
	local c long short page
	for c in $(commands); do
		page=man/evpipe-$c.1
		while read -r long short; do
			# mdoc writes --lines as "Fl \-lines" and -n as "Fl n".
			synopsis "$page" | grep -Eq "Fl (\\\\${long#-}|\\\\-no-${long#--}${short:+|${short#-}})( |$)" ||
				fail "$page: SYNOPSIS does not name $long${short:+ or $short}"
		done < <(option_pairs "$c")
	done
}

@test "the schema usage lines name each subcommand's own options only" {
	run -0 "$EVPIPE" schema --help
	assert_line --index 0 --regexp '^usage: evpipe schema infer .*--enum-max N'
	assert_line --index 1 --regexp '^       evpipe schema compat .*-m backward\|forward\|full.* OLD NEW$'
	refute_line --index 0 --partial -- '--format'
	refute_line --index 1 --partial -- '--enum-max'
}

# bash_complete LINE: run _evpipe for the completion at the end of LINE;
# prints the candidates one a line.
bash_complete() {
	bash -c '
		source /usr/share/bash-completion/bash_completion || exit 1
		source completions/evpipe.bash || exit 1
		COMP_LINE=$1
		COMP_POINT=${#COMP_LINE}
		read -ra COMP_WORDS <<<"$COMP_LINE"
		[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_evpipe 2>/dev/null
		printf "%s\n" "${COMPREPLY[@]}"
	' bash "$1"
}

@test "bash completion is shellcheck-clean" {
	need shellcheck
	run shellcheck -s bash completions/evpipe.bash
	echo "$output"
	assert_success
}

@test "bash completion completes commands, options and values" {
	[[ -r /usr/share/bash-completion/bash_completion ]] ||
		fail "bash-completion is not installed (make deps)"
	run -0 bash_complete "evpipe ca"
	assert_line cat
	run -0 bash_complete "evpipe cat then he"
	assert_line head
	refute_line help
	run -0 bash_complete "evpipe head --li"
	assert_line --lines
	run -0 bash_complete "evpipe --on-error s"
	assert_line skip
	assert_line stop
	run -0 bash_complete "evpipe tee --target ex"
	assert_line exec:
	run -0 bash_complete "evpipe tee --target Makef"
	assert_line Makefile
	run -0 bash_complete "evpipe head -n "
	assert_output ''
	run -0 bash_complete "evpipe cat Makef"
	assert_line Makefile
	# --arg takes two words: neither is a file, and the command after
	# them is still found
	run -0 bash_complete "evpipe --arg Makef"
	assert_output ''
	run -0 bash_complete "evpipe --arg x Makef"
	assert_output ''
	run -0 bash_complete "evpipe --arg x y he"
	assert_line head
}

@test "zsh completion parses and completes" {
	need zsh
	run zsh -n completions/_evpipe
	assert_success
	local zc=(env FPATH="$REPO/completions" zsh -f "$REPO/tests/helpers/zsh-complete.zsh")
	run -0 "${zc[@]}" "evpipe ca"
	assert_line cat
	run -0 "${zc[@]}" "evpipe cat then he"
	assert_line head
	refute_line help
	run -0 "${zc[@]}" "evpipe head --li"
	assert_line --lines
	run -0 "${zc[@]}" "evpipe --on-error s"
	assert_line skip
	run -0 "${zc[@]}" "evpipe tee --target ex"
	assert_line exec:
	assert_line '<files>'
}

@test "fish completion parses and completes" {
	need fish
	run fish --no-execute completions/evpipe.fish
	assert_success
	fc() { fish -c "source completions/evpipe.fish; complete -C '$1'"; }
	run -0 fc "evpipe ca"
	assert_line cat
	run -0 fc "evpipe cat then he"
	assert_line head
	refute_line help
	run -0 fc "evpipe head --li"
	assert_line --lines
	run -0 fc "evpipe --on-error s"
	assert_line skip
	run -0 fc "evpipe tee --target ex"
	assert_line exec:
	run -0 fc "evpipe cat Makef"
	assert_line Makefile
}

@test "completions offer schema's subcommands, then only that subcommand's options" {
	need zsh
	need fish
	[[ -r /usr/share/bash-completion/bash_completion ]] ||
		fail "bash-completion is not installed (make deps)"
	run -0 "$EVPIPE" __complete subcommands schema
	assert_output $'infer\ncompat'
	run -0 "$EVPIPE" __complete subcommands filter
	assert_output ''

	run -0 bash_complete "evpipe schema "
	assert_output $'infer\ncompat'
	run -0 bash_complete "evpipe schema co"
	assert_output compat
	run -0 bash_complete "evpipe schema compat --"
	assert_line --mode
	assert_line --format
	refute_line --enum-max
	run -0 bash_complete "evpipe schema infer --"
	assert_line --enum-max
	refute_line --mode
	run -0 bash_complete "evpipe schema compat --mode "
	assert_output $'backward\nforward\nfull'
	run -0 bash_complete "evpipe schema compat Makef"
	assert_line Makefile

	local zc=(env FPATH="$REPO/completions" zsh -f "$REPO/tests/helpers/zsh-complete.zsh")
	run -0 "${zc[@]}" "evpipe schema "
	assert_output $'infer\ncompat'
	run -0 "${zc[@]}" "evpipe schema compat --"
	assert_line --mode
	refute_line --enum-max
	run -0 "${zc[@]}" "evpipe schema compat --mode "
	assert_output $'backward\nforward\nfull'

	fc() { fish -c "source completions/evpipe.fish; complete -C '$1'"; }
	run -0 fc "evpipe schema "
	assert_line infer
	assert_line compat
	run -0 fc "evpipe schema compat --"
	assert_line --regexp '^--mode'
	refute_line --regexp '^--enum-max'
	run -0 fc "evpipe schema infer --"
	assert_line --regexp '^--enum-max'
	refute_line --regexp '^--mode'
	run -0 fc "evpipe schema compat --mode "
	assert_output $'backward\nforward\nfull'
}

@test "evpipe-security(7) is linked from evpipe(1) and README, and lists the limits tested" {
	grep -q '^\.Xr evpipe-security 7' man/evpipe.1
	grep -q 'evpipe-security(7)' README.md
	# every option that sets a limit is in its LIMITS section
	local o
	for o in max-line max-clients client-buffers linger max-open capacity max-keys max-held parallel retries; do
		grep -q "Fl \\\\-$o" man/evpipe-security.7 || fail "--$o is not in evpipe-security(7)"
	done
}
