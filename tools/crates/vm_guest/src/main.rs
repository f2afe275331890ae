//! The VM guest, run by the kernel as `/init` from the initramfs.
//!
//! 1. mounts /proc, /sys, /dev (devtmpfs) and a tmpfs at /run;
//! 2. loads the kernel modules of /lib/modules/actiond (for kernels that build
//!    squashfs or virtio-blk as modules, such as Debian's arm64 one), in name
//!    order, then mounts the runtimes image, the first virtio disk (/dev/vda),
//!    read-only;
//! 3. for each `libc/<name>/<arch>` of this machine's arch, builds in
//!    /run/roots/<name> the root an executor builds (`runtime_root`: the
//!    image's common/root, the runtime's manifest mounts, /proc, /dev nodes,
//!    /tmp), with the test program's directory bound in, and runs, chrooted
//!    there, the runtime's loader `--version` (or, before glibc 2.33, the
//!    loader on libc.so.6, which prints the same line) and the test program,
//!    and reads the root's /etc: the image's hosts, and the runtime's own
//!    ld.so.conf.d;
//! 4. prints one `ACTIOND-REPORT {json}` line per runtime on the console,
//!    then `ACTIOND-REPORT {"done": true, ...}`;
//! 5. waits until the console has sent them, and powers the machine off.
//!
//! It must be linked statically: the initramfs has no libc.

use anyhow::{bail, Context, Result};
use runtime_manifest::Arch;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const REPORT: &str = "ACTIOND-REPORT";
const DISK: &str = "/dev/vda";
const IMAGE: &str = "/mnt/runtimes";
const TEST_PROGRAM: &str = "/opt/actiond/testprog";
const MODULES: &str = "/lib/modules/actiond";
/// finit_module(2): the file is compressed (.ko.xz, .ko.zst), the kernel
/// decompresses it (CONFIG_MODULE_DECOMPRESS).
const MODULE_INIT_COMPRESSED_FILE: libc::c_uint = 4;

/// Loads every module file of `MODULES` (none: nothing to do), in name order;
/// a module that is already loaded or built in is fine.
fn load_modules() -> Result<()> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(MODULES) {
        Ok(dir) => dir.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("read {MODULES}")),
    };
    files.sort();
    for path in files {
        let name = path.to_string_lossy().into_owned();
        let file = std::fs::File::open(&path).with_context(|| format!("open {name}"))?;
        let flags = if name.ends_with(".ko") {
            0
        } else {
            MODULE_INIT_COMPRESSED_FILE
        };
        // SAFETY: a valid open descriptor and a NUL-terminated empty string.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_finit_module,
                std::os::fd::AsRawFd::as_raw_fd(&file),
                c"".as_ptr(),
                flags,
            )
        };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EEXIST) {
                bail!("load module {name}: {err}");
            }
        }
    }
    Ok(())
}

/// Mounts a filesystem of type `fstype` on `target`, creating it.
fn mount(source: &str, target: &Path, fstype: &str, flags: libc::c_ulong) -> Result<()> {
    std::fs::create_dir_all(target).with_context(|| format!("mkdir {}", target.display()))?;
    runtime_root::mount(Some(Path::new(source)), target, Some(fstype), flags, None)?;
    Ok(())
}

/// Runs `program args` chrooted in `root`; returns (exit code, stdout+stderr).
fn run_in(root: &Path, program: &str, args: &[&str]) -> Result<(i32, String)> {
    let out = runtime_root::chrooted_command(root, program, Path::new("/"))?
        .args(args)
        .output()
        .with_context(|| format!("run {program} in {}", root.display()))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.code().unwrap_or(-1), text.trim().to_owned()))
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// Sets up one runtime's root and reports on it.
fn check_runtime(name: &str, arch: Arch) -> Result<serde_json::Value> {
    let root = PathBuf::from("/run/roots").join(name);
    // The root an executor builds, with the test program's directory in it.
    let test_dir = Path::new(TEST_PROGRAM)
        .parent()
        .context("a test program directory")?;
    let binds = [runtime_root::Bind {
        source: test_dir.to_owned(),
        target: test_dir.to_owned(),
    }];
    let manifest = runtime_root::assemble_root(Path::new(IMAGE), name, arch, &root, &binds)?;
    let loader = manifest.interpreters.first().context("no interpreter")?;
    let (_, mut version) = run_in(&root, loader, &["--version"])?;
    if !version.contains("release version") {
        // glibc before 2.33: the loader runs libc.so.6, which prints its version.
        let libc = arch
            .libc_paths()
            .into_iter()
            .find(|p| root.join(p.trim_start_matches('/')).exists())
            .context("no libc.so.6 through the mounts")?;
        version = run_in(&root, loader, &[&libc])?.1;
    }
    let (code, output) = run_in(&root, TEST_PROGRAM, &[])?;
    // What the action sees of /etc: the image's common files on top of the
    // runtime's own.
    let hosts = std::fs::read_to_string(root.join("etc/hosts")).unwrap_or_default();
    Ok(json!({
        "runtime": name,
        "arch": std::env::consts::ARCH,
        "loader": first_line(&version),
        "testprog": output,
        "testprog_exit": code,
        "etc_hosts": first_line(&hosts),
        "runtime_etc": root.join("etc/ld.so.conf.d").is_dir(),
    }))
}

fn run() -> Result<usize> {
    mount("proc", Path::new("/proc"), "proc", 0)?;
    mount("sysfs", Path::new("/sys"), "sysfs", 0)?;
    mount("devtmpfs", Path::new("/dev"), "devtmpfs", 0)?;
    mount("tmpfs", Path::new("/run"), "tmpfs", 0)?;
    load_modules()?;
    let start = Instant::now();
    while !Path::new(DISK).exists() {
        if start.elapsed() > Duration::from_secs(20) {
            bail!("{DISK} did not appear: attach the runtimes image as the first virtio disk");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    mount(DISK, Path::new(IMAGE), "squashfs", libc::MS_RDONLY)?;
    let mut names: Vec<String> = std::fs::read_dir(Path::new(IMAGE).join("libc"))
        .context("the image has no libc/ directory")?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    let arch = runtime_root::host_arch().context("an architecture runtimes exist for")?;
    let mut count = 0;
    for name in names {
        let dir = Path::new(IMAGE)
            .join("libc")
            .join(&name)
            .join(arch.as_str());
        if !dir.is_dir() {
            continue;
        }
        let report = match check_runtime(&name, arch) {
            Ok(report) => report,
            Err(e) => json!({"runtime": name, "error": format!("{e:#}")}),
        };
        println!("{REPORT} {report}");
        count += 1;
    }
    Ok(count)
}

fn main() {
    let (ok, detail) = match run() {
        Ok(count) => (true, json!({"done": true, "runtimes": count})),
        Err(e) => (false, json!({"done": true, "error": format!("{e:#}")})),
    };
    println!("{REPORT} {detail}");
    // SAFETY: plain syscalls; powering off is the point when we are PID 1.
    unsafe {
        // Writing to the console returns once the line is queued, not sent:
        // wait until the UART has sent it, or powering off can cut it short
        // (seen on the aarch64 PL011 under TCG). Not a terminal: nothing to wait for.
        libc::tcdrain(libc::STDOUT_FILENO);
        libc::sync();
        if std::process::id() == 1 {
            libc::reboot(libc::RB_POWER_OFF);
        }
    }
    std::process::exit(if ok { 0 } else { 1 });
}
