//! Projections and linear minimization oracles against brute force: the
//! variational inequality over random points of the set, a naive bisection for
//! the simplex, and faer's full SVD for the nuclear ball.

use super::super::Set;
use super::{Rng, dot, full_svd, norm, nuclear_norm, with_singular_values};
use crate::Error;

fn sets() -> Vec<Set> {
    vec![
        Set::Simplex { radius: 1.0 },
        Set::Simplex { radius: 0.3 },
        Set::Simplex { radius: 4.0 },
        Set::L1Ball { radius: 1.0 },
        Set::L1Ball { radius: 2.5 },
        Set::L2Ball { radius: 0.5 },
        Set::L2Ball { radius: 3.0 },
        Set::NuclearBall {
            radius: 1.0,
            rows: 3,
            cols: 2,
        },
        Set::NuclearBall {
            radius: 2.0,
            rows: 4,
            cols: 4,
        },
        Set::NuclearBall {
            radius: 0.7,
            rows: 1,
            cols: 5,
        },
        Set::NuclearBall {
            radius: 3.0,
            rows: 5,
            cols: 1,
        },
    ]
}

/// The dimension a set acts on (`n` for the vector sets).
fn dim(set: &Set, n: usize) -> usize {
    match *set {
        Set::NuclearBall { rows, cols, .. } => rows * cols,
        _ => n,
    }
}

/// A random point of the set: interior points, boundary points and vertices.
fn random_point(rng: &mut Rng, set: &Set, n: usize) -> Vec<f64> {
    let kind = rng.index(4);
    match *set {
        Set::Simplex { radius } => {
            if kind == 0 {
                let mut e = vec![0.0; n];
                e[rng.index(n)] = radius;
                return e;
            }
            let mut w: Vec<f64> = (0..n)
                .map(|_| if rng.unit() < 0.3 { 0.0 } else { rng.unit() })
                .collect();
            if w.iter().all(|x| *x == 0.0) {
                w[0] = 1.0;
            }
            let s: f64 = w.iter().sum();
            w.iter().map(|x| x * radius / s).collect()
        }
        Set::L1Ball { radius } => {
            if kind == 0 {
                let mut e = vec![0.0; n];
                e[rng.index(n)] = if rng.unit() < 0.5 { radius } else { -radius };
                return e;
            }
            let w = rng.normals(n);
            let rho = if kind == 1 { 1.0 } else { rng.unit() };
            let l1: f64 = w.iter().map(|x| x.abs()).sum();
            w.iter().map(|x| x * rho * radius / l1).collect()
        }
        Set::L2Ball { radius } => {
            let w = rng.normals(n);
            let rho = if kind <= 1 { 1.0 } else { rng.unit() };
            let l2 = norm(&w);
            w.iter().map(|x| x * rho * radius / l2).collect()
        }
        Set::NuclearBall { radius, rows, cols } => {
            if kind == 0 {
                // A rank-one extreme point ±radius·u vᵀ.
                let (mut u, mut v) = (rng.normals(rows), rng.normals(cols));
                let (nu, nv) = (norm(&u), norm(&v));
                u.iter_mut().for_each(|x| *x /= nu);
                v.iter_mut().for_each(|x| *x *= radius / nv);
                return (0..rows * cols)
                    .map(|k| u[k / cols] * v[k % cols])
                    .collect();
            }
            let w = rng.normals(rows * cols);
            let rho = if kind == 1 { 1.0 } else { rng.unit() };
            let nn = nuclear_norm(&w, rows, cols);
            w.iter().map(|x| x * rho * radius / nn).collect()
        }
    }
}

fn project(set: &Set, v: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; v.len()];
    set.project(v, &mut out).unwrap();
    out
}

fn lmo(set: &Set, g: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; g.len()];
    set.lmo(g, &mut out).unwrap();
    out
}

#[test]
fn projections_satisfy_the_variational_inequality() {
    // p = proj(v) iff p ∈ C and ⟨v − p, s − p⟩ ≤ 0 for all s ∈ C.
    let mut rng = Rng::new(11);
    for set in sets() {
        for trial in 0..150 {
            let n = dim(&set, 1 + trial % 6);
            let scale = [0.1, 1.0, 5.0][trial % 3];
            let v: Vec<f64> = rng.normals(n).iter().map(|x| x * scale).collect();
            let p = project(&set, &v);
            assert!(set.contains(&p, 1e-12), "{set:?} v={v:?} p={p:?}");
            let r: Vec<f64> = v.iter().zip(&p).map(|(a, b)| a - b).collect();
            for _ in 0..200 {
                let s = random_point(&mut rng, &set, n);
                let d: Vec<f64> = s.iter().zip(&p).map(|(a, b)| a - b).collect();
                let vi = dot(&r, &d);
                assert!(vi <= 1e-10, "{set:?} v={v:?} p={p:?} s={s:?}: {vi}");
            }
            // Projecting again changes nothing (to rounding).
            let pp = project(&set, &p);
            let d: Vec<f64> = pp.iter().zip(&p).map(|(a, b)| a - b).collect();
            assert!(norm(&d) <= 1e-12 * (1.0 + norm(&p)), "{set:?}");
        }
    }
}

