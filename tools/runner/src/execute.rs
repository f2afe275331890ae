//! One action: stage, run inside its runtime, capture.

use crate::Args;
use anyhow::{bail, Context, Result};
use bazel_remote_apis::google::protobuf::Timestamp;
use prost::Message as _;
use reapi_cas::proto::{Action, Command, ExecutedActionMetadata};
use reapi_cas::Cas;
use runtime_manifest::Arch;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Where the input root appears inside the runtime: the same path on every
/// worker, so outputs that record their directory agree.
const EXEC_ROOT: &str = "/actiond/execroot";

fn now() -> Option<Timestamp> {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    Some(Timestamp {
        seconds: since.as_secs() as i64,
        nanos: since.subsec_nanos() as i32,
    })
}

/// The value of platform property `name`, from the command (where Bazel
/// puts it, though REAPI 2.2 deprecates it there) or the action.
#[allow(deprecated)]
fn property<'a>(action: &'a Action, command: &'a Command, name: &str) -> Option<&'a str> {
    command
        .platform
        .iter()
        .chain(&action.platform)
        .flat_map(|p| &p.properties)
        .find(|p| p.name == name)
        .map(|p| p.value.as_str())
}

pub(crate) fn execute(args: &Args) -> Result<()> {
    if args.digest_function != "SHA256" {
        bail!(
            "--digest-function={}: only SHA256 is supported",
            args.digest_function
        );
    }
    // clap requires these unless --extract-embedded-image is given.
    let (Some(action_path), Some(result_path)) = (&args.action, &args.action_result) else {
        bail!("--action and --action-result are required");
    };
    let action = Action::decode(
        &*std::fs::read(action_path)
            .with_context(|| format!("{}: cannot read", action_path.display()))?,
    )
    .with_context(|| format!("{}: not an Action", action_path.display()))?;
    // Mounts are made in a namespace of our own, before any thread starts.
    runtime_root::enter_private_mount_namespace()?;
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the I/O runtime")?;
    let result = tokio.block_on(run(args, &action))?;
    let encoded = result.encode_to_vec();
    atomic_file::write(result_path, &encoded)
        .with_context(|| format!("{}: cannot write", result_path.display()))
}

async fn run(args: &Args, action: &Action) -> Result<reapi_cas::proto::ActionResult> {
    let mut metadata = ExecutedActionMetadata {
        worker_start_timestamp: now(),
        ..Default::default()
    };
    let remote = args.remote.as_deref().context("--remote is required")?;
    let cas = Cas::connect(remote, &args.instance).await?;
    let command_digest = action
        .command_digest
        .as_ref()
        .context("the action has no command digest")?;
    let command = Command::decode(&*cas.read(command_digest).await?)
        .with_context(|| format!("blob {}: not a Command", reapi_cas::display(command_digest)))?;
    let libc = property(action, &command, "libc").context(
        "the action has no libc platform property: this worker runs every action inside the \
         glibc runtime it names (e.g. --remote_default_exec_properties=libc=glibc2.35)",
    )?;
    let arch = match property(action, &command, "arch") {
        Some(name) => name
            .parse::<Arch>()
            .with_context(|| format!("platform property arch={name}"))?,
        None => {
            runtime_root::host_arch().context("this machine's architecture is not supported")?
        }
    };

    let scratch = match &args.workspace_path {
        Some(dir) => tempfile::Builder::new()
            .prefix("actiond-action.")
            .tempdir_in(dir),
        None => tempfile::Builder::new().prefix("actiond-action.").tempdir(),
    }
    .context("cannot make the action's directory")?;
    let exec_root = scratch.path().join("execroot");
    std::fs::create_dir(&exec_root)
        .with_context(|| format!("{}: cannot create", exec_root.display()))?;

    metadata.input_fetch_start_timestamp = now();
    let input_root = action.input_root_digest.clone().unwrap_or_default();
    cas.stage(&input_root, &exec_root, args.cache.as_deref())
        .await?;
    metadata.input_fetch_completed_timestamp = now();

    let workdir = exec_root.join(&command.working_directory);
    for dir in reapi_cas::output_parents(&command)? {
        let dir = workdir.join(dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    let stdout_path = (args.stdout_file.clone()).unwrap_or_else(|| scratch.path().join("stdout"));
    let stderr_path = (args.stderr_file.clone()).unwrap_or_else(|| scratch.path().join("stderr"));
    metadata.execution_start_timestamp = now();
    let status = run_inside(
        args,
        libc,
        arch,
        &exec_root,
        &command,
        &stdout_path,
        &stderr_path,
        action
            .timeout
            .as_ref()
            .map(|t| Duration::new(t.seconds.max(0) as u64, t.nanos.max(0) as u32)),
    )?;
    metadata.execution_completed_timestamp = now();

    let read = |path: &Path| {
        std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))
    };
    let mut stderr = read(&stderr_path)?;
    if status.timed_out {
        stderr
            .extend_from_slice(b"actiond-runner: the action ran past its timeout and was killed\n");
    }
    metadata.output_upload_start_timestamp = now();
    let mut result = cas
        .capture(&workdir, &command, read(&stdout_path)?, stderr)
        .await?;
    metadata.output_upload_completed_timestamp = now();
    metadata.worker_completed_timestamp = now();
    result.exit_code = status.code;
    result.execution_metadata = Some(metadata);
    Ok(result)
}

