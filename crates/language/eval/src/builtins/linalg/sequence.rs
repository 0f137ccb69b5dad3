//! `linalg.solve_sequence` and its learning methods: `linalg.sor_bandit` (ω tuned
//! online from iteration counts) and `linalg.gcrodr` (Krylov subspace recycling).
//! The method constructors give records `{method: "...", ...}` that
//! `solve_sequence` reads.

use super::iterative::{DEFAULT_TOL, Matrix, precond, result_record};
use super::{check, record};
use crate::builtins::{Args, Entry};
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::value::Value;
use optl_linalg::iterative::{Operator, Precond};
use optl_linalg::sequence::{Gcrodr, Method, SorBandit};
use optl_syntax::codes;
use optl_syntax::span::Span;

pub(super) const TABLE: &[Entry] = &[
    (
        "linalg.solve_sequence",
        "systems, method, tol?, max_iters?, omega?, precond?",
        solve_sequence,
        "Solves a list of {A, b} records in order with `method`: linalg.sor_bandit(), linalg.gcrodr(), or \"cg\", \"gmres\", \"sor\" (with omega); tol default 1e-8. The record {results, iters, matvecs, omegas}: per-system results, totals, and the ω used per system.",
    ),
    (
        "linalg.sor_bandit",
        "omegas?, seed?",
        sor_bandit,
        "A solve_sequence method: SOR with ω chosen per system by an online bandit over the grid `omegas` (default 1.00, 1.05, ..., 1.95) learning from iteration counts; `seed` breaks ties.",
    ),
    (
        "linalg.gcrodr",
        "k?, m?",
        gcrodr,
        "A solve_sequence method: GCRO-DR, restarted GMRES with cycles of m (default 40) steps carrying k (default 20) harmonic Ritz vectors from one system to the next.",
    ),
];

fn sor_bandit(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let mut fields = vec![("method", Value::str("sor_bandit"))];
    if args.has(0) {
        let omegas = args.tensor(0, interp)?;
        fields.push(("omegas", Value::Tensor(omegas)));
    }
    fields.push(("seed", Value::Int(args.opt_int(1)?.unwrap_or(0))));
    Ok(record(fields))
}

fn gcrodr(_: &mut Interp, args: Args) -> EvalResult<Value> {
    let defaults = Gcrodr::default();
    Ok(record(vec![
        ("method", Value::str("gcrodr")),
        ("k", Value::Int(args.opt_positive(0, defaults.k)? as i64)),
        ("m", Value::Int(args.opt_positive(1, defaults.m)? as i64)),
    ]))
}

/// Field `name` of a method record, or `None`.
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v {
        Value::Record(r) => r.get(name),
        _ => None,
    }
}

fn bad_method(span: Span, found: &Value) -> Box<optl_syntax::Diagnostic> {
    Box::new(
        (*err_label(
            codes::INVALID_ARGUMENT,
            format!("expected a sequence method, found {}", a_type(found)),
            span,
            "not a method",
        ))
        .hint("use linalg.sor_bandit(), linalg.gcrodr(k = 20), \"cg\", \"gmres\" or \"sor\""),
    )
}

/// The method of slot 1, with the tolerances of slots 2-5.
fn method(interp: &Interp, args: &Args) -> EvalResult<Method> {
    let tol = args.opt_float(2, DEFAULT_TOL)?;
    let limit = |default| args.opt_positive(3, default);
    let m = args.value(1);
    let span = args.span(1);
    let name = match m {
        Value::Str(s) => s.clone(),
        Value::Record(_) => match field(m, "method") {
            Some(Value::Str(s)) => s.clone(),
            _ => return Err(bad_method(span, m)),
        },
        other => return Err(bad_method(span, other)),
    };
    let int_field = |f: &str| match field(m, f) {
        Some(Value::Int(n)) if *n >= 0 => Ok(*n as usize),
        _ => Err(bad_method(span, m)),
    };
    Ok(match &*name {
        "cg" => Method::Cg {
            tol,
            max_iters: limit(100_000)?,
            precond: precond(args, 5)?,
        },
        "gmres" => Method::Gmres {
            restart: 20,
            tol,
            max_iters: limit(100_000)?,
        },
        "sor" => Method::Sor {
            omega: args.opt_float(4, 1.0)?,
            tol,
            max_iters: limit(100_000)?,
        },
        "sor_bandit" => {
            let mut config = SorBandit {
                tol,
                max_iters: limit(100_000)?,
                seed: int_field("seed")? as u64,
                ..SorBandit::default()
            };
            if let Some(v) = field(m, "omegas") {
                let t = crate::convert::to_tensor(v, span, interp.limits.max_elements)?;
                config.omegas = t.iter().copied().collect();
            }
            Method::SorBandit(config)
        }
        "gcrodr" => Method::Gcrodr(Gcrodr {
            k: int_field("k")?,
            m: int_field("m")?,
            tol,
            max_iters: limit(Gcrodr::default().max_iters)?,
        }),
        _ => return Err(bad_method(span, m)),
    })
}

fn solve_sequence(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let method = method(interp, &args)?;
    if args.has(5) && !matches!(method, Method::Cg { .. }) && precond(&args, 5)? != Precond::None {
        return Err(err_label(
            codes::INVALID_ARGUMENT,
            "precond applies to the \"cg\" method only",
            args.span(5),
            "not used by this method",
        ));
    }
    let systems = interp.iterate(args.value(0).clone(), args.span(0))?;
    let mut matrices = Vec::with_capacity(systems.len());
    let mut rhs = Vec::with_capacity(systems.len());
    for s in &systems {
        let (Some(a), Some(b)) = (field(s, "A"), field(s, "b")) else {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                format!("expected {{A, b}} records, found {}", a_type(s)),
                args.span(0),
                "each system is a record {A, b}",
            ));
        };
        let Some(m) = Matrix::of(interp, a, args.span(0))? else {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                "solve_sequence needs matrices (dense or sparse), not functions",
                args.span(0),
                "a system's A is a function",
            ));
        };
        let t = crate::convert::to_tensor(b, args.span(0), interp.limits.max_elements)?;
        matrices.push(m);
        rhs.push(t.iter().copied().collect::<Vec<f64>>());
    }
    let pairs: Vec<(&dyn Operator, Vec<f64>)> =
        matrices.iter().map(|m| m.operator()).zip(rhs).collect();
    let r = check(optl_linalg::solve_sequence(&pairs, &method), &args)?;
    let omegas: Vec<f64> = r.omegas.iter().map(|w| w.unwrap_or(f64::NAN)).collect();
    Ok(record(vec![
        (
            "results",
            Value::list(r.results.into_iter().map(result_record).collect()),
        ),
        ("iters", Value::Int(r.total_iters as i64)),
        ("matvecs", Value::Int(r.total_matvecs as i64)),
        ("omegas", super::vector(omegas)),
    ]))
}
