//! Mutations of a rule program, in the spirit of AutoML-Zero and of the program
//! search that found Lion: change an operator, wrap or unwrap a unary function,
//! replace an operand by another name in scope, grow a term, scale a constant,
//! interpolate a term toward a tensor (Lion's `interp`), bound it by a tensor
//! (`min`/`max`), add a moving-average state, add a `let` statement, or drop a
//! state's update; or, instead of the body, scale one hyper-parameter's value
//! ([`child`]). The body mutations have equal shares (docs/stdlib.md lists them).
//!
//! Mutations only build programs that pass OptL's static checks: they use names in
//! scope at the statement they edit (`g`, `w`, the states and lets declared before
//! it, the hyper-parameters and `step`), functions of the prelude, and never remove
//! the update `u`. Whether a candidate traces and solves is found by running it.

use crate::program::{Arg, BinOp, Expr, ExprKind, Name, Origin, RuleProgram, Stmt, StmtKind};
use crate::program::{UnOp, names_read};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use std::rc::Rc;

/// Binary operators a mutation picks from.
const OPS: [BinOp; 4] = [BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div];

/// Elementwise functions a mutation wraps terms in (`sqrt` and `log` of the
/// absolute value and `asin` of the clipped value, so that they trace everywhere).
const WRAPPERS: [&str; 10] = [
    "sign",
    "abs",
    "tanh",
    "sqrt_abs",
    "square",
    "exp",
    "log_abs",
    "clip",
    "cosh",
    "asin_clip",
];

/// Prelude functions that `unwrap` removes (keeping their first argument).
const UNARY_CALLS: [&str; 9] = [
    "sign", "abs", "tanh", "sqrt", "exp", "log", "clip", "cosh", "asin",
];

/// Constants a grown term may use.
const CONSTANTS: [f64; 5] = [0.5, 0.9, 0.99, 1.0, 2.0];

/// Decay rates of an added moving-average state.
const DECAYS: [f64; 3] = [0.9, 0.99, 0.999];

/// Factors a constant is scaled by.
const FACTORS: [f64; 4] = [0.5, 0.9, 1.1, 2.0];

/// How many times a mutation is drawn before giving up on a body.
const ATTEMPTS: usize = 16;

/// The kinds of mutation, drawn uniformly; one that does not apply is redrawn.
#[derive(Clone, Copy, Debug)]
enum Kind {
    ChangeOp,
    Wrap,
    Unwrap,
    ReplaceName,
    ScaleConstant,
    Grow,
    AddState,
    DropUpdate,
    Interpolate,
    MinMax,
    AddLet,
}

const KINDS: [Kind; 11] = [
    Kind::ChangeOp,
    Kind::Wrap,
    Kind::Unwrap,
    Kind::ReplaceName,
    Kind::ScaleConstant,
    Kind::Grow,
    Kind::AddState,
    Kind::DropUpdate,
    Kind::Interpolate,
    Kind::MinMax,
    Kind::AddLet,
];

/// What a mutation may refer to: the rule's hyper-parameters (scalars).
pub struct Context<'a> {
    pub hparams: &'a [Rc<str>],
    /// The origin given to new nodes (OptL's binding: the `discover` call).
    pub origin: Origin,
}

/// A mutated copy of `program` without dead statements, or `None` when no mutation
/// applied in 16 draws (a body with nothing to edit). Dropping dead code
/// here keeps bodies from bloating and makes programs that differ only in dead code
/// one candidate (their functional hashes agree).
pub fn mutate(program: &RuleProgram, cx: &Context, rng: &mut ChaCha8Rng) -> Option<RuleProgram> {
    let body = &program.stmts;
    for _ in 0..ATTEMPTS {
        let kind = KINDS[rng.random_range(0..KINDS.len())];
        let out = match kind {
            Kind::AddState => add_state(body, cx, rng),
            Kind::AddLet => add_let(body, cx, rng),
            Kind::DropUpdate => drop_update(body, rng),
            _ => edit_node(body, kind, cx, rng),
        };
        if let Some(stmts) = out {
            return Some(without_dead_code(&RuleProgram { stmts }));
        }
    }
    None
}

