//! The value of a path argument (`file(...)`, `templatefile(...)`, `fileset(...)`) as far as
//! it is known without evaluating variables: a base (`path.module`, `path.root`, or the working
//! directory) and the literal text that follows it.
//!
//! Understood forms: `"a/b.tpl"`, `path.module`, `"${path.module}/a/b.tpl"`,
//! `join("/", [path.module, "a", "b.tpl"])`, `abspath(...)` of any of those, and parentheses.
//! A template that continues with a variable keeps the literal prefix and is marked incomplete,
//! so the caller can still depend on the directory that prefix names. This file must not
//! resolve paths against directories or read files.

use hcl::edit::expr::{Expression, FuncCall, Traversal, TraversalOperator};
use hcl::edit::template::{Element, StringTemplate};

use super::facts::{PathArg, PathBase};

/// The path `expr` denotes, or `None` when nothing about it is known (`var.policy_path`).
pub(crate) fn evaluate(expr: &Expression) -> Option<PathArg> {
    match expr {
        Expression::String(s) => Some(PathArg {
            base: PathBase::Cwd,
            text: s.as_str().to_owned(),
            complete: true,
        }),
        Expression::Parenthesis(p) => evaluate(p.inner()),
        Expression::Traversal(t) => path_reference(t).map(|base| PathArg {
            base,
            text: String::new(),
            complete: true,
        }),
        Expression::StringTemplate(t) => from_template(t),
        Expression::FuncCall(call) => from_call(call),
        _ => None,
    }
}

/// The literal value of `expr` when it is a plain string (a `fileset` pattern).
pub(crate) fn literal(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.as_str().to_owned()),
        Expression::Parenthesis(p) => literal(p.inner()),
        _ => None,
    }
}

/// `path.module`, `path.root` or `path.cwd`.
fn path_reference(t: &Traversal) -> Option<PathBase> {
    let Expression::Variable(var) = &t.expr else {
        return None;
    };
    if var.as_str() != "path" || t.operators.len() != 1 {
        return None;
    }
    let TraversalOperator::GetAttr(attr) = t.operators[0].value() else {
        return None;
    };
    match attr.as_str() {
        "module" => Some(PathBase::Module),
        "root" => Some(PathBase::Root),
        // The working directory is the root's directory when Terraform runs in the root,
        // which is how a root is deployed.
        "cwd" => Some(PathBase::Root),
        _ => None,
    }
}

fn from_template(template: &StringTemplate) -> Option<PathArg> {
    let mut arg: Option<PathArg> = None;
    for element in template.iter() {
        let piece = match element {
            Element::Literal(text) => Some(text.as_str().to_owned()),
            Element::Interpolation(i) => match (&arg, &i.expr) {
                // Only a leading `${path.module}` sets the base; anywhere else it would
                // make an absolute path in the middle of another, which is not a file path.
                (None, Expression::Traversal(t)) => {
                    if let Some(base) = path_reference(t) {
                        arg = Some(PathArg {
                            base,
                            text: String::new(),
                            complete: true,
                        });
                        continue;
                    }
                    None
                }
                (_, inner) => literal(inner),
            },
            Element::Directive(_) => None,
        };
        match (piece, arg.as_mut()) {
            (Some(text), Some(arg)) => arg.text.push_str(&text),
            (Some(text), None) => {
                arg = Some(PathArg {
                    base: PathBase::Cwd,
                    text,
                    complete: true,
                })
            }
            (None, Some(arg)) => {
                arg.complete = false;
                break;
            }
            // A template that starts with a variable says nothing about where it points.
            (None, None) => return None,
        }
    }
    arg
}

fn from_call(call: &FuncCall) -> Option<PathArg> {
    if call.name.is_namespaced() {
        return None;
    }
    match call.name.name.as_str() {
        "abspath" => evaluate(call.args.get(0)?),
        "join" => {
            let separator = literal(call.args.get(0)?)?;
            let Some(Expression::Array(items)) = call.args.get(1) else {
                return None;
            };
            let mut parts = items.iter();
            let mut arg = evaluate(parts.next()?)?;
            for item in parts {
                match (arg.complete, literal(item)) {
                    (true, Some(text)) => {
                        arg.text.push_str(&separator);
                        arg.text.push_str(&text);
                    }
                    (true, None) => {
                        // The separator is known to follow, so the prefix still names a
                        // directory.
                        arg.text.push_str(&separator);
                        arg.complete = false;
                    }
                    (false, _) => break,
                }
            }
            Some(arg)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str) -> Option<PathArg> {
        let expr = hcl::edit::parser::parse_expr(src).unwrap();
        evaluate(&expr)
    }

    fn arg(base: PathBase, text: &str, complete: bool) -> Option<PathArg> {
        Some(PathArg {
            base,
            text: text.to_owned(),
            complete,
        })
    }

    #[test]
    fn literal_and_path_references() {
        assert_eq!(
            eval(r#""policy.json""#),
            arg(PathBase::Cwd, "policy.json", true)
        );
        assert_eq!(eval("path.module"), arg(PathBase::Module, "", true));
        assert_eq!(eval("path.root"), arg(PathBase::Root, "", true));
        assert_eq!(eval("path.cwd"), arg(PathBase::Root, "", true));
        assert_eq!(eval("(path.module)"), arg(PathBase::Module, "", true));
        assert_eq!(eval("path.other"), None);
        assert_eq!(eval("var.policy"), None);
    }

    #[test]
    fn templates_keep_the_known_prefix() {
        assert_eq!(
            eval(r#""${path.module}/templates/user_data.tpl""#),
            arg(PathBase::Module, "/templates/user_data.tpl", true)
        );
        assert_eq!(
            eval(r#""${path.root}/files/${"a"}.json""#),
            arg(PathBase::Root, "/files/a.json", true)
        );
        assert_eq!(
            eval(r#""${path.module}/env/${var.env}.json""#),
            arg(PathBase::Module, "/env/", false)
        );
        assert_eq!(
            eval(r#""shared/${var.env}.json""#),
            arg(PathBase::Cwd, "shared/", false)
        );
        assert_eq!(eval(r#""${var.dir}/x.json""#), None);
    }

    #[test]
    fn join_and_abspath() {
        assert_eq!(
            eval(r#"join("/", [path.module, "templates", "a.tpl"])"#),
            arg(PathBase::Module, "/templates/a.tpl", true)
        );
        assert_eq!(
            eval(r#"join("/", [path.module, "env", var.env])"#),
            arg(PathBase::Module, "/env/", false)
        );
        assert_eq!(
            eval(r#"abspath("${path.root}/x")"#),
            arg(PathBase::Root, "/x", true)
        );
        assert_eq!(eval(r#"format("%s/x", path.module)"#), None);
    }
}
