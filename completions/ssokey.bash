# ssokey completion for bash: source this file (ssokey completions bash).
_clap_complete_ssokey() {
    local _CLAP_COMPLETE_INDEX=${COMP_CWORD}
    local _CLAP_COMPLETE_COMP_TYPE=${COMP_TYPE}
    if compopt +o nospace 2> /dev/null; then
        local _CLAP_COMPLETE_SPACE=false
    else
        local _CLAP_COMPLETE_SPACE=true
    fi
    # The word under the cursor as the shell reads it, and the quote that it
    # leaves open, if any: readline puts a candidate after that quote.
    local _ssokey_word=${COMP_WORDS[COMP_CWORD]} _ssokey_value= _ssokey_quote= _ssokey_kept=0
    local _ssokey_i _ssokey_c
    for ((_ssokey_i = 0; _ssokey_i < ${#_ssokey_word}; _ssokey_i++)); do
        _ssokey_c=${_ssokey_word:_ssokey_i:1}
        if [[ $_ssokey_quote == "'" ]]; then
            if [[ $_ssokey_c == "'" ]]; then
                _ssokey_quote=
            else
                _ssokey_value+=$_ssokey_c
            fi
        elif [[ $_ssokey_quote == '"' ]]; then
            if [[ $_ssokey_c == '"' ]]; then
                _ssokey_quote=
            else
                if [[ $_ssokey_c == '\' && ${_ssokey_word:_ssokey_i+1:1} == [\$\`\"\\] ]]; then
                    ((++_ssokey_i))
                    _ssokey_c=${_ssokey_word:_ssokey_i:1}
                fi
                _ssokey_value+=$_ssokey_c
            fi
        elif [[ $_ssokey_c == [\"\'] ]]; then
            _ssokey_quote=$_ssokey_c
            _ssokey_kept=${#_ssokey_value}
        else
            if [[ $_ssokey_c == '\' ]]; then
                ((++_ssokey_i))
                _ssokey_c=${_ssokey_word:_ssokey_i:1}
            fi
            _ssokey_value+=$_ssokey_c
        fi
    done
    local words=("${COMP_WORDS[@]}")
    words[COMP_CWORD]=$_ssokey_value
    local _ssokey_out
    if ! _ssokey_out=$(
        _CLAP_IFS=$'\n' \
        _CLAP_COMPLETE_INDEX="$_CLAP_COMPLETE_INDEX" \
        _CLAP_COMPLETE_COMP_TYPE="$_CLAP_COMPLETE_COMP_TYPE" \
        _CLAP_COMPLETE_SPACE="$_CLAP_COMPLETE_SPACE" \
        SSOKEY_COMPLETE="bash" \
        "ssokey" -- "${words[@]}"
    ); then
        unset COMPREPLY
        return
    fi
    # One candidate a line, read as it is: no word splitting, no globbing.
    COMPREPLY=()
    local _ssokey_line _ssokey_rest _ssokey_quoted
    while IFS= read -r _ssokey_line; do
        [[ -n $_ssokey_line ]] || continue
        if [[ -z $_ssokey_quote ]]; then
            printf -v _ssokey_quoted '%q' "$_ssokey_line"
        else
            # After the open quote goes the rest of the candidate, quoted in
            # that quote's rules; `!""` keeps history expansion off a `!`.
            _ssokey_rest=${_ssokey_line:_ssokey_kept}
            _ssokey_quoted=
            for ((_ssokey_i = 0; _ssokey_i < ${#_ssokey_rest}; _ssokey_i++)); do
                _ssokey_c=${_ssokey_rest:_ssokey_i:1}
                case $_ssokey_quote$_ssokey_c in
                    "''") _ssokey_quoted+="'\''" ;;
                    '"\' | '""' | '"$' | '"`') _ssokey_quoted+="\\$_ssokey_c" ;;
                    '"!') _ssokey_quoted+='!""' ;;
                    *) _ssokey_quoted+=$_ssokey_c ;;
                esac
            done
            # Readline closes the quote after a whole candidate, unless the
            # line already ends with that quote: then it must be closed here.
            if [[ $_ssokey_quoted == *"$_ssokey_quote" ]]; then
                _ssokey_quoted+=$_ssokey_quote
            fi
        fi
        COMPREPLY+=("$_ssokey_quoted")
    done <<< "$_ssokey_out"
    if [[ $_CLAP_COMPLETE_SPACE == false ]] && [[ "${COMPREPLY-}" =~ [=/:]$ ]]; then
        compopt -o nospace
    fi
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -o nospace -o bashdefault -o nosort -F _clap_complete_ssokey ssokey
else
    complete -o nospace -o bashdefault -F _clap_complete_ssokey ssokey
fi
