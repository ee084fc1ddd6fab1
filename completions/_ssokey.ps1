
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'ssokey' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'ssokey'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'ssokey' {
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in to the AWS access portal in the browser')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Sign out: end the portal session and delete its tokens from the keychain')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show every known session, whether it is signed in and until when')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the accounts and roles assigned to you')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'Write an AWS config profile for every role assigned to you')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print shell lines that set AWS credentials for a role')
            [CompletionResult]::new('credential-process', 'credential-process', [CompletionResultType]::ParameterValue, 'Print credentials as the JSON that an AWS config `credential_process` reads')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with AWS credentials for a role in its environment')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the shell completion script for a shell')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ssokey;login' {
            [CompletionResult]::new('--start-url', '--start-url', [CompletionResultType]::ParameterName, 'The URL of the AWS access portal, e.g. https://NAME.awsapps.com/start')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'The region of the IAM Identity Center instance, e.g. us-east-1')
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Print the sign-in URL and code, but do not open a browser')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Sign in again even when a valid token is held')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ssokey;logout' {
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Sign out of every known session')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ssokey;status' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The output format')
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ssokey;list' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The output format')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many role listings may run at once')
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Ask the portal, even when the local listing cache is recent')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ssokey;profiles' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The profile name template: {account_name}, {account_id}, {role_name}, {session} [default: {account_name}-{role_name}]')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Set this region in every profile')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many role listings may run at once')
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Write the changes into the AWS config file (without it, print them as a diff)')
            [CompletionResult]::new('--prune', '--prune', [CompletionResultType]::ParameterName, 'Remove ssokey''s profiles whose role is no longer assigned')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Ask the portal, even when the local listing cache is recent')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ssokey;env' {
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'The account: its 12-digit id, or its name when that is unique')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'The role (permission set) name')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Read the account, role and session from a profile of the AWS config file [default: AWS_PROFILE, when neither --account nor --profile is given]')
            [CompletionResult]::new('--margin', '--margin', [CompletionResultType]::ParameterName, 'Reuse cached credentials only while they have more than this left (botocore refreshes credentials with less than 15 minutes left, so a smaller margin would make it run ssokey again on almost every call)')
            [CompletionResult]::new('--shell', '--shell', [CompletionResultType]::ParameterName, 'The shell to print for [default: the parent shell; PowerShell on Windows]')
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Fetch new credentials even when cached ones are still valid')
            [CompletionResult]::new('--unset', '--unset', [CompletionResultType]::ParameterName, 'Print the lines that clear the variables instead')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ssokey;credential-process' {
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'The account: its 12-digit id, or its name when that is unique')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'The role (permission set) name')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Read the account, role and session from a profile of the AWS config file [default: AWS_PROFILE, when neither --account nor --profile is given]')
            [CompletionResult]::new('--margin', '--margin', [CompletionResultType]::ParameterName, 'Reuse cached credentials only while they have more than this left (botocore refreshes credentials with less than 15 minutes left, so a smaller margin would make it run ssokey again on almost every call)')
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Fetch new credentials even when cached ones are still valid')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ssokey;exec' {
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'The account: its 12-digit id, or its name when that is unique')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'The role (permission set) name')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Read the account, role and session from a profile of the AWS config file [default: AWS_PROFILE, when neither --account nor --profile is given]')
            [CompletionResult]::new('--margin', '--margin', [CompletionResultType]::ParameterName, 'Reuse cached credentials only while they have more than this left (botocore refreshes credentials with less than 15 minutes left, so a smaller margin would make it run ssokey again on almost every call)')
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Fetch new credentials even when cached ones are still valid')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ssokey;completions' {
            [CompletionResult]::new('--session', '--session', [CompletionResultType]::ParameterName, 'The session to use: an [sso-session NAME] of the AWS config file, or one remembered from an earlier --start-url [default: the one used last]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'ssokey;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in to the AWS access portal in the browser')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Sign out: end the portal session and delete its tokens from the keychain')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show every known session, whether it is signed in and until when')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the accounts and roles assigned to you')
            [CompletionResult]::new('profiles', 'profiles', [CompletionResultType]::ParameterValue, 'Write an AWS config profile for every role assigned to you')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print shell lines that set AWS credentials for a role')
            [CompletionResult]::new('credential-process', 'credential-process', [CompletionResultType]::ParameterValue, 'Print credentials as the JSON that an AWS config `credential_process` reads')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with AWS credentials for a role in its environment')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the shell completion script for a shell')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ssokey;help;login' {
            break
        }
        'ssokey;help;logout' {
            break
        }
        'ssokey;help;status' {
            break
        }
        'ssokey;help;list' {
            break
        }
        'ssokey;help;profiles' {
            break
        }
        'ssokey;help;env' {
            break
        }
        'ssokey;help;credential-process' {
            break
        }
        'ssokey;help;exec' {
            break
        }
        'ssokey;help;completions' {
            break
        }
        'ssokey;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
