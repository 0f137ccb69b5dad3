//! Snapshot tests over the `.opt` corpus: `examples/*.opt` and
//! `tests/{parse,eval,errors}/**/*.opt`.
//!
//! Each file's header carries its expectations (`# command:`, `# exit:`, `# expect:`,
//! `# args:`; see tests/README.md). The harness runs the built `optl` binary, checks the
//! exit code and the expected diagnostic codes, and snapshots stdout, the rendered
//! diagnostics and the exit code together.

use std::path::Path;
use std::process::Command;

/// The expectations written in a test file's header comments.
struct Header {
    command: String,
    exit: i32,
    expect: Vec<String>,
    args: Vec<String>,
}

fn header(text: &str) -> Header {
    let mut h = Header {
        command: "run".into(),
        exit: 0,
        expect: Vec::new(),
        args: Vec::new(),
    };
    for line in text.lines() {
        let Some(comment) = line.strip_prefix('#') else {
            break;
        };
        let comment = comment.trim();
        if let Some(v) = comment.strip_prefix("command:") {
            h.command = v.trim().to_string();
        } else if let Some(v) = comment.strip_prefix("exit:") {
            h.exit = v.trim().parse().expect("exit code in header");
        } else if let Some(v) = comment.strip_prefix("expect:") {
            h.expect.push(v.trim().to_string());
        } else if let Some(v) = comment.strip_prefix("args:") {
            h.args.extend(v.split_whitespace().map(String::from));
        }
    }
    h
}

/// Runs one corpus file and returns its snapshot body, or what broke its expectations.
fn check(path: &Path) -> Result<Option<String>, String> {
    let root = &package_root();
    let bytes = std::fs::read(path).expect("readable test file");
    let text = String::from_utf8_lossy(&bytes);
    let h = header(&text);
    if h.command == "none" {
        return Ok(None);
    }
    let rel = path.strip_prefix(root).unwrap_or(path);
    let output = Command::new(env!("CARGO_BIN_EXE_optl"))
        .arg(&h.command)
        .arg(rel)
        .args(["--color", "never"])
        .args(&h.args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("optl binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let code = output.status.code().unwrap_or(-1);
    if code != h.exit {
        return Err(format!(
            "{}: expected exit {}, got {code}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            rel.display(),
            h.exit
        ));
    }
    for want in &h.expect {
        if !stderr.contains(&format!("[{want}]")) {
            return Err(format!(
                "{}: expected diagnostic {want}\n--- stderr\n{stderr}",
                rel.display()
            ));
        }
    }
    if stderr.contains("panicked") {
        return Err(format!("{}: panic\n{stderr}", rel.display()));
    }
    let mut snap = String::new();
    if !stdout.is_empty() {
        snap.push_str("## Output\n");
        snap.push_str(&stdout);
    }
    if !stderr.is_empty() {
        snap.push_str("## Diagnostics\n");
        snap.push_str(&stderr);
    }
    snap.push_str(&format!("## Exit\n{code}\n"));
    Ok(Some(snap))
}

/// Every `.opt` file under `dir` (recursively), sorted for a stable order.
fn corpus_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus directory exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            corpus_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "opt") {
            out.push(p);
        }
    }
}

/// Snapshots every file of a corpus directory; failures are collected so that one run
/// reports all of them.
fn snapshot_dir(dir: &str, recursive: bool) {
    let root = &package_root();
    let mut files = Vec::new();
    if recursive {
        corpus_files(&root.join(dir), &mut files);
    } else {
        let mut top: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("corpus directory exists")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "opt"))
            .collect();
        top.sort();
        files = top;
    }
    assert!(!files.is_empty(), "no test files in {dir}");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root.join("tests/snapshots").join(dir.replace('/', "_")));
    settings.set_prepend_module_to_snapshot(false);
    let mut failures = Vec::new();
    settings.bind(|| {
        for path in &files {
            let snap = match check(path) {
                Ok(Some(snap)) => snap,
                Ok(None) => continue,
                Err(failure) => {
                    failures.push(failure);
                    continue;
                }
            };
            let rel = path.strip_prefix(root.join(dir)).unwrap_or(path);
            let name = rel
                .with_extension("")
                .to_string_lossy()
                .replace(['/', '\\'], "__");
            insta::assert_snapshot!(name, snap, &rel.display().to_string());
        }
    });
    assert!(
        failures.is_empty(),
        "{} failing file(s):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// `optl ir` over every example that runs cleanly: the IR, gradient IR and hashes of
/// its numeric code.
#[test]
fn ir_of_examples() {
    let root = &package_root();
    let mut files: Vec<_> = std::fs::read_dir(root.join("examples"))
        .expect("examples exist")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "opt"))
        .collect();
    files.sort();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root.join("tests/snapshots/ir"));
    settings.set_prepend_module_to_snapshot(false);
    let mut failures = Vec::new();
    settings.bind(|| {
        for path in &files {
            let text = std::fs::read_to_string(path).expect("readable");
            let h = header(&text);
            if h.command != "run" || h.exit != 0 {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap_or(path);
            let output = Command::new(env!("CARGO_BIN_EXE_optl"))
                .args(["ir", &rel.to_string_lossy(), "--color", "never"])
                .current_dir(root)
                .output()
                .expect("optl runs");
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            if !output.status.success() {
                failures.push(format!(
                    "{}: {}",
                    rel.display(),
                    String::from_utf8_lossy(&output.stderr)
                ));
                continue;
            }
            let name = rel
                .with_extension("")
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            insta::assert_snapshot!(name, stdout, &rel.display().to_string());
        }
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn examples() {
    snapshot_dir("examples", false);
}

#[test]
fn parse() {
    snapshot_dir("tests/parse", true);
}

#[test]
fn eval() {
    snapshot_dir("tests/eval", true);
}

#[test]
fn errors() {
    snapshot_dir("tests/errors", true);
}

/// The package's directory, where cargo runs its tests (absolute: insta reads a
/// relative snapshot path against the test's source file, and the checkout may have
/// moved since the test binary was built).
fn package_root() -> std::path::PathBuf {
    std::env::current_dir().expect("the working directory")
}
