//! `actiond-tool lock`: runtime packages resolved through Packages indexes.

use anyhow::{Context, Result};
use std::path::Path;

/// Writes the lock of `request` to `out`, or fails unless `check` equals it.
pub(crate) fn run(request: &Path, out: Option<&Path>, check: Option<&Path>) -> Result<()> {
    let parsed = runtime_lock::Request::read(request)?;
    let lock = runtime_lock::lock(&parsed, Path::new("."), request)?;
    let text = lock.to_json();
    if let Some(out) = out {
        atomic_file::write(out, text.as_bytes())?;
    } else if let Some(check) = check {
        let committed = std::fs::read_to_string(check)
            .with_context(|| format!("{}: cannot read", check.display()))?;
        if committed != text {
            anyhow::bail!(
                "{}: out of date with its indexes; regenerate it (bazel run of the lock target)",
                check.display()
            );
        }
    }
    Ok(())
}
