//! Builtins applied to traced values: each numeric builtin that has an IR form builds
//! graph nodes instead of computing. Builtins that only look at a value (`print`,
//! `len`, `shape`, ...) run as usual; numeric ones without an IR form are reported.

use super::Args;
use crate::evaluator::{EvalResult, Interp};
use crate::trace::{matmul_nd, not_traceable};
use crate::value::Value;
use optl_ir::{BinaryOp, Graph, IrError, NodeId, UnaryOp};

/// Builtins that work on any value, traced or not, without building nodes.
const INSPECTING: &[&str] = &[
    "print", "repr", "str", "type", "len", "shape", "size", "map", "fold", "assert", "all", "any",
];

/// Runs builtin `name` on arguments of which at least one is traced. `None` means "run
/// the ordinary implementation".
pub fn call(interp: &mut Interp, name: &str, args: &Args) -> Option<EvalResult<Value>> {
    if INSPECTING.contains(&name) {
        return None;
    }
    if let Some(op) = unary_op(name) {
        return Some(interp.trace_unary(op, args.value(0), args.span));
    }
    Some(match name {
        "abs" => interp.trace_unary(UnaryOp::Abs, args.value(0), args.span),
        "expm1" => composite(interp, args, |g, x| {
            let e = g.unary(UnaryOp::Exp, x);
            let one = g.full_like(1.0, x);
            g.binary(BinaryOp::Sub, e, one)
        }),
        "relu" => composite(interp, args, |g, x| {
            let z = g.full_like(0.0, x);
            g.binary(BinaryOp::Max, x, z)
        }),
        "softplus" => composite(interp, args, |g, x| {
            // max(x, 0) + log1p(exp(-|x|)), stable for large |x|, with max(x, 0)
            // written x/2 + |x|/2 (the same value, without overflow) so that the
            // derivative at 0 is sigmoid(0) = 1/2 rather than a subgradient's 1.
            let a = g.unary(UnaryOp::Abs, x);
            let half = g.full_like(0.5, x);
            let hx = g.binary(BinaryOp::Mul, x, half)?;
            let ha = g.binary(BinaryOp::Mul, a, half)?;
            let m = g.binary(BinaryOp::Add, hx, ha)?;
            let n = g.unary(UnaryOp::Neg, a);
            let e = g.unary(UnaryOp::Exp, n);
            let l = g.unary(UnaryOp::Log1p, e);
            g.binary(BinaryOp::Add, m, l)
        }),
        "sum" => reduce(interp, args, 1, |g, x, axis| g.sum(x, axis)),
        "count_nonzero" => reduce(interp, args, 1, |g, x, axis| {
            let zero = g.full_like(0.0, x);
            let ne = g.binary(BinaryOp::Ne, x, zero)?;
            g.sum(ne, axis)
        }),
        "mean" => reduce(interp, args, 1, |g, x, axis| {
            let n = match axis {
                Some(a) => g.shape(x)[a],
                None => g.shape(x).iter().product(),
            };
            let lanes: usize = match axis {
                Some(a) => g
                    .shape(x)
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != a)
                    .map(|(_, d)| d)
                    .product(),
                None => 1,
            };
            if n == 0 && lanes > 0 {
                return Err(IrError::Invalid("mean of an empty tensor".into()));
            }
            let s = g.sum(x, axis)?;
            let c = g.full_like(1.0 / n as f64, s);
            g.binary(BinaryOp::Mul, s, c)
        }),
        "max" | "min" if !args.has(1) => {
            let is_max = name == "max";
            reduce(interp, args, 2, move |g, x, axis| {
                if is_max {
                    g.max(x, axis)
                } else {
                    g.min(x, axis)
                }
            })
        }
        "max" => pair(interp, args, BinaryOp::Max),
        "min" => pair(interp, args, BinaryOp::Min),
        "norm" => norm(interp, args),
        "where" => (|| {
            let c = interp.lift(args.value(0), args.span(0))?;
            let (a, b, shape) = interp.lift_pair(args.value(1), args.value(2), args.span)?;
            interp.build(args.span, |g| {
                let shape = optl_tensor::broadcast_shapes(g.shape(c), &shape)
                    .map_err(|e| IrError::Shape(e.to_string()))?;
                let c = g.broadcast(c, &shape)?;
                let a = g.broadcast(a, &shape)?;
                let b = g.broadcast(b, &shape)?;
                g.where_(c, a, b)
            })
        })(),
        "clip" => (|| {
            let lo = interp.lift(args.value(1), args.span(1))?;
            let hi = interp.lift(args.value(2), args.span(2))?;
            let x = interp.lift(args.value(0), args.span(0))?;
            interp.build(args.span, |g| {
                let s = g.shape(x).to_vec();
                let lo = g.broadcast(lo, &s)?;
                let hi = g.broadcast(hi, &s)?;
                let m = g.binary(BinaryOp::Max, x, lo)?;
                g.binary(BinaryOp::Min, m, hi)
            })
        })(),
        "atan2" => Err(not_traceable("`atan2`", args.span)),
        "dot" | "matmul" => (|| {
            let a = interp.lift(args.value(0), args.span(0))?;
            let b = interp.lift(args.value(1), args.span(1))?;
            interp.build(args.span, |g| matmul_nd(g, a, b))
        })(),
        "outer" => (|| {
            let a = interp.lift(args.value(0), args.span(0))?;
            let b = interp.lift(args.value(1), args.span(1))?;
            interp.build(args.span, |g| {
                let (m, n) = (
                    g.shape(a).iter().product::<usize>(),
                    g.shape(b).iter().product::<usize>(),
                );
                let col = g.reshape(a, &[m, 1])?;
                let row = g.reshape(b, &[1, n])?;
                let col = g.broadcast(col, &[m, n])?;
                let row = g.broadcast(row, &[m, n])?;
                g.binary(BinaryOp::Mul, col, row)
            })
        })(),
        "linalg.solve" => (|| {
            if matches!(args.value(0), Value::Sparse(_)) {
                return Err(not_traceable(
                    "`linalg.solve` with a sparse matrix",
                    args.span,
                ));
            }
            let a = interp.lift(args.value(0), args.span(0))?;
            let b = interp.lift(args.value(1), args.span(1))?;
            interp.build(args.span, |g| g.solve(a, b))
        })(),
        "linalg.logdet" => composite(interp, args, |g, x| g.logdet(x)),
        "linalg.cholesky" => composite(interp, args, |g, x| g.cholesky(x)),
        "linalg.nuclear_norm" => composite(interp, args, |g, x| g.nuclear_norm(x)),
        "ot.entropic_cost" => (|| {
            let reg = args.float(3)?;
            let a = interp.lift(args.value(0), args.span(0))?;
            let b = interp.lift(args.value(1), args.span(1))?;
            let m = interp.lift(args.value(2), args.span(2))?;
            interp.build(args.span, |g| g.entropic_ot(a, b, m, reg))
        })(),
        other if other.starts_with("linalg.") || other.starts_with("ot.") => {
            Err(not_traceable(&format!("`{name}`"), args.span))
        }
        "transpose" => composite(interp, args, |g, x| Ok(g.transpose(x))),
        "reverse" => {
            let spec = optl_tensor::IndexSpec::Slice {
                start: None,
                stop: None,
                step: Some(-1),
            };
            interp.trace_index(args.value(0), &[spec], args.span)
        }
        "reshape" => (|| {
            let dims = args.int_list(1)?;
            let x = interp.lift(args.value(0), args.span(0))?;
            interp.build(args.span, |g| {
                let size: usize = g.shape(x).iter().product();
                let shape = infer_shape(&dims, size)?;
                g.reshape(x, &shape)
            })
        })(),
        "concat" | "stack" => (|| {
            let items = interp.iterate(args.value(0).clone(), args.span(0))?;
            let mut nodes = Vec::with_capacity(items.len());
            for it in &items {
                nodes.push(interp.lift(it, args.span(0))?);
            }
            if name == "stack" {
                return interp.trace_stack(&items, args.span);
            }
            let axis = args.axis(1)?.unwrap_or(0);
            interp.build(args.span, |g| {
                let rank = nodes.first().map_or(0, |&n| g.shape(n).len()) as isize;
                let ax = if axis < 0 { axis + rank } else { axis };
                if ax < 0 || ax >= rank {
                    return Err(IrError::Shape(format!(
                        "concat axis {axis} is out of range"
                    )));
                }
                g.concat(&nodes, ax as usize)
            })
        })(),
        "zeros_like" | "ones_like" => {
            let v = if name == "zeros_like" { 0.0 } else { 1.0 };
            composite(interp, args, move |g, x| Ok(g.full_like(v, x)))
        }
        "prod" | "argmax" | "argmin" | "cumsum" | "tile" | "asin" | "acos" | "sinh" | "cosh"
        | "round" | "isnan" | "isinf" | "rand" | "randn" | "zeros" | "ones" | "full" | "eye"
        | "arange" | "linspace" | "range" | "int" | "float" => {
            Err(not_traceable(&format!("`{name}`"), args.span))
        }
        _ => return None,
    })
}

