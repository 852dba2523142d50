//! The one place that spawns programs (git for what libgit2 cannot do; later the container CLI
//! and terraform).
//!
//! Arguments are passed as a vector, never through a shell, so no file name or value can be
//! interpreted as shell syntax. The captured stderr is returned for the error message.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// What a finished program left behind.
#[derive(Debug)]
pub struct Finished {
    pub success: bool,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `program` with `args` in `cwd`, with no stdin, and waits for it.
pub fn run<I, S>(program: &str, args: I, cwd: &Path) -> Result<Finished>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| Error::Io {
            action: "run",
            path: program.into(),
            source,
        })?;
    Ok(Finished {
        success: output.status.success(),
        stdout: output.stdout,
        stderr: output.stderr,
    })
}
