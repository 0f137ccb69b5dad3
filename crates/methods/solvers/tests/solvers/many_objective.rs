//! NSGA-III, MOEA/D and HypE on the ZDT and DTLZ problems with known fronts
//! (`moo_suite.rs`): points on the analytic fronts, IGD against them,
//! determinism per seed, bad input; the indicators on fixed point sets against
//! pymoo.

use crate::moo_suite::{Dtlz, DtlzProblem, Zdt, ZdtProblem};
use optl_solvers::{
    Decomposition, FrontResult, Hype, Moead, MultiObjective, Nsga3, Options, Status,
    auto_hypervolume, gd, hypervolume, igd, igd_plus,
};

fn nsga3(
    mo: &mut dyn MultiObjective,
    b: &optl_solvers::Bounds,
    pop: usize,
    gens: usize,
    seed: u64,
) -> FrontResult {
    let s = Nsga3 {
        pop,
        generations: gens,
        seed: Some(seed),
        ..Nsga3::default()
    };
    s.solve(mo, b, &Options::default())
}

fn dtlz(which: Dtlz, m: usize, n: usize) -> DtlzProblem {
    DtlzProblem { which, m, n }
}

#[test]
fn nsga3_dtlz2_points_lie_on_the_unit_sphere() {
    let mut p = dtlz(Dtlz::Two, 3, 12);
    let b = p.bounds();
    let r = nsga3(&mut p, &b, 92, 150, 1);
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!(r.front_f.len() >= 80, "{} points", r.front_f.len());
    for f in &r.front_f {
        let radius = f.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((radius - 1.0).abs() < 0.02, "|f| = {radius}");
    }
    let front = p.front(12);
    let d = igd(&r.front_f, &front);
    assert!(d < 0.01, "IGD = {d}");
    assert!(r.hypervolume_exact);
}

#[test]
fn nsga3_dtlz1_reaches_the_simplex() {
    let mut p = dtlz(Dtlz::One, 3, 7);
    let b = p.bounds();
    let r = nsga3(&mut p, &b, 92, 300, 2);
    let d = igd(&r.front_f, &p.front(12));
    assert!(d < 0.02, "IGD = {d}");
}

#[test]
fn nsga3_dtlz3_dtlz4_and_dtlz7_approach_their_fronts() {
    for (which, n, gens, tol) in [
        (Dtlz::Four, 12, 200, 0.05),
        (Dtlz::Seven, 22, 200, 0.1),
        (Dtlz::Three, 12, 1000, 0.05),
    ] {
        let mut p = dtlz(which, 3, n);
        let b = p.bounds();
        let r = nsga3(&mut p, &b, 92, gens, 3);
        let d = igd(&r.front_f, &p.front(12));
        assert!(d < tol, "{which:?}: IGD = {d}");
    }
}

#[test]
fn nsga3_on_zdt_fronts() {
    for (which, n, tol) in [
        (Zdt::One, 30, 0.02),
        (Zdt::Two, 30, 0.02),
        (Zdt::Three, 30, 0.05),
        (Zdt::Four, 10, 0.5),
        (Zdt::Six, 10, 0.05),
    ] {
        let mut p = ZdtProblem { which, n };
        let b = p.bounds();
        let r = nsga3(&mut p, &b, 100, 200, 4);
        let d = igd(&r.front_f, &p.front(200));
        assert!(d < tol, "{which:?}: IGD = {d}");
    }
}

#[test]
fn moead_both_decompositions_on_dtlz2() {
    for (decomposition, tol) in [
        (Decomposition::Tchebycheff, 0.09),
        (Decomposition::Pbi, 0.02),
    ] {
        let mut p = dtlz(Dtlz::Two, 3, 12);
        let s = Moead {
            generations: 150,
            decomposition,
            seed: Some(5),
            ..Moead::default()
        };
        let b = p.bounds();
        let r = s.solve(&mut p, &b, &Options::default());
        assert_eq!(r.status, Status::Converged, "{}", r.message);
        let d = igd(&r.front_f, &p.front(12));
        assert!(d < tol, "{decomposition:?}: IGD = {d}");
    }
}

#[test]
fn hype_on_zdt1_and_dtlz2() {
    let mut z = ZdtProblem {
        which: Zdt::One,
        n: 30,
    };
    let s = Hype {
        pop: 60,
        generations: 250,
        samples: 2000,
        seed: Some(6),
        ..Hype::default()
    };
    let b = z.bounds();
    let r = s.solve(&mut z, &b, &Options::default());
    let d = igd(&r.front_f, &z.front(200));
    // Measured 0.122 (NSGA-II reaches 0.009 on the same budget): HypE's
    // convergence here is a known gap, see the closing note.
    assert!(d < 0.2, "ZDT1 IGD = {d}");
    let mut p = dtlz(Dtlz::Two, 3, 12);
    let b = p.bounds();
    let r = s.solve(&mut p, &b, &Options::default());
    let d = igd(&r.front_f, &p.front(12));
    assert!(d < 0.1, "DTLZ2 IGD = {d}");
}

