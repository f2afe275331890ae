//! What a standalone binary does at start: find the payloads embedded in its
//! own executable (`/proc/self/exe`) and extract them below ROOT, safely and
//! once. It prints one `name<TAB>path<TAB>outcome` line per payload, or
//! `none`. Exit codes: 0 done, 1 failure, 2 usage.

use embedded_payload::{extract_all, Names};

const HELP: &str = "\
Extracts the payloads embedded in this executable below ROOT, once: each to
ROOT/embedded/<name>-<sha256>, printing name, path and outcome (Extracted,
Cached or Verified), or `none`.

Usage: self_extract ROOT

Example: self_extract /var/lib/actiond

Exit codes: 0 done, 1 failure (one line naming the file and the reason),
2 usage error.";
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn run(exe: &Path, root: &Path) -> Result<(), embedded_payload::Error> {
    let done = extract_all(exe, root, &Names::default(), None)?;
    for (name, path, outcome) in &done {
        println!("{name}\t{}\t{outcome:?}", path.display());
    }
    if done.is_empty() {
        println!("none");
    }
    Ok(())
}

fn main() -> ExitCode {
    let Some(root) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: self_extract ROOT");
        return ExitCode::from(2);
    };
    match root.to_str() {
        Some("--help" | "-h") => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Some("--version" | "-V") => {
            println!("self_extract {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    match run(Path::new("/proc/self/exe"), &root) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("self_extract: {e}");
            ExitCode::FAILURE
        }
    }
}
