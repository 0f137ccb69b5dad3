//! Sparse coding against a fixed dictionary: every row `x_i` gets
//! `c_i = argmin ½‖x_i − c D‖² + lam·R(c)`.
//!
//! The rows share the Gram matrix `G = D Dᵀ` and get their correlations
//! `B = X Dᵀ` from one GEMM each; the gradient of row `i` is then `c_i G − b_i`
//! and the step is `1/L` with `L = λ_max(G)`. The ℓ1 prior runs FISTA with the
//! gradient restart of O'Donoghue & Candès (momentum reset whenever
//! `⟨y − c⁺, c⁺ − c⟩ > 0`), ℓ0 and ℓq run plain proximal gradient (iterative hard
//! thresholding for ℓ0; monotone for both), each prox being
//! [`Penalty::prox`] with `t = lam/L`.
//!
//! A row stops when no entry moved by more than `tol · max(1, max_j |c_j|)`; it is
//! then frozen, so its result depends on its own data only. Rows are solved in
//! fixed blocks of [`ROWS_PER_TASK`] (the active rows of a block stacked into one
//! small `[rows, atoms] · G` product per iteration), the blocks in parallel on the
//! rayon pool; the results do not depend on the thread count.

use faer::MatRef;
use optl_linalg::prox::Penalty;
use rayon::prelude::*;

use super::{CodeOptions, Codes, Prior, check_iters, check_lam, check_len, invalid};
use crate::Status;
use crate::dense::{largest_eigenvalue, mul, row_major, view};
use crate::error::{Result, finite};

/// Rows per rayon task (fixed, so results do not depend on the thread count).
const ROWS_PER_TASK: usize = 64;

/// Codes every row of `x` (`[n, d]`) against the dictionary `dict`
/// (`[atoms, d]`), minimizing `Σ_i ½‖x_i − c_i D‖² + lam·R(c_i)`; see the module
/// doc for the methods and the stopping rule.
///
/// Errors: `n`, `d` or `atoms` zero, `lam < 0` or not finite, `q ∉ (0, 1)`,
/// `max_iters = 0`, `tol ≤ 0` or NaN (Invalid); buffer lengths that do not fit
/// (Shape); a NaN or infinite entry in `x` or `dict` (NonFinite).
pub fn sparse_code(
    x: &[f64],
    n: usize,
    d: usize,
    dict: &[f64],
    atoms: usize,
    o: &CodeOptions,
) -> Result<Codes> {
    const OP: &str = "sparse_code";
    if n == 0 || d == 0 || atoms == 0 {
        return invalid(
            OP,
            format!("n = {n}, d = {d}, atoms = {atoms}: every size must be at least 1"),
        );
    }
    check_len(OP, "x", x.len(), n, d)?;
    check_len(OP, "the dictionary", dict.len(), atoms, d)?;
    check_lam(OP, o.lam)?;
    if let Prior::Lq { q } = o.prior
        && !(q > 0.0 && q < 1.0)
    {
        return invalid(OP, format!("q = {q}: the ℓq exponent must lie in (0, 1)"));
    }
    check_iters(OP, o.max_iters)?;
    if !(o.tol > 0.0) {
        return invalid(OP, format!("tol = {}: the tolerance must be > 0", o.tol));
    }
    finite(OP, "x", x)?;
    finite(OP, "the dictionary", dict)?;
    let problem = Problem {
        x,
        n,
        d,
        dict,
        atoms,
    };
    let inner = Inner {
        penalty: o.prior.penalty(),
        lam: o.lam,
        max_iters: o.max_iters,
        tol: o.tol,
    };
    let mut codes = vec![0.0; n * atoms];
    let (iters, status) = problem.solve(&mut codes, &inner);
    let objective = problem.objective(&codes, inner.penalty, o.lam);
    Ok(Codes {
        codes,
        n,
        atoms,
        objective,
        iters,
        status,
    })
}

/// Data `x` (`[n, d]`) and a dictionary (`[atoms, d]`), both row-major and checked.
pub(crate) struct Problem<'a> {
    pub(crate) x: &'a [f64],
    pub(crate) n: usize,
    pub(crate) d: usize,
    pub(crate) dict: &'a [f64],
    pub(crate) atoms: usize,
}

/// The prior and stopping rule of one coding run.
pub(crate) struct Inner {
    pub(crate) penalty: Penalty,
    pub(crate) lam: f64,
    pub(crate) max_iters: usize,
    pub(crate) tol: f64,
}

