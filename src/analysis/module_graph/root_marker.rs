//! Whether a `.tf` file marks its folder as a root configuration: a top-level `provider` block,
//! or a `terraform` block holding a `backend` block. Used to discover roots; it must not decide
//! anything about modules or routing.

/// True when `text` (HCL native syntax) declares a provider or a backend. A file that does not
/// parse declares nothing.
pub fn declares_root(text: &str) -> bool {
    let Ok((body, _)) = super::hcl_file::parse_body(text) else {
        return false;
    };
    body.get_blocks("provider").next().is_some()
        || body
            .get_blocks("terraform")
            .any(|block| block.body.get_blocks("backend").next().is_some())
}

#[cfg(test)]
mod tests {
    use super::declares_root;

    #[test]
    fn providers_and_backends_mark_roots() {
        assert!(declares_root(
            "provider \"aws\" {\n  region = \"us-east-1\"\n}\n"
        ));
        assert!(declares_root("terraform {\n  backend \"s3\" {}\n}\n"));
        assert!(!declares_root(
            "terraform {\n  required_version = \">= 1.10\"\n}\n"
        ));
        assert!(!declares_root("resource \"x\" \"y\" {}\n"));
        assert!(!declares_root("provider \"aws\" {\n"));
    }
}
