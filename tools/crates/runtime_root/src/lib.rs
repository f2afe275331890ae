//! The runtime contract, written down as code: what an executor does for an
//! action whose exec properties say `libc=<name>`.
//!
//! 1. The runtimes image is mounted read-only: a SquashFS file through a
//!    loop device, or an already extracted tree used as it is.
//! 2. In a private mount namespace, a root is assembled on a fresh tmpfs,
//!    in this order:
//!    - each `[source, target]` pair of
//!      `libc/<name>/<arch>/runtime_manifest.json`, in the manifest's
//!      order: `source`, relative to `libc/<name>/<arch>/` (so below its
//!      `root/`), bound read-only at `target`;
//!    - then every file of the image's `common/root` (`/etc/hosts`,
//!      `/etc/nsswitch.conf`) bound read-only at its own path, on top of
//!      the runtime's: the common files win. The runtime's `etc` carries a
//!      file at each of those paths as the mount point (see
//!      [`runtime_manifest::COMMON_FILES`]);
//!    - `/proc`, the device nodes null, zero, full, random and urandom, and a
//!      tmpfs at `/tmp`;
//!    - the action's own directories (its exec root), read-write, at the
//!      same paths;
//!
//!    then the root itself is made read-only.
//! 3. The command runs chrooted in that root with a clean environment. For a
//!    runtime of another architecture it runs under qemu-user instead,
//!    `qemu-<arch> -L <root> command...`, which resolves the ELF interpreter
//!    and every library path inside the root.
//!
//! Everything is undone when the namespace goes away; nothing is left
//! mounted on the host.

use runtime_manifest::{Arch, RuntimeManifest};
use std::ffi::{CString, OsStr, OsString};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// What went wrong: the step or path, with the cause kept as the source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call or file operation failed.
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// The runtime's manifest is missing, malformed or does not fit the image.
    #[error("{what}")]
    Manifest {
        what: String,
        #[source]
        source: runtime_manifest::Error,
    },
    /// A step that failed, and why.
    #[error("{what}")]
    Step {
        what: String,
        #[source]
        source: Box<Error>,
    },
    /// The request cannot be served: a bad `--bind`, an unknown runtime, no
    /// command, a foreign architecture without qemu.
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(Error::Invalid(format!($($arg)*)))
    };
}

/// Adds what was being done to an error, keeping it as the source.
trait Context<T> {
    fn with_context<F: FnOnce() -> String>(self, what: F) -> Result<T>;
    fn context(self, what: &str) -> Result<T>
    where
        Self: Sized,
    {
        self.with_context(|| what.to_owned())
    }
}

impl<T> Context<T> for std::io::Result<T> {
    fn with_context<F: FnOnce() -> String>(self, what: F) -> Result<T> {
        self.map_err(|source| Error::Io {
            what: what(),
            source,
        })
    }
}

impl<T> Context<T> for Result<T, runtime_manifest::Error> {
    fn with_context<F: FnOnce() -> String>(self, what: F) -> Result<T> {
        self.map_err(|source| Error::Manifest {
            what: what(),
            source,
        })
    }
}

impl<T> Context<T> for Result<T> {
    fn with_context<F: FnOnce() -> String>(self, what: F) -> Result<T> {
        self.map_err(|source| Error::Step {
            what: what(),
            source: Box::new(source),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn with_context<F: FnOnce() -> String>(self, what: F) -> Result<T> {
        self.ok_or_else(|| Error::Invalid(what()))
    }
}

/// A directory or file of the host made visible inside the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind {
    /// The host path.
    pub source: PathBuf,
    /// The absolute path inside the root.
    pub target: PathBuf,
}

impl Bind {
    /// Parses `SOURCE` (same path inside) or `SOURCE:TARGET`.
    pub fn parse(text: &str) -> Result<Self> {
        let (source, target) = text.split_once(':').unwrap_or((text, text));
        if !target.starts_with('/') {
            bail!("--bind {text}: the path inside the root must be absolute");
        }
        Ok(Self {
            source: PathBuf::from(source),
            target: PathBuf::from(target),
        })
    }
}

/// How to run one command inside one runtime.
#[derive(Clone, Debug)]
pub struct Options {
    /// The runtimes image: a SquashFS file, or a directory holding its tree.
    pub image: PathBuf,
    /// The runtime's name, such as `glibc2.35`.
    pub libc: String,
    /// The runtime's architecture.
    pub arch: Arch,
    /// The action's directories, mounted read-write.
    pub binds: Vec<Bind>,
    /// The working directory inside the root.
    pub workdir: PathBuf,
    /// `NAME=VALUE` pairs; the environment is otherwise empty but for `PATH`.
    pub env: Vec<(OsString, OsString)>,
    /// qemu-user for a runtime whose architecture is not this machine's.
    pub qemu: Option<PathBuf>,
}

fn cpath(path: &Path) -> Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::Invalid(format!("{}: a path with a NUL byte", path.display())))
}

