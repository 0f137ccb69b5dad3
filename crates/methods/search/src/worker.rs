//! Who a worker is and how it shows it is alive: names unique across threads,
//! processes and machines, and the heartbeat timing shared by the stores.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often a worker of a stored study records that it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// A worker silent for this long is taken to have stopped: its claims are
/// queued again. Five heartbeats, so a busy machine does not lose live claims.
pub const STALE: Duration = Duration::from_secs(5);

/// True at most once per `HEARTBEAT` (`last` holds when it last was): how often
/// a waiting worker looks for stale claims.
pub(crate) fn once_per_heartbeat(last: &mut Option<std::time::Instant>) -> bool {
    if last.is_some_and(|t| t.elapsed() < HEARTBEAT) {
        return false;
    }
    *last = Some(std::time::Instant::now());
    true
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The machine's name (`/etc/hostname`, `$HOSTNAME`, or `localhost`).
fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// A new worker name: `host:pid:n`, `n` counting the participants of this process.
pub(crate) fn worker_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{}:{}:{n}", host(), std::process::id())
}
