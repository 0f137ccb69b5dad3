//! Tests of the `optl` binary itself: subcommands, exit codes, standard input,
//! colour control, limits given as flags, and input that is not UTF-8.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn optl(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_optl"))
        .args(args)
        .current_dir(".")
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("optl starts");
    if let Some(input) = stdin {
        // A usage error exits before reading its input: a closed pipe is not a failure.
        let written = child.stdin.take().expect("stdin").write_all(input);
        if let Err(e) = written
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            panic!("write stdin: {e}");
        }
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("optl finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn runs_an_example() {
    let out = optl(&["run", "examples/01_basics.opt"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("hello, optimizer\n"));
}

#[test]
fn reads_standard_input() {
    let out = optl(
        &["run", "-"],
        Some(b"fn f(x, scale = 1.0) = scale * sum(x^2)\nprint(f([1, 2]), 7 // 1 == 7)\n"),
    );
    assert_eq!(out.status.code(), Some(2), "`//` is not an operator");
    let out = optl(
        &["run", "-"],
        Some(b"fn f(x, scale = 1.0) = scale * sum(x^2)\nprint(f([1, 2]))\n"),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "5\n");
}

#[test]
fn exit_codes_distinguish_static_and_runtime_errors() {
    let static_err = optl(&["run", "-"], Some(b"print(nope)\n"));
    assert_eq!(static_err.status.code(), Some(2));
    assert!(text(&static_err.stderr).contains("E0100"));
    let runtime_err = optl(
        &["run", "-"],
        Some(b"print(1)\nprint([1, 2] + [1, 2, 3])\n"),
    );
    assert_eq!(runtime_err.status.code(), Some(1));
    assert_eq!(
        text(&runtime_err.stdout),
        "1\n",
        "output before the error is kept"
    );
    assert!(text(&runtime_err.stderr).contains("E0201"));
}

#[test]
fn check_does_not_run() {
    let out = optl(&["check", "-"], Some(b"print(1)\nassert(false)\n"));
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let out = optl(&["check", "-"], Some(b"fn f(x) = x\nf(1, 2)\n"));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("E0104"));
}

