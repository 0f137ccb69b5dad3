//! Simplifications that keep what a rule computes but not necessarily every bit of
//! it (so the binding trains a rule again after them): constants folded through
//! pure functions, chained interpolations merged, and statements removed whose
//! removal leaves the rule's key (OptL's binding: its functional hash) unchanged —
//! the redundancy removal of the search that found Lion, checked functionally
//! rather than by pattern.

use crate::mutate::without_dead_code;
use crate::program::{Arg, BinOp, Expr, ExprKind, RuleProgram, Stmt, StmtKind, to_source};

/// The program with constants folded through pure functions, chained
/// interpolations merged and aliases (`let t = x`) inlined, or `None` when nothing
/// changed. A call of a prelude function the body does not rebind (`sign`, `abs`,
/// `tanh`, `sqrt`, `exp`, `log`, `cosh`, `asin` on a number literal; `clip`, `min`,
/// `max` on literals), and an arithmetic operation or power on two literals,
/// becomes the literal of its value when that is finite and prints no longer than
/// the expression; `interp(interp(a, t, b1), t, b2)` with literal `b1`, `b2` becomes
/// `interp(a, t, c)` with `1 - c = (1 - b1) * (1 - b2)`, and `interp(a, a, b)`
/// becomes `a`.
pub fn folded(program: &RuleProgram) -> Option<RuleProgram> {
    let rebound = |name: &str| {
        program
            .stmts
            .iter()
            .any(|s| s.target().is_some_and(|n| &*n.name == name))
    };
    let cx = Folder { rebound: &rebound };
    let stmts: Vec<Stmt> = program
        .stmts
        .iter()
        .map(|s| s.map_expr(|e| cx.expr(e)))
        .collect();
    let stmts = without_aliases(stmts);
    (stmts != program.stmts).then_some(RuleProgram { stmts })
}

/// The statements with every alias `let t = x` (`x` a name that no later statement
/// assigns, and `t` never assigned again) removed and its later reads of `t` reading
/// `x`: the same values, one statement fewer.
fn without_aliases(mut stmts: Vec<Stmt>) -> Vec<Stmt> {
    let mut i = 0;
    while i < stmts.len() {
        let alias = match &stmts[i].kind {
            StmtKind::Let(t, e) => match &e.kind {
                ExprKind::Name(x) if *x != t.name => Some((t.name.clone(), x.clone())),
                _ => None,
            },
            _ => None,
        };
        let Some((t, x)) = alias else {
            i += 1;
            continue;
        };
        let later = &stmts[i + 1..];
        let assigned = |n: &str| {
            later
                .iter()
                .any(|s| s.target().is_some_and(|m| &*m.name == n))
        };
        if assigned(&x) || assigned(&t) {
            i += 1;
            continue;
        }
        stmts.remove(i);
        for s in &mut stmts[i..] {
            *s = s.map_expr(|e| rename(e, &t, &x));
        }
    }
    stmts
}

/// `e` reading `to` wherever it reads `from` (opaque nodes, which the
/// representation cannot rewrite, keep their reads; an alias they read stays
/// defined only if no opaque node reads it, which the caller's key then checks).
fn rename(e: &Expr, from: &str, to: &std::rc::Rc<str>) -> Expr {
    let kind = match &e.kind {
        ExprKind::Name(n) if &**n == from => ExprKind::Name(to.clone()),
        _ => e.map_operands(|x| rename(x, from, to)),
    };
    Expr::new(kind, e.origin)
}

/// The program without the statements whose removal (with the dead code it
/// leaves) keeps `key` unchanged, tried from the last statement to the first; the
/// update `u` stays. `key` gives `None` for a program that has none (one that does
/// not trace), which is never taken.
pub fn without_redundant<K: PartialEq>(
    program: &RuleProgram,
    key: &mut dyn FnMut(&RuleProgram) -> Option<K>,
) -> RuleProgram {
    let mut current = program.clone();
    let Some(want) = key(&current) else {
        return current;
    };
    let mut i = current.stmts.len();
    while i > 0 {
        i -= 1;
        let s = &current.stmts[i];
        let is_update = matches!(&s.kind, StmtKind::Assign(n, _) if &*n.name == "u");
        if is_update || matches!(s.kind, StmtKind::Other(_)) {
            continue;
        }
        let mut stmts = current.stmts.clone();
        stmts.remove(i);
        let candidate = without_dead_code(&RuleProgram { stmts });
        if key(&candidate).is_some_and(|k| k == want) {
            current = candidate;
            i = i.min(current.stmts.len());
        }
    }
    current
}