#[test]
fn points_inside_are_returned_unchanged() {
    let mut rng = Rng::new(12);
    for set in sets() {
        if matches!(set, Set::Simplex { .. }) {
            continue; // interior points of the simplex still move onto Σx = r
        }
        for _ in 0..50 {
            let n = dim(&set, 4);
            let s: Vec<f64> = random_point(&mut rng, &set, n)
                .iter()
                .map(|x| 0.9 * x)
                .collect();
            assert_eq!(project(&set, &s), s, "{set:?}");
        }
    }
}

/// The simplex projection by bisection on θ in `Σ max(v_i − θ, 0) = r`.
fn simplex_by_bisection(v: &[f64], r: f64) -> Vec<f64> {
    let mass = |theta: f64| v.iter().map(|x| (x - theta).max(0.0)).sum::<f64>();
    let vmax = v.iter().fold(f64::NEG_INFINITY, |m, x| m.max(*x));
    let (mut lo, mut hi) = (vmax - r, vmax);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mass(mid) > r { lo = mid } else { hi = mid }
    }
    let theta = 0.5 * (lo + hi);
    v.iter().map(|x| (x - theta).max(0.0)).collect()
}

#[test]
fn simplex_projection_matches_bisection() {
    let mut rng = Rng::new(13);
    for trial in 0..2000 {
        let n = 1 + trial % 40;
        let r = [1.0, 0.01, 7.5, 1e3][trial % 4];
        let scale = [1e-3, 1.0, 30.0][trial % 3];
        let mut v: Vec<f64> = rng.normals(n).iter().map(|x| x * scale).collect();
        if trial % 5 == 0 && n > 2 {
            v[1] = v[0]; // ties
            v[2] = v[0];
        }
        let set = Set::Simplex { radius: r };
        let p = project(&set, &v);
        let b = simplex_by_bisection(&v, r);
        let tol = 1e-12 * (r + v.iter().fold(0.0_f64, |m, x| m.max(x.abs())));
        for (x, y) in p.iter().zip(&b) {
            assert!((x - y).abs() <= tol, "n={n} r={r}: {p:?} vs {b:?}");
        }
        assert!(p.iter().all(|x| *x >= 0.0));
        assert!((p.iter().sum::<f64>() - r).abs() <= 1e-13 * r.max(1.0) * n as f64);
    }
    // Known answers.
    assert_eq!(
        project(&Set::Simplex { radius: 1.0 }, &[0.5, 0.5]),
        vec![0.5, 0.5]
    );
    assert_eq!(
        project(&Set::Simplex { radius: 1.0 }, &[2.0, 0.0, -1.0]),
        vec![1.0, 0.0, 0.0]
    );
    assert_eq!(
        project(&Set::Simplex { radius: 2.0 }, &[0.0, 0.0, 0.0, 0.0]),
        vec![0.5; 4]
    );
    assert_eq!(
        project(&Set::L1Ball { radius: 1.0 }, &[3.0, -1.0]),
        vec![1.0, 0.0]
    );
    assert_eq!(
        project(&Set::L1Ball { radius: 2.0 }, &[2.0, -2.0]),
        vec![1.0, -1.0]
    );
    assert_eq!(
        project(&Set::L2Ball { radius: 1.0 }, &[3.0, -4.0]),
        vec![0.6, -0.8]
    );
}

#[test]
fn nuclear_projection_shrinks_singular_values() {
    let mut rng = Rng::new(14);
    for (rows, cols) in [(6, 4), (4, 6), (5, 5), (1, 7), (7, 1)] {
        let k = rows.min(cols);
        let s: Vec<f64> = (0..k).map(|i| 3.0 / (1 + i) as f64).collect();
        let a = with_singular_values(&mut rng, rows, cols, &s);
        let r = 2.0;
        let p = project(
            &Set::NuclearBall {
                radius: r,
                rows,
                cols,
            },
            &a,
        );
        // Reference: σ projected onto {σ ≥ 0, Σσ ≤ r} by bisection.
        let expect = simplex_by_bisection(&s, r);
        let got = full_svd(&p, rows, cols).0;
        for (x, y) in got.iter().zip(&expect) {
            assert!(
                (x - y).abs() <= 1e-12,
                "{rows}x{cols}: {got:?} vs {expect:?}"
            );
        }
        assert!((nuclear_norm(&p, rows, cols) - r).abs() <= 1e-12);
    }
}

