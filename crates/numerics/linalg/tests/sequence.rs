//! The sequence goals on 50 slowly drifting variable-coefficient Poisson systems:
//! bandit-tuned SOR against every fixed ω of its grid, GCRO-DR against GMRES.

mod common;

use common::{drifting_sequence, rel_residual};
use optl_linalg::sequence::{Gcrodr, SorBandit, SorBanditSolver};
use optl_linalg::{Csr, Method, Status, solve_sequence, sor};

const SYSTEMS: usize = 50;
const TOL: f64 = 1e-8;

/// Total SOR sweeps of a fixed ω over the sequence, stopping once above `stop`.
fn fixed_total(systems: &[(Csr, Vec<f64>)], omega: f64, stop: usize) -> usize {
    let mut total = 0;
    for (a, b) in systems {
        let r = sor(a, b, omega, TOL, 100_000).unwrap();
        assert_eq!(r.status, Status::Converged);
        total += r.iters;
        if total > stop {
            break;
        }
    }
    total
}

#[test]
fn sor_bandit_is_within_ten_percent_of_the_best_fixed_omega_in_hindsight() {
    let systems = drifting_sequence(32, SYSTEMS);
    let config = SorBandit {
        tol: TOL,
        ..SorBandit::default()
    };
    let bandit = solve_sequence(&systems, &Method::SorBandit(config.clone())).unwrap();
    for ((a, b), r) in systems.iter().zip(&bandit.results) {
        assert_eq!(r.status, Status::Converged);
        assert!(rel_residual(a, &r.x, b) <= TOL * 1.01);
    }
    // Best fixed ω in hindsight over the whole grid; a fixed ω is abandoned as
    // soon as its running total exceeds the best so far (it cannot win).
    let mut best = usize::MAX;
    for &omega in config.omegas.iter().rev() {
        best = best.min(fixed_total(&systems, omega, best));
    }
    assert!(
        bandit.total_iters as f64 <= 1.1 * best as f64,
        "bandit {} sweeps > 1.1 x best fixed {}",
        bandit.total_iters,
        best
    );
    // Gauss–Seidel (ω = 1) needs at least 1 / 0.7 times the bandit's sweeps.
    let needed = (bandit.total_iters as f64 / 0.7).ceil() as usize;
    assert!(fixed_total(&systems, 1.0, needed) >= needed);
}

#[test]
fn sor_bandit_is_deterministic_given_its_seed() {
    let systems = drifting_sequence(12, 10);
    let run = |seed| {
        let config = SorBandit {
            tol: 1e-6,
            seed,
            ..SorBandit::default()
        };
        solve_sequence(&systems, &Method::SorBandit(config)).unwrap()
    };
    let (a, b) = (run(7), run(7));
    assert_eq!(a, b);
    assert!(a.omegas.iter().all(|w| w.is_some()));
}

#[test]
fn sor_bandit_rejects_bad_grids() {
    for omegas in [vec![], vec![1.5, 1.2], vec![0.5, 2.0], vec![f64::NAN]] {
        let config = SorBandit {
            omegas,
            ..SorBandit::default()
        };
        assert!(SorBanditSolver::new(config).is_err());
    }
}

#[test]
fn gcrodr_saves_thirty_percent_of_the_matvecs_of_restarted_gmres() {
    let systems = drifting_sequence(24, SYSTEMS);
    let config = Gcrodr {
        tol: TOL,
        ..Gcrodr::default()
    };
    let recycled = solve_sequence(&systems, &Method::Gcrodr(config.clone())).unwrap();
    let plain = solve_sequence(
        &systems,
        &Method::Gmres {
            restart: config.m,
            tol: TOL,
            max_iters: config.max_iters,
        },
    )
    .unwrap();
    for ((a, b), r) in systems.iter().zip(&recycled.results) {
        assert_eq!(r.status, Status::Converged);
        assert!(r.residual <= TOL);
        assert!(rel_residual(a, &r.x, b) <= TOL * 1.01);
    }
    assert!(plain.results.iter().all(|r| r.status == Status::Converged));
    assert!(
        (recycled.total_matvecs as f64) <= 0.7 * plain.total_matvecs as f64,
        "gcrodr {} matvecs vs gmres {}",
        recycled.total_matvecs,
        plain.total_matvecs
    );
}

#[test]
fn sequence_runs_single_system_methods() {
    let systems = drifting_sequence(10, 4);
    let cg = solve_sequence(
        &systems,
        &Method::Cg {
            tol: 1e-10,
            max_iters: 1000,
            precond: optl_linalg::Precond::Ic0,
        },
    )
    .unwrap();
    assert_eq!(cg.results.len(), 4);
    assert_eq!(
        cg.total_iters,
        cg.results.iter().map(|r| r.iters).sum::<usize>()
    );
    for ((a, b), r) in systems.iter().zip(&cg.results) {
        assert!(rel_residual(a, &r.x, b) <= 1e-10);
    }
    let err = solve_sequence(
        &systems,
        &Method::Sor {
            omega: 2.5,
            tol: 1e-8,
            max_iters: 10,
        },
    );
    assert!(matches!(
        err,
        Err(optl_linalg::Error::InvalidArgument { .. })
    ));
}