#[test]
fn invalid_utf8_is_a_diagnostic() {
    let dir = std::env::temp_dir().join(format!("optl-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("bad.opt");
    std::fs::write(&file, b"let x = 1\nprint(\"\xff\xfe\")\n").expect("write");
    let out = optl(
        &[
            "run",
            file.to_str().expect("utf-8 path"),
            "--color",
            "never",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("E0001"), "{err}");
    assert!(err.contains("offset 17"), "{err}");
    let out = optl(&["run", "-"], Some(b"\xff"));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("E0001"));
}

#[test]
fn missing_file_is_reported() {
    let out = optl(&["run", "no/such/file.opt"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read"));
}

#[test]
fn colour_follows_flags_and_no_color() {
    let src: &[u8] = b"print(nope)\n";
    let always = optl(&["run", "-", "--color", "always"], Some(src));
    assert!(
        text(&always.stderr).contains("\u{1b}["),
        "colour when asked"
    );
    let never = optl(&["run", "-", "--color", "never"], Some(src));
    assert!(!text(&never.stderr).contains("\u{1b}["));
    // Not a terminal: auto means no colour.
    let auto = optl(&["run", "-"], Some(src));
    assert!(!text(&auto.stderr).contains("\u{1b}["));
}

#[test]
fn limits_are_flags() {
    let out = optl(
        &["run", "-", "--max-elements", "100"],
        Some(b"print(size(zeros(1000)))\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0207"));
    let out = optl(
        &["run", "-", "--max-depth", "50"],
        Some(b"fn f(n) = if n == 0 then 0 else f(n - 1)\nprint(f(100))\n"),
    );
    assert!(text(&out.stderr).contains("E0208"));
    let out = optl(
        &["run", "-", "--timeout", "0.2"],
        Some(b"let n = len([i for i in range(100000) for j in range(100000) if false])\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("E0210"), "{}", text(&out.stderr));
    // `inf` is no limit; NaN and negative numbers are usage errors, not panics.
    let out = optl(&["run", "-", "--timeout", "inf"], Some(b"print(1)\n"));
    assert_eq!(text(&out.stdout), "1\n", "{}", text(&out.stderr));
    for bad in ["nan", "-1"] {
        let out = optl(&["run", "-", "--timeout", bad], Some(b"print(1)\n"));
        assert_eq!(out.status.code(), Some(2), "--timeout {bad}");
        assert!(
            text(&out.stderr).contains("time limit"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn seed_flag_is_deterministic() {
    let src: &[u8] = b"print(rand(3))\n";
    let a = optl(&["run", "-", "--seed", "7"], Some(src));
    let b = optl(&["run", "-", "--seed", "7"], Some(src));
    let c = optl(&["run", "-", "--seed", "8"], Some(src));
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
}

#[test]
fn version_and_usage() {
    let out = optl(&["--version"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("optl "));
    let out = optl(&["frobnicate"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn parse_prints_the_tree() {
    let out = optl(&["parse", "-"], Some(b"let y = -x^2\n"));
    assert_eq!(text(&out.stdout), "(let y (neg (^ x 2)))\n");
}

#[test]
fn json_lines_plots_and_engines() {
    let src: &[u8] = b"problem p { var x[2] = 1\n minimize sum((x - [1, 2])^2) }\nlet r = solve(p)\nprint(r.status, r.vars)\nprint(1.5)\n";
    let out = optl(&["run", "-", "--json"], Some(src));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert_eq!(lines[0], r#"["converged",{"x":[1.0,2.0]}]"#);
    assert_eq!(lines[1], "1.5");
    let dir = std::env::temp_dir().join(format!("optl-plots-{}", std::process::id()));
    let out = optl(
        &[
            "run",
            "-",
            "--plot",
            dir.to_str().expect("utf-8"),
            "--stats",
            "--engine",
            "jit",
        ],
        Some(src),
    );
    assert_eq!(out.status.code(), Some(0));
    let svg = std::fs::read_to_string(dir.join("solve-1-p.svg")).expect("a plot per solve");
    assert!(svg.contains("<svg"));
    assert!(
        text(&out.stderr).contains("jit runs"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains(" 0 jit runs"), "the JIT ran");
}

#[test]
fn jit_and_interpreter_print_the_same_on_every_example() {
    let dir = std::path::Path::new("examples");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("examples")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "opt"))
    {
        let f = f.to_str().expect("utf-8 path");
        let jit = optl(&["run", f, "--engine", "jit", "--color", "never"], None);
        let interp = optl(&["run", f, "--engine", "interp", "--color", "never"], None);
        assert_eq!(jit.stdout, interp.stdout, "{f}");
        assert_eq!(jit.status.code(), interp.status.code(), "{f}");
    }
}

/// Rules differing only in float hyper-parameters share one compiled update kernel:
/// a search over 30 learning rates compiles two kernels (objective gradient and
/// update, both compiled at once as a solve runs them many times) and reuses them.
#[test]
fn a_learning_rate_search_compiles_its_kernels_once() {
    let src = b"problem rosen(n = 2) {
  var x[n] = -1.2
  minimize sum(100 * (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2)
}
let s = search(adam(lr = floatv(1e-4, 1e-1, scale = \"log\")),
               fn(opt) = solve(rosen(n = 10), opt, steps = 100).f,
               algo = random(), trials = 30, seed = 0)
print(s.unique)
";
    let out = optl(&["run", "-", "--stats"], Some(src));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "30\n");
    let stats = text(&out.stderr);
    assert!(stats.contains(" 2 kernels compiled"), "{stats}");
    assert!(stats.contains(", 0 interpreter runs"), "{stats}");
}