#[test]
fn lmo_minimizes_the_linear_function_over_random_points() {
    let mut rng = Rng::new(15);
    for set in sets() {
        for trial in 0..150 {
            let n = dim(&set, 1 + trial % 6);
            let mut g = rng.normals(n);
            if trial % 10 == 0 && n > 1 {
                g[1] = g[0]; // ties
            }
            let s0 = lmo(&set, &g);
            assert!(set.contains(&s0, 1e-12), "{set:?} g={g:?} lmo={s0:?}");
            let best = dot(&g, &s0);
            for _ in 0..200 {
                let s = random_point(&mut rng, &set, n);
                assert!(
                    best <= dot(&g, &s) + 1e-12,
                    "{set:?} g={g:?}: {best} vs {}",
                    dot(&g, &s)
                );
            }
        }
    }
}

#[test]
fn lmo_vertices_and_tie_rules() {
    let s = Set::Simplex { radius: 2.0 };
    assert_eq!(lmo(&s, &[3.0, -1.0, -1.0, 0.0]), vec![0.0, 2.0, 0.0, 0.0]);
    assert_eq!(lmo(&s, &[0.0, 0.0]), vec![2.0, 0.0]);
    let l1 = Set::L1Ball { radius: 1.5 };
    assert_eq!(lmo(&l1, &[1.0, -3.0, 3.0]), vec![0.0, 1.5, 0.0]);
    assert_eq!(lmo(&l1, &[0.5, 0.0, -0.5]), vec![-1.5, 0.0, 0.0]);
    assert_eq!(lmo(&l1, &[0.0, 0.0]), vec![-1.5, 0.0]);
    let l2 = Set::L2Ball { radius: 5.0 };
    assert_eq!(lmo(&l2, &[3.0, -4.0]), vec![-3.0, 4.0]);
    assert_eq!(lmo(&l2, &[0.0, 0.0]), vec![0.0, 0.0]);
    let nb = Set::NuclearBall {
        radius: 2.0,
        rows: 2,
        cols: 2,
    };
    let out = lmo(&nb, &[0.0, 0.0, 0.0, 0.0]);
    assert!(
        (norm(&out) - 2.0).abs() < 1e-15,
        "a rank-one extreme point: {out:?}"
    );
    let out = lmo(&nb, &[0.0, 0.0, 0.0, 3.0]);
    assert!(
        out.iter()
            .zip([0.0, 0.0, 0.0, -2.0])
            .all(|(a, b)| (a - b).abs() < 1e-14),
        "{out:?}"
    );
    // Empty balls are {0}.
    for set in [
        Set::L1Ball { radius: 1.0 },
        Set::L2Ball { radius: 1.0 },
        Set::NuclearBall {
            radius: 1.0,
            rows: 0,
            cols: 3,
        },
    ] {
        let mut out: [f64; 0] = [];
        set.lmo(&[], &mut out).unwrap();
        set.project(&[], &mut out).unwrap();
        assert!(set.contains(&[], 0.0));
    }
}

/// `σ₁` recovered from the nuclear LMO: `⟨G, S⟩ = −radius·σ₁`.
fn lmo_sigma(g: &[f64], rows: usize, cols: usize) -> f64 {
    let r = 1.7;
    let s = lmo(
        &Set::NuclearBall {
            radius: r,
            rows,
            cols,
        },
        g,
    );
    assert!(
        (norm(&s) - r).abs() <= 1e-12 * r,
        "a rank-one atom has ‖S‖_F = ‖S‖_* = r"
    );
    -dot(g, &s) / r
}

#[test]
fn nuclear_lmo_matches_full_svd() {
    let mut rng = Rng::new(16);
    for (rows, cols) in [(30, 20), (20, 30), (200, 150)] {
        for _ in 0..2 {
            let g = rng.normals(rows * cols);
            let sigma = full_svd(&g, rows, cols).0[0];
            let got = lmo_sigma(&g, rows, cols);
            assert!(
                (got - sigma).abs() <= 1e-10 * sigma,
                "{rows}x{cols}: {got} vs {sigma}"
            );
        }
    }
    // Repeated and nearly repeated top singular values: only σ₁ is well defined.
    for (rows, cols) in [(30, 20), (60, 45)] {
        for gap in [0.0, 1e-12, 1e-9, 1e-6] {
            let k = rows.min(cols);
            let mut s: Vec<f64> = (0..k).map(|i| 4.0 * 0.95f64.powi(i as i32)).collect();
            s[0] = 5.0;
            s[1] = 5.0 * (1.0 - gap);
            s[2] = 5.0 * (1.0 - 2.0 * gap);
            let g = with_singular_values(&mut rng, rows, cols, &s);
            let sigma = full_svd(&g, rows, cols).0[0];
            let got = lmo_sigma(&g, rows, cols);
            assert!(
                (got - sigma).abs() <= 1e-10 * sigma,
                "{rows}x{cols} gap {gap}: {got} vs {sigma}"
            );
        }
    }
}

