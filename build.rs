//! Build-time facts for the binary; nothing is generated but one environment variable.
//!
//! `QUEST_SOURCE_ID` identifies the source the binary was built from: a hash of every file under
//! `src/` (path and bytes) and of `Cargo.lock`. The Terraform analysis cache
//! (`src/analysis/root_cache.rs`) trusts only files written by a binary of the same source, so
//! a build whose analysis changed never reuses results of an older one, even when the version
//! number in `Cargo.toml` did not move; rebuilding the same source (a fresh CI job) keeps it.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let mut files = Vec::new();
    collect(Path::new("src"), &mut files);
    files.sort();
    files.push(PathBuf::from("Cargo.lock"));
    let mut hasher = DefaultHasher::new();
    for file in &files {
        hasher.write(file.to_string_lossy().as_bytes());
        hasher.write_u8(0);
        hasher.write(&std::fs::read(file).unwrap_or_default());
        hasher.write_u8(0);
    }
    println!("cargo:rustc-env=QUEST_SOURCE_ID={:016x}", hasher.finish());
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}