fn os_error(what: String) -> Error {
    Error::Io {
        what,
        source: std::io::Error::last_os_error(),
    }
}

/// mount(2), with errors naming the source and the target.
pub fn mount(
    source: Option<&Path>,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> Result<()> {
    let source_c = source.map(cpath).transpose()?;
    let target_c = cpath(target)?;
    let fstype_c = fstype.map(|f| CString::new(f).expect("no NUL in our own names"));
    let data_c = data.map(|d| CString::new(d).expect("no NUL in our own options"));
    let ptr = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    // SAFETY: every pointer is null or a valid NUL-terminated string that
    // outlives the call.
    let rc = unsafe {
        libc::mount(
            ptr(&source_c),
            target_c.as_ptr(),
            ptr(&fstype_c),
            flags,
            ptr(&data_c).cast(),
        )
    };
    if rc != 0 {
        return Err(os_error(format!(
            "mount {} on {}",
            source.map_or_else(
                || fstype.unwrap_or("").to_owned(),
                |s| s.display().to_string()
            ),
            target.display()
        )));
    }
    Ok(())
}

/// Enters a private mount namespace: mounts made afterwards are invisible to
/// the rest of the machine and vanish with the process. Call it before any
/// thread is started (the kernel refuses otherwise). Needs CAP_SYS_ADMIN.
pub fn enter_private_mount_namespace() -> Result<()> {
    // SAFETY: plain syscalls on no memory of ours.
    if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
        return Err(os_error(
            "cannot make a private mount namespace (this needs root or CAP_SYS_ADMIN)".into(),
        ));
    }
    mount(
        None,
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )
}

/// Bind-mounts `source` (a directory or a file) on `target`, creating the
/// mount point if it is missing, and optionally makes it read-only.
fn bind(source: &Path, target: &Path, read_only: bool) -> Result<()> {
    let meta =
        std::fs::metadata(source).with_context(|| format!("{}: cannot bind", source.display()))?;
    if target.symlink_metadata().is_ok() {
        // The mount point is there already (a file of a read-only mount).
    } else if meta.is_dir() {
        std::fs::create_dir_all(target).with_context(|| format!("mkdir {}", target.display()))?;
    } else {
        let parent = target.parent().context("a file mount point has a parent")?;
        std::fs::create_dir_all(parent).with_context(|| format!("mkdir {}", parent.display()))?;
        std::fs::File::create(target).with_context(|| format!("create {}", target.display()))?;
    }
    mount(
        Some(source),
        target,
        None,
        libc::MS_BIND | libc::MS_REC,
        None,
    )?;
    // A bind of a read-only filesystem (the image) is read-only already.
    if read_only && !on_read_only_filesystem(source) {
        let flags = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY;
        mount(None, target, None, flags, None)?;
    }
    Ok(())
}

/// Whether `path` is on a filesystem mounted read-only.
fn on_read_only_filesystem(path: &Path) -> bool {
    let Ok(c) = cpath(path) else {
        return false;
    };
    // SAFETY: all-zero is a valid statvfs, and the pointers are live.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statvfs(c.as_ptr(), &mut stat) } == 0) && stat.f_flag & libc::ST_RDONLY != 0
}

/// Makes `target` the character device that `host` is (mknod, which costs
/// less than a bind mount), or binds `host` there where mknod is not
/// allowed.
fn device_node(host: &Path, target: &Path) -> Result<()> {
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
    let meta =
        std::fs::metadata(host).with_context(|| format!("{}: cannot stat", host.display()))?;
    if meta.file_type().is_char_device() {
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("mkdir {}", parent.display()))?;
        }
        let c = cpath(target)?;
        // SAFETY: a plain syscall on a NUL-terminated path.
        if unsafe {
            libc::mknod(
                c.as_ptr(),
                libc::S_IFCHR | 0o666,
                meta.rdev() as libc::dev_t,
            )
        } == 0
        {
            // SAFETY: as above; mknod's mode is masked by the umask.
            unsafe { libc::chmod(c.as_ptr(), 0o666) };
            return Ok(());
        }
    }
    bind(host, target, false)
}

