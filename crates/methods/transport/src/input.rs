//! Checks of the arguments of [`crate::sinkhorn`] and the reduction of a problem
//! to its strictly positive weights.
//!
//! Rows with `a_i = 0` and columns with `b_j = 0` carry no mass: they are removed
//! before solving (their plan entries are zero, their potentials `−∞`), so the
//! solvers only see positive weights. `b` is rescaled to `sum(a)` (a relative
//! change of at most `1e-9`, the mass tolerance), so that the problem is exactly
//! feasible.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::{Options, Transport};

/// Relative tolerance on `|sum(a) − sum(b)|`.
pub(crate) const MASS_RTOL: f64 = 1e-9;

/// Entries from which the cost matrix is scanned on the rayon pool.
const PARALLEL_SCAN: usize = 1 << 16;

/// Entries per chunk of the parallel scan.
const SCAN_CHUNK: usize = 1 << 14;

/// Whether every entry is finite and non-negative (branch-free per chunk).
fn all_valid(x: &[f64]) -> bool {
    let chunk_ok = |c: &[f64]| {
        c.iter()
            .fold(true, |ok, &v| ok & (0.0..=f64::MAX).contains(&v))
    };
    if x.len() >= PARALLEL_SCAN {
        x.par_chunks(SCAN_CHUNK).all(chunk_ok)
    } else {
        chunk_ok(x)
    }
}

/// The first entry of `x` that is not finite or negative, as an error.
pub(crate) fn check_entries(op: &'static str, what: &str, x: &[f64]) -> Result<()> {
    if all_valid(x) {
        return Ok(());
    }
    let Some(index) = x.iter().position(|v| !(0.0..=f64::MAX).contains(v)) else {
        return Ok(());
    };
    if x[index].is_finite() {
        Err(Error::Negative {
            op,
            what: what.to_string(),
            index,
            value: x[index],
        })
    } else {
        Err(Error::NonFinite {
            op,
            what: what.to_string(),
            index,
        })
    }
}

/// Checks the shapes, entries, `reg`, options and masses of a balanced problem
/// (`b` is called `b_name` in messages); returns `(n, m)`.
pub(crate) fn check_problem(
    op: &'static str,
    a: &[f64],
    b: (&[f64], &str),
    m: &[f64],
    reg: f64,
    opts: &Options,
) -> Result<(usize, usize)> {
    let shape = check_inputs(op, a, b, m, reg)?;
    check_options(op, opts)?;
    check_mass(op, a.iter().sum(), b.0.iter().sum())?;
    Ok(shape)
}

/// Checks the shapes, entries and `reg` (`b` is called `b_name` in messages);
/// returns `(n, m)`.
pub(crate) fn check_inputs(
    op: &'static str,
    a: &[f64],
    (b, b_name): (&[f64], &str),
    m: &[f64],
    reg: f64,
) -> Result<(usize, usize)> {
    if a.is_empty() {
        return Err(Error::Empty {
            op,
            what: "a".to_string(),
        });
    }
    if b.is_empty() {
        return Err(Error::Empty {
            op,
            what: b_name.to_string(),
        });
    }
    let (n, k) = (a.len(), b.len());
    let Some(size) = n.checked_mul(k) else {
        return Err(Error::TooLarge {
            op,
            reason: format!("a cost matrix of {n} x {k} entries does not fit in memory"),
        });
    };
    if m.len() != size {
        return Err(Error::Shape {
            op,
            reason: format!(
                "m has {} entries but len(a) x len(b) = {n} x {k} = {size}",
                m.len()
            ),
        });
    }
    check_entries(op, "a", a)?;
    check_entries(op, b_name, b)?;
    check_entries(op, "m", m)?;
    check_reg(op, reg)?;
    Ok((n, k))
}

pub(crate) fn check_reg(op: &'static str, reg: f64) -> Result<()> {
    if reg.is_finite() && reg > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidReg { op, reg })
    }
}

pub(crate) fn check_options(op: &'static str, opts: &Options) -> Result<()> {
    if !(opts.tol.is_finite() && opts.tol >= 0.0) {
        return Err(Error::InvalidArgument {
            op,
            reason: format!("tol must be finite and non-negative, got {}", opts.tol),
        });
    }
    if opts.check_every == 0 {
        return Err(Error::InvalidArgument {
            op,
            reason: "check_every must be at least 1".to_string(),
        });
    }
    Ok(())
}

