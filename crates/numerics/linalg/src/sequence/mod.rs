//! Solving a sequence of related linear systems `A_t x_t = b_t`, with methods
//! that learn across the sequence: SOR whose ω is tuned online by a bandit
//! ([`SorBandit`]) and GCRO-DR, which recycles a Krylov subspace ([`Gcrodr`]);
//! any single-system method can be run over the sequence for comparison.

mod bandit;
mod gcrodr;

pub use bandit::{BanditSolve, SorBandit, SorBanditSolver};
pub use gcrodr::{Gcrodr, GcrodrSolver};

use crate::error::Result;
use crate::iterative::{IterResult, Operator, Precond, cg, gmres, sor};

/// How to solve every system of a sequence.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// Conjugate gradients on each system.
    Cg {
        /// Relative residual tolerance.
        tol: f64,
        /// Iteration limit per system.
        max_iters: usize,
        /// Preconditioner.
        precond: Precond,
    },
    /// Restarted GMRES on each system.
    Gmres {
        /// Restart length.
        restart: usize,
        /// Relative residual tolerance.
        tol: f64,
        /// Arnoldi-step limit per system.
        max_iters: usize,
    },
    /// SOR with one fixed ω.
    Sor {
        /// Relaxation in (0, 2).
        omega: f64,
        /// Relative residual tolerance.
        tol: f64,
        /// Sweep limit per system.
        max_iters: usize,
    },
    /// SOR with ω chosen per system by an online bandit.
    SorBandit(SorBandit),
    /// GCRO-DR, recycling harmonic Ritz vectors from system to system.
    Gcrodr(Gcrodr),
}

/// Per-system results and totals of a sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceResult {
    /// One result per system, in order.
    pub results: Vec<IterResult>,
    /// The ω used for each system by the SOR methods (`None` for the others).
    pub omegas: Vec<Option<f64>>,
    /// Sum of the iterations.
    pub total_iters: usize,
    /// Sum of the operator applications.
    pub total_matvecs: usize,
}

/// Solves `systems[t].0 x = systems[t].1` for every `t` in order with `method`;
/// the first error (bad shapes, arguments) stops the sequence.
pub fn solve_sequence<A: Operator>(
    systems: &[(A, Vec<f64>)],
    method: &Method,
) -> Result<SequenceResult> {
    let mut results = Vec::with_capacity(systems.len());
    let mut omegas = Vec::with_capacity(systems.len());
    match method {
        Method::Cg {
            tol,
            max_iters,
            precond,
        } => {
            for (a, b) in systems {
                results.push(cg(a, b, *tol, *max_iters, *precond)?);
                omegas.push(None);
            }
        }
        Method::Gmres {
            restart,
            tol,
            max_iters,
        } => {
            for (a, b) in systems {
                results.push(gmres(a, b, *restart, *tol, *max_iters)?);
                omegas.push(None);
            }
        }
        Method::Sor {
            omega,
            tol,
            max_iters,
        } => {
            for (a, b) in systems {
                results.push(sor(a, b, *omega, *tol, *max_iters)?);
                omegas.push(Some(*omega));
            }
        }
        Method::SorBandit(config) => {
            let mut solver = SorBanditSolver::new(config.clone())?;
            for (a, b) in systems {
                let s = solver.solve(a, b)?;
                results.push(s.result);
                omegas.push(Some(s.omega));
            }
        }
        Method::Gcrodr(config) => {
            let mut solver = GcrodrSolver::new(config.clone())?;
            for (a, b) in systems {
                results.push(solver.solve(a, b)?);
                omegas.push(None);
            }
        }
    }
    Ok(SequenceResult {
        total_iters: results.iter().map(|r| r.iters).sum(),
        total_matvecs: results.iter().map(|r| r.matvecs).sum(),
        results,
        omegas,
    })
}
