//! REPL tests: scripted entries through the terminal-free `ReplSession`, and one run
//! of the built `optl repl` binary with piped standard input.

// The binary test explains on stderr why it skipped.
#![allow(clippy::print_stderr)]

use optl_cli::repl::{COMMANDS, ReplSession, Reply};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Submits `input` and expects output `expected`.
#[track_caller]
fn out(s: &mut ReplSession, input: &str, expected: &str) {
    assert_eq!(
        s.submit(input),
        Reply::Output(expected.to_string()),
        "entry {input:?}"
    );
}

/// Submits `input`, expects an error and returns its text.
#[track_caller]
fn err(s: &mut ReplSession, input: &str) -> String {
    match s.submit(input) {
        Reply::Error(text) => text,
        other => panic!("entry {input:?}: expected an error, got {other:?}"),
    }
}

#[test]
fn values_show_and_statements_do_not() {
    let mut s = ReplSession::new();
    out(&mut s, "1 + 2", "3\n");
    out(&mut s, "let x = 3", "");
    out(&mut s, "", "");
    out(&mut s, "   ", "");
    out(&mut s, "# just a comment", "");
    out(&mut s, "\"hi\"", "hi\n");
}

#[test]
fn definitions_persist_across_entries() {
    let mut s = ReplSession::new();
    out(&mut s, "let x = 20", "");
    out(&mut s, "fn twice(v) = 2 * v", "");
    out(&mut s, "twice(x) + 2", "42\n");
}

#[test]
fn multi_line_function_body() {
    let mut s = ReplSession::new();
    let mut entry = String::new();
    for line in ["fn f(x) {", "  x + 1"] {
        entry.push_str(line);
        assert!(s.is_incomplete(&entry), "{entry:?} should be incomplete");
        assert_eq!(s.submit(&entry), Reply::Incomplete);
        entry.push('\n');
    }
    entry.push('}');
    assert!(!s.is_incomplete(&entry));
    out(&mut s, &entry, "");
    out(&mut s, "f(41)", "42\n");
    // An open bracket and a trailing operator also ask for more.
    assert_eq!(s.submit("[1,"), Reply::Incomplete);
    assert_eq!(s.submit("1 +"), Reply::Incomplete);
    out(&mut s, "1 +\n 2", "3\n");
}

#[test]
fn errors_do_not_end_the_session() {
    let mut s = ReplSession::new();
    out(&mut s, "let total = 5", "");
    let text = err(&mut s, "totl + 1");
    assert!(text.contains("did you mean"), "{text}");
    assert!(text.contains("total"), "{text}");
    assert!(text.contains("<repl:2>"), "the entry is named: {text}");
    out(&mut s, "total * 2", "10\n");
    // A runtime error too.
    let text = err(&mut s, "zeros(2)[5]");
    assert!(text.contains("<repl:4>"), "{text}");
    out(&mut s, "total", "5\n");
}

#[test]
fn redefining_a_name_in_a_later_entry() {
    let mut s = ReplSession::new();
    out(&mut s, "let x = 1", "");
    out(&mut s, "fn g() = x", "");
    out(&mut s, "let x = 2", "");
    out(&mut s, "x", "2\n");
    out(&mut s, "fn g() = 10 * x", "");
    out(&mut s, "g()", "20\n");
}

#[test]
fn print_output_comes_before_the_value() {
    let mut s = ReplSession::new();
    out(&mut s, "print(1); 2", "1\n2\n");
    out(&mut s, "print(\"a\", 3)", "a 3\n");
}

#[test]
fn output_before_a_runtime_error_is_kept() {
    let mut s = ReplSession::new();
    let text = err(&mut s, "print(7)\nzeros(2)[5]");
    assert!(text.starts_with("7\n"), "{text}");
}

#[test]
fn type_command() {
    let mut s = ReplSession::new();
    out(&mut s, ":type 1 + 2", "1 + 2 : Int\n");
    out(&mut s, ":type [1.0, 2.0]", "[1.0, 2.0] : Tensor\n");
    out(&mut s, "let r = {a: 1}", "");
    out(&mut s, ":type r", "r : Record\n");
    let Reply::Output(text) = s.submit(":type sqrt") else {
        panic!("`:type sqrt` failed");
    };
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sqrt : Function"));
    assert!(
        lines.next().is_some_and(|doc| doc.starts_with("sqrt(")),
        "a builtin shows its documentation: {text}"
    );
    let text = err(&mut s, ":type");
    assert!(text.contains("usage: :type EXPR"), "{text}");
    let text = err(&mut s, ":type nosuchname");
    assert!(text.contains("nosuchname"), "{text}");
}