struct Folder<'a> {
    rebound: &'a dyn Fn(&str) -> bool,
}

impl Folder<'_> {
    fn expr(&self, e: &Expr) -> Expr {
        let kind = e.map_operands(|x| self.expr(x));
        let e = Expr::new(kind, e.origin);
        self.at_root(&e).unwrap_or(e)
    }

    /// The prelude function `f(args)` calls with positional arguments only.
    fn function<'e>(&self, f: &'e Expr, args: &[Arg]) -> Option<&'e str> {
        match &f.kind {
            ExprKind::Name(n) if !(self.rebound)(n) && args.iter().all(|a| a.name.is_none()) => {
                Some(n)
            }
            _ => None,
        }
    }

    fn at_root(&self, e: &Expr) -> Option<Expr> {
        let value = match &e.kind {
            ExprKind::Binary(op, a, b) => {
                let (x, y) = (number(a)?, number(b)?);
                match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    BinOp::Div => x / y,
                    BinOp::Pow => x.powf(y),
                    _ => return None,
                }
            }
            ExprKind::Call(f, args) => {
                let name = self.function(f, args)?;
                if name == "interp" && args.len() == 3 {
                    return self.merged(&args[0].value, &args[1].value, &args[2].value, e);
                }
                if let ("clip" | "min" | "max", Some(xs)) = (name, numbers(args)) {
                    match (name, &xs[..]) {
                        ("clip", [x, lo, hi]) if lo <= hi => x.max(*lo).min(*hi),
                        ("min", [x, y]) => x.min(*y),
                        ("max", [x, y]) => x.max(*y),
                        _ => return None,
                    }
                } else {
                    let [arg] = &args[..] else { return None };
                    let x = number(&arg.value)?;
                    match name {
                        "sign" => {
                            if x == 0.0 {
                                0.0
                            } else {
                                x.signum()
                            }
                        }
                        "abs" => x.abs(),
                        "tanh" => x.tanh(),
                        "sqrt" => x.sqrt(),
                        "exp" => x.exp(),
                        "log" => x.ln(),
                        "cosh" => x.cosh(),
                        "asin" => x.asin(),
                        _ => return None,
                    }
                }
            }
            _ => return None,
        };
        let literal = Expr::new(ExprKind::Float(value), e.origin);
        (value.is_finite() && to_source(&literal).len() <= to_source(e).len()).then_some(literal)
    }

    /// `interp(a, t, b)` merged with an inner interpolation toward the same `t`,
    /// or `a` when `a` and `t` are the same.
    fn merged(&self, a: &Expr, t: &Expr, b: &Expr, e: &Expr) -> Option<Expr> {
        if same(a, t) {
            return Some(a.clone());
        }
        let ExprKind::Call(f, inner) = &a.kind else {
            return None;
        };
        if self.function(f, inner) != Some("interp") || inner.len() != 3 {
            return None;
        }
        let (b1, b2) = (number(&inner[2].value)?, number(b)?);
        if !same(&inner[1].value, t) {
            return None;
        }
        let c = 1.0 - (1.0 - b1) * (1.0 - b2);
        let arg = |value: Expr| Arg { name: None, value };
        Some(Expr::new(
            ExprKind::Call(
                f.clone(),
                vec![
                    arg(inner[0].value.clone()),
                    arg(t.clone()),
                    arg(Expr::new(ExprKind::Float(c), e.origin)),
                ],
            ),
            e.origin,
        ))
    }
}

/// Whether two expressions are the same, origins aside.
fn same(a: &Expr, b: &Expr) -> bool {
    to_source(a) == to_source(b)
}

/// The values of arguments that are all number literals.
fn numbers(args: &[Arg]) -> Option<Vec<f64>> {
    args.iter().map(|a| number(&a.value)).collect()
}

