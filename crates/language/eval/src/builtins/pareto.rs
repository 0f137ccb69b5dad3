//! Pareto-front indicators: `hypervolume`, `igd`, `igd_plus`, `gd` and
//! `nondominated` over sets of objective vectors (optl-solvers's indicators).
//! A set is an `[N, m]` matrix, a list of vectors, or a multi-objective Result
//! record (its front's `f`); [`objective_set`] reads one and checks it, and is
//! also how `solve` reads its `reference_front`.

use super::{Args, Entry};
use crate::convert::to_tensor;
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::value::Value;
use optl_syntax::codes;
use optl_syntax::span::Span;

pub(super) const TABLE: &[Entry] = &[
    (
        "hypervolume",
        "F, ref, samples?, seed?",
        hypervolume,
        "The hypervolume of the objective vectors F (minimized) below the reference point ref: exact up to four objectives, a Monte Carlo estimate from samples (default 100000) points, seeded by seed (default 0), above.",
    ),
    (
        "igd",
        "F, Z",
        igd,
        "Inverted generational distance of F to the reference front Z: the mean over Z of the distance to the nearest point of F.",
    ),
    (
        "igd_plus",
        "F, Z",
        igd_plus,
        "IGD+ of F to the reference front Z: IGD counting only the objectives in which F's point is worse.",
    ),
    (
        "gd",
        "F, Z",
        gd,
        "Generational distance of F to the reference front Z: the mean over F of the distance to the nearest point of Z.",
    ),
    (
        "das_dennis",
        "m, partitions",
        das_dennis,
        "The Das–Dennis directions on the unit simplex in m dimensions with the given partitions: a [C(partitions + m - 1, m - 1), m] matrix (pymoo's \"das-dennis\" reference directions).",
    ),
    (
        "nondominated",
        "F",
        nondominated,
        "The non-dominated vectors of F (minimized), each once, in order, as an [N, m] matrix.",
    ),
];

/// The objective vectors `v` stands for (what the indicators call `F`): rows of
/// equal length, at least one, all finite. `what` names it in messages.
pub(crate) fn objective_set(
    interp: &Interp,
    v: &Value,
    span: Span,
    what: &str,
) -> EvalResult<Vec<Vec<f64>>> {
    if let Value::Result(r) = v {
        let Some(Value::List(front)) = r.get("front") else {
            return Err(err_label(
                codes::TYPE_MISMATCH,
                format!("{what} is the Result of a single-objective solve, which has no front"),
                span,
                "no front",
            ));
        };
        let rows: Vec<Value> = front
            .iter()
            .filter_map(|p| match p {
                Value::Record(rec) => rec.get("f").cloned(),
                _ => None,
            })
            .collect();
        return objective_set(interp, &Value::list(rows), span, what);
    }
    let t = to_tensor(v, span, interp.limits.max_elements)?;
    let rows: Vec<Vec<f64>> = match t.ndim() {
        2 => t
            .rows()
            .into_iter()
            .map(|r| r.iter().copied().collect())
            .collect(),
        _ => {
            return Err(err_label(
                codes::SHAPE_MISMATCH,
                format!(
                    "{what} must be a set of objective vectors ([N, m] or a list of vectors), found {} of shape {:?}",
                    a_type(v),
                    t.shape()
                ),
                span,
                "not a set of objective vectors",
            ));
        }
    };
    if rows.is_empty() || rows[0].is_empty() {
        return Err(err_label(
            codes::INVALID_ARGUMENT,
            format!("{what} is empty"),
            span,
            "no points",
        ));
    }
    if let Some((i, _)) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.iter().any(|x| !x.is_finite()))
    {
        return Err(Box::new(
            (*err_label(
                codes::NON_FINITE_INPUT,
                format!("{what} has a NaN or infinite value in point {i}"),
                span,
                "NaN or infinity here",
            ))
            .hint("drop or repair the point before measuring the set"),
        ));
    }
    Ok(rows)
}

/// A set of objective vectors, one row per point.
type Points = Vec<Vec<f64>>;

/// The two sets of a distance indicator, with equal numbers of objectives.
fn two_sets(interp: &Interp, args: &Args) -> EvalResult<(Points, Points)> {
    let f = objective_set(interp, args.value(0), args.span(0), "F")?;
    let z = objective_set(interp, args.value(1), args.span(1), "the reference front Z")?;
    same_objectives("F", f[0].len(), z[0].len(), args.span)?;
    Ok((f, z))
}

