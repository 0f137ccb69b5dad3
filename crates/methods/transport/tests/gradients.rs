//! Gradients of the entropic objective by central finite differences: with
//! respect to cost entries (`P`), to `a` and `b` along directions that keep the
//! masses equal (`f_i − f_j`, `g_i − g_j`, `f_i + g_j`), and along the joint
//! scaling of both masses (`⟨f, a⟩ + ⟨g, b⟩`, which holds in any gauge).

mod common;

use common::*;
use optl_transport::{Method, Options, Transport, sinkhorn};

const H: f64 = 1e-5;

fn objective_of(a: &[f64], b: &[f64], m: &[f64], reg: f64, opts: &Options) -> f64 {
    sinkhorn(a, b, m, reg, opts).expect("valid").objective
}

fn check_all(inst: &Instance, reg: f64, method: Method) {
    let opts = tight(method);
    let t: Transport = solve(inst, reg, &opts);
    let (n, k) = (inst.n, inst.k);
    let scale = t.objective.abs().max(1e-3);
    // ∂/∂M_ij = P_ij.
    for (i, j) in [(0, 0), (1, 2), (n - 1, k - 1), (2, 0)] {
        let e = i * k + j;
        let mut mp = inst.m.clone();
        mp[e] += H;
        let mut mm = inst.m.clone();
        mm[e] -= H;
        let fd = (objective_of(&inst.a, &inst.b, &mp, reg, &opts)
            - objective_of(&inst.a, &inst.b, &mm, reg, &opts))
            / (2.0 * H);
        assert!(
            (fd - t.plan[e]).abs() < 1e-7 * scale,
            "{method:?} dM[{i},{j}]: {fd} vs {}",
            t.plan[e]
        );
    }
    // Along e_i − e_j in a: f_i − f_j.
    for (i, j) in [(0, 1), (n - 1, 2)] {
        let mut ap = inst.a.clone();
        ap[i] += H;
        ap[j] -= H;
        let mut am = inst.a.clone();
        am[i] -= H;
        am[j] += H;
        let fd = (objective_of(&ap, &inst.b, &inst.m, reg, &opts)
            - objective_of(&am, &inst.b, &inst.m, reg, &opts))
            / (2.0 * H);
        let want = t.f[i] - t.f[j];
        assert!(
            (fd - want).abs() < 1e-6 * scale.max(want.abs()),
            "{method:?} da: {fd} vs {want}"
        );
    }
    // Along e_i − e_j in b: g_i − g_j.
    let (i, j) = (1, k - 1);
    let mut bp = inst.b.clone();
    bp[i] += H;
    bp[j] -= H;
    let mut bm = inst.b.clone();
    bm[i] -= H;
    bm[j] += H;
    let fd = (objective_of(&inst.a, &bp, &inst.m, reg, &opts)
        - objective_of(&inst.a, &bm, &inst.m, reg, &opts))
        / (2.0 * H);
    let want = t.g[i] - t.g[j];
    assert!(
        (fd - want).abs() < 1e-6 * scale.max(want.abs()),
        "{method:?} db: {fd} vs {want}"
    );
    // Along (e_i, e_j) in (a, b): f_i + g_j.
    let (i, j) = (2, 3);
    let (mut ap, mut bp) = (inst.a.clone(), inst.b.clone());
    ap[i] += H;
    bp[j] += H;
    let (mut am, mut bm) = (inst.a.clone(), inst.b.clone());
    am[i] -= H;
    bm[j] -= H;
    let fd = (objective_of(&ap, &bp, &inst.m, reg, &opts)
        - objective_of(&am, &bm, &inst.m, reg, &opts))
        / (2.0 * H);
    let want = t.f[i] + t.g[j];
    assert!(
        (fd - want).abs() < 1e-6 * scale.max(want.abs()),
        "{method:?} da+db: {fd} vs {want}"
    );
    // Both masses scaled by (1 ± h): ⟨f, a⟩ + ⟨g, b⟩.
    let scaled = |s: f64| -> f64 {
        let a: Vec<f64> = inst.a.iter().map(|x| x * s).collect();
        let b: Vec<f64> = inst.b.iter().map(|x| x * s).collect();
        objective_of(&a, &b, &inst.m, reg, &opts)
    };
    let fd = (scaled(1.0 + H) - scaled(1.0 - H)) / (2.0 * H);
    let want: f64 = inst.a.iter().zip(&t.f).map(|(x, y)| x * y).sum::<f64>()
        + inst.b.iter().zip(&t.g).map(|(x, y)| x * y).sum::<f64>();
    assert!(
        (fd - want).abs() < 1e-6 * scale.max(want.abs()),
        "{method:?} mass: {fd} vs {want}"
    );
}

#[test]
fn objective_gradients_by_finite_differences() {
    let inst = random_instance(21, 6, 5);
    for method in [Method::Scaling, Method::Log, Method::NewtonSparse] {
        for reg in [0.2, 0.03] {
            check_all(&inst, reg, method);
        }
    }
}

#[test]
fn gradients_after_a_switch_to_the_log_domain() {
    let inst = random_instance(22, 5, 6);
    let t = solve(&inst, 0.001, &tight(Method::Scaling));
    assert!(t.switched_to_log);
    check_all(&inst, 0.001, Method::Scaling);
}
