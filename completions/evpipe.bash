# bash completion for evpipe                                 -*- shell-script -*-
#
# Thin on purpose: every command, option and choice comes from the binary
# itself ("evpipe __complete ..."), so nothing here drifts when commands or
# options are added.  Needs the bash-completion package (_init_completion).

# _evpipe_kind BIN OPT CMD: what OPT takes within command CMD: "@target",
# "@address" (what -i takes), "@value", "@nameval" (two words), "@none", or its choices one a line;
# nothing if not an option.
_evpipe_kind()
{
    "$1" __complete choices "$2" "$3" 2>/dev/null
}

_evpipe()
{
    local cur prev words cword split
    _init_completion -s -n : || return

    local bin=${words[0]}
    command -v "$bin" >/dev/null 2>&1 || bin=evpipe

    # Find the command whose segment the cursor is in: the first word
    # that is not an option (or an option's value) at the start and
    # after each "then".
    # A command with subcommands ("schema infer") takes one as its
    # first word.
    local cmd='' expect=1 chained='' i=1 w kind subs='' sub=''
    while ((i < cword)); do
        w=${words[i]}
        if [[ $w == 'then' && -z $expect ]]; then
            expect=1 cmd='' chained=1 subs='' sub=''
        elif [[ $w == -?* && $w != *=* && $w != -- ]]; then
            kind=$(_evpipe_kind "$bin" "$w" "$cmd")
            if [[ $kind == @nameval ]]; then
                ((i += 2))
            elif [[ -n $kind && $kind != @none ]]; then
                ((i++))
            fi
        elif [[ $w != -- && -n $expect ]]; then
            cmd=$w expect=''
            subs=$("$bin" __complete subcommands "$cmd" 2>/dev/null)
        elif [[ $w != -- && -n $subs && -z $sub ]]; then
            sub=$w
        fi
        ((i++))
    done

    # The VALUE of "--arg NAME VALUE": nothing to offer.
    if ((cword >= 3)) && [[ ${words[cword - 2]} == -?* ]] &&
        [[ $(_evpipe_kind "$bin" "${words[cword - 2]}" "$cmd") == @nameval ]]; then
        return
    fi

    # The value of an option: "--to X", "--to=X".
    if [[ $prev == -?* && $prev != -- ]]; then
        kind=$(_evpipe_kind "$bin" "$prev" "$cmd")
        case $kind in
        '' | @none) ;;
        @value | @nameval)
            return
            ;;
        @file)
            _filedir
            return
            ;;
        @address)
            local t
            while IFS= read -r t; do
                [[ $t == "$cur"* ]] && COMPREPLY+=("$t")
            done < <("$bin" __complete addresses 2>/dev/null)
            compopt -o nospace 2>/dev/null
            __ltrim_colon_completions "$cur"
            return
            ;;
        @target)
            _filedir
            local t
            while IFS= read -r t; do
                [[ $t == "$cur"* ]] && COMPREPLY+=("$t")
            done < <("$bin" __complete targets 2>/dev/null)
            if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *: ]]; then
                compopt -o nospace 2>/dev/null
            fi
            __ltrim_colon_completions "$cur"
            return
            ;;
        *)
            mapfile -t COMPREPLY < <(compgen -W "$kind" -- "$cur")
            return
            ;;
        esac
    fi
    $split && return

    if [[ $cur == -* ]]; then
        local opts
        opts=$("$bin" __complete global 2>/dev/null)
        [[ -n $cmd ]] && opts+=$'\n'$("$bin" __complete options "$cmd" ${sub:+"$sub"} 2>/dev/null)
        mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
        [[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi

    if [[ -n $expect ]]; then
        local cmds
        cmds=$("$bin" __complete commands 2>/dev/null)
        # "help" is a command only at the start, not after "then".
        [[ -n $chained ]] && cmds=$(grep -vx help <<<"$cmds")
        mapfile -t COMPREPLY < <(compgen -W "$cmds" -- "$cur")
        return
    fi

    if [[ -n $subs && -z $sub ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
        return
    fi

    # Inputs: files, or "then" to chain another command.
    _filedir
    if [[ -n $cur && 'then' == "$cur"* ]]; then
        COMPREPLY+=('then')
    fi
} &&
    complete -F _evpipe evpipe

# ex: filetype=sh
