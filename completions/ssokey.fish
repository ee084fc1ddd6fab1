# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ssokey_global_optspecs
    string join \n session= h/help V/version
end

function __fish_ssokey_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ssokey_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ssokey_using_subcommand
    set -l cmd (__fish_ssokey_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ssokey -n "__fish_ssokey_needs_command" -l session -d 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]' -r
complete -c ssokey -n "__fish_ssokey_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ssokey -n "__fish_ssokey_needs_command" -s V -l version -d 'Print version'
complete -c ssokey -n "__fish_ssokey_needs_command" -f -a "login" -d 'Sign in to the AWS access portal in the browser'
complete -c ssokey -n "__fish_ssokey_needs_command" -f -a "logout" -d 'Sign out: end the portal session and delete its tokens from the keychain'
complete -c ssokey -n "__fish_ssokey_needs_command" -f -a "status" -d 'Show every known session, whether it is signed in and until when'
complete -c ssokey -n "__fish_ssokey_needs_command" -f -a "list" -d 'List the accounts and roles assigned to you'
complete -c ssokey -n "__fish_ssokey_needs_command" -f -a "profiles" -d 'Write an AWS config profile for every role assigned to you'
complete -c ssokey -n "__fish_ssokey_needs_command" -f -a "env" -d 'Print shell lines that set AWS credentials for a role'
complete -c ssokey -n "__fish_ssokey_needs_command" -f -a "credential-process" -d 'Print credentials as the JSON that an AWS config `credential_process` reads'
complete -c ssokey -n "__fish_ssokey_needs_command" -f -a "exec" -d 'Run a command with AWS credentials for a role in its environment'
complete -c ssokey -n "__fish_ssokey_needs_command" -f -a "completions" -d 'Print the shell completion script for a shell'
complete -c ssokey -n "__fish_ssokey_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ssokey -n "__fish_ssokey_using_subcommand login" -l start-url -d 'The URL of the AWS access portal, e.g. https://NAME.awsapps.com/start' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand login" -l region -d 'The region of the IAM Identity Center instance, e.g. us-east-1' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand login" -l session -d 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand login" -l no-browser -d 'Print the sign-in URL and code, but do not open a browser'
complete -c ssokey -n "__fish_ssokey_using_subcommand login" -l force -d 'Sign in again even when a valid token is held'
complete -c ssokey -n "__fish_ssokey_using_subcommand login" -s h -l help -d 'Print help'
complete -c ssokey -n "__fish_ssokey_using_subcommand logout" -l session -d 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand logout" -l all -d 'Sign out of every known session'
complete -c ssokey -n "__fish_ssokey_using_subcommand logout" -s h -l help -d 'Print help'
complete -c ssokey -n "__fish_ssokey_using_subcommand status" -s o -l output -d 'The output format' -r -f -a "table\t''
json\t''"
complete -c ssokey -n "__fish_ssokey_using_subcommand status" -l session -d 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand status" -s h -l help -d 'Print help'
complete -c ssokey -n "__fish_ssokey_using_subcommand list" -s o -l output -d 'The output format' -r -f -a "table\t''
json\t''"
complete -c ssokey -n "__fish_ssokey_using_subcommand list" -l concurrency -d 'How many role listings may run at once' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand list" -l session -d 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand list" -l refresh -d 'Ask the portal, even when the local listing cache is recent'
complete -c ssokey -n "__fish_ssokey_using_subcommand list" -s h -l help -d 'Print help'
complete -c ssokey -n "__fish_ssokey_using_subcommand profiles" -l name -d 'The profile name template: {account_name}, {account_id}, {role_name}, {session} [default: {account_name}-{role_name}]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand profiles" -l region -d 'Set this region in every profile' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand profiles" -l concurrency -d 'How many role listings may run at once' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand profiles" -l session -d 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand profiles" -l write -d 'Write the changes into the AWS config file (without it, print them as a diff)'
complete -c ssokey -n "__fish_ssokey_using_subcommand profiles" -l prune -d 'Remove ssokey\'s profiles whose role is no longer assigned'
complete -c ssokey -n "__fish_ssokey_using_subcommand profiles" -l refresh -d 'Ask the portal, even when the local listing cache is recent'
complete -c ssokey -n "__fish_ssokey_using_subcommand profiles" -s h -l help -d 'Print help'
complete -c ssokey -n "__fish_ssokey_using_subcommand env" -l account -d 'The account: its 12-digit id, or its name when that is unique' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand env" -l role -d 'The role (permission set) name' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand env" -l profile -d 'Read the account, role and session from a profile of the AWS config file [default: AWS_PROFILE, when neither --account nor --profile is given]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand env" -l margin -d 'Reuse cached credentials only while they have more than this left (botocore refreshes credentials with less than 15 minutes left, so a smaller margin would make it run ssokey again on almost every call)' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand env" -l shell -d 'The shell to print for [default: the parent shell; PowerShell on Windows]' -r -f -a "bash\t''
zsh\t''
fish\t''
powershell\t''
cmd\t''"
complete -c ssokey -n "__fish_ssokey_using_subcommand env" -l session -d 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand env" -l refresh -d 'Fetch new credentials even when cached ones are still valid'
complete -c ssokey -n "__fish_ssokey_using_subcommand env" -l unset -d 'Print the lines that clear the variables instead'
complete -c ssokey -n "__fish_ssokey_using_subcommand env" -s h -l help -d 'Print help'
complete -c ssokey -n "__fish_ssokey_using_subcommand credential-process" -l account -d 'The account: its 12-digit id, or its name when that is unique' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand credential-process" -l role -d 'The role (permission set) name' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand credential-process" -l profile -d 'Read the account, role and session from a profile of the AWS config file [default: AWS_PROFILE, when neither --account nor --profile is given]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand credential-process" -l margin -d 'Reuse cached credentials only while they have more than this left (botocore refreshes credentials with less than 15 minutes left, so a smaller margin would make it run ssokey again on almost every call)' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand credential-process" -l session -d 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand credential-process" -l refresh -d 'Fetch new credentials even when cached ones are still valid'
complete -c ssokey -n "__fish_ssokey_using_subcommand credential-process" -s h -l help -d 'Print help'
complete -c ssokey -n "__fish_ssokey_using_subcommand exec" -l account -d 'The account: its 12-digit id, or its name when that is unique' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand exec" -l role -d 'The role (permission set) name' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand exec" -l profile -d 'Read the account, role and session from a profile of the AWS config file [default: AWS_PROFILE, when neither --account nor --profile is given]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand exec" -l margin -d 'Reuse cached credentials only while they have more than this left (botocore refreshes credentials with less than 15 minutes left, so a smaller margin would make it run ssokey again on almost every call)' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand exec" -l session -d 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand exec" -l refresh -d 'Fetch new credentials even when cached ones are still valid'
complete -c ssokey -n "__fish_ssokey_using_subcommand exec" -s h -l help -d 'Print help'
complete -c ssokey -n "__fish_ssokey_using_subcommand completions" -l session -d 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]' -r
complete -c ssokey -n "__fish_ssokey_using_subcommand completions" -s h -l help -d 'Print help'
complete -c ssokey -n "__fish_ssokey_using_subcommand help; and not __fish_seen_subcommand_from login logout status list profiles env credential-process exec completions help" -f -a "login" -d 'Sign in to the AWS access portal in the browser'
complete -c ssokey -n "__fish_ssokey_using_subcommand help; and not __fish_seen_subcommand_from login logout status list profiles env credential-process exec completions help" -f -a "logout" -d 'Sign out: end the portal session and delete its tokens from the keychain'
complete -c ssokey -n "__fish_ssokey_using_subcommand help; and not __fish_seen_subcommand_from login logout status list profiles env credential-process exec completions help" -f -a "status" -d 'Show every known session, whether it is signed in and until when'
complete -c ssokey -n "__fish_ssokey_using_subcommand help; and not __fish_seen_subcommand_from login logout status list profiles env credential-process exec completions help" -f -a "list" -d 'List the accounts and roles assigned to you'
complete -c ssokey -n "__fish_ssokey_using_subcommand help; and not __fish_seen_subcommand_from login logout status list profiles env credential-process exec completions help" -f -a "profiles" -d 'Write an AWS config profile for every role assigned to you'
complete -c ssokey -n "__fish_ssokey_using_subcommand help; and not __fish_seen_subcommand_from login logout status list profiles env credential-process exec completions help" -f -a "env" -d 'Print shell lines that set AWS credentials for a role'
complete -c ssokey -n "__fish_ssokey_using_subcommand help; and not __fish_seen_subcommand_from login logout status list profiles env credential-process exec completions help" -f -a "credential-process" -d 'Print credentials as the JSON that an AWS config `credential_process` reads'
complete -c ssokey -n "__fish_ssokey_using_subcommand help; and not __fish_seen_subcommand_from login logout status list profiles env credential-process exec completions help" -f -a "exec" -d 'Run a command with AWS credentials for a role in its environment'
complete -c ssokey -n "__fish_ssokey_using_subcommand help; and not __fish_seen_subcommand_from login logout status list profiles env credential-process exec completions help" -f -a "completions" -d 'Print the shell completion script for a shell'
complete -c ssokey -n "__fish_ssokey_using_subcommand help; and not __fish_seen_subcommand_from login logout status list profiles env credential-process exec completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