fn unary_op(name: &str) -> Option<UnaryOp> {
    Some(match name {
        "exp" => UnaryOp::Exp,
        "log" => UnaryOp::Log,
        "log1p" => UnaryOp::Log1p,
        "sqrt" => UnaryOp::Sqrt,
        "sign" => UnaryOp::Sign,
        "sin" => UnaryOp::Sin,
        "cos" => UnaryOp::Cos,
        "tan" => UnaryOp::Tan,
        "atan" => UnaryOp::Atan,
        "tanh" => UnaryOp::Tanh,
        "sigmoid" => UnaryOp::Sigmoid,
        "floor" => UnaryOp::Floor,
        "ceil" => UnaryOp::Ceil,
        _ => return None,
    })
}

fn composite(
    interp: &mut Interp,
    args: &Args,
    f: impl FnOnce(&mut Graph, NodeId) -> Result<NodeId, IrError>,
) -> EvalResult<Value> {
    let x = interp.lift(args.value(0), args.span(0))?;
    interp.build(args.span, |g| f(g, x))
}

fn reduce(
    interp: &mut Interp,
    args: &Args,
    axis_slot: usize,
    f: impl FnOnce(&mut Graph, NodeId, Option<usize>) -> Result<NodeId, IrError>,
) -> EvalResult<Value> {
    let axis = args.axis(axis_slot)?;
    let x = interp.lift(args.value(0), args.span(0))?;
    interp.build(args.span, |g| {
        let rank = g.shape(x).len() as isize;
        let axis = match axis {
            None => None,
            Some(a) => {
                let a = if a < 0 { a + rank } else { a };
                if a < 0 || a >= rank {
                    return Err(IrError::Shape(format!(
                        "axis {a} is out of range for rank {rank}"
                    )));
                }
                Some(a as usize)
            }
        };
        f(g, x, axis)
    })
}

