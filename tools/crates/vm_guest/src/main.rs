//! The VM guest, run by the kernel as `/init` from the initramfs.
//!
//! 1. mounts /proc, /sys, /dev (devtmpfs) and a tmpfs at /run;
//! 2. loads the kernel modules of /lib/modules/actiond (for kernels that build
//!    squashfs or virtio-blk as modules, such as Debian's arm64 one), in name
//!    order, then mounts the runtimes image, the first virtio disk (/dev/vda),
//!    read-only;
//! 3. for each `libc/<name>/<arch>` of this machine's arch, builds a root in
//!    /run/<name> from the runtime's `runtime_manifest.json` mounts (bind
//!    mounts, read-only), copies the test program in, and runs, chrooted
//!    there, the runtime's loader `--version` (or, before glibc 2.33, the
//!    loader on libc.so.6, which prints the same line) and the test program;
//! 4. prints one `ACTIOND-REPORT {json}` line per runtime on the console,
//!    then `ACTIOND-REPORT {"done": true, ...}`;
//! 5. powers the machine off.
//!
//! It must be linked statically: the initramfs has no libc.

use anyhow::{bail, Context, Result};
use runtime_manifest::RuntimeManifest;
use serde_json::json;
use std::ffi::CString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
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
        let params = cstr("");
        // SAFETY: a valid open descriptor and a NUL-terminated empty string.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_finit_module,
                std::os::fd::AsRawFd::as_raw_fd(&file),
                params.as_ptr(),
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

fn cstr(s: &str) -> CString {
    CString::new(s).expect("no NUL in our own paths")
}

fn mount(source: &str, target: &Path, fstype: &str, flags: libc::c_ulong) -> Result<()> {
    std::fs::create_dir_all(target).with_context(|| format!("mkdir {}", target.display()))?;
    let target_c = cstr(&target.to_string_lossy());
    // SAFETY: every pointer is a valid NUL-terminated string or null.
    let rc = unsafe {
        libc::mount(
            cstr(source).as_ptr(),
            target_c.as_ptr(),
            cstr(fstype).as_ptr(),
            flags,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        bail!(
            "mount {source} on {} ({fstype}): {}",
            target.display(),
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

/// Bind-mounts `source` (a directory or a file) on `target`, read-only.
fn bind_ro(source: &Path, target: &Path) -> Result<()> {
    if source.is_dir() {
        std::fs::create_dir_all(target)?;
    } else {
        std::fs::create_dir_all(target.parent().context("a file target has a parent")?)?;
        std::fs::File::create(target).with_context(|| format!("create {}", target.display()))?;
    }
    let (s, t) = (
        cstr(&source.to_string_lossy()),
        cstr(&target.to_string_lossy()),
    );
    // SAFETY: valid strings; a bind mount takes no data.
    unsafe {
        if libc::mount(
            s.as_ptr(),
            t.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        ) != 0
        {
            bail!(
                "bind {} on {}: {}",
                source.display(),
                target.display(),
                std::io::Error::last_os_error()
            );
        }
        let flags = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY;
        if libc::mount(
            std::ptr::null(),
            t.as_ptr(),
            std::ptr::null(),
            flags,
            std::ptr::null(),
        ) != 0
        {
            bail!(
                "remount {} read-only: {}",
                target.display(),
                std::io::Error::last_os_error()
            );
        }
    }
    Ok(())
}

/// Runs `program args` chrooted in `root`; returns (exit code, stdout+stderr).
fn run_in(root: &Path, program: &str, args: &[&str]) -> Result<(i32, String)> {
    let root_c = cstr(&root.to_string_lossy());
    let mut command = Command::new(program);
    command.args(args).env_clear().env("PATH", "/usr/bin:/bin");
    // SAFETY: chroot and chdir are async-signal-safe, as pre_exec requires.
    unsafe {
        command.pre_exec(move || {
            if libc::chroot(root_c.as_ptr()) != 0 || libc::chdir(c"/".as_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = command
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
fn check_runtime(name: &str, dir: &Path) -> Result<serde_json::Value> {
    let manifest = RuntimeManifest::from_file(&dir.join("runtime_manifest.json"))?;
    let root = PathBuf::from("/run/roots").join(name);
    for m in &manifest.mounts {
        bind_ro(
            &dir.join("root").join(&m.source),
            &root.join(m.target.trim_start_matches('/')),
        )?;
    }
    std::fs::copy(TEST_PROGRAM, root.join("testprog")).context("copy the test program")?;
    let loader = manifest.interpreters.first().context("no interpreter")?;
    let (_, mut version) = run_in(&root, loader, &["--version"])?;
    if !version.contains("release version") {
        // glibc before 2.33: the loader runs libc.so.6, which prints its version.
        let libc = manifest
            .mounts
            .iter()
            .map(|m| format!("{}/libc.so.6", m.target))
            .find(|p| root.join(p.trim_start_matches('/')).exists())
            .context("no libc.so.6 under the mounts")?;
        version = run_in(&root, loader, &[&libc])?.1;
    }
    let (code, output) = run_in(&root, "/testprog", &[])?;
    Ok(json!({
        "runtime": name,
        "arch": std::env::consts::ARCH,
        "loader": first_line(&version),
        "testprog": output,
        "testprog_exit": code,
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
    let mut count = 0;
    for name in names {
        let dir = Path::new(IMAGE)
            .join("libc")
            .join(&name)
            .join(std::env::consts::ARCH);
        if !dir.is_dir() {
            continue;
        }
        let report = match check_runtime(&name, &dir) {
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
        libc::sync();
        if std::process::id() == 1 {
            libc::reboot(libc::RB_POWER_OFF);
        }
    }
    std::process::exit(if ok { 0 } else { 1 });
}
