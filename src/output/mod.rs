//! Rendering for stdout, where only data goes: shell lines, JSON, tables, the
//! picker and completion; a reader that closed the pipe ends ssokey quietly.

pub mod complete;
pub mod picker;
pub mod render;

use std::io::{self, Write};

/// Writes `text` to stdout; a closed pipe (`ssokey status | head -1`) is not an error.
pub fn print(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
