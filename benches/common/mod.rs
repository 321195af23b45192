//! What the bench binaries that watch for stalls share: the quick-run switch
//! and the stall log, `<criterion dir>/stalled.txt`, which
//! `scripts/bench_report.py` reads.
//!
//! A case that does not finish in time is *reported*, never left out: its id
//! goes into the log with a reason, one line per case,
//! `STALLED: <bench id>\t<reason>`. A case clears its own line when it is
//! checked again, so the log always describes the latest run of each case.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// Set to `1` to shrink every workload and measurement for a fast pass.
pub const QUICK_ENV: &str = "MAY_CHANNEL_BENCH_QUICK";

/// How long a trial run of a case may take before the case counts as stalled.
pub const WATCHDOG: Duration = Duration::from_secs(5);

/// Whether `MAY_CHANNEL_BENCH_QUICK=1` asks for a short run.
pub fn quick() -> bool {
    std::env::var(QUICK_ENV).is_ok_and(|v| v == "1")
}

/// Set to `1` to spawn coroutines without the final yield of
/// [`go_yielding`], which shows may's worker deadlock (see there).
pub const NO_YIELD_ENV: &str = "MAY_CHANNEL_BENCH_NO_FINAL_YIELD";

/// Spawns `f` as a may coroutine that yields once after `f` returns.
///
/// The yield works around a may 0.3.51 deadlock. When a coroutine parked on
/// its own handle (`may::coroutine::park`, which `may_channel`'s wait path
/// uses) is unparked while may is still registering the park,
/// `Park::subscribe` resumes it at once, on the worker's stack, with the
/// park's `wait_kernel` flag held. If the coroutine then returns and its
/// `JoinHandle` is already gone (joined the moment it reported done, as a
/// bench does, or never kept), dropping the coroutine drops that `Park`, whose
/// `Drop` spins until `wait_kernel` clears — which only happens after the
/// resumption returns. The worker thread spins for ever and the coroutines
/// queued on it never run. One yield before returning ends the resumption
/// first, so the coroutine finishes from the run queue instead.
pub fn go_yielding<R, F>(f: F) -> may::coroutine::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    static YIELD: OnceLock<bool> = OnceLock::new();
    let final_yield = *YIELD.get_or_init(|| !std::env::var(NO_YIELD_ENV).is_ok_and(|v| v == "1"));
    may::go!(move || {
        let result = f();
        if final_yield {
            may::coroutine::yield_now();
        }
        result
    })
}

/// Where criterion writes its results: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `criterion/` in the target directory
/// this binary was built in (`<target>/release/deps/<bench>`).
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

fn stall_log() -> PathBuf {
    criterion_dir().join("stalled.txt")
}

/// Drops the line of `id` from the stall log (the case is being checked again).
pub fn clear_stall(id: &str) {
    let path = stall_log();
    let Ok(text) = fs::read_to_string(&path) else {
        return;
    };
    let kept: String = text
        .lines()
        .filter(|line| logged_id(line) != Some(id))
        .map(|line| format!("{line}\n"))
        .collect();
    if kept.len() != text.len() {
        fs::write(&path, kept).expect("rewrite the stall log");
    }
}

/// Prints `STALLED: <id> (<reason>)` and appends the case to the stall log.
pub fn record_stall(id: &str, reason: &str) {
    println!("STALLED: {id} ({reason})");
    clear_stall(id);
    let path = stall_log();
    fs::create_dir_all(path.parent().expect("the log sits in a directory"))
        .expect("create the criterion directory");
    let mut log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .expect("open the stall log");
    writeln!(log, "STALLED: {id}\t{reason}").expect("append to the stall log");
}

/// The bench id a stall-log line names.
fn logged_id(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("STALLED: ")?;
    Some(rest.split('\t').next().unwrap_or(rest))
}
