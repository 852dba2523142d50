//! What the Terraform analysis could not follow, as typed values whose `Display` is the line
//! `explain` prints. Every warning comes with a safe fallback in the result (see
//! `dependencies`), so a warning never means "unchanged" by mistake.
//!
//! This file only describes warnings; it must not decide what to fall back to.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One thing the analysis could not follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Warning {
    /// A configuration file that does not parse (or is not UTF-8).
    Unparseable {
        file: String,
        line: usize,
        message: String,
    },
    /// Local modules that call each other in a loop, in call order.
    Cycle { dirs: Vec<String> },
    /// A module `source` that leaves the repository (`../../../../x`, `/opt/x`).
    SourceOutsideRepository {
        file: String,
        line: usize,
        module: String,
        source: String,
    },
    /// A module block without a literal `source`.
    UnknownSource {
        file: String,
        line: usize,
        module: String,
    },
    /// A local module directory that holds no `.tf` or `.tf.json` file in this commit.
    EmptyModule {
        file: String,
        line: usize,
        module: String,
        dir: String,
    },
    /// A file-reading call whose path is not known at all (`file(var.path)`).
    UnknownRead {
        file: String,
        line: usize,
        function: String,
    },
    /// A symbolic link (a configuration file or a module folder) that leaves the repository
    /// or loops.
    BrokenLink { link: String },
    /// A file-reading call whose path leaves the repository.
    ReadOutsideRepository {
        file: String,
        line: usize,
        function: String,
        path: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Unparseable {
                file,
                line,
                message,
            } => write!(
                f,
                "{file}:{line}: failed to parse Terraform configuration: {message}"
            ),
            Warning::Cycle { dirs } => {
                write!(f, "module cycle: {}", dirs.join(" -> "))?;
                if let Some(first) = dirs.first() {
                    write!(f, " -> {first}")?;
                }
                Ok(())
            }
            Warning::SourceOutsideRepository {
                file,
                line,
                module,
                source,
            } => write!(
                f,
                "{file}:{line}: module \"{module}\" source `{source}` is outside the repository"
            ),
            Warning::UnknownSource { file, line, module } => write!(
                f,
                "{file}:{line}: module \"{module}\" has no literal `source`"
            ),
            Warning::EmptyModule {
                file,
                line,
                module,
                dir,
            } => write!(
                f,
                "{file}:{line}: module \"{module}\" source `{dir}` holds no Terraform files"
            ),
            Warning::UnknownRead {
                file,
                line,
                function,
            } => write!(
                f,
                "{file}:{line}: the path read by {function}() is not a literal"
            ),
            Warning::BrokenLink { link } => write!(
                f,
                "the symlink `{link}` leads outside the repository or loops"
            ),
            Warning::ReadOutsideRepository {
                file,
                line,
                function,
                path,
            } => write!(
                f,
                "{file}:{line}: {function}() reads `{path}`, outside the repository"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_failed() {
        assert_eq!(
            Warning::Cycle {
                dirs: vec!["m/a".into(), "m/b".into()]
            }
            .to_string(),
            "module cycle: m/a -> m/b -> m/a"
        );
        assert_eq!(
            Warning::SourceOutsideRepository {
                file: "envs/prod/main.tf".into(),
                line: 3,
                module: "x".into(),
                source: "../../../../outside".into()
            }
            .to_string(),
            "envs/prod/main.tf:3: module \"x\" source `../../../../outside` is outside the \
             repository"
        );
    }
}