struct Status {
    code: i32,
    timed_out: bool,
}

/// Runs the command inside runtime `libc` with the input root at
/// [`EXEC_ROOT`], its output to the two files.
#[allow(clippy::too_many_arguments)]
fn run_inside(
    args: &Args,
    libc: &str,
    arch: Arch,
    exec_root: &Path,
    command: &Command,
    stdout: &Path,
    stderr: &Path,
    timeout: Option<Duration>,
) -> Result<Status> {
    let (program, args_rest) = command
        .arguments
        .split_first()
        .context("the command has no arguments")?;
    let inside = PathBuf::from(EXEC_ROOT);
    let options = runtime_root::Options {
        image: args.image.clone().context("--image is required")?,
        libc: libc.to_owned(),
        arch,
        binds: vec![runtime_root::Bind {
            source: exec_root.to_owned(),
            target: inside.clone(),
        }],
        workdir: inside.join(&command.working_directory),
        env: command
            .environment_variables
            .iter()
            .map(|v| (v.name.clone().into(), v.value.clone().into()))
            .collect(),
        qemu: args.qemu.clone(),
    };
    let root = runtime_root::Root::assemble(&options)
        .with_context(|| format!("cannot enter runtime {libc} ({})", arch.as_str()))?;
    let file = |path: &Path| {
        std::fs::File::create(path).with_context(|| format!("{}: cannot create", path.display()))
    };
    let mut child = root
        .command(program.as_ref())?
        .args(args_rest)
        .stdin(std::process::Stdio::null())
        .stdout(file(stdout)?)
        .stderr(file(stderr)?)
        .spawn()
        .with_context(|| format!("cannot run {program} inside {libc}"))?;
    let (done, watchdog) = std::sync::mpsc::channel::<()>();
    let timed_out = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    if let Some(timeout) = timeout.filter(|t| !t.is_zero()) {
        let pid = child.id() as libc::pid_t;
        let timed_out = timed_out.clone();
        std::thread::spawn(move || {
            if watchdog.recv_timeout(timeout).is_err() {
                timed_out.store(true, std::sync::atomic::Ordering::SeqCst);
                // SAFETY: a signal to our own child, which is not reaped
                // until the main thread's wait returns.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        });
    }
    let status = child.wait().context("cannot wait for the command")?;
    let _ = done.send(());
    Ok(Status {
        code: status
            .code()
            .or_else(|| status.signal().map(|s| 128 + s))
            .unwrap_or(1),
        timed_out: timed_out.load(std::sync::atomic::Ordering::SeqCst),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reapi_cas::proto::{platform::Property, Platform};

    fn platform(pairs: &[(&str, &str)]) -> Option<Platform> {
        Some(Platform {
            properties: pairs
                .iter()
                .map(|(name, value)| Property {
                    name: (*name).into(),
                    value: (*value).into(),
                })
                .collect(),
        })
    }

    #[test]
    #[allow(deprecated)]
    fn libc_comes_from_the_command_or_the_action() {
        let action = Action {
            platform: platform(&[("libc", "glibc2.31")]),
            ..Default::default()
        };
        let command = Command {
            platform: platform(&[("OSFamily", "linux"), ("libc", "glibc2.35")]),
            ..Default::default()
        };
        assert_eq!(property(&action, &command, "libc"), Some("glibc2.35"));
        assert_eq!(
            property(&action, &Command::default(), "libc"),
            Some("glibc2.31")
        );
        assert_eq!(
            property(&Action::default(), &Command::default(), "libc"),
            None
        );
    }
}