/// The value of a number literal ([`super::number`]), or of a negated one.
fn number(e: &Expr) -> Option<f64> {
    match &e.kind {
        ExprKind::Unary(crate::program::UnOp::Neg, x) => number(x).map(|v| -v),
        _ => super::number(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::program;

    fn fold(text: &str) -> String {
        let p = program(text);
        crate::testing::shown(&folded(&p).unwrap_or(p))
    }

    #[test]
    fn constants_fold_through_pure_functions_when_they_print_no_longer() {
        assert_eq!(
            fold("u = lr * g / (sign(1) - b1)"),
            "u = lr * g / (1.0 - b1)"
        );
        assert_eq!(fold("u = sqrt(abs(4)) * g"), "u = 2.0 * g");
        assert_eq!(fold("u = 2 ^ 3 * g"), "u = 8.0 * g");
        assert_eq!(
            fold("u = clip(2.0, -1.0, 1.0) * max(0.5, 0.25) * g"),
            "u = 0.5 * g"
        );
        // tanh(1) prints longer as a literal: kept.
        assert_eq!(fold("u = tanh(1) * g"), "u = tanh(1) * g");
        // log(0) is not finite: kept.
        assert_eq!(fold("u = log(0) * g"), "u = log(0) * g");
        // A rebound name is not the prelude's.
        assert_eq!(
            fold("let sign = <other 0: g>\nu = sign(1) * g"),
            "sign = <other 0>; u = sign(1) * g"
        );
    }

    #[test]
    fn aliases_are_inlined_unless_their_name_is_assigned_later() {
        assert_eq!(
            fold("state s = zeros_like(w)\ns = 0.9 * s + g\nlet t1 = s\nlet t2 = t1\nu = lr * t2"),
            "s = zeros_like(w); s = 0.9 * s + g; u = lr * s"
        );
        // `t` holds `m` before its update: kept.
        assert_eq!(
            fold("state m = zeros_like(w)\nlet t = m\nm = 0.9 * m + g\nu = lr * (t + m)"),
            "m = zeros_like(w); t = m; m = 0.9 * m + g; u = lr * (t + m)"
        );
    }

    #[test]
    fn chained_interpolations_toward_one_tensor_merge() {
        assert_eq!(
            fold("u = interp(interp(g, m, 0.5), m, 0.5)"),
            "u = interp(g, m, 0.75)"
        );
        assert_eq!(fold("u = interp(g, g, 0.9)"), "u = g");
        // Toward different tensors: kept.
        assert_eq!(
            fold("u = interp(interp(g, m, 0.5), v, 0.5)"),
            "u = interp(interp(g, m, 0.5), v, 0.5)"
        );
    }

    #[test]
    fn statements_go_when_the_key_says_they_change_nothing() {
        let p = program("state m = zeros_like(w)\nm = 0.9 * m + g\nlet a = m * 1\nu = lr * a");
        // A key that tells every program apart removes nothing.
        let out = without_redundant(&p, &mut |q: &RuleProgram| Some(to_text(q)));
        assert_eq!(out, p);
        // A key that sees only the names `u` reads, and is missing when a name is
        // read undefined (as tracing fails): dropping the let or the state loses
        // the key, dropping `m`'s update does not.
        let out = without_redundant(&p, &mut |q: &RuleProgram| {
            let mut defined: Vec<&str> = vec!["g", "w", "lr", "zeros_like"];
            for s in &q.stmts {
                let mut read = Vec::new();
                crate::program::names_read(s.expr()?, &mut read);
                if read.iter().any(|n| !defined.contains(&&**n)) {
                    return None;
                }
                defined.push(&s.target()?.name);
            }
            let mut read = Vec::new();
            crate::program::names_read(q.stmts.last()?.expr()?, &mut read);
            Some(read)
        });
        assert_eq!(
            to_text(&out),
            "state m = zeros_like(w); let a = m * 1; u = lr * a"
        );
        // A key that never changes leaves only the update.
        let out = without_redundant(&p, &mut |_| Some(0));
        assert_eq!(to_text(&out), "u = lr * a");
        // A program without a key is kept.
        let out = without_redundant(&p, &mut |_| None::<u8>);
        assert_eq!(out, p);
    }

    fn to_text(p: &RuleProgram) -> String {
        p.stmts
            .iter()
            .filter_map(|s| {
                let kind = match &s.kind {
                    StmtKind::State(..) => "state ",
                    StmtKind::Let(..) => "let ",
                    _ => "",
                };
                Some(format!(
                    "{kind}{} = {}",
                    s.target()?.name,
                    to_source(s.expr()?)
                ))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}
