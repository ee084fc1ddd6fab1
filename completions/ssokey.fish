complete --keep-order --exclusive --command ssokey --arguments "(SSOKEY_COMPLETE=fish ssokey -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
