//! The one place that spawns programs (git for what libgit2 cannot do, the container CLI,
//! terraform).
//!
//! Arguments are passed as a vector, never through a shell, so no file name or value can be
//! interpreted as shell syntax. The captured stderr is returned for the error message. A long
//! run (a build, `terraform apply`) is streamed to our stderr as it comes, each line prefixed
//! with the target and made one safe line; a password goes in on stdin, never as an argument.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// What a finished program left behind.
#[derive(Debug)]
pub struct Finished {
    pub success: bool,
    /// The exit code; `None` when a signal ended the program.
    pub code: Option<i32>,
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
        code: output.status.code(),
        stdout: output.stdout,
        stderr: output.stderr,
    })
}

/// A program to run: arguments as a vector, an optional secret on stdin, extra environment, and
/// optionally its output streamed through line by line with a prefix (`[infra] ...`).
#[derive(Clone)]
pub struct Invocation {
    program: OsString,
    args: Vec<OsString>,
    cwd: std::path::PathBuf,
    envs: Vec<(OsString, OsString)>,
    stdin: Option<Vec<u8>>,
    prefix: Option<String>,
}

/// Everything but the stdin bytes and the environment's values, which may be a password or a
/// role's credentials: `{:?}` must never print them.
impl std::fmt::Debug for Invocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invocation")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("cwd", &self.cwd)
            .field(
                "envs",
                &self.envs.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field(
                "stdin",
                &self.stdin.as_ref().map(|b| format!("<{} bytes>", b.len())),
            )
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl Invocation {
    pub fn new(program: impl AsRef<OsStr>, cwd: &Path) -> Invocation {
        Invocation {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            cwd: cwd.to_owned(),
            envs: Vec::new(),
            stdin: None,
            prefix: None,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Invocation {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Invocation
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Invocation {
        self.envs
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Bytes written to the program's stdin (a password for `login --password-stdin`); never
    /// part of the arguments, so never in `ps` or a log.
    pub fn stdin(mut self, bytes: Vec<u8>) -> Invocation {
        self.stdin = Some(bytes);
        self
    }

    /// Streams stdout and stderr to our stderr as they come, each line prefixed `[prefix] `
    /// and made one safe line (no terminal escapes); they are captured as well.
    pub fn streamed(mut self, prefix: impl Into<String>) -> Invocation {
        self.prefix = Some(prefix.into());
        self
    }

    /// The command line for `--verbose` and dry runs, each argument quoted when needed.
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|a| quote(&crate::text::one_line(&a.to_string_lossy())))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs the program and waits for it. Failing to start it is an error; a non-zero exit is
    /// `success: false`, for the caller to explain.
    pub fn run(&self) -> Result<Finished> {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .current_dir(&self.cwd)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|source| Error::Io {
            action: "run",
            path: std::path::PathBuf::from(&self.program),
            source,
        })?;
        if let (Some(bytes), Some(mut pipe)) = (&self.stdin, child.stdin.take()) {
            // A program that exits without reading its stdin closes the pipe: not our failure.
            let _ = pipe.write_all(bytes);
        }
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let prefix = self.prefix.clone();
        let (out, err) = std::thread::scope(|scope| {
            let out = scope.spawn(|| pump(stdout, prefix.as_deref()));
            let err = scope.spawn(|| pump(stderr, prefix.as_deref()));
            (
                out.join().unwrap_or_default(),
                err.join().unwrap_or_default(),
            )
        });
        let status = child.wait().map_err(|source| Error::Io {
            action: "wait for",
            path: std::path::PathBuf::from(&self.program),
            source,
        })?;
        Ok(Finished {
            success: status.success(),
            code: status.code(),
            stdout: out,
            stderr: err,
        })
    }
}

/// Reads a pipe to its end, echoing each line to stderr with the prefix when there is one.
fn pump(pipe: Option<impl std::io::Read>, prefix: Option<&str>) -> Vec<u8> {
    let Some(pipe) = pipe else {
        return Vec::new();
    };
    let mut reader = std::io::BufReader::new(pipe);
    let mut all = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                all.extend_from_slice(&line);
                if let Some(prefix) = prefix {
                    let text = String::from_utf8_lossy(&line);
                    // A closed stderr must not stop the draining: the program would get SIGPIPE
                    // in the middle of its work (an apply).
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "[{prefix}] {}",
                        crate::text::one_line(text.trim_end_matches(['\n', '\r']))
                    );
                }
            }
        }
    }
    all
}

/// Quotes an argument for display the way a POSIX shell would read it back.
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%".contains(&b));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_what_a_shell_would_read_otherwise() {
        let call = Invocation::new("terraform", Path::new("."))
            .arg("plan")
            .arg("-var-file=prod.tfvars")
            .arg("it's $(here)");
        assert_eq!(
            call.display(),
            "terraform plan -var-file=prod.tfvars 'it'\\''s $(here)'"
        );
    }

    #[test]
    fn debug_never_shows_the_stdin_bytes() {
        let call = Invocation::new("docker", Path::new(".")).stdin(b"hunter2".to_vec());
        let debug = format!("{call:?}");
        assert!(
            !debug.contains("hunter2") && debug.contains("<7 bytes>"),
            "{debug}"
        );
    }

    #[test]
    fn stdin_reaches_the_program_and_output_is_captured() {
        let done = Invocation::new("sh", Path::new("."))
            .args([
                "-c",
                "read secret; printf '%s' \"${#secret}\"; echo oops >&2; exit 3",
            ])
            .stdin(b"hunter2\n".to_vec())
            .run()
            .unwrap();
        assert!(!done.success);
        assert_eq!(done.stdout, b"7");
        assert_eq!(done.stderr, b"oops\n");
    }
}
