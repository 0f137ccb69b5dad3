//! Low-rank matrix completion: `U [m, rank]`, `V [n, rank]` with `U Vᵀ ≈ M` on the
//! observed entries Ω, by alternating minimization ([`altmin`]) or Frank–Wolfe on
//! the nuclear-norm ball ([`fw`]). Both work on the observed entries only
//! ([`Observed`]): memory and time are linear in |Ω| and in `m + n`.

mod altmin;
mod fw;
mod observed;
mod subspace;

pub use observed::Observed;

use crate::Status;
use crate::dense::{mul, orthonormalize};
use crate::error::{Error, Result};
use faer::Mat;
use optl_tensor::Tensor;

/// How [`complete`] fits the factors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionMethod {
    AltMin,
    NuclearFw,
}

impl CompletionMethod {
    /// `"altmin"`, `"nuclear_fw"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CompletionMethod::AltMin => "altmin",
            CompletionMethod::NuclearFw => "nuclear_fw",
        }
    }
}

/// The settings of [`complete`].
#[derive(Clone, Copy, Debug)]
pub struct CompletionOptions {
    pub method: CompletionMethod,
    pub rank: usize,
    pub max_iters: usize,
    /// AltMin: stop when the observed relative error is at most `tol` or changed
    /// by at most `tol` relative to itself; Frank–Wolfe: when the gap is at most
    /// `tol · ½‖P_Ω(M)‖²`.
    pub tol: f64,
    pub seed: u64,
    /// AltMin: the ridge `λ` of `Σ_Ω (M − U Vᵀ)² + λ(‖U‖² + ‖V‖²)` (0: none).
    pub ridge: f64,
    /// Frank–Wolfe: the nuclear-norm radius (`None`: the sum of the top-`rank`
    /// singular values of `P_Ω(M)/p`).
    pub radius: Option<f64>,
}

impl Default for CompletionOptions {
    fn default() -> Self {
        CompletionOptions {
            method: CompletionMethod::AltMin,
            rank: 1,
            max_iters: 200,
            tol: 1e-9,
            seed: 0,
            ridge: 0.0,
            radius: None,
        }
    }
}

/// The result of [`complete`]: `X̂ = u vᵀ`, the factors balanced (`uᵀu = vᵀv`
/// diagonal, equal to the singular values of `X̂`).
#[derive(Clone, Debug, PartialEq)]
pub struct Completion {
    pub u: Tensor,
    pub v: Tensor,
    /// `‖P_Ω(u vᵀ − M)‖ / ‖P_Ω(M)‖`.
    pub rel_error_observed: f64,
    pub iters: usize,
    pub status: Status,
    pub method: CompletionMethod,
}

impl Completion {
    fn new(
        u: Mat<f64>,
        v: Mat<f64>,
        rel: f64,
        iters: usize,
        mut status: Status,
        method: CompletionMethod,
    ) -> Completion {
        if !rel.is_finite() {
            status = Status::Diverged;
        }
        Completion {
            u: crate::tucker::matrix(&u),
            v: crate::tucker::matrix(&v),
            rel_error_observed: rel,
            iters,
            status,
            method,
        }
    }
}

/// `‖P_Ω(U Vᵀ − M)‖ / ‖P_Ω(M)‖` for row-major factors of `k` columns.
fn relative_observed(obs: &Observed, u: &[f64], v: &[f64], k: usize) -> f64 {
    let pred = obs.low_rank_values(u, v, k);
    let err: f64 = pred
        .iter()
        .zip(&obs.values)
        .map(|(a, b)| (a - b) * (a - b))
        .sum();
    crate::tucker::relative(crate::dense::sq_norm(&obs.values).sqrt(), err.sqrt())
}

/// The best rank-`keep` factors `(U', V')` of `U Vᵀ` (row-major `U [m, k]`,
/// `V [n, k]`), balanced: `U' = Q_U W √Σ`, `V' = Q_V Z √Σ` from the SVD
/// `R_U R_Vᵀ = W Σ Zᵀ`; zero columns pad them to `keep` when `k < keep`.
fn balanced(
    u: &[f64],
    v: &[f64],
    m: usize,
    n: usize,
    k: usize,
    keep: usize,
) -> (Mat<f64>, Mat<f64>) {
    let um = crate::dense::view(u, m, k).to_owned();
    let vm = crate::dense::view(v, n, k).to_owned();
    let (qu, qv) = (orthonormalize(um.as_ref()), orthonormalize(vm.as_ref()));
    let ru = crate::dense::mul_tn(qu.as_ref(), um.as_ref());
    let rv = crate::dense::mul_tn(qv.as_ref(), vm.as_ref());
    let middle = mul(ru.as_ref(), rv.transpose());
    let Ok(svd) = middle.thin_svd() else {
        let nan = |rows| Mat::from_fn(rows, keep, |_, _| f64::NAN);
        return (nan(m), nan(n));
    };
    let s = svd.S().column_vector();
    let a = mul(qu.as_ref(), svd.U());
    let b = mul(qv.as_ref(), svd.V());
    let r = s.nrows().min(keep);
    let mut uo = Mat::<f64>::zeros(m, keep);
    let mut vo = Mat::<f64>::zeros(n, keep);
    for c in 0..r {
        let w = s[c].sqrt();
        // Sign: the largest-magnitude entry of each left column positive.
        let big = a
            .col(c)
            .iter()
            .fold(0.0f64, |p, &x| if x.abs() > p.abs() { x } else { p });
        let sign = if big < 0.0 { -1.0 } else { 1.0 };
        for i in 0..m {
            uo[(i, c)] = sign * w * a[(i, c)];
        }
        for j in 0..n {
            vo[(j, c)] = sign * w * b[(j, c)];
        }
    }
    (uo, vo)
}

/// Completes the matrix observed on `obs` with factors of rank `o.rank`.
pub fn complete(obs: &Observed, o: &CompletionOptions) -> Result<Completion> {
    let max = obs.rows.min(obs.cols);
    if o.rank == 0 || o.rank > max {
        return Err(Error::Rank {
            op: "complete",
            rank: o.rank,
            max,
            what: format!("a {} × {} matrix", obs.rows, obs.cols),
        });
    }
    if o.max_iters == 0
        || !(o.tol > 0.0)
        || !(o.ridge >= 0.0)
        || o.radius.is_some_and(|r| !(r > 0.0 && r.is_finite()))
    {
        return Err(Error::Invalid {
            op: "complete",
            reason: format!(
                "max_iters must be at least 1, tol positive, the ridge non-negative and the radius positive (got {}, {}, {}, {:?})",
                o.max_iters, o.tol, o.ridge, o.radius
            ),
        });
    }
    obs.check_coverage()?;
    match o.method {
        CompletionMethod::AltMin => altmin::altmin(obs, o),
        CompletionMethod::NuclearFw => fw::nuclear_fw(obs, o),
    }
}