/// Probability that a child differs from its parent in one hyper-parameter's value
/// rather than in its body.
pub const HYPER_RATE: f64 = 0.125;

/// How a child differs from its parent.
#[derive(Clone, Debug, PartialEq)]
pub enum Child {
    /// Hyper-parameter `index` has value `value`; the body is the parent's.
    Hyper { index: usize, value: f64 },
    /// The body is this one; the hyper-parameters are the parent's.
    Body(RuleProgram),
}

/// A child of a parent with body `program` and hyper-parameter values `hyper`
/// (`Some` for a Float, `None` for any other value): one Float hyper-parameter
/// scaled (one child in eight, [`HYPER_RATE`]), or else the body mutated; `None`
/// when no mutation applied.
pub fn child(
    program: &RuleProgram,
    hyper: &[Option<f64>],
    cx: &Context,
    rng: &mut ChaCha8Rng,
) -> Option<Child> {
    let scaled = match rng.random_bool(HYPER_RATE) {
        true => scale_hyper(hyper, rng),
        false => None,
    };
    match scaled {
        Some((index, value)) => Some(Child::Hyper { index, value }),
        None => mutate(program, cx, rng).map(Child::Body),
    }
}

/// One Float hyper-parameter (nonzero and finite, `Some` in `values`) scaled, as
/// its index and new value: by a factor of 0.5, 0.8, 1.25 or 2, or for a value in
/// (0.5, 1) (a decay rate) its distance to 1 scaled, so that it stays below 1.
/// `None` (and no draw) when there is no such hyper-parameter.
pub fn scale_hyper(values: &[Option<f64>], rng: &mut ChaCha8Rng) -> Option<(usize, f64)> {
    const HYPER_FACTORS: [f64; 4] = [0.5, 0.8, 1.25, 2.0];
    let floats: Vec<usize> = (0..values.len())
        .filter(|&i| matches!(values[i], Some(x) if x != 0.0 && x.is_finite()))
        .collect();
    if floats.is_empty() {
        return None;
    }
    let i = floats[rng.random_range(0..floats.len())];
    let x = values[i]?;
    let factor = HYPER_FACTORS[rng.random_range(0..HYPER_FACTORS.len())];
    let scaled = if x > 0.5 && x < 1.0 {
        1.0 - three_digits((1.0 - x) * factor).min(0.5)
    } else {
        three_digits(x * factor)
    };
    Some((i, scaled))
}

/// Names in scope at statement `i`: tensors (`g`, `w`, states and lets declared
/// before it) and scalars (hyper-parameters and `step`).
fn scope_at(body: &[Stmt], i: usize, cx: &Context) -> (Vec<Rc<str>>, Vec<Rc<str>>) {
    let mut tensors: Vec<Rc<str>> = vec!["g".into(), "w".into()];
    for s in &body[..i] {
        if let StmtKind::State(n, _) | StmtKind::Let(n, _) = &s.kind
            && !tensors.contains(&n.name)
        {
            tensors.push(n.name.clone());
        }
    }
    let mut scalars: Vec<Rc<str>> = cx.hparams.to_vec();
    scalars.push("step".into());
    (tensors, scalars)
}

/// The expression a statement computes, if mutations may edit it (lets and
/// assignments; a state's initial value stays as declared).
fn editable(s: &Stmt) -> Option<&Expr> {
    match &s.kind {
        StmtKind::Let(_, e) | StmtKind::Assign(_, e) => Some(e),
        _ => None,
    }
}

