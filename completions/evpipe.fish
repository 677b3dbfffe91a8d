# fish completion for evpipe.
#
# Thin on purpose: every command, option and choice comes from the binary
# itself ("evpipe __complete ..."), so nothing here drifts when commands or
# options are added.

function __evpipe_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l bin $words[1]
    command -q $bin; or set bin evpipe

    # Find the command whose segment the cursor is in: the first word that
    # is not an option (or an option's value) at the start and after "then".
    # A command with subcommands ("schema infer") takes one as its first
    # word.
    set -l cmd ''
    set -l subs
    set -l sub ''
    set -l expect 1
    set -l chained 0
    set -l i 2
    while test $i -le (count $words)
        set -l w $words[$i]
        if test "$w" = then; and test $expect = 0
            set expect 1
            set cmd ''
            set chained 1
            set subs
            set sub ''
        else if string match -qr -- '^-.' $w; and not string match -q -- '*=*' $w; and test "$w" != --
            set -l kind ($bin __complete choices $w "$cmd" 2>/dev/null)
            if test "$kind" = @nameval
                set i (math $i + 2)
            else if test -n "$kind"; and test "$kind" != @none
                set i (math $i + 1)
            end
        else if test "$w" != --; and test $expect = 1
            set cmd $w
            set expect 0
            set subs ($bin __complete subcommands $cmd 2>/dev/null)
        else if test "$w" != --; and test (count $subs) -gt 0; and test -z "$sub"
            set sub $w
        end
        set i (math $i + 1)
    end

    # The value of an option: "--to X" or "--to=X".
    set -l opt ''
    set -l prefix ''
    if string match -qr -- '^-.+=' $cur
        set opt (string replace -r -- '=.*' '' $cur)
        set prefix $opt=
        set cur (string replace -r -- '^[^=]*=' '' $cur)
    else if test (count $words) -ge 2; and string match -qr -- '^-.' $words[-1]; and test "$words[-1]" != --
        # Only if the loop above saw it as an option that takes a value.
        if test $i -eq (math (count $words) + 2)
            set opt $words[-1]
        end
    end
    if test -n "$opt"
        set -l kind ($bin __complete choices $opt "$cmd" 2>/dev/null)
        switch "$kind[1]"
            case '' @none
            case @value @nameval
                return
            case @file
                for f in (__fish_complete_path $cur)
                    echo $prefix$f
                end
                return
            case @address
                for t in ($bin __complete addresses 2>/dev/null)
                    string match -q -- "$cur*" $t; and echo $prefix$t
                end
                return
            case @target
                for t in ($bin __complete targets 2>/dev/null)
                    string match -q -- "$cur*" $t; and echo $prefix$t
                end
                for f in (__fish_complete_path $cur)
                    echo $prefix$f
                end
                return
            case '*'
                for c in $kind
                    echo $prefix$c
                end
                return
        end
    end

    if string match -q -- '-*' $cur
        $bin __complete global 2>/dev/null
        test -n "$cmd"; and $bin __complete options $cmd $sub 2>/dev/null
    else if test $expect = 1
        for c in ($bin __complete commands 2>/dev/null)
            # "help" is a command only at the start, not after "then".
            test $chained = 1; and test "$c" = help; or echo $c
        end
    else if test (count $subs) -gt 0; and test -z "$sub"
        printf '%s\n' $subs
    else
        # Inputs: files, or "then" to chain another command.
        echo then
        __fish_complete_path $cur
    end
end

complete -c evpipe -f -a '(__evpipe_complete)'
