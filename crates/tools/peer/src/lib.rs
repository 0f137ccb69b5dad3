//! The Python peers of OptL's benchmarks (scipy, POT, pymoo, …), measured in the
//! same run as OptL: one venv for every bench, `<target>/peer-venv`, created and
//! given the packages a bench asks for when they are missing, and a peer script
//! run once in it with one BLAS/OpenMP thread, its standard output returned.
//!
//! A dev-dependency of the benches only; nothing here runs in tests or in the
//! interpreter. Failures are `Err` with a sentence the bench prints as
//! "peer skipped: …", so a machine without Python still runs OptL's side.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Command;

/// The workspace's target directory (`CARGO_TARGET_DIR`, else `<workspace>/target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../target"))
}

/// The venv's Python, once `import <imports>` works in it: the venv is created
/// if missing and `packages` installed with pip if the import fails.
pub fn python(imports: &str, packages: &[&str]) -> Result<PathBuf, String> {
    let venv = target_dir().join("peer-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err(format!("could not create a venv at {}", venv.display()));
        }
    }
    let imported = |py: &PathBuf| {
        Command::new(py)
            .args(["-c", &format!("import {imports}")])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !imported(&python) {
        let ok = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(packages)
            .status()
            .is_ok_and(|s| s.success());
        if !ok || !imported(&python) {
            return Err(format!("pip install {} failed", packages.join(" ")));
        }
    }
    Ok(python)
}

/// Runs `script` (as `python -c`) with `args`, on one BLAS/OpenMP thread; its
/// standard output, or its standard error when it fails.
pub fn run<S: AsRef<OsStr>>(
    imports: &str,
    packages: &[&str],
    script: &str,
    args: &[S],
) -> Result<String, String> {
    let python = python(imports, packages)?;
    let out = Command::new(&python)
        .args(["-c", script])
        .args(args)
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("OMP_NUM_THREADS", "1")
        .env("MKL_NUM_THREADS", "1")
        .output()
        .map_err(|e| format!("could not run {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "the script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