// linux/loop.h
const LOOP_SET_FD: libc::c_ulong = 0x4C00;
const LOOP_CLR_FD: libc::c_ulong = 0x4C01;
const LOOP_SET_STATUS64: libc::c_ulong = 0x4C04;
const LOOP_CTL_GET_FREE: libc::c_ulong = 0x4C82;
const LO_FLAGS_AUTOCLEAR: u32 = 4;

#[repr(C)]
struct LoopInfo64 {
    device: u64,
    inode: u64,
    rdevice: u64,
    offset: u64,
    sizelimit: u64,
    number: u32,
    encrypt_type: u32,
    encrypt_key_size: u32,
    flags: u32,
    file_name: [u8; 64],
    crypt_name: [u8; 64],
    encrypt_key: [u8; 32],
    init: [u64; 2],
}

/// Mounts the SquashFS file `image` read-only on `target` through a free
/// loop device, which detaches itself once unmounted.
fn mount_squashfs(image: &Path, target: &Path) -> Result<()> {
    let hint = || {
        format!(
            "{}: cannot attach a loop device (this needs root and /dev/loop-control); \
             or pass the extracted tree (unsquashfs -d DIR) as the image",
            image.display()
        )
    };
    let backing =
        std::fs::File::open(image).with_context(|| format!("{}: cannot open", image.display()))?;
    let control = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/loop-control")
        .with_context(hint)?;
    for _ in 0..16 {
        // SAFETY: an ioctl without arguments on a file we own.
        let n = unsafe { libc::ioctl(control.as_raw_fd(), LOOP_CTL_GET_FREE) };
        if n < 0 {
            return Err(os_error(hint()));
        }
        let device = PathBuf::from(format!("/dev/loop{n}"));
        let loop_file = std::fs::File::open(&device).with_context(hint)?;
        // SAFETY: LOOP_SET_FD takes the backing file's descriptor by value.
        if unsafe { libc::ioctl(loop_file.as_raw_fd(), LOOP_SET_FD, backing.as_raw_fd()) } != 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EBUSY) {
                continue; // another process took it first
            }
            return Err(os_error(hint()));
        }
        // SAFETY: all-zero is a valid loop_info64.
        let mut info: LoopInfo64 = unsafe { std::mem::zeroed() };
        info.flags = LO_FLAGS_AUTOCLEAR;
        let name = image.as_os_str().as_bytes();
        let len = name.len().min(info.file_name.len() - 1);
        info.file_name[..len].copy_from_slice(&name[..len]);
        // SAFETY: the pointer is to a live loop_info64.
        let status = unsafe { libc::ioctl(loop_file.as_raw_fd(), LOOP_SET_STATUS64, &info) };
        let mounted = if status == 0 {
            mount(
                Some(&device),
                target,
                Some("squashfs"),
                libc::MS_RDONLY,
                None,
            )
        } else {
            Err(os_error(hint()))
        };
        if mounted.is_err() {
            // SAFETY: detaches the device we attached.
            unsafe { libc::ioctl(loop_file.as_raw_fd(), LOOP_CLR_FD) };
        }
        return mounted.with_context(|| format!("{}: not a SquashFS image", image.display()));
    }
    bail!("{}: every free loop device was taken", hint())
}

/// The image's runtimes, as `name/arch` strings, for error messages.
fn runtimes_in(image: &Path) -> String {
    let mut found = Vec::new();
    for name in std::fs::read_dir(image.join("libc"))
        .into_iter()
        .flatten()
        .flatten()
    {
        for arch in std::fs::read_dir(name.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            found.push(format!(
                "{}/{}",
                name.file_name().to_string_lossy(),
                arch.file_name().to_string_lossy()
            ));
        }
    }
    found.sort();
    if found.is_empty() {
        "none".into()
    } else {
        found.join(", ")
    }
}

/// Every regular file and symlink under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let entries = std::fs::read_dir(dir.join(&rel))
            .with_context(|| format!("{}: cannot list", dir.join(&rel).display()))?;
        for entry in entries {
            let entry =
                entry.with_context(|| format!("{}: cannot list", dir.join(&rel).display()))?;
            let path = rel.join(entry.file_name());
            let kind = entry
                .file_type()
                .with_context(|| format!("{}: cannot stat", entry.path().display()))?;
            if kind.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `root/rel`, refusing it when any of its components is a symlink: a
/// mount would follow it, possibly out of the root.
fn inside(root: &Path, rel: &Path) -> Result<PathBuf> {
    let mut at = root.to_owned();
    for part in rel.components() {
        at.push(part);
        if at
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            bail!(
                "{}: a symlink in the runtime; nothing is mounted through one",
                Path::new("/")
                    .join(at.strip_prefix(root).unwrap_or(&at))
                    .display()
            );
        }
    }
    Ok(at)
}

