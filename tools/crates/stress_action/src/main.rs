//! The one tool of the stress workload's actions (`rules/stress.bzl`). It is
//! an input of every action, so the actions need nothing from the machine
//! but the runtime's libc: they run as well inside a glibc runtime root,
//! where there is no shell, as locally.
//!
//! ```text
//! stress_action fill DIR COUNT SEED       write COUNT files into DIR
//! stress_action digest OUT INPUT...       hash files and directories into OUT
//! stress_action summary OUT EXPECTED DIGEST...
//!                                         check and combine digests into OUT (JSON)
//! ```
//!
//! A digest is one line, `files=<n> sha256=<hex> libc=<versions>`, over the
//! sorted relative paths and contents of every file under its inputs.
//!
//! Every action records the glibc it ran on: `fill` in the first line of
//! each file it writes, `digest` and `summary` in their outputs, together
//! with those their inputs recorded. The summary's `libc` lists them all,
//! so it shows which runtimes the workload's actions ran in.

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// How a file written by `fill` begins, followed by the glibc version.
const RAN_ON: &str = "stress_action ran on glibc ";

/// The version of the glibc this process runs on, such as `2.35`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn libc_version() -> String {
    // SAFETY: glibc returns a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) }
        .to_string_lossy()
        .into_owned()
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn libc_version() -> String {
    "none".into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `count` small files of distinct content into `dir`.
fn fill(dir: &Path, count: usize, seed: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let ran_on = format!("{RAN_ON}{}\n", libc_version());
    for i in 0..count {
        let path = dir.join(format!("f{i:03}.txt"));
        let body = ran_on.clone() + &format!("{seed}/{i}\n").repeat(1 + i % 7);
        std::fs::write(&path, body).with_context(|| format!("{}: cannot write", path.display()))?;
    }
    Ok(())
}

/// Every file under `input` (itself if a file), as (path, file) pairs.
fn files(input: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    let meta =
        std::fs::metadata(input).with_context(|| format!("{}: cannot read", input.display()))?;
    if !meta.is_dir() {
        out.push((input.to_string_lossy().into_owned(), input.to_owned()));
        return Ok(());
    }
    for entry in std::fs::read_dir(input).with_context(|| format!("{}", input.display()))? {
        files(&entry?.path(), out)?;
    }
    Ok(())
}

fn digest(out: &Path, inputs: &[PathBuf]) -> Result<()> {
    let mut all = Vec::new();
    for input in inputs {
        files(input, &mut all)?;
    }
    all.sort();
    let mut hasher = Sha256::new();
    let mut ran_on = BTreeSet::from([libc_version()]);
    for (name, path) in &all {
        let data =
            std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(Sha256::digest(&data));
        let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
        if let Some(version) = String::from_utf8_lossy(first).strip_prefix(RAN_ON) {
            ran_on.insert(version.to_owned());
        }
    }
    let line = format!(
        "files={} sha256={} libc={}\n",
        all.len(),
        hex(&hasher.finalize()),
        ran_on.into_iter().collect::<Vec<_>>().join(",")
    );
    atomic_file::write(out, line.as_bytes())
        .with_context(|| format!("{}: cannot write", out.display()))
}

fn summary(out: &Path, expected: usize, digests: &[PathBuf]) -> Result<()> {
    let mut total = 0;
    let mut hasher = Sha256::new();
    let mut ran_on = BTreeSet::from([libc_version()]);
    for path in digests {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()))?;
        let count: usize = text
            .strip_prefix("files=")
            .and_then(|rest| rest.split_once(' '))
            .and_then(|(n, _)| n.parse().ok())
            .with_context(|| format!("{}: not a digest: {text:?}", path.display()))?;
        total += count;
        hasher.update(text.as_bytes());
        let versions = text
            .trim_end()
            .rsplit_once(" libc=")
            .with_context(|| format!("{}: no libc= in {text:?}", path.display()))?
            .1;
        ran_on.extend(versions.split(',').map(str::to_owned));
    }
    if total != expected {
        bail!("the workload's actions read {total} files, not the {expected} it declares");
    }
    let libc: Vec<String> = ran_on.iter().map(|v| format!("\"{v}\"")).collect();
    let json = format!(
        "{{\"actions\": {}, \"files\": {total}, \"sha256\": \"{}\", \"libc\": [{}]}}\n",
        digests.len(),
        hex(&hasher.finalize()),
        libc.join(", ")
    );
    atomic_file::write(out, json.as_bytes())
        .with_context(|| format!("{}: cannot write", out.display()))
}

const USAGE: &str = "usage: stress_action fill DIR COUNT SEED | digest OUT INPUT... | summary OUT EXPECTED DIGEST...";

const HELP: &str = "\
The stress workload's action tool: fills directories, digests inputs, and
checks the digests' total.

Usage:
  stress_action fill DIR COUNT SEED        write COUNT files into DIR
  stress_action digest OUT INPUT...        hash files and directories into OUT
  stress_action summary OUT EXPECTED DIGEST...
                                           check that the digests read EXPECTED
                                           files, and combine them into OUT (JSON)

Example:
  stress_action fill out/dir 32 group0 && stress_action digest d.txt out/dir

Exit codes: 0 success, 1 failure (one line naming the file and the reason),
2 usage error.";

fn run(args: &[String]) -> Result<()> {
    let paths = |s: &[String]| s.iter().map(PathBuf::from).collect::<Vec<_>>();
    let number = |s: &str| {
        s.parse::<usize>()
            .with_context(|| format!("{s:?} is not a count"))
    };
    match args {
        [cmd, dir, count, seed] if cmd == "fill" => fill(Path::new(dir), number(count)?, seed),
        [cmd, out, inputs @ ..] if cmd == "digest" => digest(Path::new(out), &paths(inputs)),
        [cmd, out, expected, digests @ ..] if cmd == "summary" => {
            summary(Path::new(out), number(expected)?, &paths(digests))
        }
        _ => bail!("{USAGE}"),
    }
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--help" | "-h") => {
            println!("{HELP}");
            return std::process::ExitCode::SUCCESS;
        }
        Some("--version" | "-V") => {
            println!("stress_action {}", env!("CARGO_PKG_VERSION"));
            return std::process::ExitCode::SUCCESS;
        }
        Some("fill" | "digest" | "summary") => {}
        _ => {
            eprintln!("{USAGE}");
            return std::process::ExitCode::from(2);
        }
    }
    match run(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("stress_action: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_digest_summary() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d");
        fill(&dir, 5, "s").unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        digest(&a, std::slice::from_ref(&dir)).unwrap();
        digest(&b, &[dir.join("f000.txt"), dir.join("f001.txt")]).unwrap();
        assert!(std::fs::read_to_string(&a).unwrap().starts_with("files=5 "));
        let out = tmp.path().join("summary.json");
        summary(&out, 7, &[a.clone(), b.clone()]).unwrap();
        let json = std::fs::read_to_string(&out).unwrap();
        assert!(
            json.starts_with("{\"actions\": 2, \"files\": 7, "),
            "{json}"
        );
        let libc = format!("\"libc\": [\"{}\"]}}", libc_version());
        assert!(json.trim_end().ends_with(&libc), "{json}");
        assert!(std::fs::read_to_string(dir.join("f000.txt"))
            .unwrap()
            .starts_with(RAN_ON));
        let err = summary(&out, 8, &[a, b]).unwrap_err().to_string();
        assert!(err.contains("read 7 files, not the 8"), "{err}");
    }
}
