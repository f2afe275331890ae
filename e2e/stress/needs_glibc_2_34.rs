//! A tool that needs glibc 2.34: it calls closefrom(3), then writes the file
//! its first argument names. Built against the machine's glibc, it runs in glibc
//! 2.35 and later, and the loader refuses it in glibc 2.31.

use std::os::raw::c_int;

extern "C" {
    fn closefrom(lowfd: c_int);
}

fn main() -> std::process::ExitCode {
    // SAFETY: closes descriptors from 3 up; the standard streams stay.
    unsafe { closefrom(3) };
    let Some(out) = std::env::args_os().nth(1) else {
        eprintln!("usage: needs_glibc_2_34 OUT");
        return std::process::ExitCode::from(2);
    };
    match std::fs::write(&out, "closefrom: ok\n") {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("needs_glibc_2_34: {}: {err}", out.to_string_lossy());
            std::process::ExitCode::FAILURE
        }
    }
}
