//! The `ot` namespace: the language's binding of optl-transport (POT's names).
//! Arguments are converted here; every check (shapes, signs, equal masses, `reg`)
//! is optl-transport's, whose errors become coded diagnostics in [`error`].

use super::{Args, Entry};
use crate::convert::from_tensor;
use crate::evaluator::{EvalResult, Interp, err_label};
use crate::value::Value;
use optl_syntax::Diagnostic;
use optl_syntax::codes;
use optl_syntax::span::Span;
use optl_transport::{Error, Method, Metric, Options, Transport};
use std::rc::Rc;

mod unbalanced;

/// The members of the `ot` namespace, named `ot.<member>`.
pub(in crate::builtins) const TABLE: &[Entry] = &[
    (
        "ot.dist",
        "x, y, metric?",
        dist,
        "The cost matrix between the rows of x [n, d] and y [m, d]: metric \"sqeuclidean\" (default), \"euclidean\" or \"cityblock\" (POT's ot.dist).",
    ),
    (
        "ot.sinkhorn",
        "a, b, M, reg, method?, tol?, max_iters?",
        sinkhorn,
        "Entropic optimal transport between histograms a and b for costs M: the record {plan, cost, objective, potentials: {f, g}, iters, err, status, method, switched_to_log}; method \"scaling\" (default), \"log\" or \"newton_sparse\"; tol on the marginal error (default 1e-9), max_iters (default 10000); a list of histograms (or a [k, m] tensor) as b gives a list of records.",
    ),
    (
        "ot.sinkhorn2",
        "a, b, M, reg, method?, tol?, max_iters?",
        sinkhorn2,
        "The transport cost ⟨P, M⟩ of ot.sinkhorn's plan (a Float, or a tensor for a batch of histograms b).",
    ),
    (
        "ot.sinkhorn_unbalanced",
        "a, b, M, reg, reg_m, method?, tol?, max_iters?",
        unbalanced::sinkhorn_unbalanced,
        "Unbalanced entropic transport, the marginals relaxed by KL penalties reg_m (a number, or [reg_m_a, reg_m_b]; inf is a hard marginal): the record {plan, cost, objective, potentials: {f, g}, mass, iters, err, status, method, switched_to_log}; method \"scaling\" (default) or \"log\"; tol on the change of the potentials / reg (default 1e-9); batches of b as ot.sinkhorn.",
    ),
    (
        "ot.sinkhorn_unbalanced2",
        "a, b, M, reg, reg_m, method?, tol?, max_iters?",
        unbalanced::sinkhorn_unbalanced2,
        "The transport cost ⟨P, M⟩ of ot.sinkhorn_unbalanced's plan (a Float, or a tensor for a batch).",
    ),
    (
        "ot.entropic_cost",
        "a, b, M, reg",
        entropic_cost,
        "The entropic OT objective ⟨P, M⟩ + reg Σ P (log P − 1) at the optimal plan; traceable, with the exact gradient (P for M, the potentials for a and b).",
    ),
];

/// An optl-transport error as a coded diagnostic at `span`.
pub(crate) fn error(e: Error, span: Span) -> Box<Diagnostic> {
    let message = e.to_string();
    let (code, label, hint) = match &e {
        Error::Shape { .. } => (
            codes::SHAPE_MISMATCH,
            "shapes do not fit",
            "a has n entries, b has m, M is [n, m]",
        ),
        Error::NonFinite { .. } => (
            codes::NON_FINITE_INPUT,
            "NaN or infinity here",
            "find where the value came from before transporting",
        ),
        _ => (
            codes::INVALID_ARGUMENT,
            "invalid argument",
            "see the `ot` section of docs/stdlib.md",
        ),
    };
    Box::new((*err_label(code, message, span, label)).hint(hint))
}

fn check<T>(r: optl_transport::Result<T>, span: Span) -> EvalResult<T> {
    r.map_err(|e| error(e, span))
}

fn vector(v: Vec<f64>) -> Value {
    let n = v.len();
    Value::tensor(crate::tensor::from_vec(&[n], v).expect("a vector has its own length"))
}

fn record(fields: Vec<(&str, Value)>) -> Value {
    Value::record(fields.into_iter().map(|(k, v)| (Rc::from(k), v)).collect())
}

fn dist(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (x, y) = (args.tensor(0, interp)?, args.tensor(1, interp)?);
    let metric = if args.has(2) {
        match &*args.str(2)? {
            "sqeuclidean" => Metric::SqEuclidean,
            "euclidean" => Metric::Euclidean,
            "cityblock" => Metric::Cityblock,
            other => {
                return Err(Box::new(
                    (*err_label(
                        codes::INVALID_ARGUMENT,
                        format!("unknown metric \"{other}\""),
                        args.span(2),
                        "not a metric",
                    ))
                    .hint("metric is \"sqeuclidean\", \"euclidean\" or \"cityblock\""),
                ));
            }
        }
    } else {
        Metric::SqEuclidean
    };
    Ok(Value::tensor(check(
        optl_transport::dist(&x, &y, metric),
        args.span,
    )?))
}

/// The problem's inputs: `a`, the histograms `b` (one, or a batch), the cost
/// matrix `M` (row-major, `[n, m]`), `reg`, the options.
struct Inputs {
    a: Vec<f64>,
    bs: Vec<Vec<f64>>,
    batched: bool,
    m: Vec<f64>,
    reg: f64,
    options: Options,
}