#[test]
fn eight_objectives_report_a_monte_carlo_hypervolume() {
    let mut p = dtlz(Dtlz::Two, 8, 17);
    let b = p.bounds();
    let r = nsga3(&mut p, &b, 156, 30, 7);
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert!(!r.hypervolume_exact);
    assert!(r.hypervolume > 0.0);
}

#[test]
fn deterministic_for_a_seed() {
    let mut p = dtlz(Dtlz::Two, 3, 12);
    let b = p.bounds();
    let a1 = nsga3(&mut p, &b, 40, 20, 9);
    let a2 = nsga3(&mut p, &b, 40, 20, 9);
    let a3 = nsga3(&mut p, &b, 40, 20, 10);
    assert_eq!(a1.front_x, a2.front_x);
    assert_ne!(a1.front_x, a3.front_x);
    let m = |seed| {
        Moead {
            pop: 40,
            generations: 20,
            seed: Some(seed),
            ..Moead::default()
        }
        .solve(&mut dtlz(Dtlz::Two, 3, 12), &b, &Options::default())
        .front_x
    };
    assert_eq!(m(1), m(1));
    assert_ne!(m(1), m(2));
    let h = |seed| {
        Hype {
            pop: 20,
            generations: 10,
            samples: 500,
            seed: Some(seed),
            ..Hype::default()
        }
        .solve(&mut dtlz(Dtlz::Two, 3, 12), &b, &Options::default())
        .front_x
    };
    assert_eq!(h(1), h(1));
    assert_ne!(h(1), h(2));
}

#[test]
fn bad_input_is_an_error_with_the_reason() {
    let mut p = dtlz(Dtlz::Two, 3, 12);
    let unbounded = optl_solvers::Bounds::unbounded(12);
    let r = nsga3(&mut p, &unbounded, 92, 5, 0);
    assert_eq!(r.status, Status::Error);
    assert!(r.message.contains("finite bounds"), "{}", r.message);
    let s = Nsga3 {
        pop: 20,
        partitions: 12,
        ..Nsga3::default()
    };
    let b = p.bounds();
    let r = s.solve(&mut p, &b, &Options::default());
    assert_eq!(r.status, Status::Error);
    assert!(
        r.message.contains("91 reference directions"),
        "{}",
        r.message
    );
    assert!(r.message.contains("20"), "{}", r.message);
    struct One;
    impl MultiObjective for One {
        fn n(&self) -> usize {
            1
        }
        fn n_obj(&self) -> usize {
            1
        }
        fn objectives(&mut self, x: &[f64], out: &mut [f64]) {
            out[0] = x[0];
        }
    }
    let b = optl_solvers::Bounds::uniform(1, 0.0, 1.0);
    for r in [
        nsga3(&mut One, &b, 20, 5, 0),
        Moead::default().solve(&mut One, &b, &Options::default()),
        Hype::default().solve(&mut One, &b, &Options::default()),
    ] {
        assert_eq!(r.status, Status::Error);
        assert!(r.message.contains("lbfgs"), "{}", r.message);
    }
}

/// Indicators on a fixed set, against pymoo 0.6: the numbers below are what
/// `GD(Z)(F)`, `IGD(Z)(F)`, `IGDPlus(Z)(F)` and `HV(ref_point=1)(F)` printed
/// (pymoo.indicators, numpy float64) for these `F` and `Z`.
#[test]
fn indicators_match_pymoo() {
    let f = vec![
        vec![0.1, 0.9, 0.5],
        vec![0.4, 0.4, 0.6],
        vec![0.8, 0.2, 0.3],
        vec![0.5, 0.7, 0.1],
        vec![0.9, 0.9, 0.9],
    ];
    let z = vec![
        vec![1.0, 0.0, 0.0],
        vec![0.0, 1.0, 0.0],
        vec![0.0, 0.0, 1.0],
        vec![0.5, 0.5, 0.0],
        vec![0.5, 0.0, 0.5],
        vec![0.0, 0.5, 0.5],
    ];
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(gd(&f, &z), 0.5071013145717809), "{}", gd(&f, &z));
    assert!(close(igd(&f, &z), 0.4454956751222486), "{}", igd(&f, &z));
    assert!(
        close(igd_plus(&f, &z), 0.40543583195217664),
        "{}",
        igd_plus(&f, &z)
    );
    assert!(
        close(hypervolume(&f, &[1.0; 3]), 0.281),
        "{}",
        hypervolume(&f, &[1.0; 3])
    );
    let f4 = vec![
        vec![0.1, 0.9, 0.5, 0.3],
        vec![0.4, 0.4, 0.6, 0.2],
        vec![0.8, 0.2, 0.3, 0.7],
        vec![0.5, 0.7, 0.1, 0.6],
    ];
    let hv = auto_hypervolume(&f4, &[1.0; 4], 0);
    assert!(hv.exact && close(hv.value, 0.1717), "{hv:?}");
}
