//! Unbalanced transport: POT's documented example, the optimality conditions
//! of the relaxed problem checked entry by entry, the objective against
//! perturbed plans, agreement of the methods, the limits `ρ → ∞`, the switch to
//! the log domain, determinism over threads, and bad input.

// Naive reference loops index several arrays at once.
#![allow(clippy::needless_range_loop)]

mod common;

use common::*;
use optl_transport::{
    Error, Method, Options, Status, Unbalanced, UnbalancedOptions, sinkhorn, sinkhorn_unbalanced,
    sinkhorn_unbalanced_batch,
};

fn opts(method: Method) -> UnbalancedOptions {
    UnbalancedOptions {
        method,
        tol: 1e-12,
        max_iters: 100_000,
    }
}

fn solve(inst: &Instance, reg: f64, rho: [f64; 2], method: Method) -> Unbalanced {
    sinkhorn_unbalanced(&inst.a, &inst.b, &inst.m, reg, rho, &opts(method))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// An instance whose measures have different masses (a: 1, b: 1.7).
fn uneven(seed: u64, n: usize, k: usize) -> Instance {
    let mut inst = random_instance(seed, n, k);
    inst.b.iter_mut().for_each(|t| *t *= 1.7);
    inst
}

/// The objective computed entry by entry (the generalized KL, naive loops).
fn naive_objective(inst: &Instance, plan: &[f64], reg: f64, rho: [f64; 2]) -> f64 {
    let (n, k) = (inst.n, inst.k);
    let kl = |x: f64, y: f64| if x > 0.0 { x * (x / y).ln() } else { 0.0 } - x + y;
    let (mut rows, mut cols) = (vec![0.0; n], vec![0.0; k]);
    let mut total = 0.0;
    for i in 0..n {
        for j in 0..k {
            let p = plan[i * k + j];
            rows[i] += p;
            cols[j] += p;
            total += p * inst.m[i * k + j] + reg * kl(p, inst.a[i] * inst.b[j]);
        }
    }
    total
        + rho[0] * (0..n).map(|i| kl(rows[i], inst.a[i])).sum::<f64>()
        + rho[1] * (0..k).map(|j| kl(cols[j], inst.b[j])).sum::<f64>()
}

#[test]
fn pot_documented_example() {
    // POT's docstring of ot.unbalanced.sinkhorn_knopp_unbalanced(a, b, M, 1., 1.).
    let t = sinkhorn_unbalanced(
        &[0.5, 0.5],
        &[0.5, 0.5],
        &[0.0, 1.0, 1.0, 0.0],
        1.0,
        [1.0, 1.0],
        &opts(Method::Scaling),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let want = [0.3220536, 0.1184769, 0.1184769, 0.3220536];
    for (p, w) in t.plan.iter().zip(want) {
        assert!((p - w).abs() < 5e-8, "{p} vs {w}");
    }
    assert_eq!(t.status, Status::Converged);
}

#[test]
fn optimality_conditions_hold_entrywise() {
    let inst = uneven(3, 40, 30);
    let (reg, rho) = (0.05, [0.3, 2.0]);
    for method in [Method::Scaling, Method::Log] {
        let t = solve(&inst, reg, rho, method);
        assert_eq!(t.status, Status::Converged, "{method:?}");
        let (n, k) = (inst.n, inst.k);
        let rows: Vec<f64> = (0..n)
            .map(|i| t.plan[i * k..(i + 1) * k].iter().sum())
            .collect();
        let cols: Vec<f64> = (0..k)
            .map(|j| (0..n).map(|i| t.plan[i * k + j]).sum())
            .collect();
        // ∂/∂P_ij = M_ij + reg ln(P_ij / a_i b_j) + ρ₁ ln(r_i / a_i) + ρ₂ ln(c_j / b_j) = 0.
        let mut worst = 0.0f64;
        for i in 0..n {
            for j in 0..k {
                let p = t.plan[i * k + j];
                let d = inst.m[i * k + j]
                    + reg * (p / (inst.a[i] * inst.b[j])).ln()
                    + rho[0] * (rows[i] / inst.a[i]).ln()
                    + rho[1] * (cols[j] / inst.b[j]).ln();
                worst = worst.max(d.abs());
            }
        }
        assert!(worst < 1e-9, "{method:?}: stationarity {worst}");
        // The duals: r = a exp(−f / ρ₁), c = b exp(−g / ρ₂).
        for i in 0..n {
            let r = inst.a[i] * (-t.f[i] / rho[0]).exp();
            assert!((r - rows[i]).abs() < 1e-10 * rows[i].max(1e-3), "row {i}");
        }
        for j in 0..k {
            let c = inst.b[j] * (-t.g[j] / rho[1]).exp();
            assert!((c - cols[j]).abs() < 1e-10 * cols[j].max(1e-3), "col {j}");
        }
        let naive = naive_objective(&inst, &t.plan, reg, rho);
        assert!((naive - t.objective).abs() < 1e-11 * naive.abs().max(1.0));
        assert!((t.mass - rows.iter().sum::<f64>()).abs() < 1e-13);
        let cost: f64 = t.plan.iter().zip(&inst.m).map(|(p, c)| p * c).sum();
        assert!((cost - t.cost).abs() < 1e-13);
    }
}

#[test]
fn perturbed_plans_are_worse() {
    let inst = uneven(5, 12, 9);
    let (reg, rho) = (0.1, [1.0, 0.5]);
    let t = solve(&inst, reg, rho, Method::Scaling);
    let best = naive_objective(&inst, &t.plan, reg, rho);
    for s in 0..20 {
        let noise = lcg(1000 + s, t.plan.len());
        let scale = 1e-3 * (1 + s % 4) as f64;
        let perturbed: Vec<f64> = t
            .plan
            .iter()
            .zip(&noise)
            .map(|(p, z)| p * (1.0 + scale * (2.0 * z - 1.0)))
            .collect();
        assert!(naive_objective(&inst, &perturbed, reg, rho) > best);
    }
}

#[test]
fn methods_agree_and_small_reg_switches_to_log() {
    let inst = uneven(7, 50, 45);
    let s = solve(&inst, 0.05, [1.0, 1.0], Method::Scaling);
    let l = solve(&inst, 0.05, [1.0, 1.0], Method::Log);
    assert!(!s.switched_to_log);
    assert!((s.objective - l.objective).abs() < 1e-11);
    let diff = s
        .plan
        .iter()
        .zip(&l.plan)
        .fold(0.0f64, |d, (x, y)| d.max((x - y).abs()));
    assert!(diff < 1e-11, "{diff}");
    // Costs up to 200 at reg 1e-3: the scalings exceed e^1000, past f64.
    let mut far = uneven(7, 50, 45);
    far.m.iter_mut().for_each(|c| *c *= 100.0);
    let s = solve(&far, 1e-3, [1.0, 1.0], Method::Scaling);
    let l = solve(&far, 1e-3, [1.0, 1.0], Method::Log);
    assert!(s.switched_to_log && s.method == Method::Log);
    assert_eq!(s.status, Status::Converged);
    assert!(s.plan.iter().all(|p| p.is_finite()));
    assert!((s.objective - l.objective).abs() < 1e-9 * l.objective.abs());
}

#[test]
fn large_penalties_approach_balanced_transport() {
    let inst = random_instance(9, 30, 25);
    let reg = 0.05;
    let balanced = sinkhorn(
        &inst.a,
        &inst.b,
        &inst.m,
        reg,
        &Options {
            tol: 1e-13,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut gaps = Vec::new();
    for rho in [1e2, 1e4] {
        let t = solve(&inst, reg, [rho, rho], Method::Scaling);
        let gap = t
            .plan
            .iter()
            .zip(&balanced.plan)
            .map(|(x, y)| (x - y).abs())
            .sum::<f64>();
        gaps.push(gap);
    }
    // The gap is O(1 / ρ).
    assert!(gaps[1] < 2e-2 * gaps[0], "{gaps:?}");
    assert!(gaps[1] < 1e-4, "{gaps:?}");
}

#[test]
fn an_infinite_penalty_is_a_hard_marginal() {
    let inst = uneven(11, 20, 15);
    let t = solve(&inst, 0.05, [f64::INFINITY, 0.5], Method::Scaling);
    assert_eq!(t.status, Status::Converged);
    for i in 0..inst.n {
        let r: f64 = t.plan[i * inst.k..(i + 1) * inst.k].iter().sum();
        assert!(
            (r - inst.a[i]).abs() < 1e-12,
            "row {i}: {r} vs {}",
            inst.a[i]
        );
    }
    assert!((t.mass - 1.0).abs() < 1e-11);
}

#[test]
fn zero_weights_and_batches() {
    let mut inst = uneven(13, 10, 8);
    inst.a[3] = 0.0;
    inst.b[5] = 0.0;
    let t = solve(&inst, 0.1, [1.0, 1.0], Method::Scaling);
    assert!(t.plan[3 * inst.k..4 * inst.k].iter().all(|&p| p == 0.0));
    assert!((0..inst.n).all(|i| t.plan[i * inst.k + 5] == 0.0));
    assert_eq!(t.f[3], f64::NEG_INFINITY);
    let other: Vec<f64> = inst.b.iter().rev().copied().collect();
    let batch = sinkhorn_unbalanced_batch(
        &inst.a,
        &[inst.b.clone(), other.clone()],
        &inst.m,
        0.1,
        [1.0, 1.0],
        &opts(Method::Scaling),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(batch[0], t);
    let alone = sinkhorn_unbalanced(
        &inst.a,
        &other,
        &inst.m,
        0.1,
        [1.0, 1.0],
        &opts(Method::Scaling),
    );
    assert_eq!(Ok(batch[1].clone()), alone);
}

#[test]
fn one_and_two_threads_agree_bit_for_bit() {
    let mut inst = uneven(17, 300, 260);
    inst.m.iter_mut().for_each(|c| *c *= 100.0);
    let o = UnbalancedOptions {
        max_iters: 300,
        ..opts(Method::Scaling)
    };
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool")
            .install(|| {
                sinkhorn_unbalanced(&inst.a, &inst.b, &inst.m, 1e-4, [0.5, 2.0], &o)
                    .unwrap_or_else(|e| panic!("{e}"))
            })
    };
    let (one, two) = (run(1), run(2));
    assert!(one.switched_to_log);
    assert!(one.plan.iter().all(|p| p.is_finite()));
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&one.plan), bits(&two.plan));
    assert_eq!(one.objective.to_bits(), two.objective.to_bits());
    assert_eq!(one, two);
}

#[test]
fn bad_input_is_refused() {
    let inst = uneven(19, 4, 3);
    let call = |rho: [f64; 2], o: UnbalancedOptions| {
        sinkhorn_unbalanced(&inst.a, &inst.b, &inst.m, 0.1, rho, &o)
    };
    let o = opts(Method::Scaling);
    for rho in [
        [0.0, 1.0],
        [1.0, -1.0],
        [f64::NAN, 1.0],
        [f64::INFINITY, f64::INFINITY],
    ] {
        assert!(
            matches!(call(rho, o), Err(Error::InvalidArgument { .. })),
            "{rho:?}"
        );
    }
    assert!(matches!(
        call([1.0, 1.0], opts(Method::NewtonSparse)),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        call([1.0, 1.0], UnbalancedOptions { tol: f64::NAN, ..o }),
        Err(Error::InvalidArgument { .. })
    ));
    let zero = vec![0.0; 3];
    assert!(matches!(
        sinkhorn_unbalanced(&inst.a, &zero, &inst.m, 0.1, [1.0, 1.0], &o),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        sinkhorn_unbalanced(&inst.a, &inst.b, &inst.m, 0.0, [1.0, 1.0], &o),
        Err(Error::InvalidReg { .. })
    ));
    assert!(matches!(
        sinkhorn_unbalanced(&inst.a, &inst.b[..2], &inst.m, 0.1, [1.0, 1.0], &o),
        Err(Error::Shape { .. })
    ));
    let mut neg = inst.b.clone();
    neg[1] = -0.1;
    assert!(matches!(
        sinkhorn_unbalanced(&inst.a, &neg, &inst.m, 0.1, [1.0, 1.0], &o),
        Err(Error::Negative { .. })
    ));
}
