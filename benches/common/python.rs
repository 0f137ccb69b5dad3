//! Runs a Python reference (SciPy, NumPy, Optax) for a benchmark's side-by-side
//! table: its standard output, or `None` when `python3` or a package it imports is
//! missing (the script then exits with an error). `args` become `sys.argv[1..]`.

use std::process::Command;

pub fn run(script: &str, args: &[&str]) -> Option<String> {
    Command::new("python3")
        .args(["-c", script])
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}