/// Whether a node is one that `kind` can edit.
fn applies(kind: Kind, e: &Expr, tensors: &[Rc<str>], scalars: &[Rc<str>]) -> bool {
    match (&e.kind, kind) {
        (ExprKind::Binary(op, ..), Kind::ChangeOp) => OPS.contains(op),
        (ExprKind::Call(f, args), Kind::Unwrap) => {
            !args.is_empty()
                && args.iter().all(|a| a.name.is_none())
                && matches!(&f.kind, ExprKind::Name(n) if UNARY_CALLS.contains(&&**n)
                    && args.len() == if &**n == "clip" { 3 } else { 1 })
        }
        (ExprKind::Unary(UnOp::Neg, _), Kind::Unwrap) => true,
        (ExprKind::Name(n), Kind::ReplaceName) => tensors.contains(n) || scalars.contains(n),
        (ExprKind::Float(x), Kind::ScaleConstant) => *x != 0.0,
        (_, Kind::Wrap | Kind::Grow | Kind::Interpolate | Kind::MinMax) => true,
        _ => false,
    }
}

/// Edits one node, drawn uniformly among the nodes of all editable statements that
/// `kind` applies to.
fn edit_node(body: &[Stmt], kind: Kind, cx: &Context, rng: &mut ChaCha8Rng) -> Option<Vec<Stmt>> {
    let mut sites = Vec::new();
    for (i, s) in body.iter().enumerate() {
        let Some(e) = editable(s) else { continue };
        let (tensors, scalars) = scope_at(body, i, cx);
        let mut index = 0;
        visit(e, &mut index, &mut |e, at| {
            if applies(kind, e, &tensors, &scalars) {
                sites.push((i, at));
            }
        });
    }
    if sites.is_empty() {
        return None;
    }
    let (i, at) = sites[rng.random_range(0..sites.len())];
    let (tensors, scalars) = scope_at(body, i, cx);
    let e = editable(&body[i])?;
    let origin = cx.origin;
    let replacement = |node: &Expr, rng: &mut ChaCha8Rng| -> Option<Expr> {
        Some(match (&node.kind, kind) {
            (ExprKind::Binary(op, a, b), Kind::ChangeOp) => {
                let others: Vec<BinOp> = OPS.iter().copied().filter(|o| o != op).collect();
                let op = others[rng.random_range(0..others.len())];
                Expr::new(ExprKind::Binary(op, a.clone(), b.clone()), node.origin)
            }
            (ExprKind::Call(_, args), Kind::Unwrap) => args[0].value.clone(),
            (ExprKind::Unary(UnOp::Neg, x), Kind::Unwrap) => (**x).clone(),
            (ExprKind::Name(n), Kind::ReplaceName) => {
                let pool = if rng.random_bool(0.8) {
                    &tensors
                } else {
                    &scalars
                };
                let others: Vec<&Rc<str>> = pool.iter().filter(|m| *m != n).collect();
                if others.is_empty() {
                    return None;
                }
                name(others[rng.random_range(0..others.len())], node.origin)
            }
            (ExprKind::Float(x), Kind::ScaleConstant) => Expr::new(
                ExprKind::Float(three_digits(
                    x * FACTORS[rng.random_range(0..FACTORS.len())],
                )),
                node.origin,
            ),
            (_, Kind::Wrap) => wrap(
                node.clone(),
                WRAPPERS[rng.random_range(0..WRAPPERS.len())],
                origin,
            ),
            (_, Kind::Grow) => {
                let tensor = name(&tensors[rng.random_range(0..tensors.len())], origin);
                let leaf = match rng.random_range(0..10) {
                    0..6 => tensor,
                    6 => call("norm", vec![tensor], origin),
                    _ => Expr::new(
                        ExprKind::Float(CONSTANTS[rng.random_range(0..CONSTANTS.len())]),
                        origin,
                    ),
                };
                let op = OPS[rng.random_range(0..OPS.len())];
                let (a, b) = if rng.random_bool(0.5) {
                    (node.clone(), leaf)
                } else {
                    (leaf, node.clone())
                };
                Expr::new(ExprKind::Binary(op, Box::new(a), Box::new(b)), origin)
            }
            (_, Kind::Interpolate) => {
                let toward = name(&tensors[rng.random_range(0..tensors.len())], origin);
                let t = Expr::new(
                    ExprKind::Float(DECAYS[rng.random_range(0..DECAYS.len())]),
                    origin,
                );
                call("interp", vec![node.clone(), toward, t], origin)
            }
            (_, Kind::MinMax) => {
                let other = name(&tensors[rng.random_range(0..tensors.len())], origin);
                let f = if rng.random_bool(0.5) { "max" } else { "min" };
                call(f, vec![node.clone(), other], origin)
            }
            _ => return None,
        })
    };
    let mut index = 0;
    let new = rewrite(e, at, &mut index, &mut |node| replacement(node, rng))?;
    let mut out = body.to_vec();
    out[i] = with_expr(&body[i], new);
    Some(out)
}

