//! Property tests: no input makes the lexer, parser, checker or evaluator panic or run
//! without limit. Random byte strings exercise the lexer; random token streams built
//! from the language's vocabulary reach deep into the parser, checker and evaluator.

use optl::{Interpreter, Limits};
use proptest::prelude::*;
use std::time::Duration;

/// Tokens that make up OptL programs, including a few malformed ones.
const VOCAB: &[&str] = &[
    "let", "fn", "problem", "rule", "var", "state", "minimize", "maximize", "subject", "to", "in",
    "for", "import", "if", "then", "else", "and", "or", "not", "true", "false", "(", ")", "[", "]",
    "{", "}", ",", ";", ":", ".", "=", "+", "-", "*", "/", "%", "@", "^", "==", "!=", "<", "<=",
    ">", ">=", "\n", "\n", "x", "y", "f", "g", "w", "u", "sum", "zeros", "print", "range", "adam",
    "std", "0", "1", "2", "3.5", "1e-3", "\"s\"", "\"", "#", "$", "inf", "nan", "with", "sgd",
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
