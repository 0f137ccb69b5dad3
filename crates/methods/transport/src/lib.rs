//! OptL optimal transport: entropic optimal transport between two histograms by
//! Sinkhorn's algorithm, language-independent (plain `f64` slices and tensors).
//!
//! - [`dist`]: the cost matrix between two point clouds, as POT's `ot.dist`.
//! - [`sinkhorn`]: the entropic plan of histograms `a` (`n`) and `b` (`m`) for a
//!   row-major cost matrix `M` (`n × m`) and regularization `reg`,
//!   `P = argmin ⟨P, M⟩ + reg Σ P_ij (ln P_ij − 1)` subject to `P 1 = a`,
//!   `Pᵀ 1 = b`, with three [`Method`]s: Sinkhorn–Knopp scaling, log-domain
//!   (stable for any `reg`) and Sinkhorn–Newton–Sparse.
//! - [`sinkhorn_batch`]: one `a` against many `b`.
//! - [`sinkhorn_unbalanced`]: the marginals relaxed by KL penalties (measures of
//!   any masses), on the same kernel; [`sinkhorn_unbalanced_batch`].
//!
//! The result ([`Transport`]) carries the plan, its cost `⟨P, M⟩` (POT's
//! `sinkhorn2`), the entropic objective and the dual potentials `(f, g)`, which
//! are its gradients: `∂objective/∂M = P`, `∂/∂a = f`, `∂/∂b = g` (for changes
//! of `a` and `b` that keep `sum(a) = sum(b)`; see [`Transport::f`] for the
//! normalisation of the potentials).
//!
//! Every failure on user input is an [`Error`]; nothing panics or prints. The
//! dense passes run on the rayon pool over fixed blocks of rows whose partial
//! sums are added in a fixed order, so the same inputs give the same bits with
//! any number of threads.

mod dist;
mod error;
mod input;
mod kernel;
mod newton;
mod solve;
mod sparse;
mod unbalanced;

pub use dist::{Metric, dist};
pub use error::{Error, Result};
pub use solve::{sinkhorn, sinkhorn_batch};
pub use unbalanced::{
    Unbalanced, UnbalancedOptions, sinkhorn_unbalanced, sinkhorn_unbalanced_batch,
};

/// The algorithm of [`sinkhorn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Sinkhorn–Knopp: `u = a / (K v)`, `v = b / (Kᵀ u)` with `K = exp(−M / reg)`
    /// formed once. If a scaling under- or overflows (small `reg`), the solve
    /// continues in the log domain from the last valid iterate
    /// ([`Transport::switched_to_log`]).
    #[default]
    Scaling,
    /// Log-domain Sinkhorn: the potentials are updated by
    /// `f_i = reg ln a_i − reg LSE_j((g_j − M_ij) / reg)` and its transpose,
    /// stable for any `reg`. The log-sum-exps are stabilized by absorbing the
    /// potentials into the stored kernel (Schmitzer's absorption): an exact
    /// log-sum-exp with a maximum whenever a relative scaling leaves
    /// `[1e-100, 1e100]`, one multiply-add per entry otherwise.
    Log,
    /// Sinkhorn–Newton–Sparse (Tang et al. 2024): Sinkhorn iterations (at least
    /// 5) until the marginal error is below `3e-2 · sum(a)`; then, unless the
    /// observed Sinkhorn rate predicts at most 80 more iterations (then Sinkhorn
    /// simply continues), Newton steps on the concave dual in `(f, g)` with the
    /// Hessian of the plan sparsified to the entries above `1e-3` of their row's
    /// maximum (at least 4, at most half a row), solved by conjugate gradients
    /// on the Schur complement with one degree of freedom fixed, with a
    /// backtracking line search; ten Sinkhorn iterations when a Newton step
    /// does not improve. See the `newton` module source for the details.
    NewtonSparse,
}

