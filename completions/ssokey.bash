
_clap_complete_ssokey() {
    local IFS=$'\013'
    local _CLAP_COMPLETE_INDEX=${COMP_CWORD}
    local _CLAP_COMPLETE_COMP_TYPE=${COMP_TYPE}
    if compopt +o nospace 2> /dev/null; then
        local _CLAP_COMPLETE_SPACE=false
    else
        local _CLAP_COMPLETE_SPACE=true
    fi
    local words=("${COMP_WORDS[@]}")
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        words[COMP_CWORD]="$2"
        # ssokey: ask for the word as the shell reads it (Log\ A is "Log A");
        # inside quotes that the user opened, $2 comes without them already.
        if [[ ${COMP_WORDS[COMP_CWORD]} != [\"\']* ]]; then
            local _ssokey_i _ssokey_word=
            for ((_ssokey_i = 0; _ssokey_i < ${#2}; _ssokey_i++)); do
                [[ ${2:_ssokey_i:1} == \\ ]] && ((++_ssokey_i))
                _ssokey_word+=${2:_ssokey_i:1}
            done
            words[COMP_CWORD]=$_ssokey_word
        fi
    fi
    COMPREPLY=( $( \
        _CLAP_IFS="$IFS" \
        _CLAP_COMPLETE_INDEX="$_CLAP_COMPLETE_INDEX" \
        _CLAP_COMPLETE_COMP_TYPE="$_CLAP_COMPLETE_COMP_TYPE" \
        _CLAP_COMPLETE_SPACE="$_CLAP_COMPLETE_SPACE" \
        SSOKEY_COMPLETE="bash" \
        "ssokey" -- "${words[@]}" \
    ) )
    if [[ $? != 0 ]]; then
        unset COMPREPLY
    elif [[ $_CLAP_COMPLETE_SPACE == false ]] && [[ "${COMPREPLY-}" =~ [=/:]$ ]]; then
        compopt -o nospace
    fi
    # ssokey: escape each candidate as the shell reads it, unless it goes
    # inside quotes that the user opened.
    if [[ "${BASH_VERSINFO[0]}" -ge 4 && ${COMP_WORDS[COMP_CWORD]} != [\"\']* ]]; then
        local _ssokey_j
        for _ssokey_j in "${!COMPREPLY[@]}"; do
            printf -v "COMPREPLY[$_ssokey_j]" '%q' "${COMPREPLY[_ssokey_j]}"
        done
    fi
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -o nospace -o bashdefault -o nosort -F _clap_complete_ssokey ssokey
else
    complete -o nospace -o bashdefault -F _clap_complete_ssokey ssokey
fi

