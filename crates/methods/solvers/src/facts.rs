//! The facts a [`Structure`](crate::Structure) holds beyond counts: each var's
//! place, bounds and set, and the objective read as a smooth part plus
//! prox-friendly terms ([`Composite`]). The language derives them from the model
//! as written (the IR's structure analysis); methods only read them.

use optl_linalg::prox::{Penalty, Set};
use std::sync::Arc;

/// One var of the problem, as the methods see it.
#[derive(Clone, Debug, PartialEq)]
pub struct VarFact {
    pub name: String,
    pub shape: Vec<usize>,
    /// Where the var's entries start in the flat variable vector.
    pub start: usize,
    pub len: usize,
    /// Every entry has a finite lower and a finite upper bound.
    pub bounded: bool,
    /// Some entry has a finite bound.
    pub boxed: bool,
    /// The convex set the var is declared in (`var x in simplex`), or that its
    /// constraints say it is in (`sum(x) == 1` with `x >= 0`), if any.
    pub set: Option<Set>,
    /// The set was read off `subject to` constraints rather than declared: the
    /// methods that handle constraints still see them as constraints.
    pub set_written: bool,
}

impl VarFact {
    /// The flat positions of the var.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.len
    }
}

/// A prox-friendly term of the objective: `weight · penalty(x[indices])`.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxTerm {
    pub penalty: Penalty,
    pub weight: f64,
    /// Flat positions in the variable vector, in the order the penalty reads them.
    pub indices: Vec<usize>,
    /// The term as OptL source (`0.1 * norm(x, 1)`), for messages.
    pub text: String,
}

/// A smooth part that is a sum of least-squares terms plus a constant:
/// `Σ weight·‖A x − b‖² + constant` over the whole variable vector.
#[derive(Clone, Debug, PartialEq)]
pub struct LeastSquaresForm {
    pub n: usize,
    pub blocks: Vec<LeastSquaresBlock>,
    pub constant: f64,
}

/// `weight · ‖A x − b‖²`; `A` absent is the identity, `b` absent zero.
#[derive(Clone, Debug, PartialEq)]
pub struct LeastSquaresBlock {
    pub weight: f64,
    /// Row-major `[rows, n]`.
    pub a: Option<Arc<Vec<f64>>>,
    pub rows: usize,
    pub b: Option<Arc<Vec<f64>>>,
}

impl LeastSquaresBlock {
    /// `A x − b` for the whole variable vector `x` of `n` entries.
    pub fn residual(&self, x: &[f64], n: usize) -> Vec<f64> {
        let mut r: Vec<f64> = match &self.a {
            Some(a) => a
                .chunks_exact(n.max(1))
                .take(self.rows)
                .map(|row| row.iter().zip(x).map(|(p, q)| p * q).sum())
                .collect(),
            None => x.to_vec(),
        };
        if let Some(b) = &self.b {
            r.iter_mut().zip(b.iter()).for_each(|(v, bk)| *v -= bk);
        }
        r
    }
}

/// The objective as a smooth part (evaluated by
/// [`Nlp::smooth_objective`](crate::Nlp::smooth_objective)) plus prox-friendly
/// terms; nonsmooth terms that are not prox-friendly are listed by their source.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Composite {
    pub terms: Vec<ProxTerm>,
    /// Nonsmooth terms no prox operator handles, as OptL source.
    pub nonsmooth: Vec<String>,
    /// The smooth part when it is least squares.
    pub least_squares: Option<Arc<LeastSquaresForm>>,
    /// Per var: whether the smooth part reads it.
    pub smooth_reads: Vec<bool>,
    /// The objective when it is low-rank matrix completion.
    pub completion: Option<Arc<CompletionForm>>,
}

/// `weight · Σ_Ω (M − U Vᵀ)² + ridge_u ‖U‖² + ridge_v ‖V‖² + constant` over two
/// matrix vars `U [rows, rank]` and `V [cols, rank]`, Ω the mask's ones (every
/// entry when there is no mask).
#[derive(Clone, Debug, PartialEq)]
pub struct CompletionForm {
    pub weight: f64,
    /// Indices in `Structure::vars`.
    pub u: usize,
    pub v: usize,
    pub rows: usize,
    pub cols: usize,
    pub rank: usize,
    /// Row-major `[rows, cols]`.
    pub m: Arc<Vec<f64>>,
    pub mask: Option<Arc<Vec<f64>>>,
    pub ridge_u: f64,
    pub ridge_v: f64,
    pub constant: f64,
}

impl Composite {
    /// Whether the objective is smooth as written.
    pub fn is_smooth(&self) -> bool {
        self.terms.is_empty() && self.nonsmooth.is_empty()
    }

    /// Whether every prox-friendly term is convex (no ℓ0 or ℓq).
    pub fn is_convex(&self) -> bool {
        self.terms.iter().all(|t| t.penalty.is_convex())
    }

    /// The first nonsmooth term, prox-friendly or not, as OptL source.
    pub fn first_nonsmooth(&self) -> Option<&str> {
        self.nonsmooth
            .first()
            .map(String::as_str)
            .or(self.terms.first().map(|t| t.text.as_str()))
    }
}

/// How a var enters a linear equality: `s · x` (its rows are the var's entries) or
/// `M @ x` for a dense row-major `[rows, len]` matrix.
#[derive(Clone, Debug, PartialEq)]
pub enum Coupling {
    Scaled(f64),
    Dense(Arc<Vec<f64>>),
}

/// One `subject to` that is an affine equality: `Σ coefficient · var + offset = 0`.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearEquality {
    pub rows: usize,
    /// (index of the var in `Structure::vars`, how it enters); each var at most once.
    pub terms: Vec<(usize, Coupling)>,
    pub offset: Vec<f64>,
}
