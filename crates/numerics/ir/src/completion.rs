//! Recognising low-rank matrix completion in an objective as written: the smooth
//! leaves of the sum tree (see [`crate::composite`]) are
//!
//! - exactly one data term `c · sum(W * (M − U @ transpose(V))^2)` or
//!   `c · sum((W * (M − U @ transpose(V)))^2)` (either order of the difference
//!   and of the mask product; `W` absent means every entry is observed), with
//!   constants `M` and `W`, `W` a 0/1 mask, `U` and `V` two different whole
//!   2-d inputs with as many columns, and `c > 0`;
//! - optionally ridge terms `d · sum(U^2)` and `d · sum(V^2)` (`U * U` too);
//! - and constants.
//!
//! Anything else in the objective, and the form is not recognised.

use crate::composite::{arg_of, square_of};
use crate::graph::{BinaryOp, Graph, NodeId, Op};
use optl_tensor::Tensor;
use std::rc::Rc;

/// `weight · Σ W ∘ (M − U Vᵀ)² + ridge_u ‖U‖² + ridge_v ‖V‖² + constant`.
#[derive(Clone, Debug, PartialEq)]
pub struct CompletionTerms {
    pub weight: f64,
    /// The inputs holding `U [m, r]` and `V [n, r]`.
    pub u: u32,
    pub v: u32,
    /// `[m, n]`.
    pub m: Rc<Tensor>,
    /// `[m, n]` of 0 and 1; `None`: all observed.
    pub mask: Option<Rc<Tensor>>,
    pub ridge_u: f64,
    pub ridge_v: f64,
    pub constant: f64,
}

/// `(U, V)` when `id` is `U @ transpose(V)` for whole 2-d inputs.
fn product(g: &Graph, id: NodeId) -> Option<(u32, u32)> {
    let node = g.node(id);
    let (Op::MatMul, &[a, b]) = (&node.op, node.args.as_slice()) else {
        return None;
    };
    let vt = arg_of(g, b, &Op::Transpose)?;
    match (&g.node(a).op, &g.node(vt).op) {
        (Op::Input(u), Op::Input(v))
            if u != v && g.node(a).shape.len() == 2 && g.node(vt).shape.len() == 2 =>
        {
            Some((*u, *v))
        }
        _ => None,
    }
}

/// `(U, V, M)` when `id` is `M − U Vᵀ` or `U Vᵀ − M` (the square makes them equal).
fn residual(g: &Graph, id: NodeId) -> Option<(u32, u32, Rc<Tensor>)> {
    let node = g.node(id);
    let (Op::Binary(BinaryOp::Sub), &[a, b]) = (&node.op, node.args.as_slice()) else {
        return None;
    };
    if let Some(m) = g.as_const(a) {
        let (u, v) = product(g, b)?;
        return Some((u, v, m.clone()));
    }
    let m = g.as_const(b)?;
    let (u, v) = product(g, a)?;
    Some((u, v, m.clone()))
}

/// A constant 0/1 mask times `x`, in either order: `(mask, x)`.
fn masked(g: &Graph, id: NodeId) -> Option<(Rc<Tensor>, NodeId)> {
    let node = g.node(id);
    let (Op::Binary(BinaryOp::Mul), &[a, b]) = (&node.op, node.args.as_slice()) else {
        return None;
    };
    let (w, x) = match (g.as_const(a), g.as_const(b)) {
        (Some(w), None) => (w.clone(), b),
        (None, Some(w)) => (w.clone(), a),
        _ => return None,
    };
    w.iter().all(|&e| e == 0.0 || e == 1.0).then_some((w, x))
}

/// The data term `sum(...)` argument: `(U, V, M, mask)`.
#[allow(clippy::type_complexity)]
fn data_term(g: &Graph, s: NodeId) -> Option<(u32, u32, Rc<Tensor>, Option<Rc<Tensor>>)> {
    if let Some(r) = square_of(g, s) {
        if let Some((w, inner)) = masked(g, r) {
            let (u, v, m) = residual(g, inner)?;
            return Some((u, v, m, Some(w)));
        }
        let (u, v, m) = residual(g, r)?;
        return Some((u, v, m, None));
    }
    let (w, sq) = masked(g, s)?;
    let (u, v, m) = residual(g, square_of(g, sq)?)?;
    Some((u, v, m, Some(w)))
}

/// The completion form of the smooth leaves `(coefficient, node)`, if they are one.
pub(crate) fn completion_of(g: &Graph, leaves: &[(f64, NodeId)]) -> Option<CompletionTerms> {
    let mut data = None;
    let mut ridges: Vec<(u32, f64)> = Vec::new();
    let mut constant = 0.0;
    for &(coef, node) in leaves {
        if let Some(c) = g.as_scalar_const(node) {
            constant += coef * c;
            continue;
        }
        let s = arg_of(g, node, &Op::Sum(None))?;
        if let Some(x) = square_of(g, s)
            && let Op::Input(k) = g.node(x).op
        {
            (coef >= 0.0).then_some(())?;
            ridges.push((k, coef));
            continue;
        }
        let (u, v, m, mask) = data_term(g, s)?;
        if data.is_some() || coef <= 0.0 {
            return None;
        }
        data = Some((coef, u, v, m, mask));
    }
    let (weight, u, v, m, mask) = data?;
    let (us, vs) = (&g.input_shapes()[u as usize], &g.input_shapes()[v as usize]);
    let fits = us.len() == 2
        && vs.len() == 2
        && us[1] == vs[1]
        && m.shape() == [us[0], vs[0]]
        && mask.as_ref().is_none_or(|w| w.shape() == m.shape());
    fits.then_some(())?;
    let ridge = |k: u32| -> f64 { ridges.iter().filter(|r| r.0 == k).map(|r| r.1).sum() };
    let (ridge_u, ridge_v) = (ridge(u), ridge(v));
    ridges
        .iter()
        .all(|&(k, _)| k == u || k == v)
        .then_some(())?;
    Some(CompletionTerms {
        weight,
        u,
        v,
        m,
        mask,
        ridge_u,
        ridge_v,
        constant,
    })
}
