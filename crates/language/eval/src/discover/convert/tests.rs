//! Unit tests of the conversion: bodies round-trip exactly (spans included), the
//! crate's printer agrees with OptL's on what mutations make, and opaque parts
//! survive mutation and simplification.

use super::*;
use optl_syntax::print::expr_to_source;
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

/// A start with parts the program form does not express: a lambda, a list, an
/// index, a comparison and a keyword argument.
const ODD: &str = "rule odd(lr = 0.01, b = 0.9, n = 2) {
  state m = zeros_like(w)
  let f = fn(x) = 2.0 * x
  let v = [g, w][0]
  m = b * m + (1 - b) * g
  u = lr * f(m) * where(g > 0, 1.0, 0.5) + clip(v, -1.0, 1.0) * abs(-(-g)) * 1 + lr * (0.5 * 2.0) * sign(x = g)
}";

/// A rule's name, hyper-parameter names and body.
type Rule = (Rc<str>, Vec<Rc<str>>, Vec<Stmt>);

/// The rules of the standard optimizers and [`ODD`].
fn rules() -> Vec<Rule> {
    let src = format!(
        "{}\n{ODD}",
        include_str!("../../../../../../stdlib/optim.opt")
    );
    let parsed = optl_syntax::parse(&src, optl_syntax::span::FileId(3));
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let rules: Vec<_> = parsed
        .program
        .stmts
        .into_iter()
        .filter_map(|s| match s.kind {
            StmtKind::Rule(d) => {
                let hparams = d.params.iter().flatten().map(|p| p.name.name.clone());
                Some((d.name.name, hparams.collect(), (*d.body).clone()))
            }
            _ => None,
        })
        .collect();
    assert!(rules.len() > 10);
    rules
}

#[test]
fn a_body_lowered_and_raised_is_the_same_tree() {
    for (name, _, body) in rules() {
        let lowered = Lowered::new(&body);
        assert_eq!(lowered.raise(&lowered.program), body, "{name}");
    }
}

#[test]
fn the_binary_operators_correspond() {
    for (i, (a, b)) in BIN_OPS.iter().enumerate() {
        assert_eq!((*a as usize, *b as usize), (i, i));
        assert_eq!(a.symbol(), b.symbol());
    }
}

/// Runs chains of mutations from every rule, calling `check` on each mutant (its
/// body raised, and the program it was raised from).
fn mutants(mut check: impl FnMut(&[Stmt], &d::RuleProgram)) {
    let span = Span::new(optl_syntax::span::FileId(7), 1000, 1010);
    for (_, hparams, start) in rules() {
        for seed in 0..6 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut body = start.clone();
            for _ in 0..20 {
                let mut lowered = Lowered::new(&body);
                let cx = d::Context {
                    hparams: &hparams,
                    origin: lowered.origin(span),
                };
                let Some(p) = d::mutate(&lowered.program, &cx, &mut rng) else {
                    continue;
                };
                body = lowered.raise(&p);
                check(&body, &p);
            }
        }
    }
}

#[test]
fn the_printers_agree_on_mutants() {
    let mut compared = 0;
    mutants(|body, p| {
        for (s, ds) in body.iter().zip(&p.stmts) {
            let (StmtKind::State(_, e) | StmtKind::Let(_, e) | StmtKind::Assign(_, e), Some(de)) =
                (&s.kind, ds.expr())
            else {
                continue;
            };
            let text = d::to_source(de);
            if !text.contains("<other") {
                assert_eq!(text, expr_to_source(e));
                compared += 1;
            }
        }
    });
    assert!(compared > 1000, "{compared}");
}

#[test]
fn mutants_keep_the_spans_of_their_parents_or_of_the_call() {
    let fresh = Span::new(optl_syntax::span::FileId(7), 1000, 1010);
    let mut known: Vec<Span> = Vec::new();
    for (_, _, body) in rules() {
        let lowered = Lowered::new(&body);
        known.extend(&lowered.spans);
    }
    let mut checked = 0;
    mutants(|body, _| {
        let lowered = Lowered::new(body);
        for s in &lowered.spans {
            assert!(*s == fresh || known.contains(s), "{s:?}");
            checked += 1;
        }
        // And a mutant's opaque parts are the start's trees.
        for e in &lowered.exprs {
            let text = expr_to_source(e);
            assert!(["fn(x) = 2.0 * x", "[g, w][0]"].contains(&&*text), "{text}");
        }
    });
    assert!(checked > 0);
}

/// The body `text` of a rule simplified through the conversion, as `name = expr`
/// lines joined by `; `.
fn simplify(text: &str) -> String {
    let parsed = optl_syntax::parse(
        &format!("rule r(lr = 0.1) {{\n{text}\n}}"),
        optl_syntax::span::FileId(0),
    );
    let Some(StmtKind::Rule(decl)) = parsed.program.stmts.into_iter().next().map(|s| s.kind) else {
        panic!("no rule")
    };
    let lowered = Lowered::new(&decl.body);
    let body = match d::simplified(&lowered.program) {
        Some(p) => lowered.raise(&p),
        None => (*decl.body).clone(),
    };
    body.iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Assign(n, e) | StmtKind::Let(n, e) | StmtKind::State(n, e) => {
                Some(format!("{} = {}", n.name, expr_to_source(e)))
            }
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[test]
fn simplification_sees_through_the_conversion() {
    assert_eq!(
        simplify("u = abs(-g) * sign(sign(g)) * (0.5 * 2.0)"),
        "u = abs(g) * sign(g)"
    );
    // A body that rebinds `abs` keeps its calls.
    assert_eq!(
        simplify("let abs = fn(x) = 2 * x\nu = abs(abs(g))"),
        "abs = fn(x) = 2 * x; u = abs(abs(g))"
    );
    // Opaque parts are kept and looked around.
    assert_eq!(
        simplify("let v = [g, w][0] * 1.0\nu = -(-v)"),
        "v = [g, w][0]; u = v"
    );
}
