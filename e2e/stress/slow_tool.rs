//! A tool that takes its time: it sleeps 20 s, then writes the file its
//! first argument names. e2e/remote kills the worker that runs it, mid-action.

fn main() -> std::process::ExitCode {
    std::thread::sleep(std::time::Duration::from_secs(20));
    let Some(out) = std::env::args_os().nth(1) else {
        eprintln!("usage: slow_tool OUT");
        return std::process::ExitCode::from(2);
    };
    match std::fs::write(&out, "slept\n") {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("slow_tool: {}: {err}", out.to_string_lossy());
            std::process::ExitCode::FAILURE
        }
    }
}
