//! The interactive pick of a role for `ssokey env` and `ssokey exec` run on a
//! terminal without a target: a fuzzy filter over the account-role list, drawn
//! on stderr, so that `eval "$(ssokey env)"` still gets only shell lines on
//! stdout. `credential-process` never picks: its caller is a program.

use anyhow::Context as _;
use dialoguer::FuzzySelect;
use dialoguer::console::Term;
use dialoguer::theme::{ColorfulTheme, SimpleTheme, Theme};

use crate::listing::Assignment;

/// The rows shown at once.
const ROWS: usize = 15;

/// Asks the user to pick one of `assignments` on the terminal; `None` when
/// they cancel with Esc.
pub fn pick(assignments: &[Assignment], color: bool) -> anyhow::Result<Option<&Assignment>> {
    let term = Term::stderr();
    let colorful = ColorfulTheme::default();
    let theme: &dyn Theme = if color { &colorful } else { &SimpleTheme };
    let chosen = FuzzySelect::with_theme(theme)
        .with_prompt("Pick a role (type to filter, Enter to choose, Esc to cancel)")
        .items(labels(assignments))
        .max_length(ROWS)
        .report(false)
        .interact_on_opt(&term);
    // An interrupted prompt leaves the cursor hidden.
    let _ = term.show_cursor();
    let chosen = chosen.context("the terminal could not show the role picker")?;
    Ok(chosen.map(|index| &assignments[index]))
}

/// Pure: one line per assignment, in aligned columns of account name,
/// account id and role, so that typing any of them filters. A name is shown
/// escaped ([`crate::ui::escape`]): the picker draws on the terminal.
pub fn labels(assignments: &[Assignment]) -> Vec<String> {
    let names: Vec<String> = assignments
        .iter()
        .map(|a| crate::ui::escape(&a.account_name).into_owned())
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    assignments
        .iter()
        .zip(&names)
        .map(|(a, name)| {
            let pad = width - name.chars().count();
            format!("{name}{:pad$}  {}  {}", "", a.account_id, a.role_name)
        })
        .collect()
}

/// Pure: the command that names the picked role, shown so that the next run
/// can skip the picker.
pub fn equivalent(command: &str, assignment: &Assignment) -> String {
    format!(
        "ssokey {command} --account {} --role {}",
        assignment.account_id, assignment.role_name
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::tests::assignment;

    #[test]
    fn labels_align_names_and_escape_control_characters() {
        let all = [
            assignment("111122223333", "prod", "Admin"),
            assignment("444455556666", "sandbox\n", "ReadOnly"),
            assignment("777788889999", "\u{1b}]0;x\u{7}\u{202e}", "ReadOnly"),
        ];
        assert_eq!(
            labels(&all),
            [
                "prod                     111122223333  Admin",
                "sandbox\\n                444455556666  ReadOnly",
                "\\u{1b}]0;x\\u{7}\\u{202e}  777788889999  ReadOnly",
            ]
        );
        assert_eq!(
            equivalent("env", &all[0]),
            "ssokey env --account 111122223333 --role Admin"
        );
    }
}