/// The norm of the marginal error compared with [`Options::tol`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Norm {
    /// `‖P 1 − a‖₁ + ‖Pᵀ 1 − b‖₁ <= tol` (the reported [`Transport::err`]).
    #[default]
    L1,
    /// `‖P 1 − a‖₂ + ‖Pᵀ 1 − b‖₂ < tol`: POT's stopping rule (`ot.sinkhorn`
    /// tests `‖Pᵀ 1 − b‖₂ < stopThr` after the row update, when `P 1 = a` up to
    /// rounding).
    L2,
}

/// Options of [`sinkhorn`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// The algorithm.
    pub method: Method,
    /// Stop when the marginal error (in [`Options::norm`]) reaches `tol`
    /// (default `1e-9`; non-negative).
    pub tol: f64,
    /// Iteration limit (default 10 000): Sinkhorn iterations (a row and a column
    /// update) plus Newton steps.
    pub max_iters: usize,
    /// The marginal error is tested every `check_every` Sinkhorn iterations
    /// (default 10, as POT; at least 1), at iterations `0, k, 2k, ...` (the
    /// test is free: the marginals come out of the fused pass). The Newton
    /// method tests it after every warm-up iteration and every Newton step.
    pub check_every: usize,
    /// The norm of the stopping test (default [`Norm::L1`]).
    pub norm: Norm,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            method: Method::Scaling,
            tol: 1e-9,
            max_iters: 10_000,
            check_every: 10,
            norm: Norm::L1,
        }
    }
}

impl Options {
    /// The default options with another method.
    pub fn with_method(method: Method) -> Options {
        Options {
            method,
            ..Options::default()
        }
    }
}

/// Why [`sinkhorn`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The marginal error reached the tolerance.
    Converged,
    /// The iteration limit was reached first; the plan is the last iterate.
    MaxIters,
    /// The iteration could not continue (a non-finite value that no restart in
    /// the log domain removed); the plan is the last finite iterate, if any.
    Diverged,
}

/// The entropic transport plan between two histograms and its duals.
#[derive(Debug, Clone, PartialEq)]
pub struct Transport {
    /// The plan, `n × m` row-major: `P_ij = exp((f_i + g_j − M_ij) / reg)`.
    pub plan: Vec<f64>,
    /// `⟨P, M⟩`, the transport cost of the plan (POT's `sinkhorn2` value).
    pub cost: f64,
    /// `⟨P, M⟩ + reg Σ P_ij (ln P_ij − 1)` at the returned plan (`0 ln 0 = 0`):
    /// the entropic objective, whose derivatives are `∂/∂M_ij = P_ij`,
    /// `∂/∂a = f` and `∂/∂b = g`.
    pub objective: f64,
    /// Row potentials. The potentials are defined up to `(f + c, g − c)`; this
    /// gauge is fixed by `Σ_i a_i f_i = Σ_j b_j g_j`. Any gauge gives the same
    /// derivative along changes `(δa, δb)` with `sum(δa) = sum(δb)` (the only
    /// ones that keep the problem feasible), so `f` and `g` are the gradients of
    /// `objective` there. Rows with `a_i = 0` have `f_i = −∞` (the one-sided
    /// derivative) and a zero row in the plan.
    pub f: Vec<f64>,
    /// Column potentials (same gauge; `g_j = −∞` where `b_j = 0`).
    pub g: Vec<f64>,
    /// Iterations done: Sinkhorn iterations plus Newton steps.
    pub iters: usize,
    /// Newton steps among them (0 unless [`Method::NewtonSparse`]).
    pub newton_steps: usize,
    /// Marginal violation of the returned plan, `‖P 1 − a‖₁ + ‖Pᵀ 1 − b‖₁`
    /// (against `b` rescaled to `sum(a)`, see [`sinkhorn`]).
    pub err: f64,
    /// Why the iteration stopped.
    pub status: Status,
    /// The method that produced the plan: [`Method::Log`] for a scaling solve that
    /// switched to the log domain.
    pub method: Method,
    /// Whether a scaling solve (or the Sinkhorn phase of a Newton solve) had to
    /// continue in the log domain because a scaling under- or overflowed.
    pub switched_to_log: bool,
}