pub(crate) fn check_mass(op: &'static str, sum_a: f64, sum_b: f64) -> Result<()> {
    if !(sum_a.is_finite() && sum_b.is_finite()) {
        return Err(Error::TooLarge {
            op,
            reason: format!("the masses overflow: sum(a) = {sum_a}, sum(b) = {sum_b}"),
        });
    }
    if sum_a == 0.0 && sum_b == 0.0 {
        return Err(Error::ZeroMass { op });
    }
    if (sum_a - sum_b).abs() > MASS_RTOL * sum_a.max(sum_b) {
        return Err(Error::MassMismatch { op, sum_a, sum_b });
    }
    Ok(())
}

/// A checked problem restricted to its positive weights.
pub(crate) struct Reduced {
    /// Positive row weights.
    pub a: Vec<f64>,
    /// Positive column weights, rescaled to `sum(a)`.
    pub b: Vec<f64>,
    /// The cost restricted to them (`None`: no weight was zero, use the input).
    pub m: Option<Vec<f64>>,
    /// Kept rows and columns (`None`: all).
    pub rows: Option<Vec<usize>>,
    pub cols: Option<Vec<usize>>,
}

impl Reduced {
    /// The balanced reduction: `b` rescaled to `sum(a)`.
    pub(crate) fn new(a: &[f64], b: &[f64], m: &[f64]) -> Reduced {
        let (sa, sb): (f64, f64) = (a.iter().sum(), b.iter().sum());
        Reduced::scaled(a, b, m, if sa == sb { 1.0 } else { sa / sb })
    }

    /// The positive weights only, `b` multiplied by `scale`.
    pub(crate) fn scaled(a: &[f64], b: &[f64], m: &[f64], scale: f64) -> Reduced {
        let keep = |x: &[f64]| -> Option<Vec<usize>> {
            if x.iter().all(|&t| t > 0.0) {
                None
            } else {
                Some((0..x.len()).filter(|&i| x[i] > 0.0).collect())
            }
        };
        let (rows, cols) = (keep(a), keep(b));
        let pick = |x: &[f64], idx: &Option<Vec<usize>>| -> Vec<f64> {
            match idx {
                None => x.to_vec(),
                Some(idx) => idx.iter().map(|&i| x[i]).collect(),
            }
        };
        let ra = pick(a, &rows);
        let rb: Vec<f64> = pick(b, &cols).into_iter().map(|t| t * scale).collect();
        let rm = if rows.is_none() && cols.is_none() {
            None
        } else {
            let k = b.len();
            let all_rows: Vec<usize> = rows.clone().unwrap_or_else(|| (0..a.len()).collect());
            let all_cols: Vec<usize> = cols.clone().unwrap_or_else(|| (0..k).collect());
            let mut out = Vec::with_capacity(all_rows.len() * all_cols.len());
            for &i in &all_rows {
                out.extend(all_cols.iter().map(|&j| m[i * k + j]));
            }
            Some(out)
        };
        Reduced {
            a: ra,
            b: rb,
            m: rm,
            rows,
            cols,
        }
    }

    /// The solution of the reduced problem in the original `n × k` indices.
    pub(crate) fn expand(&self, t: Transport, n: usize, k: usize) -> Transport {
        let (plan, f, g) = self.expand_parts((t.plan, t.f, t.g), n, k);
        Transport { plan, f, g, ..t }
    }

    /// A reduced plan and potentials `(plan, f, g)` in the original `n × k`
    /// indices: zero plan entries and potentials `−∞` where a weight is zero.
    pub(crate) fn expand_parts(
        &self,
        reduced: (Vec<f64>, Vec<f64>, Vec<f64>),
        n: usize,
        k: usize,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        if self.rows.is_none() && self.cols.is_none() {
            return reduced;
        }
        let (rplan, rf, rg) = reduced;
        let all_rows: Vec<usize> = self.rows.clone().unwrap_or_else(|| (0..n).collect());
        let all_cols: Vec<usize> = self.cols.clone().unwrap_or_else(|| (0..k).collect());
        let mut plan = vec![0.0; n * k];
        let mut f = vec![f64::NEG_INFINITY; n];
        let mut g = vec![f64::NEG_INFINITY; k];
        let rk = all_cols.len();
        for (ri, &i) in all_rows.iter().enumerate() {
            f[i] = rf[ri];
            for (rj, &j) in all_cols.iter().enumerate() {
                plan[i * k + j] = rplan[ri * rk + rj];
            }
        }
        for (rj, &j) in all_cols.iter().enumerate() {
            g[j] = rg[rj];
        }
        (plan, f, g)
    }
}
