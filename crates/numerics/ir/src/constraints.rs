//! Reading constraints as written: an output as an affine function of the inputs
//! (ADMM's linear coupling `A x + B z + c = 0`), and a constraint that only says a
//! var lies in a set (`sum(x) == r`, `x >= 0`, `norm(x, 1) <= r`, `norm(x) <= r`).
//! The companion of `composite.rs`, whose block and pattern helpers it uses.

use crate::composite::{MAX_SUM_DEPTH, arg_of, linear, square_of};
use crate::graph::{BinaryOp, Function, Graph, NodeId, Op, UnaryOp};
use optl_tensor::Tensor;
use std::rc::Rc;

/// How one input enters an affine expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Coefficient {
    /// `s · x` (the rows are the input's entries).
    Scaled(f64),
    /// `M @ x` for a constant `[rows, len(x)]` matrix.
    Dense(Rc<Tensor>),
}

/// An output read as `Σ coefficient_i · input_i + offset`, a vector of `rows`.
#[derive(Clone, Debug, PartialEq)]
pub struct Affine {
    pub rows: usize,
    /// Each input at most once.
    pub terms: Vec<(u32, Coefficient)>,
    /// `[rows]`, absent for zero.
    pub offset: Option<Rc<Tensor>>,
}

/// Output `output` of `f` as an affine function of 1-d inputs, when it is written as
/// sums, differences and constant multiples of inputs, `A @ x` and constants.
pub fn affine_output(f: &Function, output: usize) -> Option<Affine> {
    let g = &f.graph;
    let &root = f.outputs.get(output)?;
    let rows = match g.shape(root) {
        [] => 1,
        [r] => *r,
        _ => return None,
    };
    let mut terms: Vec<(u32, Coefficient)> = Vec::new();
    let mut offset: Option<Tensor> = None;
    collect_affine(g, root, 1.0, &mut terms, &mut offset, rows, 0)?;
    Some(Affine {
        rows,
        terms,
        offset: offset.map(Rc::new),
    })
}

/// Adds `coef · node` to the affine sum.
fn collect_affine(
    g: &Graph,
    id: NodeId,
    coef: f64,
    terms: &mut Vec<(u32, Coefficient)>,
    offset: &mut Option<Tensor>,
    rows: usize,
    depth: usize,
) -> Option<()> {
    if depth > MAX_SUM_DEPTH {
        return None;
    }
    let node = g.node(id);
    if let Some(t) = g.as_const(id) {
        let flat = t.iter().copied().map(|v| coef * v).collect::<Vec<f64>>();
        if flat.len() != rows && flat.len() != 1 {
            return None;
        }
        let full: Vec<f64> = (0..rows).map(|k| flat[k.min(flat.len() - 1)]).collect();
        let add = Tensor::from_shape_vec(ndarray::IxDyn(&[rows]), full).ok()?;
        *offset = Some(match offset.take() {
            Some(o) => o + add,
            None => add,
        });
        return Some(());
    }
    if let Some(c) = g.as_scalar_const(id) {
        let add = Tensor::from_elem(ndarray::IxDyn(&[rows]), coef * c);
        *offset = Some(match offset.take() {
            Some(o) => o + add,
            None => add,
        });
        return Some(());
    }
    let mut add_term = |input: u32, c: Coefficient| -> Option<()> {
        match (terms.iter_mut().find(|(i, _)| *i == input), c) {
            (None, c) => terms.push((input, c)),
            (Some((_, Coefficient::Scaled(a))), Coefficient::Scaled(b)) => *a += b,
            _ => return None,
        }
        Some(())
    };
    match (&node.op, node.args.as_slice()) {
        (Op::Binary(BinaryOp::Add), &[a, b]) => {
            collect_affine(g, a, coef, terms, offset, rows, depth + 1)?;
            collect_affine(g, b, coef, terms, offset, rows, depth + 1)
        }
        (Op::Binary(BinaryOp::Sub), &[a, b]) => {
            collect_affine(g, a, coef, terms, offset, rows, depth + 1)?;
            collect_affine(g, b, -coef, terms, offset, rows, depth + 1)
        }
        (Op::Unary(UnaryOp::Neg), &[a]) => {
            collect_affine(g, a, -coef, terms, offset, rows, depth + 1)
        }
        (Op::Binary(BinaryOp::Mul), &[a, b]) => {
            let (c, other) = match (g.as_scalar_const(a), g.as_scalar_const(b)) {
                (Some(c), _) => (c, b),
                (_, Some(c)) => (c, a),
                _ => return None,
            };
            collect_affine(g, other, coef * c, terms, offset, rows, depth + 1)
        }
        (Op::Input(i), _) if node.shape.len() == 1 && node.shape[0] == rows => {
            add_term(*i, Coefficient::Scaled(coef))
        }
        _ => {
            let (input, m) = linear(g, id)?;
            let m = m?;
            (m.shape()[0] == rows).then_some(())?;
            let scaled = if coef == 1.0 {
                m
            } else {
                Rc::new(m.mapv(|v| coef * v))
            };
            add_term(input, Coefficient::Dense(scaled))
        }
    }
}

