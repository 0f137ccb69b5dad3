//! Simplification of discovered rules before they are returned (LANGUAGE.md §9:
//! "simplifies survivors"): algebraic identities that hold bit for bit, so that a
//! simplified rule trains exactly as the one that was scored.
//!
//! Values in a rule body are f64 (tensors of `g`, `w`, states and traced
//! hyper-parameters), and on f64 these rewrites change no bit of any result:
//! - `e * 1`, `1 * e`, `e / 1` and `e - 0` are `e` (IEEE multiplication by one and
//!   subtraction of +0 are exact, signed zeros and NaN included);
//! - `-(-e)` is `e`; `abs(abs(e))` and `abs(-e)` are `abs(e)`; `sign(sign(e))` is
//!   `sign(e)`;
//! - an operation on two number literals (one of them a Float) is folded to its
//!   value, computed as the interpreter computes it, when the literal prints no
//!   longer than the expression it replaces (`0.5 * 2.0` becomes `1.0`, but
//!   `1.0 - 0.9` stays: `0.09999999999999998` would read worse).
//!
//! Dropping `* 1` needs the other operand to be a traced value rather than an Int
//! (`2 * 1.0` is a Float, `2` an Int), so it applies only to operands that read a
//! name; literal-only operands are folded instead.

mod functional;

pub use functional::{folded, without_redundant};

use crate::program::{Arg, BinOp, Expr, ExprKind, RuleProgram, Stmt, UnOp};
use crate::program::{names_read, to_source};
use std::rc::Rc;

/// The program with every statement's expression simplified, or `None` when nothing
/// changed.
pub fn simplified(program: &RuleProgram) -> Option<RuleProgram> {
    let body = &program.stmts;
    let defines = |name: &str| {
        body.iter()
            .any(|s| s.target().is_some_and(|n| &*n.name == name))
    };
    // `abs` and `sign` are the prelude's unless the body rebinds them.
    let cx = Context {
        abs: !defines("abs"),
        sign: !defines("sign"),
    };
    let stmts: Vec<Stmt> = body.iter().map(|s| s.map_expr(|e| cx.expr(e))).collect();
    (stmts != *body).then_some(RuleProgram { stmts })
}

/// Which prelude functions the rewrites may assume.
struct Context {
    abs: bool,
    sign: bool,
}

impl Context {
    /// `e` with its sub-expressions simplified first, then the rewrites at its root
    /// until none applies.
    fn expr(&self, e: &Expr) -> Expr {
        let mut e = Expr::new(e.map_operands(|x| self.expr(x)), e.origin);
        while let Some(next) = self.rewrite(&e) {
            e = next;
        }
        e
    }

