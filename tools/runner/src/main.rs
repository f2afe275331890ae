//! `actiond-runner`: a runner for buildbox-worker (its `--buildbox-run`).
//!
//! The worker hands each action over as files: the `Action` to run and the
//! path where the `ActionResult` goes. The runner stages the action's input
//! root from the CAS, runs its command inside the glibc runtime that the
//! action's `libc` platform property names, taken from a runtimes image
//! mounted once per worker host, and uploads the outputs.
//!
//! ```text
//! buildbox-worker --buildbox-run=/usr/local/bin/actiond-runner \
//!     --runner-arg=--image=/run/actiond/runtimes \
//!     --platform libc=glibc2.35 --platform libc=glibc2.39 ...
//! ```

mod execute;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// The options of buildbox's runner contract, and ours.
#[derive(Parser, Debug)]
#[command(name = "actiond-runner", version, about)]
pub(crate) struct Args {
    /// The `Action` to run (a binary protobuf).
    #[arg(long, required_unless_present = "extract_embedded_image")]
    action: Option<PathBuf>,
    /// Where the `ActionResult` goes (a binary protobuf).
    #[arg(long, required_unless_present = "extract_embedded_image")]
    action_result: Option<PathBuf>,
    /// The CAS: grpc://HOST:PORT.
    #[arg(long, required_unless_present = "extract_embedded_image")]
    remote: Option<String>,
    /// The CAS instance.
    #[arg(long, default_value = "")]
    instance: String,
    /// Where the action's directories are made (default: the temporary
    /// directory).
    #[arg(long)]
    workspace_path: Option<PathBuf>,
    /// The runtimes image, mounted (or extracted): the directory holding
    /// `libc/` and `common/`. A SquashFS file works too, mounted per action.
    #[arg(long, required_unless_present = "extract_embedded_image")]
    image: Option<PathBuf>,
    /// Standalone mode, once per worker host before its workers start:
    /// extract the runtimes image embedded in this executable (its
    /// `runtimes` payload) to ROOT/embedded/runtimes-<sha256>, safely and
    /// once, print its path, and exit. Mount it, and pass the mount point
    /// as --image.
    #[arg(long, value_name = "ROOT", exclusive = true)]
    extract_embedded_image: Option<PathBuf>,
    /// Keep fetched input blobs here and hard-link them into place (a
    /// directory on the workspace's filesystem).
    #[arg(long)]
    cache: Option<PathBuf>,
    /// qemu-user, for runtimes of another architecture.
    #[arg(long)]
    qemu: Option<PathBuf>,
    /// Also write the command's stdout here (the worker streams it).
    #[arg(long)]
    stdout_file: Option<PathBuf>,
    /// Also write the command's stderr here.
    #[arg(long)]
    stderr_file: Option<PathBuf>,
    /// Only the SHA256 digest function is supported.
    #[arg(long, default_value = "SHA256")]
    digest_function: String,
    /// Only check the options, and exit.
    #[arg(long)]
    validate_parameters: bool,
    #[command(flatten)]
    _accepted: Accepted,
}

/// Options that buildbox-worker passes to every runner and that this one
/// does not need: it speaks to the CAS directly (never through buildbox's
/// LocalCAS), once per blob, and reports no partial metadata.
#[derive(clap::Args, Debug)]
struct Accepted {
    #[arg(long, hide = true)]
    use_localcas: bool,
    #[arg(long, hide = true)]
    disable_localcas: bool,
    #[arg(long, hide = true)]
    log_level: Option<String>,
    #[arg(long, hide = true)]
    partial_execution_metadata_file: Option<PathBuf>,
    #[arg(long, hide = true)]
    retry_limit: Option<String>,
    #[arg(long, hide = true)]
    retry_delay: Option<String>,
    #[arg(long, hide = true)]
    request_timeout: Option<String>,
    #[arg(long, hide = true)]
    keepalive_time: Option<String>,
    #[arg(long, hide = true)]
    ra_retry_limit: Option<String>,
    #[arg(long, hide = true)]
    ra_retry_delay: Option<String>,
    #[arg(long, hide = true)]
    ra_request_timeout: Option<String>,
    #[arg(long, hide = true)]
    ra_keepalive_time: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(root) = &args.extract_embedded_image {
        return match extract_embedded_image(root) {
            Ok(path) => {
                println!("{}", path.display());
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("actiond-runner: {err:#}");
                ExitCode::FAILURE
            }
        };
    }
    if args.validate_parameters {
        return ExitCode::SUCCESS;
    }
    match execute::execute(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let action = args.action.as_deref().unwrap_or(std::path::Path::new("?"));
            eprintln!("actiond-runner: {}: {err:#}", action.display());
            ExitCode::FAILURE
        }
    }
}

/// Extracts this executable's `runtimes` payload below `root`.
fn extract_embedded_image(root: &std::path::Path) -> anyhow::Result<PathBuf> {
    use anyhow::Context as _;
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let names = embedded_payload::Names::default();
    let done = embedded_payload::extract_all(&exe, root, &names, Some("runtimes"))
        .with_context(|| format!("{}", exe.display()))?;
    done.into_iter()
        .next()
        .map(|(_, path, _)| path)
        .with_context(|| {
            format!(
                "{}: no embedded runtimes image (standalone_binary with runtimes makes one)",
                exe.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The arguments buildbox-worker 1.4 passes, verbatim but for paths.
    #[test]
    fn takes_buildbox_workers_arguments() {
        let args = Args::try_parse_from([
            "actiond-runner",
            "--image=/run/actiond/runtimes",
            "--disable-localcas",
            "--remote=http://127.0.0.1:53067",
            "--retry-limit=4",
            "--retry-delay=1000",
            "--request-timeout=0",
            "--keepalive-time=0",
            "--ra-retry-limit=4",
            "--ra-retry-delay=1000",
            "--ra-request-timeout=0",
            "--ra-keepalive-time=0",
            "--action=/tmp/b/a.action",
            "--action-result=/tmp/b/a.actionresult",
            "--stdout-file=/tmp/out",
            "--stderr-file=/tmp/err",
            "--digest-function=SHA256",
            "--partial-execution-metadata-file=/tmp/meta",
            "--log-level=info",
        ])
        .unwrap();
        assert_eq!(args.remote.as_deref(), Some("http://127.0.0.1:53067"));
        assert_eq!(args.stdout_file, Some(PathBuf::from("/tmp/out")));
        assert!(!args.validate_parameters);
    }

    #[test]
    fn extraction_stands_alone() {
        let args =
            Args::try_parse_from(["actiond-runner", "--extract-embedded-image", "/var/lib/a"])
                .unwrap();
        assert_eq!(
            args.extract_embedded_image,
            Some(PathBuf::from("/var/lib/a"))
        );
        assert!(Args::try_parse_from(["actiond-runner", "--remote=x"]).is_err());
    }
}
