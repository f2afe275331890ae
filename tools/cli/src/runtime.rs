//! `actiond-tool runtime run`, and the manifest check of `actiond-tool check manifest`.

use crate::{report, RunArgs};
use anyhow::{Context, Result};
use std::path::Path;

/// Validates `manifest`; with `tree`, checks it against the runtime in its
/// directory; with `packages`, checks that they describe the same .debs.
pub(crate) fn check_manifest(manifest: &Path, tree: bool, packages: Option<&Path>) -> Result<()> {
    use runtime_manifest::packages::RuntimePackages;
    let parsed = runtime_manifest::RuntimeManifest::from_file(manifest)?;
    if tree {
        let dir = manifest.parent().unwrap_or(Path::new("."));
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        parsed.check_tree(dir).map_err(|e| e.in_file(manifest))?;
    }
    if let Some(packages) = packages {
        RuntimePackages::from_file(packages)?
            .check_matches(&parsed)
            .map_err(|e| e.in_file(packages))?;
    }
    Ok(())
}

/// Runs the command inside the runtime and exits with its status: its own
/// code, 128+N for signal N, or 125 (with one line) if it cannot run.
pub(crate) fn run(args: RunArgs, verbose: bool) -> Result<()> {
    let status = run_in_runtime(args).unwrap_or_else(|err| {
        report(&err, verbose);
        std::process::exit(125);
    });
    use std::os::unix::process::ExitStatusExt as _;
    std::process::exit(
        status
            .code()
            .or_else(|| status.signal().map(|s| 128 + s))
            .unwrap_or(125),
    );
}

fn run_in_runtime(args: RunArgs) -> Result<std::process::ExitStatus> {
    let arch = match args.arch {
        Some(arch) => arch,
        None => runtime_root::host_arch().context("unknown machine architecture: pass --arch")?,
    };
    let binds = args
        .binds
        .iter()
        .map(|b| runtime_root::Bind::parse(b))
        .collect::<Result<_, _>>()?;
    let env = args
        .env
        .iter()
        .map(|e| {
            e.split_once('=')
                .map(|(k, v)| (k.into(), v.into()))
                .with_context(|| format!("--env {e}: expected NAME=VALUE"))
        })
        .collect::<Result<_>>()?;
    let options = runtime_root::Options {
        image: args.image,
        libc: args.libc,
        arch,
        binds,
        workdir: args.workdir,
        env,
        qemu: args.qemu,
    };
    runtime_root::enter_private_mount_namespace()?;
    Ok(runtime_root::run(&options, &args.command)?)
}
