//! The explanation of one dependency: the calls that lead from a Terraform root to a directory
//! or file, innermost first, so that a changed path, its chain and the target name read left to
//! right: `modules/network/main.tf -> module "network" (envs/prod/main.tf:12) -> infra-prod`.
//!
//! This file only holds and formats the chain; `analysis` builds it and the caller adds the
//! changed path in front and the target name at the end.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One hop on the way from the root to a dependency: a module call, a file read or a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hop {
    /// `module "<name>"` at `file:line`, whose local `source` is the next directory inward.
    Module {
        name: String,
        file: String,
        line: usize,
    },
    /// A call of `function` (`templatefile`, `file`, `fileset`, ...) at `file:line`.
    Read {
        function: String,
        file: String,
        line: usize,
    },
    /// The symbolic link `file`, through which Terraform loads the next step inward.
    Link { file: String },
}

impl fmt::Display for Hop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hop::Module { name, file, line } => write!(f, "module \"{name}\" ({file}:{line})"),
            Hop::Read {
                function,
                file,
                line,
            } => write!(f, "{function}() ({file}:{line})"),
            Hop::Link { file } => write!(f, "symlink ({file})"),
        }
    }
}

/// The hops from a dependency out to the root, innermost first. Empty for the root's own
/// files, which depend on nothing but being in the root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chain {
    pub steps: Vec<Hop>,
}

impl Chain {
    /// This chain extended inward by `step` (the new step comes first).
    pub(crate) fn through(&self, step: Hop) -> Chain {
        let mut steps = Vec::with_capacity(self.steps.len() + 1);
        steps.push(step);
        steps.extend(self.steps.iter().cloned());
        Chain { steps }
    }
}

/// The steps joined by ` -> `, innermost first; empty for an empty chain.
impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str(" -> ")?;
            }
            write!(f, "{step}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_innermost_first() {
        let outer = Chain::default().through(Hop::Module {
            name: "network".into(),
            file: "terraform/environments/prod/main.tf".into(),
            line: 12,
        });
        let inner = outer.through(Hop::Read {
            function: "templatefile".into(),
            file: "terraform/modules/network/main.tf".into(),
            line: 4,
        });
        assert_eq!(
            outer.to_string(),
            r#"module "network" (terraform/environments/prod/main.tf:12)"#
        );
        assert_eq!(
            inner.to_string(),
            "templatefile() (terraform/modules/network/main.tf:4) -> \
             module \"network\" (terraform/environments/prod/main.tf:12)"
        );
        assert_eq!(Chain::default().to_string(), "");
    }
}
