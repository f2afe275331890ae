//! `actiond-tool`: the build actions of rules_actiond.
//!
//! Exit codes: 0 success, 1 the action failed (the message names the file and
//! the reason), 2 the command line was wrong. `runtime run` exits with the
//! command's own status (128 + N for signal N), or 125 when it cannot run it.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use sha2::Digest as _;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::process::ExitCode;

mod check;
mod unpack;

#[derive(Parser)]
#[command(
    name = "actiond-tool",
    version,
    about,
    long_about = None,
    after_help = "\
Each subcommand's --help has an example, e.g. actiond-tool sqfs-pack --help.

Exit codes: 0 success; 1 the action failed (one line naming the file and the
reason; -v prints the whole chain); 2 the command line was wrong. `runtime
run` exits with the command's own status (128 + N for signal N), or 125 when
it cannot run it."
)]
struct Cli {
    /// Print the whole error chain, not just one line.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compress a file with zstd; the output is the same for any thread count.
    ///
    /// Example: actiond-tool zstd --level 19 --threads 2 vmlinux vmlinux.zst
    Zstd {
        /// zstd level, 1 to 22.
        #[arg(long, default_value_t = 19)]
        level: i32,
        /// Enable long-distance matching.
        #[arg(long)]
        long: bool,
        /// Worker threads, 0 for every core (does not change the output).
        #[arg(long, default_value_t = 0)]
        threads: u32,
        /// Fail unless the input is a Linux kernel image (bzImage, arm64 Image or ELF).
        #[arg(long)]
        kernel: bool,
        /// Decompress INPUT (any zstd, xz or gzip stream) into OUTPUT instead.
        #[arg(short, long, conflicts_with_all = ["kernel", "long"])]
        decompress: bool,
        input: PathBuf,
        output: PathBuf,
    },
    /// Runtime manifests.
    #[command(subcommand)]
    Manifest(ManifestCommand),
    /// Pack a SquashFS image from a spec of dirs, files, symlinks and .debs.
    ///
    /// Sources in the spec are relative to the current directory. The image
    /// is the same for any --threads.
    ///
    /// Example: actiond-tool sqfs-pack --spec image.json --out image.sqfs --threads 2
    SqfsPack {
        #[arg(long)]
        spec: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Threads compressing data blocks, 0 for every core (does not change the image).
        #[arg(long, default_value_t = 0)]
        threads: u32,
    },
    /// Write an initramfs (cpio newc, zstd) from a spec of files, dirs and symlinks.
    ///
    /// Sources in the spec are relative to the current directory; the spec's
    /// `init` must be a statically linked ELF.
    ///
    /// Example: actiond-tool initramfs --spec initramfs.json --out initramfs.cpio.zst
    Initramfs {
        #[arg(long)]
        spec: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// zstd worker threads, 0 for every core (does not change the output).
        #[arg(long, default_value_t = 0)]
        threads: u32,
    },
    /// Write a JSON manifest of files: each name with its sha256 and size.
    ///
    /// Example: actiond-tool digest --out bundle.json kernel=linux.zst initramfs=initramfs.cpio.zst
    Digest {
        #[arg(long)]
        out: PathBuf,
        /// NAME=PATH pairs.
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Payloads embedded in executables (ELF sections, Mach-O __ACTIOND sections).
    #[command(subcommand)]
    Payload(PayloadCommand),
    /// Validate build outputs (the validation actions of the rules).
    #[command(subcommand)]
    Check(CheckCommand),
    /// Runtimes: derive one from its .debs, run commands inside one.
    #[command(subcommand)]
    Runtime(RuntimeCommand),
    /// Read files out of .debs (checked: hostile entries are refused).
    #[command(subcommand)]
    Deb(DebCommand),
    /// Resolve runtime packages through Packages indexes into a lock file.
    ///
    /// Index paths in the request are relative to the current directory.
    ///
    /// Example: actiond-tool lock --request lock_request.json --out glibc.lock.json
    Lock {
        /// The request: runtimes, their index, packages and URL templates.
        #[arg(long)]
        request: PathBuf,
        /// Write the lock here (atomically).
        #[arg(long, required_unless_present = "check")]
        out: Option<PathBuf>,
        /// Instead of writing, fail unless this lock file is up to date.
        #[arg(long, conflicts_with = "out")]
        check: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum PayloadCommand {
    /// List the payloads of an executable: name, offset, size.
    ///
    /// Example: actiond-tool payload list ./standalone
    List { file: PathBuf },
    /// Extract payloads to ROOT/embedded/<name>-<sha256>, safely and only once.
    ///
    /// Prints name, path and what was done (extracted, cached or verified).
    ///
    /// Example: actiond-tool payload extract ./standalone /var/lib/actiond
    Extract {
        file: PathBuf,
        root: PathBuf,
        /// Only this payload.
        #[arg(long)]
        name: Option<String>,
    },
    /// Copy an ELF executable, adding non-allocated sections `.actiond.<name>`.
    ///
    /// Example: actiond-tool payload add --section runtimes=runtimes.sqfs app app.standalone
    Add {
        /// NAME=FILE; the section is `<prefix>NAME`.
        #[arg(long = "section", required = true)]
        sections: Vec<String>,
        /// Section name prefix.
        #[arg(long, default_value = ".actiond.")]
        prefix: String,
        input: PathBuf,
        output: PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum CheckCommand {
    /// A SquashFS image: it parses, every entry is root's, it matches its
    /// spec, and each runtime's manifest mounts, interpreters and glibc hold.
    ///
    /// Sources in the spec are relative to the current directory.
    ///
    /// Example: actiond-tool check image runtimes.sqfs --spec runtimes.sqfs.json --stamp ok
    Image {
        image: PathBuf,
        /// The sqfs_pack spec the image was made from.
        #[arg(long)]
        spec: Option<PathBuf>,
        /// Write this empty file when every check passes.
        #[arg(long)]
        stamp: Option<PathBuf>,
    },
    /// A runtime, before any image holds it: the spec of an image of it
    /// alone (its .debs, symlinks and manifest), whose runtime is checked as
    /// `check image` checks runtimes.
    ///
    /// Example: actiond-tool check runtime --spec glibc2.35_x86_64.spec.json --stamp ok
    Runtime {
        /// An sqfs_pack spec; its sources are relative to the current directory.
        #[arg(long)]
        spec: PathBuf,
        /// Write this empty file when every check passes.
        #[arg(long)]
        stamp: Option<PathBuf>,
    },
    /// An initramfs (cpio newc, zstd or not): it parses to its trailer,
    /// every entry is root's, and its init is a static executable ELF of ARCH.
    ///
    /// Example: actiond-tool check initramfs initramfs.cpio.zst --arch x86_64
    Initramfs {
        archive: PathBuf,
        /// The VM's architecture: x86_64 or aarch64.
        #[arg(long)]
        arch: runtime_manifest::Arch,
        /// The init program's path in the archive.
        #[arg(long, default_value = "init")]
        init: String,
        /// Write this empty file when every check passes.
        #[arg(long)]
        stamp: Option<PathBuf>,
    },
    /// A VM bundle's manifest (from `digest`): it names exactly the given
    /// files, with their file names, sizes and sha256s.
    ///
    /// Example: actiond-tool check bundle vm_bundle.json --file kernel=vmlinuz.zst --file initramfs=initramfs.cpio.zst
    Bundle {
        manifest: PathBuf,
        /// NAME=FILE, one per file of the bundle.
        #[arg(long = "file", required = true)]
        files: Vec<String>,
        /// Write this empty file when every check passes.
        #[arg(long)]
        stamp: Option<PathBuf>,
    },
    /// A standalone binary: it parses, and each payload section holds
    /// exactly the bytes of its file, as its recorded sha256 says.
    ///
    /// Example: actiond-tool check standalone executor --payload runtimes=runtimes.sqfs
    Standalone {
        binary: PathBuf,
        /// NAME=FILE: the section <prefix>NAME must hold FILE's bytes.
        #[arg(long = "payload", required = true)]
        payloads: Vec<String>,
        /// Section name prefix.
        #[arg(long, default_value = ".actiond.")]
        prefix: String,
        /// Write this empty file when every check passes.
        #[arg(long)]
        stamp: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum RuntimeCommand {
    /// Run COMMAND inside runtime LIBC of a runtimes image.
    ///
    /// In a private mount namespace, builds a read-only root from the image's
    /// common/root and the runtime's manifest mounts, plus /proc, basic /dev
    /// nodes, a /tmp tmpfs and each --bind, then runs COMMAND chrooted there
    /// (or, for another architecture, under `QEMU -L <root>`). Needs root.
    /// Exits with COMMAND's status, or 125 if it cannot be run.
    ///
    /// Example: actiond-tool runtime run --image runtimes.sqfs --libc glibc2.35 --bind "$PWD" --workdir "$PWD" -- ./hello
    Run(RunArgs),
    /// Derive a runtime from its .debs: runtime_manifest.json, the symlinks
    /// added to its tree (usrmerge), and optionally the tree itself.
    ///
    /// The .debs are read in order, minus each --strip pattern; an entry that
    /// would land outside the tree, a device node or a libc6 of another
    /// version than the name's fails, naming the .deb and the entry.
    ///
    /// Example: actiond-tool runtime derive --name glibc2.35 --arch x86_64 --strip usr/share/doc --manifest runtime_manifest.json --root root libc6_2.35-0ubuntu3_amd64.deb
    Derive(unpack::DeriveArgs),
}

#[derive(Subcommand)]
enum DebCommand {
    /// Write files of the .debs' data (read in order into one tree) to outputs.
    ///
    /// Example: actiond-tool deb extract --member boot/vmlinuz-6.8.0-31-generic=vmlinuz linux-image.deb
    Extract(unpack::ExtractArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// A runtimes SquashFS image, or a directory holding its tree.
    #[arg(long)]
    image: PathBuf,
    /// The runtime's name, e.g. glibc2.35.
    #[arg(long)]
    libc: String,
    /// The runtime's architecture (x86_64 or aarch64); this machine's by default.
    #[arg(long)]
    arch: Option<runtime_manifest::Arch>,
    /// SOURCE or SOURCE:TARGET, mounted read-write inside the root.
    #[arg(long = "bind", value_name = "SOURCE[:TARGET]")]
    binds: Vec<String>,
    /// The working directory inside the root.
    #[arg(long, default_value = "/")]
    workdir: PathBuf,
    /// NAME=VALUE, added to an environment that otherwise has only PATH.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    env: Vec<String>,
    /// qemu-user binary that runs a runtime of another architecture.
    #[arg(long)]
    qemu: Option<PathBuf>,
    /// The command and its arguments.
    #[arg(required = true, last = true)]
    command: Vec<std::ffi::OsString>,
}

#[derive(Subcommand)]
enum ManifestCommand {
    /// Validate a runtime_manifest.json, and optionally check it against a tree.
    ///
    /// Example: actiond-tool manifest check runtime_manifest.json --root root/
    Check {
        manifest: PathBuf,
        /// The runtime's root directory: mount sources and interpreters must exist there.
        #[arg(long)]
        root: Option<PathBuf>,
    },
}

/// A `--threads` value: 0 stands for every core.
fn all_cores_if_zero(threads: u32) -> u32 {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
    } else {
        threads
    }
}

fn run(cli: Cli) -> Result<()> {
    let verbose = cli.verbose;
    match cli.command {
        Command::Zstd {
            decompress: true,
            input,
            output,
            ..
        } => {
            let file =
                File::open(&input).with_context(|| format!("{}: cannot open", input.display()))?;
            let (_, mut reader) =
                decompress::open(file).with_context(|| format!("{}", input.display()))?;
            let mut out = atomic_file::AtomicFile::create(&output)?;
            std::io::copy(&mut reader, &mut out)
                .with_context(|| format!("{}: cannot decompress", input.display()))?;
            out.commit()?;
        }
        Command::Zstd {
            level,
            long,
            threads,
            kernel,
            input,
            output,
            ..
        } => {
            let mut file =
                File::open(&input).with_context(|| format!("{}: cannot open", input.display()))?;
            if kernel {
                let mut head = Vec::new();
                (&mut file)
                    .take(0x400)
                    .read_to_end(&mut head)
                    .with_context(|| format!("{}: cannot read", input.display()))?;
                linux_kernel::identify(&head)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
                file.seek(std::io::SeekFrom::Start(0))?;
            }
            let threads = all_cores_if_zero(threads);
            let size = file
                .metadata()
                .with_context(|| format!("{}: cannot stat", input.display()))?
                .len();
            let options = zstd_compress::Options {
                level,
                long_distance_matching: long,
                threads,
            };
            let out = atomic_file::AtomicFile::create(&output)?;
            let out =
                zstd_compress::compress(file, out, Some(size), &options).with_context(|| {
                    format!(
                        "{}: cannot compress into {}",
                        input.display(),
                        output.display()
                    )
                })?;
            out.commit()?;
        }
        Command::Manifest(ManifestCommand::Check { manifest, root }) => {
            let parsed = runtime_manifest::RuntimeManifest::from_file(&manifest)?;
            if let Some(root) = root {
                parsed
                    .check_tree(&root)
                    .with_context(|| format!("{}", manifest.display()))?;
            }
        }
        Command::Check(command) => check::run(command)?,
        Command::Runtime(RuntimeCommand::Run(args)) => {
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
        Command::Runtime(RuntimeCommand::Derive(args)) => unpack::derive(args)?,
        Command::Deb(DebCommand::Extract(args)) => unpack::extract(args)?,
        Command::Initramfs { spec, out, threads } => {
            let parsed = initramfs::Spec::read(&spec)?;
            let threads = all_cores_if_zero(threads);
            let file = atomic_file::AtomicFile::create(&out)?;
            let file =
                initramfs::write_compressed(&parsed, std::path::Path::new("."), threads, file)
                    .with_context(|| format!("{}", out.display()))?;
            file.commit()?;
        }
        Command::Payload(PayloadCommand::List { file }) => {
            let data =
                std::fs::read(&file).with_context(|| format!("{}: cannot read", file.display()))?;
            let payloads = embedded_payload::find(&data[..], &embedded_payload::Names::default())
                .with_context(|| format!("{}", file.display()))?;
            for p in payloads {
                println!("{}\t{}\t{}", p.name, p.offset, p.size);
            }
        }
        Command::Payload(PayloadCommand::Extract { file, root, name }) => {
            let done = embedded_payload::extract_all(
                &file,
                &root,
                &embedded_payload::Names::default(),
                name.as_deref(),
            )
            .with_context(|| format!("{}", file.display()))?;
            if done.is_empty() {
                anyhow::bail!(
                    "{}: no payload{}",
                    file.display(),
                    name.map(|n| format!(" named {n}")).unwrap_or_default()
                );
            }
            for (name, path, outcome) in done {
                println!("{name}\t{}\t{outcome:?}", path.display());
            }
        }
        Command::Payload(PayloadCommand::Add {
            sections,
            prefix,
            input,
            output,
        }) => {
            let elf = std::fs::read(&input)
                .with_context(|| format!("{}: cannot read", input.display()))?;
            let mut payloads = Vec::new();
            for pair in sections {
                let (name, path) = pair
                    .split_once('=')
                    .with_context(|| format!("{pair:?} is not NAME=FILE"))?;
                let bytes = std::fs::read(path).with_context(|| format!("{path}: cannot read"))?;
                payloads.push((name.to_owned(), bytes));
            }
            let names = embedded_payload::Names {
                elf_prefix: prefix,
                ..Default::default()
            };
            let out = embedded_payload::add_elf_sections(&elf, &payloads, &names)
                .with_context(|| format!("{}", input.display()))?;
            let mut file = atomic_file::AtomicFile::create(&output)?;
            file.set_mode(0o755);
            file.write_all(&out)?;
            file.commit()?;
        }
        Command::Digest { out, files } => {
            let mut entries = serde_json::Map::new();
            for pair in files {
                let (name, path) = pair
                    .split_once('=')
                    .with_context(|| format!("{pair:?} is not NAME=PATH"))?;
                if entries
                    .insert(name.to_owned(), digest_entry(path)?)
                    .is_some()
                {
                    anyhow::bail!("{name} is given twice");
                }
            }
            let mut text = serde_json::to_string_pretty(&serde_json::Value::Object(entries))?;
            text.push('\n');
            atomic_file::write(&out, text.as_bytes())?;
        }
        Command::SqfsPack { spec, out, threads } => {
            let parsed = sqfs_pack::Spec::read(&spec)?;
            let threads = all_cores_if_zero(threads) as usize;
            let tree = sqfs_pack::build_tree(&parsed, std::path::Path::new("."), threads)?;
            let mut file = atomic_file::AtomicFile::create(&out)?;
            let stats = sqfs_pack::write_image(&tree, &parsed, threads, &mut file)
                .with_context(|| format!("{}", out.display()))?;
            file.set_len(stats.bytes)?;
            file.commit()?;
            if verbose {
                eprintln!(
                    "actiond-tool: {}: {} bytes, {} of {} precompressed blocks reused",
                    out.display(),
                    stats.bytes,
                    stats.cache_hits,
                    stats.precompressed
                );
            }
        }
        Command::Lock {
            request,
            out,
            check,
        } => {
            let parsed = runtime_lock::Request::read(&request)?;
            let lock = runtime_lock::lock(&parsed, std::path::Path::new("."), &request)?;
            let text = lock.to_json();
            if let Some(out) = out {
                atomic_file::write(&out, text.as_bytes())?;
            } else if let Some(check) = check {
                let committed = std::fs::read_to_string(&check)
                    .with_context(|| format!("{}: cannot read", check.display()))?;
                if committed != text {
                    anyhow::bail!(
                        "{}: out of date with its indexes; regenerate it (bazel run of the lock target)",
                        check.display()
                    );
                }
            }
        }
    }
    Ok(())
}

/// The sha256 (hex) and the size of what `reader` gives.
pub(crate) fn sha256_hex(mut reader: impl Read) -> std::io::Result<(String, u64)> {
    let mut hasher = sha2::Sha256::new();
    let size = std::io::copy(&mut reader, &mut hasher)?;
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((hex, size))
}

/// A file's entry in a `digest` manifest: its file name, sha256 and size.
pub(crate) fn digest_entry(path: &str) -> Result<serde_json::Value> {
    let (sha256, size) = file_sha256(path)?;
    let file_name = std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    Ok(serde_json::json!({"file": file_name, "sha256": sha256, "size": size}))
}

pub(crate) fn file_sha256(path: &str) -> Result<(String, u64)> {
    let file = File::open(path).with_context(|| format!("{path}: cannot open"))?;
    sha256_hex(file).with_context(|| format!("{path}: cannot read"))
}

fn run_in_runtime(args: RunArgs) -> Result<std::process::ExitStatus> {
    let RunArgs {
        image,
        libc,
        arch,
        binds,
        workdir,
        env,
        qemu,
        command,
    } = args;
    let arch = match arch {
        Some(arch) => arch,
        None => runtime_root::host_arch().context("unknown machine architecture: pass --arch")?,
    };
    let binds = binds
        .iter()
        .map(|b| runtime_root::Bind::parse(b))
        .collect::<Result<_>>()?;
    let env = env
        .iter()
        .map(|e| {
            e.split_once('=')
                .map(|(k, v)| (k.into(), v.into()))
                .with_context(|| format!("--env {e}: expected NAME=VALUE"))
        })
        .collect::<Result<_>>()?;
    let options = runtime_root::Options {
        image,
        libc,
        arch,
        binds,
        workdir,
        env,
        qemu,
    };
    runtime_root::enter_private_mount_namespace()?;
    runtime_root::run(&options, &command)
}

fn report(err: &anyhow::Error, verbose: bool) {
    if verbose {
        eprintln!("actiond-tool: {err:?}");
    } else {
        eprintln!("actiond-tool: {err:#}");
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbose = cli.verbose;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            report(&err, verbose);
            ExitCode::FAILURE
        }
    }
}
