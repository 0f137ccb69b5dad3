//! Quick parser checks on the precedence and layout rules of LANGUAGE.md §1 and §3.

use optl_syntax::print::program_to_sexpr;
use optl_syntax::{FileId, parse};

fn sexpr(src: &str) -> String {
    let p = parse(src, FileId(0));
    assert!(p.diagnostics.is_empty(), "{src:?}: {:?}", p.diagnostics);
    program_to_sexpr(&p.program)
}

fn codes(src: &str) -> Vec<&'static str> {
    parse(src, FileId(0))
        .diagnostics
        .iter()
        .map(|d| d.code.id)
        .collect()
}

#[test]
fn precedence() {
    assert_eq!(sexpr("-x^2"), "(neg (^ x 2))\n");
    assert_eq!(sexpr("2^3^2"), "(^ 2 (^ 3 2))\n");
    assert_eq!(sexpr("2^-1"), "(^ 2 (neg 1))\n");
    assert_eq!(sexpr("a or b and not c"), "(or a (and b (not c)))\n");
    assert_eq!(sexpr("1 + 2 * 3 @ x"), "(+ 1 (@ (* 2 3) x))\n");
    assert_eq!(sexpr("a - b - c"), "(- (- a b) c)\n");
}

#[test]
fn newlines() {
    assert_eq!(sexpr("let x = 1 +\n 2"), "(let x (+ 1 2))\n");
    assert_eq!(sexpr("f(1,\n2)"), "(call f 1 2)\n");
    assert_eq!(sexpr("x\n- 2"), "x\n(neg 2)\n");
    assert_eq!(codes("x\n+ 2"), vec!["E0007"]);
    assert_eq!(
        sexpr("let y = if a\n then b\n else c"),
        "(let y (if a b c))\n"
    );
}

#[test]
fn records_and_blocks() {
    assert_eq!(sexpr("{}"), "(record)\n");
    assert_eq!(sexpr("{a: 1, b: 2,}"), "(record (a 1) (b 2))\n");
    assert_eq!(
        sexpr("{ let y = 1\n y + 1 }"),
        "(block (let y 1) (+ y 1))\n"
    );
    assert_eq!(sexpr("{ x; }"), "(block x)\n");
    assert_eq!(codes("{ let y = 1 }"), vec!["E0010"]);
}

#[test]
fn errors_recover() {
    assert_eq!(codes("let = 5\nlet y = 2\n1 +* 2"), vec!["E0007", "E0007"]);
    assert_eq!(codes("f(1, 2"), vec!["E0008"]);
    assert!(parse("f(1, 2", FileId(0)).incomplete);
    assert_eq!(codes("(1, 2]"), vec!["E0009"]);
    assert_eq!(codes("1 < 2 < 3"), vec!["E0007"]);
    let deep = "(".repeat(10_000);
    assert_eq!(codes(&deep), vec!["E0006"]);
    let chain = format!("x{}", " + x".repeat(5000));
    assert_eq!(codes(&chain), vec!["E0006"]);
}
