# zsh-complete.zsh LINE -- what zsh's _evpipe offers for LINE, one word
# a line, called outside the completion system with stubs that print
# what would be offered.  Run as: FPATH=completions zsh -f THIS "LINE".
compadd() {
	while [[ $1 == -* && $1 != -- ]]; do
		[[ $1 == -[SPp] ]] && shift
		shift
	done
	[[ $1 == -- ]] && shift
	print -rl -- "$@"
}
compset() { return 1; }
_files() { print -r -- '<files>'; }
autoload -Uz _evpipe
words=(${=1})
[[ $1 == *' ' ]] && words+=('')
CURRENT=${#words}
_evpipe
