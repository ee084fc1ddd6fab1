
set edit:completion:arg-completer[ssokey] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) SSOKEY_COMPLETE="elvish" ssokey -- $@words) | to-lines
}

