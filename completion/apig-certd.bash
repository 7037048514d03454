# bash completion for apig-certd(8).
#
# Installed to bash-completion's completions directory (loaded on demand by the command's
# name), or source it from ~/.bashrc. Self-contained: works with or without the
# bash-completion package.
#
#   apig-certd <TAB>                  commands and --config
#   apig-certd sync --<TAB>           the options of that command
#   apig-certd sync --binding <TAB>   the binding names in the config (--config, else
#                                     $APIG_CERTD_CONFIG, else /etc/apig-certd/config.toml)
#   apig-certd hook <TAB>             certbot lego acme.sh dehydrated
#   apig-certd --config <TAB>         files

# Prints the `name = "..."` of every [[binding]] table of the TOML file $1, one per line.
# A plain line scan, not a TOML parser: enough for configs written like the examples.
_apig_certd_binding_names() {
    local file=$1 line in_binding=0
    [[ -r "$file" ]] || return 0
    while IFS= read -r line || [[ -n "$line" ]]; do
        if [[ "$line" =~ ^[[:space:]]*\[ ]]; then
            in_binding=0
            if [[ "$line" =~ ^[[:space:]]*\[\[[[:space:]]*binding[[:space:]]*\]\] ]]; then
                in_binding=1
            fi
        elif ((in_binding)) &&
            [[ "$line" =~ ^[[:space:]]*name[[:space:]]*=[[:space:]]*\"([^\"]*)\" ]]; then
            printf '%s\n' "${BASH_REMATCH[1]}"
        fi
    done <"$file"
}

_apig_certd() {
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

    # `--opt=value` arrives as `--opt` `=` `value` when '=' is in COMP_WORDBREAKS (the
    # default), or as one word when it is not.
    local option_of_value='' prefix=''
    if [[ "$prev" == "=" ]] && ((COMP_CWORD > 1)); then
        option_of_value=${COMP_WORDS[COMP_CWORD - 2]}
    elif [[ "$cur" == "=" ]]; then
        option_of_value=$prev
        cur=
    elif [[ "$cur" == --*=* ]]; then
        option_of_value=${cur%%=*}
        prefix=$option_of_value=
        cur=${cur#*=}
    elif [[ "$prev" == --config || "$prev" == --binding || "$prev" == --lock-timeout ]]; then
        option_of_value=$prev
    fi

    # The command, the config file and the hook client named so far.
    local command='' config='' hook_client='' word i
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        case $word in
            --config)
                if [[ "${COMP_WORDS[i + 1]-}" == "=" ]]; then
                    config=${COMP_WORDS[i + 2]-}
                    ((i += 2))
                else
                    config=${COMP_WORDS[i + 1]-}
                    ((i += 1))
                fi
                ;;
            --config=*) config=${word#--config=} ;;
            --binding | --lock-timeout)
                [[ "${COMP_WORDS[i + 1]-}" == "=" ]] && ((i += 1))
                ((i += 1))
                ;;
            -*) ;;
            *)
                if [[ -z "$command" ]]; then
                    command=$word
                elif [[ "$command" == hook && -z "$hook_client" ]]; then
                    hook_client=$word
                fi
                ;;
        esac
    done
    config=${config:-${APIG_CERTD_CONFIG:-/etc/apig-certd/config.toml}}
    # A leading ~ as the user typed it.
    [[ "$config" == \~/* ]] && config=$HOME/${config#\~/}

    COMPREPLY=()
    case $option_of_value in
        --config)
            compopt -o filenames 2>/dev/null || true
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            ;;
        --binding)
            mapfile -t COMPREPLY < <(compgen -W "$(_apig_certd_binding_names "$config")" -- "$cur")
            ;;
        --lock-timeout)
            mapfile -t COMPREPLY < <(compgen -W "30s 60s 5m 10m 30m" -- "$cur")
            ;;
    esac
    if [[ -n "$option_of_value" ]]; then
        # `--opt=value` as one word (no '=' in COMP_WORDBREAKS): the reply replaces the word.
        [[ -n "$prefix" ]] && COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
        return 0
    fi

    local options
    case $command in
        "") options="--config --help" ;;
        run) options="--config --lock-timeout --help" ;;
        sync) options="--config --binding --dry-run --force --no-wait --lock-timeout --help" ;;
        hook) options="--config --lock-timeout --help" ;;
        check) options="--config --online --help" ;;
        status) options="--config --json --help" ;;
        *) options="--config --help" ;;
    esac

    if [[ "$cur" == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
        return 0
    fi
    if [[ -z "$command" ]]; then
        mapfile -t COMPREPLY < <(compgen -W "run sync hook check status version help" -- "$cur")
    elif [[ "$command" == hook && -z "$hook_client" ]]; then
        mapfile -t COMPREPLY < <(compgen -W "certbot lego acme.sh dehydrated" -- "$cur")
    fi
    return 0
}

complete -F _apig_certd apig-certd