#[test]
fn contains_checks_each_constraint() {
    let s = Set::Simplex { radius: 1.0 };
    assert!(s.contains(&[0.5, 0.5], 0.0));
    assert!(!s.contains(&[0.5, 0.6], 1e-3));
    assert!(s.contains(&[0.5, 0.5 + 1e-9], 1e-8));
    assert!(!s.contains(&[1.5, -0.5], 1e-3));
    assert!(!s.contains(&[], 1e-3));
    // The tolerance scales with max(1, radius).
    let big = Set::L1Ball { radius: 100.0 };
    assert!(big.contains(&[60.0, -40.05], 1e-3));
    assert!(!big.contains(&[60.0, -40.2], 1e-3));
    let l2 = Set::L2Ball { radius: 1.0 };
    assert!(l2.contains(&[0.6, 0.8], 0.0) && !l2.contains(&[0.6, 0.81], 1e-3));
    let nb = Set::NuclearBall {
        radius: 2.0,
        rows: 2,
        cols: 2,
    };
    assert!(nb.contains(&[1.0, 0.0, 0.0, -1.0], 1e-12));
    assert!(!nb.contains(&[1.0, 0.0, 0.0, -1.1], 1e-3));
    assert!(!nb.contains(&[1.0, 0.0, 0.0], 1e-3));
    for x in [[f64::NAN, 0.0], [f64::INFINITY, 0.0]] {
        for set in [s, big, l2] {
            assert!(!set.contains(&x, 1.0));
        }
    }
    assert!(!l2.contains(&[0.0], f64::NAN));
    assert!(!Set::L2Ball { radius: -1.0 }.contains(&[0.0], 1.0));
}

#[test]
fn invalid_arguments_are_errors_with_readable_messages() {
    let mut out = [0.0; 2];
    for r in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        for set in [
            Set::Simplex { radius: r },
            Set::L1Ball { radius: r },
            Set::L2Ball { radius: r },
            Set::NuclearBall {
                radius: r,
                rows: 1,
                cols: 2,
            },
        ] {
            for e in [
                set.project(&[1.0, 2.0], &mut out),
                set.lmo(&[1.0, 2.0], &mut out),
            ] {
                let e = e.unwrap_err();
                assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
                let msg = e.to_string();
                assert!(
                    msg.contains(set.name()) && msg.contains("radius must be finite and positive"),
                    "{msg}"
                );
            }
            assert!(out.iter().all(|x| x.is_nan()));
        }
    }
    let set = Set::L2Ball { radius: 1.0 };
    let e = set.project(&[1.0, f64::NAN], &mut out).unwrap_err();
    assert_eq!(
        e,
        Error::NonFinite {
            op: "l2ball projection"
        }
    );
    assert_eq!(
        e.to_string(),
        "l2ball projection: input contains NaN or infinity"
    );
    let e = set.lmo(&[f64::INFINITY, 0.0], &mut out).unwrap_err();
    assert!(matches!(e, Error::NonFinite { .. }));
    assert!(matches!(
        set.project(&[1.0], &mut out),
        Err(Error::Shape { .. })
    ));
    let nb = Set::NuclearBall {
        radius: 1.0,
        rows: 2,
        cols: 2,
    };
    let e = nb.lmo(&[1.0, 2.0], &mut out).unwrap_err();
    assert!(e.to_string().contains("rows*cols"), "{e}");
    let huge = Set::NuclearBall {
        radius: 1.0,
        rows: usize::MAX,
        cols: 2,
    };
    assert!(huge.project(&[1.0, 2.0], &mut out).is_err());
    let mut none: [f64; 0] = [];
    let e = Set::Simplex { radius: 1.0 }
        .project(&[], &mut none)
        .unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    assert!(Set::Simplex { radius: 1.0 }.lmo(&[], &mut none).is_err());
    let names: Vec<_> = sets().iter().map(|s| s.name()).collect();
    assert!(
        names.contains(&"simplex")
            && names.contains(&"l1ball")
            && names.contains(&"l2ball")
            && names.contains(&"nuclear_ball")
    );
}

#[test]
fn projection_is_deterministic() {
    let mut rng = Rng::new(17);
    let v = rng.normals(24);
    for set in [
        Set::Simplex { radius: 1.0 },
        Set::L1Ball { radius: 1.0 },
        Set::NuclearBall {
            radius: 1.0,
            rows: 6,
            cols: 4,
        },
    ] {
        let (a, b) = (project(&set, &v), project(&set, &v));
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
        let (a, b) = (lmo(&set, &v), lmo(&set, &v));
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    }
}