impl Problem<'_> {
    /// Codes all rows, starting from (and overwriting) `codes` (`[n, atoms]`);
    /// returns the largest iteration count over the rows and the status.
    pub(crate) fn solve(&self, codes: &mut [f64], inner: &Inner) -> (usize, Status) {
        let (x, dict) = (
            view(self.x, self.n, self.d),
            view(self.dict, self.atoms, self.d),
        );
        let gram = mul(dict, dict.transpose());
        let b = row_major(mul(x, dict.transpose()).as_ref());
        let lip = largest_eigenvalue(gram.as_ref());
        if lip.is_nan() {
            return (0, Status::Diverged);
        }
        if lip <= 0.0 {
            // D = 0: the fit does not depend on the codes, and 0 minimizes R.
            codes.fill(0.0);
            return (0, Status::Converged);
        }
        let chunk = ROWS_PER_TASK * self.atoms;
        let blocks: Vec<Block> = codes
            .par_chunks_mut(chunk)
            .zip(b.par_chunks(chunk))
            .map(|(c, b)| solve_block(gram.as_ref(), lip, b, c, self.atoms, inner))
            .collect();
        let iters = blocks.iter().map(|r| r.iters).max().unwrap_or(0);
        let status = if blocks.iter().any(|r| r.diverged) {
            Status::Diverged
        } else if blocks.iter().all(|r| r.converged) {
            Status::Converged
        } else {
            Status::MaxIters
        };
        (iters, status)
    }

    /// `½‖X − C D‖² + lam·R(C)`, the fit computed from the residual itself.
    pub(crate) fn objective(&self, codes: &[f64], penalty: Penalty, lam: f64) -> f64 {
        let rec = mul(
            view(codes, self.n, self.atoms),
            view(self.dict, self.atoms, self.d),
        );
        let mut fit = 0.0;
        for i in 0..self.n {
            for j in 0..self.d {
                let r = self.x[i * self.d + j] - rec[(i, j)];
                fit += r * r;
            }
        }
        0.5 * fit + lam * penalty.value(codes)
    }
}

/// How one block of rows ended.
struct Block {
    iters: usize,
    converged: bool,
    diverged: bool,
}

/// Proximal gradient (with restarted FISTA momentum for ℓ1) on the rows of one
/// block: `b` and `c` are its `[rows, atoms]` correlations and codes.
fn solve_block(
    g: MatRef<'_, f64>,
    lip: f64,
    b: &[f64],
    c: &mut [f64],
    atoms: usize,
    inner: &Inner,
) -> Block {
    let rows = c.len() / atoms;
    let momentum = matches!(inner.penalty, Penalty::L1);
    let step = 1.0 / lip;
    let t = inner.lam * step;
    let mut y = c.to_vec();
    let mut tk = vec![1.0_f64; rows];
    let mut active: Vec<usize> = (0..rows).collect();
    let mut stacked = Vec::with_capacity(c.len());
    let (mut v, mut z) = (vec![0.0; atoms], vec![0.0; atoms]);
    let (mut iters, mut diverged) = (0, false);
    while !active.is_empty() && iters < inner.max_iters {
        iters += 1;
        stacked.clear();
        for &r in &active {
            stacked.extend_from_slice(&y[r * atoms..(r + 1) * atoms]);
        }
        let yg = mul(view(&stacked, active.len(), atoms), g);
        let mut keep = 0;
        for a in 0..active.len() {
            let r = active[a];
            let rows = r * atoms..(r + 1) * atoms;
            let (yr, br, xr) = (&mut y[rows.clone()], &b[rows.clone()], &mut c[rows]);
            for j in 0..atoms {
                v[j] = yr[j] - step * (yg[(a, j)] - br[j]);
            }
            inner.penalty.prox(&v, t, &mut z);
            if z.iter().any(|zj| !zj.is_finite()) {
                diverged = true;
                xr.copy_from_slice(&z);
                continue;
            }
            let (mut delta, mut scale, mut dot) = (0.0_f64, 1.0_f64, 0.0);
            for j in 0..atoms {
                delta = delta.max((z[j] - xr[j]).abs());
                scale = scale.max(z[j].abs());
                dot += (yr[j] - z[j]) * (z[j] - xr[j]);
            }
            if momentum && dot <= 0.0 {
                let next = 0.5 * (1.0 + (1.0 + 4.0 * tk[r] * tk[r]).sqrt());
                let beta = (tk[r] - 1.0) / next;
                tk[r] = next;
                for j in 0..atoms {
                    yr[j] = z[j] + beta * (z[j] - xr[j]);
                }
            } else {
                tk[r] = 1.0;
                yr.copy_from_slice(&z);
            }
            xr.copy_from_slice(&z);
            if delta > inner.tol * scale {
                active[keep] = r;
                keep += 1;
            }
        }
        active.truncate(keep);
    }
    Block {
        iters,
        converged: active.is_empty() && !diverged,
        diverged,
    }
}