fn pair(interp: &mut Interp, args: &Args, op: BinaryOp) -> EvalResult<Value> {
    let (a, b, _) = interp.lift_pair(args.value(0), args.value(1), args.span)?;
    interp.build(args.span, |g| g.binary(op, a, b))
}

fn norm(interp: &mut Interp, args: &Args) -> EvalResult<Value> {
    let p = args.opt_float(1, 2.0)?;
    let axis_slot = 2;
    if p == 2.0 {
        reduce(interp, args, axis_slot, |g, x, axis| {
            let sq = g.binary(BinaryOp::Mul, x, x)?;
            let s = g.sum(sq, axis)?;
            Ok(g.unary(UnaryOp::Sqrt, s))
        })
    } else if p == 1.0 {
        reduce(interp, args, axis_slot, |g, x, axis| {
            let a = g.unary(UnaryOp::Abs, x);
            g.sum(a, axis)
        })
    } else if p == f64::INFINITY {
        reduce(interp, args, axis_slot, |g, x, axis| {
            let a = g.unary(UnaryOp::Abs, x);
            g.max(a, axis)
        })
    } else if p > 0.0 && p.is_finite() {
        reduce(interp, args, axis_slot, move |g, x, axis| {
            let a = g.unary(UnaryOp::Abs, x);
            let pe = g.full_like(p, a);
            let pw = g.binary(BinaryOp::Pow, a, pe)?;
            let s = g.sum(pw, axis)?;
            let inv = g.full_like(1.0 / p, s);
            g.binary(BinaryOp::Pow, s, inv)
        })
    } else {
        Err(not_traceable(&format!("`norm` with p = {p}"), args.span))
    }
}

/// A reshape target with one `-1` inferred from the element count.
fn infer_shape(dims: &[i64], size: usize) -> Result<Vec<usize>, IrError> {
    let known: i64 = dims.iter().filter(|&&d| d >= 0).product();
    let holes = dims.iter().filter(|&&d| d == -1).count();
    if holes > 1 || dims.iter().any(|&d| d < -1) {
        return Err(IrError::Invalid(format!("invalid shape {dims:?}")));
    }
    dims.iter()
        .map(|&d| {
            if d == -1 {
                if known == 0 {
                    Err(IrError::Invalid("cannot infer -1 in an empty shape".into()))
                } else {
                    Ok(size / known as usize)
                }
            } else {
                Ok(d as usize)
            }
        })
        .collect()
}
