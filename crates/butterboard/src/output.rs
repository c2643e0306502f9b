//! Standard output for the commands' results. `println!` panics when the reader has gone (a
//! command piped into `head`); these return the error instead, and `main` ends the command
//! quietly on it, as a program stopped by SIGPIPE would end.

use std::fmt::Display;
use std::io::{self, Write as _};

/// Writes `text` and a newline to standard output.
pub fn line(text: impl Display) -> io::Result<()> {
    writeln!(io::stdout().lock(), "{text}")
}

/// Whether `error` comes from writing to a standard output its reader has closed.
pub fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe))
}