#[test]
fn reset_forgets_definitions() {
    let mut s = ReplSession::new();
    out(&mut s, "let x = 1", "");
    out(&mut s, "fn sum(v) = 0", "");
    out(&mut s, ":names", "sum : Function\nx : Int\n");
    assert!(matches!(s.submit(":reset"), Reply::Output(_)));
    out(&mut s, ":names", "no definitions yet\n");
    err(&mut s, "x");
    // The prelude is still there, no longer shadowed.
    out(&mut s, "sum([1, 2])", "3\n");
}

#[test]
fn load_runs_a_file_in_the_session() {
    let dir = std::env::temp_dir().join(format!("optl-repl-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("defs.opt");
    std::fs::write(&file, "let k = 7\nfn h(v) = k * v\nprint(\"loaded\")\n").expect("write");
    let mut s = ReplSession::new();
    out(&mut s, &format!(":load {}", file.display()), "loaded\n");
    out(&mut s, "h(6)", "42\n");
    out(&mut s, &format!(":load \"{}\"", file.display()), "loaded\n");
    let text = err(
        &mut s,
        &format!(":load {}", dir.join("missing.opt").display()),
    );
    assert!(text.contains("missing.opt"), "{text}");
    err(&mut s, ":load");
    out(&mut s, "k", "7\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_commands_and_help() {
    let mut s = ReplSession::new();
    let text = err(&mut s, ":tpye 1");
    assert!(text.contains("unknown command `:tpye`"), "{text}");
    assert!(text.contains("did you mean `:type`?"), "{text}");
    assert!(text.contains(":help"), "{text}");
    let text = err(&mut s, ":res");
    assert!(text.contains("did you mean `:reset`?"), "{text}");
    let text = err(&mut s, ":reset now");
    assert!(text.contains("takes no argument"), "{text}");
    let Reply::Output(help) = s.submit(":help") else {
        panic!(":help failed");
    };
    for c in COMMANDS {
        assert!(help.contains(&c.usage()), "{help} lacks {}", c.usage());
    }
    // Still alive.
    out(&mut s, "1", "1\n");
}

#[test]
fn quit() {
    let mut s = ReplSession::new();
    assert_eq!(s.submit(":quit"), Reply::Quit);
    assert_eq!(s.submit(":q"), Reply::Quit);
    assert_eq!(s.submit("  :q  "), Reply::Quit);
}

#[test]
fn completion_names_include_session_and_prelude() {
    let mut s = ReplSession::new();
    out(&mut s, "let my_value = 1", "");
    let names = s.completion_names();
    for n in ["my_value", "sum", "let"] {
        assert!(names.iter().any(|m| m == n), "{n} missing");
    }
}

/// The `optl` binary next to this test's `deps/` directory, if it was built.
fn optl_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let bin = profile_dir.join(format!("optl{}", std::env::consts::EXE_SUFFIX));
    bin.is_file().then_some(bin)
}

#[test]
fn binary_reads_piped_stdin() {
    let Some(bin) = optl_binary() else {
        eprintln!("skipped: no built `optl` binary (run `cargo build -p optl` first)");
        return;
    };
    let mut child = Command::new(&bin)
        .args(["repl", "--color", "never"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn optl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"let x = 2\nx * 21\n")
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait for optl");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("unrecognized subcommand") {
        eprintln!(
            "skipped: {} predates `optl repl` (rebuild with `cargo build -p optl`)",
            bin.display()
        );
        return;
    }
    assert_eq!(String::from_utf8_lossy(&output.stdout), "42\n", "{stderr}");
    assert!(output.status.success(), "{stderr}");
}

/// The text of an `Output` reply.
#[track_caller]
fn output(s: &mut ReplSession, input: &str) -> String {
    match s.submit(input) {
        Reply::Output(text) => text,
        other => panic!("entry {input:?}: expected output, got {other:?}"),
    }
}

#[test]
fn ir_and_hash_commands_show_numeric_code() {
    let mut s = ReplSession::new();
    out(&mut s, "fn f(x) = x * x + 1", "");
    let ir = output(&mut s, ":ir f");
    assert!(ir.contains("### ir\nfn(%0: []) -> ([])"), "{ir}");
    assert!(ir.contains("### grad"), "{ir}");
    let h = output(&mut s, ":hash f");
    assert!(h.starts_with("hash "), "{h}");
    assert!(h.contains("functional "), "{h}");
    // Renamed but equal: the same functional hash.
    out(&mut s, "fn g(y) = 1 + y * y", "");
    let hg = output(&mut s, ":hash g");
    let functional = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("functional"))
            .map(str::to_string)
    };
    assert_eq!(functional(&h), functional(&hg));
    let data = output(&mut s, ":hash [1, 2]");
    assert!(
        data.starts_with("hash ") && !data.contains("functional"),
        "{data}"
    );
    assert!(output(&mut s, ":ir 3").contains("has no IR"));
}