/// Adds `state sK = zeros_like(w)` and, before the first `u = ...`, the moving
/// average `sK = b * sK + (1 - b) * x` or the heavy-ball sum `sK = b * sK + x` of a
/// tensor in scope; then makes the update
/// read it in place of one of its tensor operands (or adds it to the update).
fn add_state(body: &[Stmt], cx: &Context, rng: &mut ChaCha8Rng) -> Option<Vec<Stmt>> {
    let u_at = body
        .iter()
        .position(|s| matches!(&s.kind, StmtKind::Assign(n, _) if &*n.name == "u"))?;
    let taken = |n: &str| {
        body.iter().any(
            |s| matches!(&s.kind, StmtKind::State(m, _) | StmtKind::Let(m, _) if &*m.name == n),
        ) || cx.hparams.iter().any(|h| &**h == n)
    };
    let fresh: Rc<str> = (1..).map(|k| format!("s{k}")).find(|n| !taken(n))?.into();
    let origin = cx.origin;
    let (tensors, _) = scope_at(body, u_at, cx);
    let source = name(&tensors[rng.random_range(0..tensors.len())], origin);
    let b = DECAYS[rng.random_range(0..DECAYS.len())];
    let float = |x: f64| Expr::new(ExprKind::Float(x), origin);
    let bin =
        |op, a: Expr, b: Expr| Expr::new(ExprKind::Binary(op, Box::new(a), Box::new(b)), origin);
    let decayed = bin(BinOp::Mul, float(b), name(&fresh, origin));
    let one_minus = bin(BinOp::Sub, float(1.0), float(b));
    // Half the time the moving average (`(1 - b) * x`, Adam's form), half the
    // heavy-ball sum (`x`, Polyak's form, whose steady state is `x / (1 - b)`).
    let average = if rng.random_bool(0.5) {
        bin(BinOp::Add, decayed, bin(BinOp::Mul, one_minus, source))
    } else {
        bin(BinOp::Add, decayed, source)
    };
    let ident = Name {
        name: fresh.clone(),
        origin,
    };
    let init = Expr::new(
        ExprKind::Call(
            Box::new(name(&"zeros_like".into(), origin)),
            vec![Arg {
                name: None,
                value: name(&"w".into(), origin),
            }],
        ),
        origin,
    );
    let mut out = body.to_vec();
    // The update of `u` reads the new state in place of a tensor operand.
    let u_expr = editable(&out[u_at])?.clone();
    let new_u = read_instead(&u_expr, &tensors, &fresh, origin, rng)?;
    out[u_at] = with_expr(&out[u_at], new_u);
    out.insert(
        u_at,
        Stmt {
            kind: StmtKind::Assign(ident.clone(), average),
            origin,
        },
    );
    out.insert(
        0,
        Stmt {
            kind: StmtKind::State(ident, init),
            origin,
        },
    );
    Some(out)
}

