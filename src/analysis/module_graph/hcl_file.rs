//! Reads the facts of one `.tf` file (HCL native syntax) with the `hcl-rs` parser: its top-level
//! `module` blocks and every call, anywhere in the file, of a function that reads files.
//!
//! It uses the parser's editable tree (`hcl::edit`, part of `hcl-rs`) rather than `hcl::Body`
//! because only that tree keeps byte spans, which give the line numbers `explain` prints. That
//! parser refuses one thing Terraform accepts, an object with a repeated key (the last wins);
//! [`parse_body`] works around it so that valid configuration is never "unparseable". It must
//! not resolve paths or read other files.

use hcl::edit::expr::FuncCall;
use hcl::edit::structure::Body;
use hcl::edit::visit::{self, Visit};
use hcl::edit::Span;
use std::borrow::Cow;

use super::facts::{
    line_of, FileFacts, FileRead, ModuleCall, ReadTarget, SyntaxError, SINGLE_FILE_FUNCTIONS,
};
use super::path_arg;

/// The facts of `text`, or where and why it does not parse.
pub(crate) fn read(text: &str) -> Result<FileFacts, SyntaxError> {
    let (body, text) = parse_body(text)?;
    let mut collector = ReadCollector {
        text: &text,
        reads: Vec::new(),
    };
    collector.visit_body(&body);
    Ok(FileFacts {
        calls: module_calls(&text, &body),
        reads: collector.reads,
    })
}

/// The body of `text` as Terraform parses it, with the text its spans point into (`text`
/// itself, or a copy whose repeated object keys are parenthesised, on the same lines).
///
/// hcl-rs refuses an object whose key repeats; Terraform keeps the last value. A key in
/// parentheses is an expression, which the parser does not compare, so each refused key is
/// wrapped (`x` -> `(x)`, `"x"` -> `("x")`) and the text parsed again. Only columns move, so
/// every line read from the copy is the line in `text`. Any other error is the file's.
pub(crate) fn parse_body(text: &str) -> Result<(Body, Cow<'_, str>), SyntaxError> {
    let mut text = Cow::Borrowed(text);
    loop {
        let error = match hcl::edit::parser::parse_body(&text) {
            Ok(body) => return Ok((body, text)),
            Err(e) => e,
        };
        let refused = SyntaxError {
            line: error.location().line(),
            message: error.message().to_owned(),
        };
        if !error.message().contains("redefined object key") {
            return Err(refused);
        }
        // A key is wrapped once more each time it still repeats an earlier key, so a key takes
        // at most as many rounds as there are keys before it in its object.
        let at = error.location().offset();
        let Some(end) = key_end(&text, at) else {
            return Err(refused);
        };
        let mut wrapped = String::with_capacity(text.len() + 2);
        wrapped.push_str(&text[..at]);
        wrapped.push('(');
        wrapped.push_str(&text[at..end]);
        wrapped.push(')');
        wrapped.push_str(&text[end..]);
        text = Cow::Owned(wrapped);
    }
}

/// The end of the literal object key (an identifier or a quoted string without
/// interpolation) that starts at byte `at`; `None` for anything else.
fn key_end(text: &str, at: usize) -> Option<usize> {
    let rest = text.get(at..)?;
    let mut chars = rest.char_indices();
    match chars.next()? {
        (_, '"') => {
            let mut escaped = false;
            for (i, c) in chars {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => return Some(at + i + 1),
                    '\n' => return None,
                    '$' | '%' if rest[i + 1..].starts_with('{') => return None,
                    _ => {}
                }
            }
            None
        }
        // A key wrapped in an earlier round that repeats another wrapped key: wrap it again.
        (_, '(') => {
            let mut depth = 0usize;
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' if depth == 1 => return Some(at + i + 1),
                    ')' => depth -= 1,
                    '\n' => return None,
                    _ => {}
                }
            }
            None
        }
        (_, c) if c.is_alphabetic() || c == '_' => {
            let end = rest
                .char_indices()
                .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
                .map_or(rest.len(), |(i, _)| i);
            Some(at + end)
        }
        _ => None,
    }
}

/// `module` blocks only exist at the top level of a file, with exactly one label.
fn module_calls(text: &str, body: &Body) -> Vec<ModuleCall> {
    body.get_blocks("module")
        .filter_map(|block| {
            let [label] = block.labels.as_slice() else {
                return None;
            };
            Some(ModuleCall {
                name: label.as_str().to_owned(),
                source: block
                    .body
                    .get_attribute("source")
                    .and_then(|attr| path_arg::literal(&attr.value)),
                line: block.span().map_or(0, |s| line_of(text, s.start)),
            })
        })
        .collect()
}

/// The file reads inside one template string (a string value of a `.tf.json` file, which
/// Terraform evaluates as a template). Lines count from the start of `template`.
pub(crate) fn template_reads(template: &str) -> Result<Vec<FileRead>, SyntaxError> {
    let parsed = hcl::edit::parser::parse_template(template).map_err(|e| SyntaxError {
        line: e.location().line(),
        message: e.message().to_owned(),
    })?;
    let mut collector = ReadCollector {
        text: template,
        reads: Vec::new(),
    };
    collector.visit_template(&parsed);
    Ok(collector.reads)
}

