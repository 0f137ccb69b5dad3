//! Dictionary learning and sparse coding, in scikit-learn's layout: data `X` is
//! row-major `[n, d]` (one sample a row), a dictionary `D` is row-major
//! `[atoms, d]` (one unit-norm atom a row), codes `C` are row-major `[n, atoms]`,
//! and the reconstruction is `C D`.
//!
//! - [`sparse_code`] minimizes `Σ_i ½‖x_i − c_i D‖² + lam·R(c_i)` for a fixed `D`
//!   with an ℓ1 (FISTA), ℓ0 (iterative hard thresholding) or ℓq (proximal
//!   gradient) prior;
//! - [`dict_learn`] learns `D` by batch alternating minimization or online
//!   (Mairal et al.) block coordinate descent, or, for square orthogonal
//!   dictionaries, by online Frank–Wolfe ℓ3 maximization.
//!
//! This file holds the public types, the input checks they share and the seeded
//! random draws (rows, permutations) of the learners.

mod code;
mod learn;
mod orthogonal;

pub use code::sparse_code;
pub use learn::dict_learn;

use rand::RngExt;
use rand::rngs::ChaCha8Rng;

use crate::error::{Error, Result};

/// The sparsity prior `R` of the codes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prior {
    /// `R(c) = ‖c‖₁` (the Lasso).
    L1,
    /// `R(c) = ‖c‖₀`, the number of nonzeros.
    L0,
    /// `R(c) = Σ_j |c_j|^q` with `0 < q < 1`.
    Lq {
        /// The exponent, in the open interval (0, 1).
        q: f64,
    },
}

impl Prior {
    /// The matching prox-friendly penalty of `optl-linalg`.
    pub(crate) fn penalty(self) -> optl_linalg::prox::Penalty {
        use optl_linalg::prox::Penalty;
        match self {
            Prior::L1 => Penalty::L1,
            Prior::L0 => Penalty::L0,
            Prior::Lq { q } => Penalty::Lq { q },
        }
    }
}

/// Options of [`sparse_code`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CodeOptions {
    /// The prior `R`.
    pub prior: Prior,
    /// Its weight (≥ 0).
    pub lam: f64,
    /// Iteration limit of every row (> 0).
    pub max_iters: usize,
    /// A row has converged when no code entry moved by more than
    /// `tol · max(1, max_j |c_j|)` in one iteration (> 0).
    pub tol: f64,
}

impl Default for CodeOptions {
    fn default() -> Self {
        CodeOptions {
            prior: Prior::L1,
            lam: 1.0,
            max_iters: 1000,
            tol: 1e-8,
        }
    }
}

/// The result of [`sparse_code`].
#[derive(Clone, Debug, PartialEq)]
pub struct Codes {
    /// Row-major `[n, atoms]`.
    pub codes: Vec<f64>,
    pub n: usize,
    pub atoms: usize,
    /// `½‖X − C D‖² + lam·Σ_i R(c_i)`, summed over the rows.
    pub objective: f64,
    /// The largest iteration count over the rows.
    pub iters: usize,
    /// Converged when every row met the stopping test, Diverged if a NaN appeared.
    pub status: crate::Status,
}

/// How [`dict_learn`] updates the dictionary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearnMethod {
    /// Alternate coding all rows and a block coordinate sweep over the atoms.
    Batch,
    /// Mini-batches and forgetting sufficient statistics (Mairal et al. 2009).
    Online,
    /// Square orthogonal dictionary by online Frank–Wolfe ℓ3 maximization
    /// (Xue & Lau 2021); needs `atoms == d`.
    OrthogonalFw,
}

/// Options of [`dict_learn`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LearnOptions {
    pub method: LearnMethod,
    /// The ℓ1 weight of the codes (≥ 0).
    pub lam: f64,
    /// Rounds (Batch) or mini-batch steps (Online, OrthogonalFw); > 0.
    pub max_iters: usize,
    /// Rows per mini-batch (> 0; at most `n` are used).
    pub batch: usize,
    /// Seed of the initialization, the mini-batch order and atom resampling.
    pub seed: u64,
}

impl Default for LearnOptions {
    fn default() -> Self {
        LearnOptions {
            method: LearnMethod::Online,
            lam: 1.0,
            max_iters: 100,
            batch: 256,
            seed: 0,
        }
    }
}

