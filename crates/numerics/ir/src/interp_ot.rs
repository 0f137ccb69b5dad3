//! The interpreter's entropic optimal-transport nodes, solved by optl-transport's
//! Sinkhorn (scaling, switching to the log domain when the scalings underflow).
//!
//! By the envelope theorem the objective's derivatives are the solution's own
//! parts: `∂/∂M = P`, `∂/∂a = f`, `∂/∂b = g` for potentials with
//! `P_ij = exp((f_i + g_j − M_ij) / reg)` (the gauge `f + c, g − c` changes nothing
//! along perturbations that keep `sum(a) = sum(b)`, the only ones allowed). A run
//! that does not converge is an error, never an approximate value.

use optl_tensor::Tensor;

use crate::graph::{IrError, IrResult, Node, Op};

/// Evaluates an [`Op::EntropicOt`] or [`Op::EntropicOtGrad`] node.
pub(crate) fn eval(node: &Node, args: &[&Tensor]) -> IrResult<Tensor> {
    let [a, b, m] = args else {
        return Err(IrError::Invalid(format!(
            "`{:?}` with {} arguments",
            node.op,
            args.len()
        )));
    };
    let (reg, wrt) = match node.op {
        Op::EntropicOt { reg } => (f64::from_bits(reg), None),
        Op::EntropicOtGrad { reg, wrt } => (f64::from_bits(reg), Some(wrt)),
        _ => {
            return Err(IrError::Invalid(format!(
                "`{:?}` is not a transport node",
                node.op
            )));
        }
    };
    let fits = a.ndim() == 1 && b.ndim() == 1 && m.shape() == [a.len(), b.len()];
    if !fits {
        return Err(IrError::Shape(format!(
            "entropic_ot: a {:?}, b {:?} and M {:?} do not fit",
            a.shape(),
            b.shape(),
            m.shape()
        )));
    }
    let flat = |t: &Tensor| t.iter().copied().collect::<Vec<f64>>();
    let options = optl_transport::Options::default();
    let t = optl_transport::sinkhorn(&flat(a), &flat(b), &flat(m), reg, &options)
        .map_err(|e| IrError::Invalid(format!("ot.entropic_cost: {e}")))?;
    if t.status != optl_transport::Status::Converged {
        return Err(IrError::Invalid(format!(
            "ot.entropic_cost: Sinkhorn stopped unconverged after {} iterations (marginal error {:e})",
            t.iters, t.err
        )));
    }
    let tensor = |shape: &[usize], v: Vec<f64>| {
        optl_tensor::from_vec(shape, v).map_err(|e| IrError::Invalid(e.to_string()))
    };
    match wrt {
        None => Ok(optl_tensor::scalar(t.objective)),
        Some(0) => tensor(&[a.len()], t.f),
        Some(1) => tensor(&[b.len()], t.g),
        Some(_) => tensor(&[a.len(), b.len()], t.plan),
    }
}

#[cfg(test)]
#[path = "interp_ot_tests.rs"]
mod tests;