    /// One rewrite at the root of `e`, if any applies.
    fn rewrite(&self, e: &Expr) -> Option<Expr> {
        match &e.kind {
            ExprKind::Binary(op, a, b) => {
                if let Some(folded) = fold(*op, a, b, e) {
                    return Some(folded);
                }
                let kept = match op {
                    BinOp::Mul if is_literal(b, 1.0) && reads_a_name(a) => a,
                    BinOp::Mul if is_literal(a, 1.0) && reads_a_name(b) => b,
                    BinOp::Div if is_literal(b, 1.0) && reads_a_name(a) => a,
                    BinOp::Sub if is_literal(b, 0.0) && reads_a_name(a) => a,
                    _ => return None,
                };
                Some((**kept).clone())
            }
            ExprKind::Unary(UnOp::Neg, a) => match &a.kind {
                ExprKind::Unary(UnOp::Neg, inner) => Some((**inner).clone()),
                _ => None,
            },
            ExprKind::Call(f, args) => {
                let name = self.function(f, args)?;
                let arg = &args[0].value;
                match (&arg.kind, name) {
                    // f(f(x)) = f(x) for the idempotent `abs` and `sign`.
                    (ExprKind::Call(g, inner), _) if self.function(g, inner) == Some(name) => {
                        Some(arg.clone())
                    }
                    (ExprKind::Unary(UnOp::Neg, x), "abs") => Some(Expr::new(
                        ExprKind::Call(
                            f.clone(),
                            vec![Arg {
                                name: None,
                                value: (**x).clone(),
                            }],
                        ),
                        e.origin,
                    )),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `"abs"` or `"sign"` when `f(args)` is a call of the prelude's with one
    /// positional argument.
    fn function(&self, f: &Expr, args: &[Arg]) -> Option<&'static str> {
        let ExprKind::Name(n) = &f.kind else {
            return None;
        };
        if args.len() != 1 || args[0].name.is_some() {
            return None;
        }
        match &**n {
            "abs" if self.abs => Some("abs"),
            "sign" if self.sign => Some("sign"),
            _ => None,
        }
    }
}

/// `a op b` for two number literals, one of them a Float, as the literal of its
/// value when that prints no longer than the expression.
fn fold(op: BinOp, a: &Expr, b: &Expr, e: &Expr) -> Option<Expr> {
    let (x, y) = (number(a)?, number(b)?);
    if matches!((&a.kind, &b.kind), (ExprKind::Int(_), ExprKind::Int(_))) {
        return None;
    }
    let v = match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        _ => return None,
    };
    let literal = Expr::new(ExprKind::Float(v), e.origin);
    (v.is_finite() && to_source(&literal).len() <= to_source(e).len()).then_some(literal)
}

/// The value of a number literal (an Int exactly representable as f64).
fn number(e: &Expr) -> Option<f64> {
    match e.kind {
        ExprKind::Float(x) => Some(x),
        ExprKind::Int(n) if n.unsigned_abs() <= 1 << 53 => Some(n as f64),
        _ => None,
    }
}

/// Whether `e` is the literal `value` (`0` means +0).
fn is_literal(e: &Expr, value: f64) -> bool {
    number(e).is_some_and(|x| x == value && x.is_sign_positive())
}

fn reads_a_name(e: &Expr) -> bool {
    let mut names: Vec<Rc<str>> = Vec::new();
    names_read(e, &mut names);
    !names.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::StmtKind;
    use crate::testing::program;

    /// The rule body `text` simplified, as `name = expr` lines joined by `; `.
    fn simplify(text: &str) -> String {
        let p = program(text);
        crate::testing::shown(&simplified(&p).unwrap_or(p))
    }

    #[test]
    fn identities_that_hold_bit_for_bit_are_removed() {
        assert_eq!(simplify("u = lr * (g * 1.0)"), "u = lr * g");
        assert_eq!(simplify("u = 1 * g / 1.0 - 0"), "u = g");
        assert_eq!(simplify("u = -(-g)"), "u = g");
        assert_eq!(
            simplify("u = sqrt(abs(abs(lr / g)))"),
            "u = sqrt(abs(lr / g))"
        );
        assert_eq!(
            simplify("u = abs(-g) * sign(sign(g))"),
            "u = abs(g) * sign(g)"
        );
        assert_eq!(simplify("u = lr * g * (0.5 * 2.0)"), "u = lr * g");
        // An opaque operand reads a name, so `* 1` goes.
        assert_eq!(simplify("u = <other 0: g> * 1"), "u = <other 0>");
        assert_eq!(
            simplify("let a = 2.0 * 0.25\nu = a * g"),
            "a = 0.5; u = a * g"
        );
        assert_eq!(simplify("u = g - 0.0 * 1.0"), "u = g");
        assert_eq!(simplify("u = g / 1.0e0 * 1.5"), "u = g * 1.5");
    }

    #[test]
    fn rewrites_that_could_change_a_bit_are_not_made() {
        // + 0 turns -0 into +0; * 0 turns NaN and inf into other values.
        assert_eq!(simplify("u = g + 0"), "u = g + 0");
        assert_eq!(simplify("u = g * 0.0"), "u = g * 0.0");
        // A literal-only operand may be an Int: it is folded or kept, not dropped.
        assert_eq!(simplify("u = lr * g * (2 * 1)"), "u = lr * g * (2 * 1)");
        // So may an opaque one that reads no name.
        assert_eq!(simplify("u = <other 0:> * 1"), "u = <other 0> * 1");
        // Folding that would print a longer literal is left alone.
        assert_eq!(simplify("u = (1.0 - 0.9) * g"), "u = (1.0 - 0.9) * g");
        // `abs` with a keyword argument is not known to be the prelude's.
        assert_eq!(simplify("u = abs(x = abs(g))"), "u = abs(x = abs(g))");
        // A body that rebinds `abs` keeps its calls.
        assert_eq!(
            simplify("let abs = <other 0: x>\nu = abs(abs(g))"),
            "abs = <other 0>; u = abs(abs(g))"
        );
    }

    #[test]
    fn a_simplification_is_a_fixed_point() {
        for text in [
            "u = -(-(-(-g))) * 1.0 * 1",
            "u = abs(-abs(-(-g)))",
            "u = sign(sign(sign(g))) / 1.0 - 0",
        ] {
            let once = simplified(&program(text)).expect("simplifies");
            assert_eq!(simplified(&once), None, "{text}");
        }
    }

    #[test]
    fn an_unchanged_body_is_reported_as_such() {
        assert!(simplified(&program("u = lr * g")).is_none());
        assert!(simplified(&program("<other 1>\nu = lr * g + 0")).is_none());
    }

    #[test]
    fn origins_are_kept() {
        // `abs(-g)` becomes `abs(g)` with the call's origin and `g`'s.
        let p = program("u = abs(-g)");
        let StmtKind::Assign(_, before) = &p.stmts[0].kind else {
            panic!()
        };
        let out = simplified(&p).expect("simplifies");
        let StmtKind::Assign(_, after) = &out.stmts[0].kind else {
            panic!()
        };
        assert_eq!(after.origin, before.origin);
        let (ExprKind::Call(_, b), ExprKind::Call(_, a)) = (&before.kind, &after.kind) else {
            panic!()
        };
        let ExprKind::Unary(_, g) = &b[0].value.kind else {
            panic!()
        };
        assert_eq!(a[0].value, **g);
    }
}
