//! What a standalone binary does at start: find the payloads embedded in its
//! own executable (`/proc/self/exe`) and extract them below ROOT, safely and
//! once. It prints one `name<TAB>path<TAB>outcome` line per payload, or
//! `none`. Exit codes: 0 done, 1 failure, 2 usage.

use embedded_payload::{extract, find, payload_sha256, recorded_digests, Names, DIGESTS};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn run(exe: &Path, root: &Path) -> Result<(), Box<dyn std::error::Error>> {
    // Only the headers and the digests are read here, not the payloads.
    let cache = object::ReadCache::new(std::fs::File::open(exe)?);
    let payloads = find(&cache, &Names::default())?;
    let recorded = recorded_digests(&cache, &payloads)?;
    let mut any = false;
    for p in payloads.iter().filter(|p| p.name != DIGESTS) {
        any = true;
        let digest = match recorded.get(&p.name) {
            Some(d) => d.clone(),
            None => payload_sha256(exe, p)?,
        };
        let (path, outcome) = extract(exe, root, p, &digest)?;
        println!("{}\t{}\t{outcome:?}", p.name, path.display());
    }
    if !any {
        println!("none");
    }
    Ok(())
}

fn main() -> ExitCode {
    let Some(root) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: self_extract ROOT");
        return ExitCode::from(2);
    };
    match run(Path::new("/proc/self/exe"), &root) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("self_extract: {e}");
            ExitCode::FAILURE
        }
    }
}
