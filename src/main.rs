//! The `quest-changes` binary: parse, run, map the error to an exit code. Nothing else.

use std::process::ExitCode;

use quest_changes::{cli::Cli, exit_code, Error};

fn main() -> ExitCode {
    let result = Cli::parse_process()
        .into_settings()
        .and_then(quest_changes::run);
    let code = match result {
        Ok(()) => exit_code::SUCCESS,
        // A closed pipe (`quest-changes | head`) is the reader's choice, not a failure.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            exit_code::SUCCESS
        }
        // Not a failure: the plan has changes and `--detailed-exitcode` asked to be told.
        Err(error @ Error::PlanHasChanges { .. }) => {
            eprintln!("note: {error}");
            error.exit_code()
        }
        Err(error) => {
            eprintln!(
                "error: {}",
                quest_changes::text::one_line(&error.to_string())
            );
            error.exit_code()
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
