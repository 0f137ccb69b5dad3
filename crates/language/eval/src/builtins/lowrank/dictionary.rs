//! `dict_learn` and `sparse_code`: data `X [n, d]`, dictionary `D [atoms, d]`
//! (sklearn's layout), converted here and checked by optl-lowrank.

use super::{check, choice, record, seed};
use crate::builtins::Args;
use crate::evaluator::{EvalResult, Interp, err_label};
use crate::value::Value;
use optl_lowrank::dictionary::{CodeOptions, LearnMethod, LearnOptions, Prior};
use optl_syntax::codes;

/// A 2-d tensor argument as `(rows, cols, row-major entries)`.
fn matrix(
    interp: &Interp,
    args: &Args,
    i: usize,
    what: &str,
) -> EvalResult<(usize, usize, Vec<f64>)> {
    let t = args.tensor(i, interp)?;
    if t.ndim() != 2 {
        return Err(err_label(
            codes::SHAPE_MISMATCH,
            format!(
                "{what} is a matrix (one row per {}), found shape {:?}",
                if i == 0 { "sample" } else { "atom" },
                t.shape()
            ),
            args.span(i),
            "not a matrix",
        ));
    }
    Ok((t.shape()[0], t.shape()[1], t.iter().copied().collect()))
}

fn tensor(rows: usize, cols: usize, data: Vec<f64>) -> Value {
    Value::tensor(optl_tensor::from_vec(&[rows, cols], data).expect("the data fills its shape"))
}

pub(super) fn dict_learn(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (n, d, x) = matrix(interp, &args, 0, "X")?;
    let atoms = usize::try_from(args.int(1)?).unwrap_or(0);
    let mut o = LearnOptions {
        lam: args.float(2)?,
        ..Default::default()
    };
    o.method = [
        LearnMethod::Online,
        LearnMethod::Batch,
        LearnMethod::OrthogonalFw,
    ][choice(&args, 3, "method", &["online", "batch", "orthogonal_fw"])?];
    o.max_iters = args.opt_positive(4, o.max_iters)?;
    o.batch = args.opt_positive(5, o.batch)?;
    o.seed = seed(&args, 6)?;
    let r = check(
        optl_lowrank::dictionary::dict_learn(&x, n, d, atoms, &o),
        args.span,
    )?;
    Ok(record(vec![
        ("dictionary", tensor(r.atoms, r.d, r.dictionary)),
        ("codes", tensor(r.n, r.atoms, r.codes)),
        ("objective", Value::Float(r.objective)),
        ("iters", Value::Int(r.iters as i64)),
    ]))
}

pub(super) fn sparse_code(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (n, d, x) = matrix(interp, &args, 0, "X")?;
    let (atoms, dd, dict) = matrix(interp, &args, 1, "D")?;
    if dd != d {
        return Err(err_label(
            codes::SHAPE_MISMATCH,
            format!("X has rows of {d} entries but the atoms of D have {dd}"),
            args.span(1),
            "shapes do not fit",
        ));
    }
    let mut o = CodeOptions::default();
    let q = args.opt_float(4, 0.5)?;
    o.prior = match choice(&args, 2, "prior", &["l1", "l0", "lq"])? {
        0 => Prior::L1,
        1 => Prior::L0,
        _ => Prior::Lq { q },
    };
    o.lam = args.opt_float(3, o.lam)?;
    o.max_iters = args.opt_positive(5, o.max_iters)?;
    o.tol = args.opt_float(6, o.tol)?;
    let r = check(
        optl_lowrank::dictionary::sparse_code(&x, n, d, &dict, atoms, &o),
        args.span,
    )?;
    Ok(record(vec![
        ("codes", tensor(r.n, r.atoms, r.codes)),
        ("objective", Value::Float(r.objective)),
        ("iters", Value::Int(r.iters as i64)),
        ("status", Value::str(r.status.as_str())),
    ]))
}