/// Adds `let tK = f(x)` (`f` a wrapper, `x` a tensor in scope) just before the
/// first `u = ...`, and makes the update read it in place of one of its tensor
/// operands (or adds it to the update).
fn add_let(body: &[Stmt], cx: &Context, rng: &mut ChaCha8Rng) -> Option<Vec<Stmt>> {
    let u_at = body
        .iter()
        .position(|s| matches!(&s.kind, StmtKind::Assign(n, _) if &*n.name == "u"))?;
    let taken = |n: &str| {
        body.iter()
            .any(|s| s.target().is_some_and(|m| &*m.name == n))
            || cx.hparams.iter().any(|h| &**h == n)
    };
    let fresh: Rc<str> = (1..).map(|k| format!("t{k}")).find(|n| !taken(n))?.into();
    let origin = cx.origin;
    let (tensors, _) = scope_at(body, u_at, cx);
    let source = name(&tensors[rng.random_range(0..tensors.len())], origin);
    let value = wrap(
        source,
        WRAPPERS[rng.random_range(0..WRAPPERS.len())],
        origin,
    );
    let mut out = body.to_vec();
    let u_expr = editable(&out[u_at])?.clone();
    out[u_at] = with_expr(
        &out[u_at],
        read_instead(&u_expr, &tensors, &fresh, origin, rng)?,
    );
    out.insert(
        u_at,
        Stmt {
            kind: StmtKind::Let(
                Name {
                    name: fresh,
                    origin,
                },
                value,
            ),
            origin,
        },
    );
    Some(out)
}

/// `e` reading `fresh` in place of one of its operands among `tensors` (drawn
/// uniformly), or `e + fresh` when it reads none.
fn read_instead(
    e: &Expr,
    tensors: &[Rc<str>],
    fresh: &Rc<str>,
    origin: Origin,
    rng: &mut ChaCha8Rng,
) -> Option<Expr> {
    let mut operands = Vec::new();
    let mut index = 0;
    visit(e, &mut index, &mut |x, at| {
        if matches!(&x.kind, ExprKind::Name(n) if tensors.contains(n)) {
            operands.push(at);
        }
    });
    if operands.is_empty() {
        return Some(Expr::new(
            ExprKind::Binary(
                BinOp::Add,
                Box::new(e.clone()),
                Box::new(name(fresh, origin)),
            ),
            origin,
        ));
    }
    let at = operands[rng.random_range(0..operands.len())];
    let mut index = 0;
    rewrite(e, at, &mut index, &mut |_| Some(name(fresh, origin)))
}

/// Removes one assignment to a state (the state keeps its initial value).
fn drop_update(body: &[Stmt], rng: &mut ChaCha8Rng) -> Option<Vec<Stmt>> {
    let updates: Vec<usize> = body
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(&s.kind, StmtKind::Assign(n, _) if &*n.name != "u"))
        .map(|(i, _)| i)
        .collect();
    if updates.is_empty() {
        return None;
    }
    let mut out = body.to_vec();
    out.remove(updates[rng.random_range(0..updates.len())]);
    Some(out)
}

/// `x` rounded to three significant digits, so that scaled constants print short.
fn three_digits(x: f64) -> f64 {
    format!("{x:.2e}").parse().unwrap_or(x)
}

fn name(n: &Rc<str>, origin: Origin) -> Expr {
    Expr::new(ExprKind::Name(n.clone()), origin)
}

/// The call `f(args)` of a prelude function.
fn call(f: &str, args: Vec<Expr>, origin: Origin) -> Expr {
    let args = args
        .into_iter()
        .map(|value| Arg { name: None, value })
        .collect();
    Expr::new(
        ExprKind::Call(Box::new(name(&f.into(), origin)), args),
        origin,
    )
}