/// The inputs of an `ot` call, options read from argument `options_at` on
/// (method, tol, max_iters) when given.
fn inputs(interp: &Interp, args: &Args, options_at: Option<usize>) -> EvalResult<Inputs> {
    let a = args.tensor(0, interp)?;
    let b = args.tensor(1, interp)?;
    let m = args.tensor(2, interp)?;
    let reg = args.float(3)?;
    let (n, k) = (a.len(), m.shape().last().copied().unwrap_or(0));
    if a.ndim() != 1
        || m.ndim() != 2
        || m.shape()[0] != n
        || b.ndim() > 2
        || b.shape().last() != Some(&k)
    {
        return Err(err_label(
            codes::SHAPE_MISMATCH,
            format!(
                "a of shape {:?}, b of shape {:?} and M of shape {:?} do not fit: a is [n], b is [m] (or [k, m] for a batch), M is [n, m]",
                a.shape(),
                b.shape(),
                m.shape()
            ),
            args.span,
            "shapes do not fit",
        ));
    }
    let batched = b.ndim() == 2;
    let flat: Vec<f64> = b.iter().copied().collect();
    let bs = if batched {
        flat.chunks(k.max(1)).map(<[f64]>::to_vec).collect()
    } else {
        vec![flat]
    };
    let mut options = Options::default();
    if let Some(at) = options_at {
        if args.has(at) {
            options.method = match &*args.str(at)? {
                "scaling" => Method::Scaling,
                "log" => Method::Log,
                "newton_sparse" => Method::NewtonSparse,
                other => {
                    return Err(Box::new(
                        (*err_label(
                            codes::INVALID_ARGUMENT,
                            format!("unknown method \"{other}\""),
                            args.span(at),
                            "not a Sinkhorn method",
                        ))
                        .hint("method is \"scaling\", \"log\" or \"newton_sparse\""),
                    ));
                }
            };
        }
        options.tol = args.opt_float(at + 1, options.tol)?;
        options.max_iters = args.opt_positive(at + 2, options.max_iters)?;
    }
    Ok(Inputs {
        a: a.iter().copied().collect(),
        bs,
        batched,
        m: m.iter().copied().collect(),
        reg,
        options,
    })
}

fn solve_all(p: &Inputs, span: Span) -> EvalResult<Vec<Transport>> {
    if p.batched {
        check(
            optl_transport::sinkhorn_batch(&p.a, &p.bs, &p.m, p.reg, &p.options),
            span,
        )
    } else {
        Ok(vec![check(
            optl_transport::sinkhorn(&p.a, &p.bs[0], &p.m, p.reg, &p.options),
            span,
        )?])
    }
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Scaling => "scaling",
        Method::Log => "log",
        Method::NewtonSparse => "newton_sparse",
    }
}

fn status_name(s: optl_transport::Status) -> &'static str {
    match s {
        optl_transport::Status::Converged => "converged",
        optl_transport::Status::MaxIters => "max_iters",
        optl_transport::Status::Diverged => "diverged",
    }
}

fn transport_record(t: Transport, n: usize, m: usize) -> Value {
    let plan = crate::tensor::from_vec(&[n, m], t.plan).expect("the plan is n by m");
    let status = status_name(t.status);
    record(vec![
        ("plan", Value::tensor(plan)),
        ("cost", Value::Float(t.cost)),
        ("objective", Value::Float(t.objective)),
        (
            "potentials",
            record(vec![("f", vector(t.f)), ("g", vector(t.g))]),
        ),
        ("iters", Value::Int(t.iters as i64)),
        ("err", Value::Float(t.err)),
        ("status", Value::str(status)),
        ("method", Value::str(method_name(t.method))),
        ("switched_to_log", Value::Bool(t.switched_to_log)),
    ])
}

fn sinkhorn(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let p = inputs(interp, &args, Some(4))?;
    let (n, m) = (p.a.len(), p.bs[0].len());
    let mut out: Vec<Value> = solve_all(&p, args.span)?
        .into_iter()
        .map(|t| transport_record(t, n, m))
        .collect();
    Ok(if p.batched {
        Value::list(out)
    } else {
        out.remove(0)
    })
}

fn sinkhorn2(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let p = inputs(interp, &args, Some(4))?;
    let costs: Vec<f64> = solve_all(&p, args.span)?.iter().map(|t| t.cost).collect();
    Ok(if p.batched {
        vector(costs)
    } else {
        from_tensor(crate::tensor::scalar(costs[0]))
    })
}

fn entropic_cost(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let p = inputs(interp, &args, None)?;
    if p.batched {
        return Err(err_label(
            codes::SHAPE_MISMATCH,
            "ot.entropic_cost takes one histogram b",
            args.span(1),
            "a batch",
        ));
    }
    let t = solve_all(&p, args.span)?.remove(0);
    if t.status != optl_transport::Status::Converged {
        return Err(Box::new(
            (*err_label(
                codes::INVALID_ARGUMENT,
                format!(
                    "ot.entropic_cost: Sinkhorn stopped unconverged after {} iterations (marginal error {:e})",
                    t.iters, t.err
                ),
                args.span,
                "no optimal plan",
            ))
            .hint("a larger reg converges faster; ot.sinkhorn shows the run"),
        ));
    }
    Ok(Value::Float(t.objective))
}