struct ReadCollector<'t> {
    text: &'t str,
    reads: Vec<FileRead>,
}

impl Visit for ReadCollector<'_> {
    fn visit_func_call(&mut self, call: &FuncCall) {
        if !call.name.is_namespaced() {
            let function = call.name.name.as_str();
            let target = if SINGLE_FILE_FUNCTIONS.contains(&function) {
                Some(ReadTarget::File(
                    call.args.get(0).and_then(path_arg::evaluate),
                ))
            } else if function == "fileset" {
                Some(ReadTarget::Set {
                    dir: call.args.get(0).and_then(path_arg::evaluate),
                    pattern: call.args.get(1).and_then(path_arg::literal),
                })
            } else {
                None
            };
            if let Some(target) = target {
                self.reads.push(FileRead {
                    function: function.to_owned(),
                    target,
                    line: call.span().map_or(0, |s| line_of(self.text, s.start)),
                });
            }
        }
        // Arguments may hold further reads: `jsonencode(file(...))`, `templatefile(..., {
        // x = file(...) })`.
        visit::visit_func_call(self, call);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::module_graph::facts::{PathArg, PathBase};

    #[test]
    fn module_blocks_with_lines_and_sources() {
        let text = r#"terraform {
  required_version = ">= 1.5"
}

module "network" {
  source = "../../modules/network"
  cidr   = "10.0.0.0/16"
}

module "consul" {
  source  = "hashicorp/consul/aws"
  version = "0.1.0"
}

module "dynamic" {
  source = "${var.where}"
}
"#;
        let facts = read(text).unwrap();
        assert_eq!(
            facts.calls,
            [
                ModuleCall {
                    name: "network".into(),
                    source: Some("../../modules/network".into()),
                    line: 5
                },
                ModuleCall {
                    name: "consul".into(),
                    source: Some("hashicorp/consul/aws".into()),
                    line: 10
                },
                ModuleCall {
                    name: "dynamic".into(),
                    source: None,
                    line: 15
                },
            ]
        );
        assert!(facts.reads.is_empty());
    }

    #[test]
    fn file_reads_anywhere_in_the_file() {
        let text = r#"resource "aws_instance" "web" {
  user_data = templatefile("${path.module}/templates/init.tpl", {
    key = file("${path.root}/keys/web.pub")
  })
}

locals {
  policies = fileset(path.module, "policies/*.json")
  hashed   = filesha256(var.somewhere)
  other    = provider::terraform::decode_tfvars("x")
}
"#;
        let facts = read(text).unwrap();
        let summary: Vec<_> = facts
            .reads
            .iter()
            .map(|r| (r.function.as_str(), r.line, r.target.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "templatefile",
                    2,
                    ReadTarget::File(Some(PathArg {
                        base: PathBase::Module,
                        text: "/templates/init.tpl".into(),
                        complete: true
                    }))
                ),
                (
                    "file",
                    3,
                    ReadTarget::File(Some(PathArg {
                        base: PathBase::Root,
                        text: "/keys/web.pub".into(),
                        complete: true
                    }))
                ),
                (
                    "fileset",
                    8,
                    ReadTarget::Set {
                        dir: Some(PathArg {
                            base: PathBase::Module,
                            text: String::new(),
                            complete: true
                        }),
                        pattern: Some("policies/*.json".into())
                    }
                ),
                ("filesha256", 9, ReadTarget::File(None)),
            ]
        );
    }

    #[test]
    fn an_object_with_a_repeated_key_parses_as_terraform_parses_it() {
        // Terraform accepts a repeated object key (the last wins); hcl-rs alone refuses it.
        let text = "locals {\n  a = { x = 1, x = file(\"a.txt\") }\n  b = {\n    \"k\" = 1\n    \"k\" = 2\n    \"k\" = 3\n    \"k\" = 4\n  }\n}\n\nmodule \"m\" {\n  source = \"./m\"\n  tags   = { t = 1, t = filebase64(\"${path.module}/b.bin\") }\n}\n";
        let facts = read(text).unwrap();
        assert_eq!(
            facts.calls,
            [ModuleCall {
                name: "m".into(),
                source: Some("./m".into()),
                line: 11
            }]
        );
        let reads: Vec<(&str, usize)> = facts
            .reads
            .iter()
            .map(|r| (r.function.as_str(), r.line))
            .collect();
        assert_eq!(reads, [("file", 2), ("filebase64", 13)]);
        // A repeated attribute of a block is an error in Terraform too.
        assert_eq!(read("a = 1\na = 2\n").unwrap_err().line, 2);
    }

    #[test]
    fn a_syntax_error_says_where() {
        let err = read("module \"x\" {\n  source = \n}\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(!err.message.is_empty());
    }
}
