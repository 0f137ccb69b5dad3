//! Property tests: no input makes the lexer, parser, checker or evaluator panic or run
//! without limit. Random byte strings exercise the lexer; random token streams built
//! from the language's vocabulary reach deep into the parser, checker and evaluator.

use optl::{Interpreter, Limits};
use proptest::prelude::*;
use std::time::Duration;

/// Tokens that make up OptL programs, including a few malformed ones.
const VOCAB: &[&str] = &[
    "let", "fn", "problem", "rule", "lower", "var", "state", "minimize", "maximize", "subject",
    "to", "in", "for", "import", "if", "then", "else", "and", "or", "not", "true", "false", "(",
    ")", "[", "]", "{", "}", ",", ";", ":", ".", "=", "+", "-", "*", "/", "%", "@", "^", "==",
    "!=", "<", "<=", ">", ">=", "\n", "\n", "x", "y", "f", "g", "w", "u", "sum", "zeros", "print",
    "range", "adam", "std", "0", "1", "2", "3.5", "1e-3", "\"s\"", "\"", "#", "$", "inf", "nan",
    "with", "sgd",
];

fn limited() -> Interpreter {
    let mut interp = Interpreter::new();
    interp.set_limits(Limits {
        max_call_depth: 200,
        max_elements: 10_000,
        max_steps: 20_000,
        timeout: Some(Duration::from_secs(2)),
    });
    interp
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let mut interp = limited();
        let _ = interp.eval_source("<fuzz>", &text, None);
    }

    #[test]
    fn random_token_streams_never_panic(picks in proptest::collection::vec(0..VOCAB.len(), 0..60)) {
        let text: Vec<&str> = picks.iter().map(|&i| VOCAB[i]).collect();
        let src = text.join(" ");
        let mut interp = limited();
        if let Err(e) = interp.eval_source("<fuzz>", &src, None) {
            // Every error carries a code and renders without panicking.
            prop_assert!(!e.diagnostics.is_empty());
            let _ = interp.render(&e, false);
        }
    }
}

#[test]
fn deep_nesting_of_every_kind_is_refused_cleanly() {
    let cases = [
        "(".repeat(10_000),
        format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000)),
        format!("{}1", "-".repeat(100_000)),
        format!("{}true", "not ".repeat(100_000)),
        format!("x{}", "^x".repeat(100_000)),
        format!("1{}", " + 1".repeat(100_000)),
        format!(
            "{}1{}",
            "if true then ".repeat(5_000),
            " else 0".repeat(5_000)
        ),
        format!("{}1", "fn(x) = ".repeat(5_000)),
        "{".repeat(10_000),
    ];
    for src in &cases {
        let mut interp = limited();
        let err = interp
            .eval_source("<deep>", src, None)
            .expect_err("too deep");
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.diagnostics
                .iter()
                .any(|d| d.code.id == "E0006" || d.code.id == "E0008"),
            "{:?}",
            err.diagnostics
                .iter()
                .map(|d| d.code.id)
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn deep_but_legal_recursion_is_fine() {
    let mut interp = Interpreter::new();
    let v = interp
        .eval_str("fn count(n) = if n == 0 then 0 else 1 + count(n - 1)\ncount(5000)")
        .expect("runs");
    assert_eq!(i64::try_from(v), Ok(5000));
}

#[test]
fn stdlib_loads_cleanly() {
    let interp = Interpreter::new();
    assert!(
        interp.stdlib_errors().is_empty(),
        "{:?}",
        interp.stdlib_errors()
    );
}

/// Edge values for arguments: NaN, infinities, huge and negative numbers, empty
/// tensors, strings, functions, records, a problem (`p`).
const EDGES: &[&str] = &[
    "0",
    "-1",
    "2",
    "0.5",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "100000000000",
    "[]",
    "[[]]",
    "[1, 2, 3]",
    "[[1, 2], [3, 4]]",
    "\"s\"",
    "fn(x) = x",
    "{a: 1}",
    "true",
    "p",
];

/// A session under `limited()` limits with a small problem `p` and `std.tasks`.
fn session_with_p() -> Interpreter {
    let mut interp = limited();
    interp
        .eval_str("import std.tasks\nproblem p { var x[2] = 1\n minimize sum(x^2) }")
        .expect("defines p");
    interp
}

/// Asserts that `src` returns or fails with a diagnostic, and does not panic.
fn assert_handled(interp: &mut Interpreter, src: &str) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        match interp.eval_str(src) {
            Err(e) => !e.diagnostics.is_empty(),
            Ok(_) => true,
        }
    }));
    assert!(matches!(outcome, Ok(true)), "{src}");
}

/// Every name of the prelude called with zero, one and two arguments drawn from
/// edge values (NaN, infinities, huge and negative numbers, empty tensors, strings,
/// functions, records): each call returns or fails with a diagnostic, never panics.
#[test]
fn every_builtin_with_edge_arguments() {
    let names: Vec<String> = Interpreter::new()
        .visible_names()
        .iter()
        .map(|n| n.to_string())
        .filter(|n| n != "print" && n.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .collect();
    assert!(names.len() > 100, "{} names", names.len());
    let mut interp = session_with_p();
    let mut calls = vec![String::new()];
    calls.extend(EDGES.iter().map(|a| a.to_string()));
    for a in EDGES {
        for b in EDGES {
            calls.push(format!("{a}, {b}"));
        }
    }
    for name in &names {
        for args in &calls {
            assert_handled(&mut interp, &format!("{name}({args})"));
        }
    }
}

/// Every builtin and constructor documented in `docs/stdlib.md`, called with each of
/// its parameters as a keyword set to an edge value, after a plausible first
/// argument (and, without one, the value used as a solver or rule and as a problem):
/// each call returns or fails with a diagnostic, never panics.
#[test]
fn every_documented_parameter_with_edge_values() {
    const FIRST: &[&str] = &[
        "",
        "p",
        "[1, 2, 3]",
        "2",
        "sgd(lr = 0.1)",
        "{a: oneof([1, 2])}",
    ];
    let page = std::fs::read_to_string("docs/stdlib.md").expect("docs/stdlib.md exists");
    let mut calls: Vec<(String, Vec<String>)> = Vec::new();
    for line in page.lines() {
        let Some(rest) = line.strip_prefix("| `") else {
            continue;
        };
        let Some((name, params)) = rest.split_once('(') else {
            continue;
        };
        let Some((params, _)) = params.split_once(")`") else {
            continue;
        };
        if name == "print" || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let params = params
            .split(", ")
            .map(|p| p.split([' ', '?', '=']).next().unwrap_or("").to_string())
            .filter(|p| !p.is_empty() && !p.starts_with('*'))
            .collect();
        calls.push((name.to_string(), params));
    }
    assert!(calls.len() > 100, "{} documented calls", calls.len());
    let mut interp = session_with_p();
    for (name, params) in &calls {
        for param in params {
            for first in FIRST {
                for edge in EDGES {
                    let sep = if first.is_empty() { "" } else { ", " };
                    let call = format!("{name}({first}{sep}{param} = {edge})");
                    // The value is also used: as a solver or rule, and as a problem.
                    let uses = [
                        call.clone(),
                        format!("solve(p, {call}, steps = 3)"),
                        format!("solve({call}, sgd(lr = 0.1), steps = 3)"),
                    ];
                    for src in uses.iter().take(if first.is_empty() { 3 } else { 1 }) {
                        assert_handled(&mut interp, src);
                    }
                }
            }
        }
    }
}