/// `f(e)` for a wrapper of [`WRAPPERS`].
fn wrap(e: Expr, f: &str, origin: Origin) -> Expr {
    let call = |f: &str, e: Expr| call(f, vec![e], origin);
    let unit_clip = |e: Expr| {
        let one = |x: f64| Expr::new(ExprKind::Float(x), origin);
        self::call("clip", vec![e, one(-1.0), one(1.0)], origin)
    };
    match f {
        "sqrt_abs" => call("sqrt", call("abs", e)),
        "log_abs" => call("log", call("abs", e)),
        "clip" => unit_clip(e),
        "asin_clip" => call("asin", unit_clip(e)),
        "square" => Expr::new(
            ExprKind::Binary(
                BinOp::Pow,
                Box::new(e),
                Box::new(Expr::new(ExprKind::Int(2), origin)),
            ),
            origin,
        ),
        _ => call(f, e),
    }
}

/// The statement with its expression replaced.
fn with_expr(s: &Stmt, e: Expr) -> Stmt {
    let kind = match &s.kind {
        StmtKind::Let(n, _) => StmtKind::Let(n.clone(), e),
        StmtKind::Assign(n, _) => StmtKind::Assign(n.clone(), e),
        other => other.clone(),
    };
    Stmt {
        kind,
        origin: s.origin,
    }
}

/// The sub-expressions a mutation descends into: operands of arithmetic, of unary
/// operators and the arguments of calls. Other nodes are edited whole.
fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Binary(_, a, b) => vec![a, b],
        ExprKind::Unary(_, x) => vec![x],
        ExprKind::Call(_, args) => args.iter().map(|a| &a.value).collect(),
        _ => Vec::new(),
    }
}

/// Calls `f` on every node in pre-order with its index.
fn visit(e: &Expr, index: &mut usize, f: &mut dyn FnMut(&Expr, usize)) {
    f(e, *index);
    *index += 1;
    for c in children(e) {
        visit(c, index, f);
    }
}

/// `e` with the node at pre-order index `target` replaced by `f(node)` (`None` if
/// `f` declines).
fn rewrite(
    e: &Expr,
    target: usize,
    index: &mut usize,
    f: &mut dyn FnMut(&Expr) -> Option<Expr>,
) -> Option<Expr> {
    if *index == target {
        *index += 1;
        return f(e);
    }
    *index += 1;
    let mut again = |c: &Expr, index: &mut usize| rewrite(c, target, index, f);
    let kind = match &e.kind {
        ExprKind::Binary(op, a, b) => {
            let a = again(a, index)?;
            let b = again(b, index)?;
            ExprKind::Binary(*op, Box::new(a), Box::new(b))
        }
        ExprKind::Unary(op, x) => ExprKind::Unary(*op, Box::new(again(x, index)?)),
        ExprKind::Call(callee, args) => {
            let mut new = Vec::with_capacity(args.len());
            for a in args {
                new.push(Arg {
                    name: a.name.clone(),
                    value: again(&a.value, index)?,
                });
            }
            ExprKind::Call(callee.clone(), new)
        }
        other => other.clone(),
    };
    Some(Expr::new(kind, e.origin))
}

/// Keeps the assignment to `u` reachable: statements whose target no live statement
/// reads are dropped (a state counts as read if any live statement reads it, since
/// states carry over between steps). Opaque statements are kept.
pub fn without_dead_code(program: &RuleProgram) -> RuleProgram {
    let body = &program.stmts;
    let target = |s: &Stmt| s.target().map(|n| n.name.clone());
    let mut live: Vec<Rc<str>> = vec!["u".into()];
    loop {
        let before = live.len();
        for s in body {
            let (Some(t), Some(e)) = (target(s), s.expr()) else {
                continue;
            };
            if live.contains(&t) {
                let mut read = Vec::new();
                names_read(e, &mut read);
                for n in read {
                    if !live.contains(&n) {
                        live.push(n);
                    }
                }
            }
        }
        if live.len() == before {
            break;
        }
    }
    let stmts = body
        .iter()
        .filter(|s| target(s).is_none_or(|t| live.contains(&t)))
        .cloned()
        .collect();
    RuleProgram { stmts }
}

#[cfg(test)]
mod tests;
