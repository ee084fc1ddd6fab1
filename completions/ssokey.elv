
use builtin;
use str;

set edit:completion:arg-completer[ssokey] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'ssokey'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'ssokey'= {
            cand --session 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand login 'Sign in to the AWS access portal in the browser'
            cand logout 'Sign out: end the portal session and delete its tokens from the keychain'
            cand status 'Show every known session, whether it is signed in and until when'
            cand list 'List the accounts and roles assigned to you'
            cand profiles 'Write an AWS config profile for every role assigned to you'
            cand env 'Print shell lines that set AWS credentials for a role'
            cand credential-process 'Print credentials as the JSON that an AWS config `credential_process` reads'
            cand exec 'Run a command with AWS credentials for a role in its environment'
            cand completions 'Print the shell completion script for a shell'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ssokey;login'= {
            cand --start-url 'The URL of the AWS access portal, e.g. https://NAME.awsapps.com/start'
            cand --region 'The region of the IAM Identity Center instance, e.g. us-east-1'
            cand --session 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]'
            cand --no-browser 'Print the sign-in URL and code, but do not open a browser'
            cand --force 'Sign in again even when a valid token is held'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ssokey;logout'= {
            cand --session 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]'
            cand --all 'Sign out of every known session'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ssokey;status'= {
            cand -o 'The output format'
            cand --output 'The output format'
            cand --session 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ssokey;list'= {
            cand -o 'The output format'
            cand --output 'The output format'
            cand --concurrency 'How many role listings may run at once'
            cand --session 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]'
            cand --refresh 'Ask the portal, even when the local listing cache is recent'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ssokey;profiles'= {
            cand --name 'The profile name template: {account_name}, {account_id}, {role_name}, {session} [default: {account_name}-{role_name}]'
            cand --region 'Set this region in every profile'
            cand --concurrency 'How many role listings may run at once'
            cand --session 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]'
            cand --write 'Write the changes into the AWS config file (without it, print them as a diff)'
            cand --prune 'Remove ssokey''s profiles whose role is no longer assigned'
            cand --refresh 'Ask the portal, even when the local listing cache is recent'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ssokey;env'= {
            cand --account 'The account: its 12-digit id, or its name when that is unique'
            cand --role 'The role (permission set) name'
            cand --profile 'Read the account, role and session from a profile of the AWS config file [default: AWS_PROFILE, when neither --account nor --profile is given]'
            cand --margin 'Reuse cached credentials only while they have more than this left (botocore refreshes credentials with less than 15 minutes left, so a smaller margin would make it run ssokey again on almost every call)'
            cand --shell 'The shell to print for [default: the parent shell; PowerShell on Windows]'
            cand --session 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]'
            cand --refresh 'Fetch new credentials even when cached ones are still valid'
            cand --unset 'Print the lines that clear the variables instead'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ssokey;credential-process'= {
            cand --account 'The account: its 12-digit id, or its name when that is unique'
            cand --role 'The role (permission set) name'
            cand --profile 'Read the account, role and session from a profile of the AWS config file [default: AWS_PROFILE, when neither --account nor --profile is given]'
            cand --margin 'Reuse cached credentials only while they have more than this left (botocore refreshes credentials with less than 15 minutes left, so a smaller margin would make it run ssokey again on almost every call)'
            cand --session 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]'
            cand --refresh 'Fetch new credentials even when cached ones are still valid'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ssokey;exec'= {
            cand --account 'The account: its 12-digit id, or its name when that is unique'
            cand --role 'The role (permission set) name'
            cand --profile 'Read the account, role and session from a profile of the AWS config file [default: AWS_PROFILE, when neither --account nor --profile is given]'
            cand --margin 'Reuse cached credentials only while they have more than this left (botocore refreshes credentials with less than 15 minutes left, so a smaller margin would make it run ssokey again on almost every call)'
            cand --session 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]'
            cand --refresh 'Fetch new credentials even when cached ones are still valid'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ssokey;completions'= {
            cand --session 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ssokey;help'= {
            cand login 'Sign in to the AWS access portal in the browser'
            cand logout 'Sign out: end the portal session and delete its tokens from the keychain'
            cand status 'Show every known session, whether it is signed in and until when'
            cand list 'List the accounts and roles assigned to you'
            cand profiles 'Write an AWS config profile for every role assigned to you'
            cand env 'Print shell lines that set AWS credentials for a role'
            cand credential-process 'Print credentials as the JSON that an AWS config `credential_process` reads'
            cand exec 'Run a command with AWS credentials for a role in its environment'
            cand completions 'Print the shell completion script for a shell'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ssokey;help;login'= {
        }
        &'ssokey;help;logout'= {
        }
        &'ssokey;help;status'= {
        }
        &'ssokey;help;list'= {
        }
        &'ssokey;help;profiles'= {
        }
        &'ssokey;help;env'= {
        }
        &'ssokey;help;credential-process'= {
        }
        &'ssokey;help;exec'= {
        }
        &'ssokey;help;completions'= {
        }
        &'ssokey;help;help'= {
        }
    ]
    $completions[$command]
}