/// An error unless `what` with `m` objectives meets a reference of `k`.
pub(crate) fn same_objectives(what: &str, m: usize, k: usize, span: Span) -> EvalResult<()> {
    if m == k {
        return Ok(());
    }
    Err(err_label(
        codes::SHAPE_MISMATCH,
        format!("{what} has {m} objectives and the reference has {k}"),
        span,
        "different numbers of objectives",
    ))
}

fn igd(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (f, z) = two_sets(interp, &args)?;
    Ok(Value::Float(optl_solvers::igd(&f, &z)))
}

fn igd_plus(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (f, z) = two_sets(interp, &args)?;
    Ok(Value::Float(optl_solvers::igd_plus(&f, &z)))
}

fn gd(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (f, z) = two_sets(interp, &args)?;
    Ok(Value::Float(optl_solvers::gd(&f, &z)))
}

fn hypervolume(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let f = objective_set(interp, args.value(0), args.span(0), "F")?;
    let r = args.tensor(1, interp)?;
    if r.ndim() != 1 {
        return Err(err_label(
            codes::SHAPE_MISMATCH,
            format!(
                "the reference point must be a vector, found shape {:?}",
                r.shape()
            ),
            args.span(1),
            "not a point",
        ));
    }
    let r: Vec<f64> = r.iter().copied().collect();
    same_objectives("F", f[0].len(), r.len(), args.span(1))?;
    if let Err(message) = optl_solvers::check_reference(&f, &r) {
        return Err(Box::new(
            (*err_label(codes::INVALID_ARGUMENT, message, args.span(1), "reference point"))
                .hint("take a reference point at least as bad as every point in every objective, e.g. the nadir plus 10%"),
        ));
    }
    let samples = args.opt_positive(2, optl_solvers::HV_SAMPLES)?;
    let seed = match args.opt_int(3)? {
        Some(s) if s >= 0 => s as u64,
        None => 0,
        Some(s) => {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                format!("`seed` must be >= 0, found {s}"),
                args.span(3),
                "negative seed",
            ));
        }
    };
    let value = if r.len() <= optl_solvers::EXACT_HV_MAX_OBJECTIVES {
        optl_solvers::hypervolume(&f, &r)
    } else {
        optl_solvers::hypervolume_mc(&f, &r, samples, seed)
    };
    Ok(Value::Float(value))
}

fn nondominated(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let f = objective_set(interp, args.value(0), args.span(0), "F")?;
    let front = optl_solvers::nondominated(&f);
    let (rows, m) = (front.len(), f[0].len());
    let flat: Vec<f64> = front.into_iter().flatten().collect();
    let t = crate::tensor::from_vec(&[rows, m], flat)
        .map_err(|e| crate::convert::tensor_error(e, args.span))?;
    Ok(Value::tensor(t))
}

/// Above this many directions `das_dennis` refuses (E0207), before allocating.
const MAX_DIRECTIONS: usize = 1 << 20;

fn das_dennis(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let m = args.count(0)?;
    let p = args.count(1)?;
    if m == 0 {
        return Err(err_label(
            codes::INVALID_ARGUMENT,
            "das_dennis needs at least one dimension",
            args.span(0),
            "no dimensions",
        ));
    }
    let count = optl_solvers::lattice_size(m, p);
    let limit = MAX_DIRECTIONS.min(interp.limits.max_elements / m);
    match count {
        Some(c) if c <= limit => {}
        c => {
            return Err(Box::new(
                (*err_label(
                    codes::TENSOR_TOO_LARGE,
                    format!(
                        "{m} dimensions and {p} partitions give {} directions, more than the limit of {limit}",
                        c.map_or("more than 2^64".to_string(), |c| c.to_string())
                    ),
                    args.span,
                    "too many directions",
                ))
                .hint("lower `partitions`"),
            ));
        }
    }
    let dirs = optl_solvers::das_dennis(m, p);
    let rows = dirs.len();
    let flat: Vec<f64> = dirs.into_iter().flatten().collect();
    let t = crate::tensor::from_vec(&[rows, m], flat)
        .map_err(|e| crate::convert::tensor_error(e, args.span))?;
    Ok(Value::tensor(t))
}
