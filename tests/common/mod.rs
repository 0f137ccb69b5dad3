//! Helpers shared by test binaries (each includes this module with `mod common;`).

/// The resident size of this process in MB, where /proc tells it.
pub fn resident_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}
