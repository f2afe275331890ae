//! `actiond-tool`: the build actions of rules_actiond.
//!
//! Exit codes: 0 success, 1 the action failed (the message names the file and
//! the reason), 2 the command line was wrong. `runtime run` exits with the
//! command's own status (128 + N for signal N), or 125 when it cannot run it.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use sha2::Digest as _;
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

mod check;
mod compress;
mod lock;
mod pack;
mod payload;
mod runtime;
mod unpack;

#[derive(Parser)]
#[command(
    name = "actiond-tool",
    version,
    about,
    long_about = None,
    after_help = "\
Each subcommand's --help has an example, e.g. actiond-tool squashfs-pack --help.

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
        input: PathBuf,
        output: PathBuf,
    },
    /// Decompress a zstd, xz or gzip stream (told apart by its magic).
    ///
    /// Example: actiond-tool decompress linux.zst vmlinuz
    Decompress { input: PathBuf, output: PathBuf },
    /// Pack a SquashFS image from a spec of dirs, files, symlinks and .debs.
    ///
    /// Sources in the spec are relative to the current directory. The image
    /// is the same for any --threads, and the same as squashfs-compress of
    /// each .deb, tar and tree followed by squashfs-assemble gives.
    ///
    /// Example: actiond-tool squashfs-pack --spec image.json --out image.squashfs --threads 2
    SquashfsPack {
        #[arg(long)]
        spec: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Threads compressing data blocks, 0 for every core (does not change the image).
        #[arg(long, default_value_t = 0)]
        threads: u32,
    },
    /// Compress one source of an image (a spec's entries) into blocks and an index.
    ///
    /// The spec's mtime is not used: it is the image's, given at assembly.
    /// The outputs are the same for any --threads.
    ///
    /// Example: actiond-tool squashfs-compress --spec libc6.json --blocks libc6.blocks --index libc6.index.json
    SquashfsCompress {
        #[arg(long)]
        spec: PathBuf,
        #[arg(long)]
        blocks: PathBuf,
        #[arg(long)]
        index: PathBuf,
        /// Threads compressing data blocks, 0 for every core (does not change the output).
        #[arg(long, default_value_t = 0)]
        threads: u32,
        /// Compress on one thread, and on the others only while the machine
        /// has an idle core: for a build tool that runs one action per core.
        #[arg(long)]
        share_cores: bool,
    },
    /// Assemble a SquashFS image from sources that squashfs-compress compressed.
    ///
    /// The spec's own entries (files, directories, symlinks) are compressed
    /// here; the image is the same for any --threads.
    ///
    /// Example: actiond-tool squashfs-assemble --spec image.assemble.json --out image.squashfs
    SquashfsAssemble {
        #[arg(long)]
        spec: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Threads compressing the spec's own entries, 0 for every core.
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
    /// Write a VM bundle's manifest: each file's name, sha256 and size, as JSON.
    ///
    /// Example: actiond-tool bundle-manifest --out bundle.json kernel=linux.zst initramfs=initramfs.cpio.zst
    BundleManifest {
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
    /// Make a sysroot to link against an old glibc from its .debs.
    ///
    /// The .debs are read in order, minus each --strip pattern, through the
    /// same checked reader as the runtimes. They must hold libc6 of the
    /// name's glibc and libc6-dev of the same version. Absolute symlinks
    /// become relative, symlinks that lead nowhere are dropped, and absolute
    /// paths in GNU ld scripts (libc.so) become sysroot-relative (`=/lib/...`).
    ///
    /// Example: actiond-tool sysroot --name glibc2.31 --arch x86_64 --out sysroot libc6_2.31-0ubuntu9_amd64.deb libc6-dev_2.31-0ubuntu9_amd64.deb
    Sysroot(unpack::SysrootArgs),
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
    /// Example: actiond-tool payload add --section runtimes=runtimes.squashfs app app.standalone
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
    /// Example: actiond-tool check image runtimes.squashfs --spec runtimes.squashfs.spec.json --stamp ok
    Image {
        image: PathBuf,
        /// The squashfs_pack spec the image was made from.
        #[arg(long)]
        spec: Option<PathBuf>,
        /// Write this empty file when every check passes.
        #[arg(long)]
        stamp: Option<PathBuf>,
    },
    /// A runtime_manifest.json: it parses and its fields are valid; with
    /// --tree, its mount sources exist below the root/ beside it and its
    /// interpreters are files through its mounts; with --packages, that
    /// runtime_packages.json is valid and describes the same .debs.
    ///
    /// Example: actiond-tool check manifest libc/glibc2.35/x86_64/runtime_manifest.json --tree
    Manifest {
        manifest: PathBuf,
        /// Check it against the runtime in the manifest's directory (root/).
        #[arg(long)]
        tree: bool,
        /// The runtime's runtime_packages.json.
        #[arg(long)]
        packages: Option<PathBuf>,
        /// Write this empty file when every check passes.
        #[arg(long)]
        stamp: Option<PathBuf>,
    },
    /// A runtime, before any image holds it: the spec of an image of it
    /// alone (its .debs, additions, manifest and packages), whose runtime is checked as
    /// `check image` checks runtimes.
    ///
    /// Example: actiond-tool check runtime --spec glibc2.35_x86_64.spec.json --stamp ok
    Runtime {
        /// An squashfs_pack spec; its sources are relative to the current directory.
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
    /// Example: actiond-tool check standalone executor --payload runtimes=runtimes.squashfs
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
    /// Example: actiond-tool runtime run --image runtimes.squashfs --libc glibc2.35 --bind "$PWD" --workdir "$PWD" -- ./hello
    Run(RunArgs),
    /// Derive a runtime from its .debs: runtime_manifest.json,
    /// runtime_packages.json, what is added to its tree (usrmerge symlinks,
    /// mount points for the image's common files), and optionally the tree.
    ///
    /// The .debs are read in order, minus each --strip pattern; an entry that
    /// would land outside the tree, a device node or a libc6 of another
    /// version than the name's fails, naming the .deb and the entry.
    ///
    /// Example: actiond-tool runtime derive --name glibc2.35 --arch x86_64 --strip usr/share/doc --manifest runtime_manifest.json --root root --source https://archive.ubuntu.com/ubuntu/pool/main/g/glibc/libc6_2.35-0ubuntu3_amd64.deb libc6_2.35-0ubuntu3_amd64.deb
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
        Command::Decompress { input, output } => compress::decompress(&input, &output),
        Command::Zstd {
            level,
            long,
            threads,
            kernel,
            input,
            output,
        } => compress::zstd(
            &input,
            &output,
            level,
            long,
            all_cores_if_zero(threads),
            kernel,
        ),
        Command::Check(command) => check::run(command),
        Command::Runtime(RuntimeCommand::Run(args)) => runtime::run(args, verbose),
        Command::Runtime(RuntimeCommand::Derive(args)) => unpack::derive(args),
        Command::Deb(DebCommand::Extract(args)) => unpack::extract(args),
        Command::Sysroot(args) => unpack::sysroot(args),
        Command::Initramfs { spec, out, threads } => {
            pack::initramfs(&spec, &out, all_cores_if_zero(threads))
        }
        Command::SquashfsPack { spec, out, threads } => {
            pack::squashfs(&spec, &out, all_cores_if_zero(threads) as usize)
        }
        Command::SquashfsCompress {
            spec,
            blocks,
            index,
            threads,
            share_cores,
        } => pack::squashfs_compress(
            &spec,
            &blocks,
            &index,
            all_cores_if_zero(threads) as usize,
            share_cores,
        ),
        Command::SquashfsAssemble { spec, out, threads } => {
            pack::squashfs_assemble(&spec, &out, all_cores_if_zero(threads) as usize)
        }
        Command::Payload(PayloadCommand::List { file }) => payload::list(&file),
        Command::Payload(PayloadCommand::Extract { file, root, name }) => {
            payload::extract(&file, &root, name.as_deref())
        }
        Command::Payload(PayloadCommand::Add {
            sections,
            prefix,
            input,
            output,
        }) => payload::add(&sections, prefix, &input, &output),
        Command::BundleManifest { out, files } => payload::bundle_manifest(&out, &files),
        Command::Lock {
            request,
            out,
            check,
        } => lock::run(&request, out.as_deref(), check.as_deref()),
    }
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

pub(crate) fn file_sha256(path: &str) -> Result<(String, u64)> {
    let file = File::open(path).with_context(|| format!("{path}: cannot open"))?;
    sha256_hex(file).with_context(|| format!("{path}: cannot read"))
}

pub(crate) fn report(err: &anyhow::Error, verbose: bool) {
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
