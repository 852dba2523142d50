//! What one Terraform configuration file says that matters for its dependencies: the `module`
//! calls it makes and the files it reads. `hcl_file` and `json_file` produce these from the two
//! syntaxes Terraform accepts; `analysis` resolves them against directories.
//!
//! These are plain data: nothing here parses, resolves a path or reads a snapshot.

/// A `module "<name>" { source = ... }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModuleCall {
    pub name: String,
    /// The `source` address, `None` when absent or not a literal string (Terraform requires a
    /// literal, so such a file would not even initialise; the caller falls back).
    pub source: Option<String>,
    /// 1-based line of the block's first token in its file.
    pub line: usize,
}

/// The directory a path argument is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathBase {
    /// `path.module`: the directory of the module that holds the call.
    Module,
    /// `path.root`: the root module's directory.
    Root,
    /// A bare literal path: relative ones resolve against the working directory (the root
    /// module's directory when Terraform runs in the root); absolute ones leave the repository.
    Cwd,
}

/// A path argument as far as it can be known without evaluating variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathArg {
    pub base: PathBase,
    /// The literal text after the base (`templates/a.tpl`, or `/templates/a.tpl` after
    /// `"${path.module}"`), up to the first part that cannot be known.
    pub text: String,
    /// Whether `text` is the whole path (`false`: only a prefix of it is known).
    pub complete: bool,
}

/// What a call reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadTarget {
    /// One file (`file`, `templatefile`, `filebase64`, ...); `None` when the path is not known
    /// at all (`file(var.policy)`).
    File(Option<PathArg>),
    /// `fileset(dir, pattern)`: the files under `dir` matching `pattern`; the pattern is
    /// `None` when it is not a literal.
    Set {
        dir: Option<PathArg>,
        pattern: Option<String>,
    },
}

/// A call of a function that reads files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileRead {
    pub function: String,
    pub target: ReadTarget,
    /// 1-based line of the call in its file.
    pub line: usize,
}

/// Everything `analysis` needs from one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FileFacts {
    pub calls: Vec<ModuleCall>,
    pub reads: Vec<FileRead>,
}

/// Functions whose first argument is the path of one file they read.
pub(crate) const SINGLE_FILE_FUNCTIONS: [&str; 10] = [
    "file",
    "templatefile",
    "filebase64",
    "filemd5",
    "filesha1",
    "filesha256",
    "filesha512",
    "filebase64sha256",
    "filebase64sha512",
    "fileexists",
];

/// 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Why a file could not be read as Terraform configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// 1-based line the parser stopped at.
    pub line: usize,
    pub message: String,
}
