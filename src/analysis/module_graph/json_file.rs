//! Reads the facts of one `.tf.json` file (Terraform's JSON syntax): the `module` objects and
//! the file reads inside its string values, which Terraform evaluates as templates.
//!
//! JSON values carry no positions, so lines are found by a plain scan of the text: a module's
//! line is the first line after the `"module"` key that holds its quoted name, and the n-th
//! read of a function is put on the line of the n-th `function(` in the text. Both are for
//! `explain` only and never change which paths depend on the root. It must not resolve paths
//! or read other files.

use serde_json::Value;

use super::facts::{line_of, FileFacts, FileRead, ModuleCall, SyntaxError};
use super::hcl_file;

/// The facts of `text`, or where and why it does not parse.
pub(crate) fn read(text: &str) -> Result<FileFacts, SyntaxError> {
    let root: Value = serde_json::from_str(text).map_err(|e| SyntaxError {
        line: e.line(),
        message: e.to_string(),
    })?;
    let Value::Object(top) = &root else {
        return Err(SyntaxError {
            line: 1,
            message: "the top level of a Terraform JSON file must be an object".to_owned(),
        });
    };
    let mut calls = Vec::new();
    if let Some(modules) = top.get("module") {
        let module_key = text.find("\"module\"").unwrap_or(0);
        // Terraform accepts both `"module": {"a": {...}}` and `"module": [{"a": {...}}]`.
        let objects: Vec<&serde_json::Map<String, Value>> = match modules {
            Value::Object(map) => vec![map],
            Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
            _ => Vec::new(),
        };
        for (name, block) in objects.into_iter().flatten() {
            // A block may itself be given as an array of one object.
            let block = match block {
                Value::Array(items) => items.first().unwrap_or(block),
                other => other,
            };
            let quoted = format!("\"{name}\"");
            let offset = text[module_key..]
                .find(&quoted)
                .map_or(module_key, |at| module_key + at);
            calls.push(ModuleCall {
                name: name.clone(),
                source: block
                    .get("source")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                line: line_of(text, offset),
            });
        }
    }
    let mut reads = Vec::new();
    collect_reads(&root, &mut reads);
    place_reads(text, &mut reads);
    Ok(FileFacts { calls, reads })
}

fn collect_reads(value: &Value, reads: &mut Vec<FileRead>) {
    match value {
        Value::String(s) if s.contains("${") => {
            // A string that is not a valid template cannot be an expression Terraform
            // evaluates (it would reject the file), so it reads nothing.
            if let Ok(found) = hcl_file::template_reads(s) {
                reads.extend(found);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_reads(v, reads)),
        Value::Object(map) => map.values().for_each(|v| collect_reads(v, reads)),
        _ => {}
    }
}

fn place_reads(text: &str, reads: &mut [FileRead]) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for read in reads {
        let nth = seen.entry(read.function.clone()).or_insert(0);
        let needle = format!("{}(", read.function);
        read.line = text
            .match_indices(&needle)
            .filter(|(at, _)| {
                // `file(` also ends `templatefile(`: count only whole names.
                !text[..*at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            .nth(*nth)
            .map_or(1, |(at, _)| line_of(text, at));
        *nth += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::module_graph::facts::{PathArg, PathBase, ReadTarget};

    #[test]
    fn module_objects_and_template_reads() {
        let text = r#"{
  "module": {
    "network": {
      "source": "../../modules/network"
    },
    "consul": [{
      "source": "hashicorp/consul/aws"
    }]
  },
  "resource": {
    "aws_instance": {
      "web": {
        "user_data": "${templatefile(\"${path.module}/init.tpl\", {})}"
      }
    }
  }
}
"#;
        let facts = read(text).unwrap();
        assert_eq!(
            facts.calls,
            [
                ModuleCall {
                    name: "network".into(),
                    source: Some("../../modules/network".into()),
                    line: 3
                },
                ModuleCall {
                    name: "consul".into(),
                    source: Some("hashicorp/consul/aws".into()),
                    line: 6
                },
            ]
        );
        assert_eq!(facts.reads.len(), 1);
        assert_eq!(facts.reads[0].function, "templatefile");
        assert_eq!(facts.reads[0].line, 13);
        assert_eq!(
            facts.reads[0].target,
            ReadTarget::File(Some(PathArg {
                base: PathBase::Module,
                text: "/init.tpl".into(),
                complete: true
            }))
        );
    }

    #[test]
    fn module_list_form_and_errors() {
        let facts = read(r#"{"module": [{"a": {"source": "./a"}}]}"#).unwrap();
        assert_eq!(facts.calls[0].source.as_deref(), Some("./a"));
        assert!(read("[1]").is_err());
        assert_eq!(read("{\n  \"module\": \n").unwrap_err().line, 3);
    }
}
