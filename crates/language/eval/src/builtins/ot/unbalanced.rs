//! `ot.sinkhorn_unbalanced` and `ot.sinkhorn_unbalanced2`: the binding of
//! optl-transport's KL-relaxed transport. The arguments are those of
//! `ot.sinkhorn` with the marginal penalty `reg_m` (one number, or `[ρ₁, ρ₂]`)
//! before the options; every check is optl-transport's.

use super::{Inputs, check, inputs, method_name, record, status_name, vector};
use crate::builtins::Args;
use crate::convert::from_tensor;
use crate::evaluator::{EvalResult, Interp, err_label};
use crate::value::Value;
use optl_syntax::codes;
use optl_transport::{Unbalanced, UnbalancedOptions};

/// `reg_m` (argument 4): one penalty for both marginals or a pair.
fn penalties(interp: &Interp, args: &Args) -> EvalResult<[f64; 2]> {
    let t = args.tensor(4, interp)?;
    let v: Vec<f64> = t.iter().copied().collect();
    match (t.ndim(), v.as_slice()) {
        (0, [r]) => Ok([*r, *r]),
        (1, [r1, r2]) => Ok([*r1, *r2]),
        _ => Err(Box::new(
            (*err_label(
                codes::INVALID_ARGUMENT,
                format!(
                    "reg_m must be a number or a pair [reg_m_a, reg_m_b], got shape {:?}",
                    t.shape()
                ),
                args.span(4),
                "not a penalty",
            ))
            .hint("one number penalizes both marginals; inf makes a marginal a hard constraint"),
        )),
    }
}

fn solve_all(interp: &Interp, args: &Args) -> EvalResult<(Inputs, Vec<Unbalanced>)> {
    let p = inputs(interp, args, Some(5))?;
    let reg_m = penalties(interp, args)?;
    let opts = UnbalancedOptions {
        method: p.options.method,
        tol: p.options.tol,
        max_iters: p.options.max_iters,
    };
    let out = if p.batched {
        check(
            optl_transport::sinkhorn_unbalanced_batch(&p.a, &p.bs, &p.m, p.reg, reg_m, &opts),
            args.span,
        )?
    } else {
        vec![check(
            optl_transport::sinkhorn_unbalanced(&p.a, &p.bs[0], &p.m, p.reg, reg_m, &opts),
            args.span,
        )?]
    };
    Ok((p, out))
}

fn unbalanced_record(t: Unbalanced, n: usize, m: usize) -> Value {
    let plan = crate::tensor::from_vec(&[n, m], t.plan).expect("the plan is n by m");
    record(vec![
        ("plan", Value::tensor(plan)),
        ("cost", Value::Float(t.cost)),
        ("objective", Value::Float(t.objective)),
        (
            "potentials",
            record(vec![("f", vector(t.f)), ("g", vector(t.g))]),
        ),
        ("mass", Value::Float(t.mass)),
        ("iters", Value::Int(t.iters as i64)),
        ("err", Value::Float(t.err)),
        ("status", Value::str(status_name(t.status))),
        ("method", Value::str(method_name(t.method))),
        ("switched_to_log", Value::Bool(t.switched_to_log)),
    ])
}

pub(super) fn sinkhorn_unbalanced(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (p, out) = solve_all(interp, &args)?;
    let (n, m) = (p.a.len(), p.bs[0].len());
    let mut out: Vec<Value> = out
        .into_iter()
        .map(|t| unbalanced_record(t, n, m))
        .collect();
    Ok(if p.batched {
        Value::list(out)
    } else {
        out.remove(0)
    })
}

pub(super) fn sinkhorn_unbalanced2(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (p, out) = solve_all(interp, &args)?;
    let costs: Vec<f64> = out.iter().map(|t| t.cost).collect();
    Ok(if p.batched {
        vector(costs)
    } else {
        from_tensor(crate::tensor::scalar(costs[0]))
    })
}