/// Assembles the root of runtime `libc`/`arch` from the image mounted (or
/// extracted) at `image`, in the directory `root`, which must be on a
/// writable filesystem of this namespace. Returns the runtime's manifest.
pub fn assemble_root(
    image: &Path,
    libc_name: &str,
    arch: Arch,
    root: &Path,
    binds: &[Bind],
) -> Result<RuntimeManifest> {
    let runtime_dir = image.join("libc").join(libc_name).join(arch.as_str());
    let manifest_path = runtime_dir.join("runtime_manifest.json");
    if !manifest_path.is_file() {
        bail!(
            "the image has no runtime {libc_name} for {}; it has: {}",
            arch.as_str(),
            runtimes_in(image)
        );
    }
    let manifest = RuntimeManifest::from_file(&manifest_path)
        .context("the runtime's manifest does not hold")?;
    if manifest.name != libc_name || manifest.arch != arch {
        bail!(
            "{}: describes {} {}, not {libc_name} {}",
            manifest_path.display(),
            manifest.name,
            manifest.arch.as_str(),
            arch.as_str()
        );
    }
    std::fs::create_dir_all(root).with_context(|| format!("mkdir {}", root.display()))?;
    // The root becomes a mount point of its own, so it can be made read-only.
    bind(root, root, false)?;

    let runtime_root = runtime_dir.join("root");
    for (i, m) in manifest.mounts.iter().enumerate() {
        // Symlinks in the runtime point inside it, never at the host's files.
        let source = runtime_manifest::resolve_in_root(&runtime_root, m.root_relative())
            .with_context(|| format!("{}: mounts[{i}]", manifest_path.display()))?;
        let target = inside(root, Path::new(m.target.trim_start_matches('/')))?;
        bind(&source, &target, true).with_context(|| {
            format!(
                "{}: mounts[{i}]: bind {} on {}",
                manifest_path.display(),
                m.source,
                m.target
            )
        })?;
    }
    let common = image.join("common/root");
    if common.is_dir() {
        for rel in files_under(&common)? {
            bind(&common.join(&rel), &inside(root, &rel)?, true).with_context(|| {
                format!(
                    "common/root/{} on top of runtime {libc_name}: the runtime needs a mount point at /{}",
                    rel.display(),
                    rel.display()
                )
            })?;
        }
    }

    let proc_dir = root.join("proc");
    std::fs::create_dir_all(&proc_dir).with_context(|| format!("mkdir {}", proc_dir.display()))?;
    mount(Some(Path::new("proc")), &proc_dir, Some("proc"), 0, None)?;
    for node in ["null", "zero", "full", "random", "urandom"] {
        let host = Path::new("/dev").join(node);
        if host.exists() {
            device_node(&host, &root.join("dev").join(node))?;
        }
    }
    let tmp = root.join("tmp");
    std::fs::create_dir_all(&tmp).with_context(|| format!("mkdir {}", tmp.display()))?;
    mount(
        Some(Path::new("tmpfs")),
        &tmp,
        Some("tmpfs"),
        0,
        Some("mode=1777"),
    )?;
    for b in binds {
        let target = root.join(b.target.strip_prefix("/").unwrap_or(&b.target));
        bind(&b.source, &target, false)
            .with_context(|| format!("--bind {}", b.source.display()))?;
    }
    mount(
        None,
        root,
        None,
        libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
        None,
    )?;
    Ok(manifest)
}