/// A constraint that says a var lies in a set, as written: `sum(x) == r`,
/// `x >= 0`, `norm(x, 1) <= r`, `norm(x) <= r` or `sum(x^2) <= r²`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SetConstraint {
    /// `sum(x) - r == 0`.
    SumEquals { input: u32, r: f64 },
    /// `-x <= 0`.
    NonNegative { input: u32 },
    /// `norm(x, 1) - r <= 0`.
    L1Ball { input: u32, r: f64 },
    /// `norm(x) - r <= 0`, or `sum(x^2) - r^2 <= 0`.
    L2Ball { input: u32, r: f64 },
}

/// Output `output` of `f`, an equality (`equal`) or `<= 0` residual, as a set
/// constraint on one whole input, if it is written as one.
pub fn set_constraint(f: &Function, output: usize, equal: bool) -> Option<SetConstraint> {
    let g = &f.graph;
    let &root = f.outputs.get(output)?;
    // A scalar relation's residual is reshaped to one row.
    let root = arg_of(g, root, &Op::Reshape)
        .filter(|&r| g.shape(r).is_empty())
        .unwrap_or(root);
    if equal {
        // sum(x) - r
        let node = g.node(root);
        let (Op::Binary(BinaryOp::Sub), &[s, c]) = (&node.op, node.args.as_slice()) else {
            return None;
        };
        let r = g.as_scalar_const(c)?;
        let x = arg_of(g, s, &Op::Sum(None))?;
        let Op::Input(input) = g.node(x).op else {
            return None;
        };
        return (r.is_finite() && r > 0.0 && g.shape(x).len() == 1)
            .then_some(SetConstraint::SumEquals { input, r });
    }
    if let Some(x) = arg_of(g, root, &Op::Unary(UnaryOp::Neg))
        && let Op::Input(input) = g.node(x).op
    {
        return Some(SetConstraint::NonNegative { input });
    }
    let node = g.node(root);
    let (Op::Binary(BinaryOp::Sub), &[lhs, c]) = (&node.op, node.args.as_slice()) else {
        return None;
    };
    let r = g.as_scalar_const(c).filter(|r| r.is_finite() && *r > 0.0)?;
    let whole = |b: NodeId| match g.node(b).op {
        Op::Input(i) => Some(i),
        _ => None,
    };
    if let Some(b) =
        arg_of(g, lhs, &Op::Sum(None)).and_then(|a| arg_of(g, a, &Op::Unary(UnaryOp::Abs)))
    {
        return whole(b).map(|input| SetConstraint::L1Ball { input, r });
    }
    if let Some(sq) =
        arg_of(g, lhs, &Op::Unary(UnaryOp::Sqrt)).and_then(|s| arg_of(g, s, &Op::Sum(None)))
    {
        return square_of(g, sq)
            .and_then(whole)
            .map(|input| SetConstraint::L2Ball { input, r });
    }
    let sq = arg_of(g, lhs, &Op::Sum(None))?;
    square_of(g, sq)
        .and_then(whole)
        .map(|input| SetConstraint::L2Ball { input, r: r.sqrt() })
}