/// The result of [`dict_learn`].
#[derive(Clone, Debug, PartialEq)]
pub struct Dictionary {
    /// Row-major `[atoms, d]`, unit-norm rows.
    pub dictionary: Vec<f64>,
    pub atoms: usize,
    pub d: usize,
    /// Row-major `[n, atoms]`: the ℓ1 codes of all rows with the final dictionary.
    pub codes: Vec<f64>,
    pub n: usize,
    /// `(½‖X − C D‖² + lam‖C‖₁) / n` with the final `D` and `C`.
    pub objective: f64,
    /// Rounds or mini-batch steps done.
    pub iters: usize,
}

/// `Err(Invalid)` with `reason`.
pub(crate) fn invalid<T>(op: &'static str, reason: impl Into<String>) -> Result<T> {
    Err(Error::Invalid {
        op,
        reason: reason.into(),
    })
}

/// Checks that `what` (of length `len`) is a `rows × cols` buffer.
pub(crate) fn check_len(
    op: &'static str,
    what: &str,
    len: usize,
    rows: usize,
    cols: usize,
) -> Result<()> {
    match rows.checked_mul(cols) {
        Some(want) if want == len => Ok(()),
        Some(want) => Err(Error::Shape {
            op,
            reason: format!("{what} has {len} entries, but [{rows}, {cols}] needs {want}"),
        }),
        None => Err(Error::Shape {
            op,
            reason: format!("{what} of shape [{rows}, {cols}] has too many entries"),
        }),
    }
}

/// Checks `lam ≥ 0` (not NaN, finite).
pub(crate) fn check_lam(op: &'static str, lam: f64) -> Result<()> {
    if lam >= 0.0 && lam.is_finite() {
        Ok(())
    } else {
        invalid(
            op,
            format!("lam = {lam}: the weight must be finite and ≥ 0"),
        )
    }
}

/// Checks `max_iters > 0`.
pub(crate) fn check_iters(op: &'static str, max_iters: usize) -> Result<()> {
    if max_iters == 0 {
        invalid(op, "max_iters = 0: at least one iteration is needed")
    } else {
        Ok(())
    }
}

/// A uniform draw on [0, 1) from the top 53 bits of one 64-bit output.
fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rand::Rng::next_u64(rng) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal draw (Box–Muller, one value per two uniforms).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - unit(rng);
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Overwrites `row` with a uniformly random unit vector.
pub(crate) fn random_unit(rng: &mut ChaCha8Rng, row: &mut [f64]) {
    loop {
        for v in row.iter_mut() {
            *v = normal(rng);
        }
        if normalize(row) {
            return;
        }
    }
}

/// Scales `row` to unit norm; false (and `row` untouched) if its norm is zero or
/// not finite.
pub(crate) fn normalize(row: &mut [f64]) -> bool {
    let norm = crate::dense::sq_norm(row).sqrt();
    if norm > 0.0 && norm.is_finite() {
        for v in row.iter_mut() {
            *v /= norm;
        }
        true
    } else {
        false
    }
}

/// Overwrites `atom` with a seeded random data row of `x` (`[n, d]`), normalized;
/// a random unit vector if that row is zero.
pub(crate) fn resample_atom(rng: &mut ChaCha8Rng, x: &[f64], n: usize, atom: &mut [f64]) {
    let d = atom.len();
    let i = rng.random_range(0..n);
    atom.copy_from_slice(&x[i * d..(i + 1) * d]);
    if !normalize(atom) {
        random_unit(rng, atom);
    }
}

/// A seeded uniformly random permutation of `0..n` (Fisher–Yates).
pub(crate) fn permutation(rng: &mut ChaCha8Rng, n: usize) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        p.swap(i, j);
    }
    p
}

/// Mini-batches of rows: consecutive slices of a seeded permutation, reshuffled at
/// the start of every epoch (the last batch of an epoch may be shorter).
pub(crate) struct Batches {
    order: Vec<usize>,
    next: usize,
    batch: usize,
}

impl Batches {
    /// Batches of `batch.min(n)` of the rows `0..n`.
    pub(crate) fn new(n: usize, batch: usize) -> Self {
        Batches {
            order: (0..n).collect(),
            next: n,
            batch: batch.min(n).max(1),
        }
    }

    /// The row indices of the next mini-batch.
    pub(crate) fn draw(&mut self, rng: &mut ChaCha8Rng) -> &[usize] {
        if self.next >= self.order.len() {
            self.order = permutation(rng, self.order.len());
            self.next = 0;
        }
        let start = self.next;
        self.next = (start + self.batch).min(self.order.len());
        &self.order[start..self.next]
    }
}

/// The rows `idx` of the row-major `[·, d]` buffer `x`, stacked.
pub(crate) fn gather(x: &[f64], d: usize, idx: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(idx.len() * d);
    for &i in idx {
        out.extend_from_slice(&x[i * d..(i + 1) * d]);
    }
    out
}