/// The only variable of a command's environment unless more are given.
const PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// A command that runs `program` chrooted in `root`, in `workdir` there,
/// with only `PATH` in its environment.
pub fn chrooted_command(
    root: &Path,
    program: impl AsRef<std::ffi::OsStr>,
    workdir: &Path,
) -> Result<Command> {
    let mut cmd = Command::new(program);
    let (root_c, workdir_c) = (cpath(root)?, cpath(workdir)?);
    // SAFETY: chroot and chdir are async-signal-safe, as pre_exec requires.
    unsafe {
        cmd.pre_exec(move || {
            if libc::chroot(root_c.as_ptr()) != 0 || libc::chdir(workdir_c.as_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.env_clear().env("PATH", PATH);
    Ok(cmd)
}

/// The machine's own architecture.
pub fn host_arch() -> Option<Arch> {
    Arch::ALL
        .into_iter()
        .find(|a| a.as_str() == std::env::consts::ARCH)
}

/// A runtime's root, assembled on a tmpfs of its own in this mount
/// namespace, ready to run commands in; it is unmounted when dropped.
pub struct Root {
    options: Options,
    scratch: PathBuf,
    root: PathBuf,
}

impl Root {
    /// Assembles the root that `options` describe. Call
    /// [`enter_private_mount_namespace`] first.
    pub fn assemble(options: &Options) -> Result<Self> {
        if host_arch() != Some(options.arch) && options.qemu.is_none() {
            bail!(
                "{} is {} and this machine is {}: pass --qemu (e.g. qemu-{})",
                options.libc,
                options.arch.as_str(),
                std::env::consts::ARCH,
                options.arch.as_str()
            );
        }
        // One tmpfs holds the image's mount point and the root, so unmounting
        // it takes everything else with it.
        let scratch = tempfile::Builder::new()
            .prefix("actiond-runtime.")
            .tempdir()
            .context("cannot make a scratch directory")?
            .keep();
        let root = Self {
            options: options.clone(),
            root: scratch.join("root"),
            scratch,
        };
        mount(
            Some(Path::new("tmpfs")),
            &root.scratch,
            Some("tmpfs"),
            0,
            Some("mode=0755"),
        )?;
        let image = if options.image.is_dir() {
            options.image.clone()
        } else {
            let mounted = root.scratch.join("image");
            std::fs::create_dir(&mounted)
                .with_context(|| format!("mkdir {}", mounted.display()))?;
            mount_squashfs(&options.image, &mounted)?;
            mounted
        };
        assemble_root(
            &image,
            &options.libc,
            options.arch,
            &root.root,
            &options.binds,
        )?;
        Ok(root)
    }

    /// A command that runs `program` inside the root, in the options'
    /// working directory and environment: chrooted, or under qemu-user for
    /// a runtime of another architecture.
    pub fn command(&self, program: &OsStr) -> Result<Command> {
        let options = &self.options;
        let mut cmd = match &options.qemu {
            Some(qemu) if host_arch() != Some(options.arch) => {
                let mut cmd = Command::new(qemu);
                cmd.arg("-L").arg(&self.root).arg(program);
                cmd.current_dir(&options.workdir)
                    .env_clear()
                    .env("PATH", PATH);
                cmd
            }
            _ => chrooted_command(&self.root, program, &options.workdir)?,
        };
        cmd.envs(options.env.iter().map(|(k, v)| (k, v)));
        Ok(cmd)
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        // SAFETY: plain syscalls; a lazy unmount takes the whole tree.
        unsafe {
            if let Ok(c) = cpath(&self.scratch) {
                libc::umount2(c.as_ptr(), libc::MNT_DETACH);
            }
        }
        let _ = std::fs::remove_dir(&self.scratch);
    }
}

/// Runs `command` inside the runtime, and returns its exit status. Call
/// [`enter_private_mount_namespace`] first.
pub fn run(options: &Options, command: &[OsString]) -> Result<ExitStatus> {
    let (program, args) = command.split_first().context("no command to run")?;
    let root = Root::assemble(options)?;
    root.command(program)?.args(args).status().with_context(|| {
        format!(
            "cannot run {} inside {}/{}",
            Path::new(program).display(),
            options.libc,
            options.arch.as_str()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_parsing() {
        let same = Bind::parse("/work/exec").unwrap();
        assert_eq!(same.source, same.target);
        let moved = Bind::parse("out:/out").unwrap();
        assert_eq!(
            (moved.source, moved.target),
            ("out".into(), PathBuf::from("/out"))
        );
        let err = Bind::parse("a:b").unwrap_err().to_string();
        assert!(err.contains("must be absolute"), "{err}");
    }

    #[test]
    fn missing_runtime_names_what_the_image_has() {
        let image = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(image.path().join("libc/glibc2.35/x86_64")).unwrap();
        let root = image.path().join("root");
        let err = assemble_root(image.path(), "glibc2.31", Arch::X86_64, &root, &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no runtime glibc2.31 for x86_64; it has: glibc2.35/x86_64"),
            "{err}"
        );
    }
}
