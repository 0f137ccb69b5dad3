//! Tests of the splitting family on problems whose answers are known or checked
//! from first principles: the Lasso's optimality conditions and the agreement of
//! FISTA and every coordinate rule, elastic net, group lasso against its
//! closed-form blockwise conditions, a simplex QP by Frank–Wolfe and FISTA, the
//! nuclear ball, nonconvex ℓ0, a NaN objective never `converged`, and the
//! structure checks of `accepts`.

use super::methods::{BcdMethod, FistaMethod, FrankWolfeMethod};
use crate::facts::{Composite, LeastSquaresBlock, LeastSquaresForm, ProxTerm, VarFact};
use crate::method::{Fit, Method, Outcome, Params, Structure};
use crate::problem::{Bounds, MultiObjective, Nlp, Options, SolveResult, Status};
use optl_linalg::prox::{Penalty, Set};
use std::sync::Arc;

fn data(len: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

/// `w·‖Ax − b‖² + ridge·‖x‖² + quad` plus the terms, over one var of `n`.
struct Model {
    n: usize,
    m: usize,
    a: Vec<f64>,
    b: Vec<f64>,
    w: f64,
    ridge: f64,
    terms: Vec<ProxTerm>,
    /// Makes the smooth part NaN.
    poison: bool,
}

impl Model {
    fn lasso(m: usize, n: usize, seed: u64) -> Model {
        Model {
            n,
            m,
            a: data(m * n, seed),
            b: data(m, seed + 1),
            w: 0.5,
            ridge: 0.0,
            terms: Vec::new(),
            poison: false,
        }
    }
    fn residual(&self, x: &[f64]) -> Vec<f64> {
        (0..self.m)
            .map(|r| {
                let row = &self.a[r * self.n..(r + 1) * self.n];
                row.iter().zip(x).map(|(p, q)| p * q).sum::<f64>() - self.b[r]
            })
            .collect()
    }
    /// `λ_max`: the smallest ℓ1 weight with zero as the solution.
    fn lambda_max(&self) -> f64 {
        let r = self.residual(&vec![0.0; self.n]);
        (0..self.n)
            .map(|j| {
                let g: f64 = (0..self.m).map(|i| self.a[i * self.n + j] * r[i]).sum();
                (2.0 * self.w * g).abs()
            })
            .fold(0.0, f64::max)
    }
    fn l1(mut self, lambda: f64) -> Model {
        self.terms.push(ProxTerm {
            penalty: Penalty::L1,
            weight: lambda,
            indices: (0..self.n).collect(),
            text: format!("{lambda} * norm(x, 1)"),
        });
        self
    }
    fn form(&self) -> LeastSquaresForm {
        let mut blocks = vec![LeastSquaresBlock {
            weight: self.w,
            a: Some(Arc::new(self.a.clone())),
            rows: self.m,
            b: Some(Arc::new(self.b.clone())),
        }];
        if self.ridge > 0.0 {
            blocks.push(LeastSquaresBlock {
                weight: self.ridge,
                a: None,
                rows: self.n,
                b: None,
            });
        }
        LeastSquaresForm {
            n: self.n,
            blocks,
            constant: 0.0,
        }
    }
    fn structure(&self, var: VarFact) -> Structure {
        Structure {
            name: "p".into(),
            n: self.n,
            objectives: 1,
            vars: vec![var],
            composite: Composite {
                terms: self.terms.clone(),
                nonsmooth: Vec::new(),
                least_squares: Some(Arc::new(self.form())),
                smooth_reads: vec![true],
                completion: None,
            },
            ..Structure::default()
        }
    }
    fn gradient(&self, x: &[f64]) -> Vec<f64> {
        let r = self.residual(x);
        (0..self.n)
            .map(|j| {
                let g: f64 = (0..self.m).map(|i| self.a[i * self.n + j] * r[i]).sum();
                2.0 * self.w * g + 2.0 * self.ridge * x[j]
            })
            .collect()
    }
}

fn var(n: usize, set: Option<Set>) -> VarFact {
    VarFact {
        name: "x".into(),
        shape: vec![n],
        start: 0,
        len: n,
        bounded: false,
        boxed: false,
        set,
        set_written: false,
    }
}

impl Nlp for Model {
    fn n(&self) -> usize {
        self.n
    }
    fn objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let f = self.smooth_objective(x, grad);
        f + self
            .terms
            .iter()
            .map(|t| {
                let b: Vec<f64> = t.indices.iter().map(|&i| x[i]).collect();
                t.weight * t.penalty.value(&b)
            })
            .sum::<f64>()
    }
    fn smooth_objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let r = self.residual(x);
        if let Some(g) = grad {
            g.copy_from_slice(&self.gradient(x));
        }
        let f = self.w * r.iter().map(|v| v * v).sum::<f64>()
            + self.ridge * x.iter().map(|v| v * v).sum::<f64>();
        if self.poison { f64::NAN } else { f }
    }
}

impl MultiObjective for Model {
    fn n(&self) -> usize {
        self.n
    }
    fn n_obj(&self) -> usize {
        1
    }
    fn objectives(&mut self, x: &[f64], out: &mut [f64]) {
        out[0] = self.objective(x, None);
    }
}

fn free(n: usize) -> Bounds {
    Bounds::new(vec![f64::NEG_INFINITY; n], vec![f64::INFINITY; n])
}

fn run(method: &dyn Method, m: &mut Model, s: &Structure, params: Params, tol: f64) -> SolveResult {
    assert_eq!(method.accepts(s), Fit::Yes);
    let opts = Options {
        tol,
        tol_given: true,
        ..Options::default()
    };
    let x0 = vec![0.0; m.n];
    let bounds = free(m.n);
    match method.run(m, s, &x0, &bounds, &params, &opts) {
        Outcome::Point(r) => r,
        Outcome::Front(_) => panic!("a front"),
    }
}

fn with(method: &dyn Method, pairs: &[(&'static str, crate::ParamValue)]) -> Params {
    let mut p = Params::default();
    for param in method.signature().params {
        let v = pairs
            .iter()
            .find(|(k, _)| *k == param.name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| match param.default {
                crate::DefaultValue::Int(n) => crate::ParamValue::Int(n),
                crate::DefaultValue::Float(x) => crate::ParamValue::Float(x),
                crate::DefaultValue::Str(s) => crate::ParamValue::Str(s.into()),
                crate::DefaultValue::Bool(b) => crate::ParamValue::Bool(b),
                crate::DefaultValue::Method(m) => {
                    crate::ParamValue::Method(m.into(), Params::default())
                }
            });
        p.push(param.name, v);
    }
    p
}

/// The Lasso's optimality conditions: `|∇ⱼf| ≤ λ` where `xⱼ = 0`, `∇ⱼf = −λ sign xⱼ`
/// elsewhere.
fn assert_lasso_optimal(m: &Model, x: &[f64], lambda: f64, tol: f64) {
    let g = m.gradient(x);
    for j in 0..m.n {
        let v = if x[j] == 0.0 {
            (g[j].abs() - lambda).max(0.0)
        } else {
            (g[j] + lambda * x[j].signum()).abs()
        };
        assert!(
            v <= tol,
            "coordinate {j}: violation {v} (x = {}, g = {})",
            x[j],
            g[j]
        );
    }
}

#[test]
fn lasso_by_fista_and_every_coordinate_rule_meets_the_optimality_conditions() {
    let base = Model::lasso(60, 25, 3);
    let lambda = 0.1 * base.lambda_max();
    let mut m = base.l1(lambda);
    let s = m.structure(var(25, None));
    let fista = run(
        &FistaMethod,
        &mut m,
        &s,
        Params::auto(FistaMethod.signature()),
        1e-12,
    );
    assert_eq!(fista.status, Status::Converged, "{}", fista.message);
    assert_eq!(fista.certificate, "duality_gap");
    assert_lasso_optimal(&m, &fista.x, lambda, 1e-6);
    let support: Vec<bool> = fista.x.iter().map(|v| *v != 0.0).collect();
    assert!(support.iter().any(|s| *s) && !support.iter().all(|s| *s));
    use crate::ParamValue::{Int, Str};
    for rule in ["cyclic", "random", "gauss_southwell", "greedy"] {
        for block in [1, 4] {
            let p = with(
                &BcdMethod,
                &[("rule", Str(rule.into())), ("block", Int(block))],
            );
            let r = run(&BcdMethod, &mut m, &s, p, 1e-12);
            assert_eq!(r.status, Status::Converged, "{rule}/{block}: {}", r.message);
            assert!(r.gap <= 1e-12 * r.f.abs().max(1.0));
            assert_lasso_optimal(&m, &r.x, lambda, 1e-6);
            let same: Vec<bool> = r.x.iter().map(|v| *v != 0.0).collect();
            assert_eq!(same, support, "{rule}/{block}: the same support");
            for (a, b) in r.x.iter().zip(&fista.x) {
                assert!((a - b).abs() <= 1e-6, "{rule}/{block}: {a} vs {b}");
            }
        }
    }
}

#[test]
fn the_duality_gap_bounds_the_suboptimality() {
    let base = Model::lasso(40, 30, 11);
    let lambda = 0.2 * base.lambda_max();
    let mut m = base.l1(lambda);
    let s = m.structure(var(30, None));
    let best = run(
        &BcdMethod,
        &mut m,
        &s,
        Params::auto(BcdMethod.signature()),
        1e-14,
    );
    let dual = super::LassoDual::new(s.composite.least_squares.clone().unwrap(), &m.terms).unwrap();
    for seed in 0..20 {
        let x: Vec<f64> = data(30, 100 + seed).iter().map(|v| 0.3 * v).collect();
        let f = m.objective(&x, None);
        let gap = dual.gap(&x, &m.gradient(&x));
        assert!(gap + 1e-9 >= f - best.f, "gap {gap} < {} - {}", f, best.f);
    }
}

#[test]
fn elastic_net_by_coordinate_descent_and_fista_agree() {
    let mut base = Model::lasso(30, 50, 5);
    base.ridge = 0.3;
    let lambda = 0.05 * base.lambda_max();
    let mut m = base.l1(lambda);
    let s = m.structure(var(50, None));
    let a = run(
        &BcdMethod,
        &mut m,
        &s,
        Params::auto(BcdMethod.signature()),
        1e-12,
    );
    let b = run(
        &FistaMethod,
        &mut m,
        &s,
        Params::auto(FistaMethod.signature()),
        1e-12,
    );
    assert_eq!(a.status, Status::Converged, "{}", a.message);
    assert_eq!(b.status, Status::Converged, "{}", b.message);
    for (p, q) in a.x.iter().zip(&b.x) {
        assert!((p - q).abs() <= 1e-6, "{p} vs {q}");
    }
}

#[test]
fn group_lasso_meets_its_block_conditions() {
    let mut m = Model::lasso(40, 12, 9);
    let g0 = m.gradient(&[0.0; 12]);
    let norms: Vec<f64> = g0
        .chunks(3)
        .map(|g| g.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    // Between the smallest and the largest group's λ_max: some groups vanish.
    let lambda = 0.5
        * (norms.iter().cloned().fold(f64::INFINITY, f64::min)
            + norms.iter().cloned().fold(0.0, f64::max));
    m.terms.push(ProxTerm {
        penalty: Penalty::GroupL2 { size: 3 },
        weight: lambda,
        indices: (0..12).collect(),
        text: "group".into(),
    });
    let mut s = m.structure(var(12, None));
    s.composite.least_squares = None;
    let r = run(
        &FistaMethod,
        &mut m,
        &s,
        Params::auto(FistaMethod.signature()),
        1e-12,
    );
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    assert_eq!(r.certificate, "prox_residual");
    let g = m.gradient(&r.x);
    let mut zero_groups = 0;
    for k in 0..4 {
        let xs = &r.x[3 * k..3 * k + 3];
        let gs = &g[3 * k..3 * k + 3];
        let xn = xs.iter().map(|v| v * v).sum::<f64>().sqrt();
        let gn = gs.iter().map(|v| v * v).sum::<f64>().sqrt();
        if xn == 0.0 {
            zero_groups += 1;
            assert!(gn <= lambda + 1e-7);
        } else {
            for i in 0..3 {
                assert!((gs[i] + lambda * xs[i] / xn).abs() <= 1e-7);
            }
        }
    }
    assert!(
        zero_groups > 0 && zero_groups < 4,
        "{zero_groups} zero groups"
    );
}

/// `min ‖x − c‖²` over the simplex has the projection of `c` as its answer.
#[test]
fn simplex_least_squares_by_frank_wolfe_and_fista_is_the_projection() {
    let n = 8;
    let c = data(n, 21);
    let mut m = Model {
        n,
        m: n,
        a: (0..n * n)
            .map(|k| if k % (n + 1) == 0 { 1.0 } else { 0.0 })
            .collect(),
        b: c.clone(),
        w: 1.0,
        ridge: 0.0,
        terms: Vec::new(),
        poison: false,
    };
    let set = Set::Simplex { radius: 1.0 };
    let mut want = vec![0.0; n];
    set.project(&c, &mut want).unwrap();
    let s = m.structure(var(n, Some(set)));
    for away in [true, false] {
        let p = with(
            &FrankWolfeMethod,
            &[("away", crate::ParamValue::Bool(away))],
        );
        let r = run(&FrankWolfeMethod, &mut m, &s, p, 1e-12);
        assert_eq!(r.certificate, "fw_gap");
        let err =
            r.x.iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
        if away {
            assert_eq!(r.status, Status::Converged, "{}", r.message);
            assert!(err <= 1e-6, "away: {err}");
        } else {
            assert!(err <= 1e-2, "plain FW: {err}");
        }
        assert!(set.contains(&r.x, 1e-12));
    }
    let r = run(
        &FistaMethod,
        &mut m,
        &s,
        Params::auto(FistaMethod.signature()),
        1e-12,
    );
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    for (a, b) in r.x.iter().zip(&want) {
        assert!((a - b).abs() <= 1e-9);
    }
}

#[test]
fn nuclear_ball_by_frank_wolfe_matches_the_projection() {
    // min ‖X − C‖² over the nuclear ball of radius 1: the projection of C.
    let (rows, cols) = (6, 5);
    let n = rows * cols;
    let c: Vec<f64> = data(n, 31).iter().map(|v| 2.0 * v).collect();
    let mut m = Model {
        n,
        m: n,
        a: (0..n * n)
            .map(|k| if k % (n + 1) == 0 { 1.0 } else { 0.0 })
            .collect(),
        b: c.clone(),
        w: 1.0,
        ridge: 0.0,
        terms: Vec::new(),
        poison: false,
    };
    let set = Set::NuclearBall {
        radius: 1.0,
        rows,
        cols,
    };
    let mut want = vec![0.0; n];
    set.project(&c, &mut want).unwrap();
    let mut s = m.structure(var(n, Some(set)));
    s.vars[0].shape = vec![rows, cols];
    let p = with(
        &FrankWolfeMethod,
        &[("max_iters", crate::ParamValue::Int(5000))],
    );
    let r = run(&FrankWolfeMethod, &mut m, &s, p, 1e-8);
    let f_want = m.objective(&want, None);
    assert!(
        r.f - f_want <= 1e-6 * f_want.abs().max(1.0),
        "{} vs {f_want}",
        r.f
    );
    assert!(
        r.gap >= r.f - f_want - 1e-9,
        "the FW gap bounds the suboptimality"
    );
    assert!(set.contains(&r.x, 1e-9));
}

#[test]
fn nonconvex_l0_ends_at_a_stationary_point_not_a_certified_minimum() {
    let mut m = Model::lasso(30, 10, 41);
    m.terms.push(ProxTerm {
        penalty: Penalty::L0,
        weight: 0.5,
        indices: (0..10).collect(),
        text: "0.5 * count_nonzero(x)".into(),
    });
    let mut s = m.structure(var(10, None));
    s.composite.least_squares = None;
    let r = run(
        &FistaMethod,
        &mut m,
        &s,
        Params::auto(FistaMethod.signature()),
        1e-10,
    );
    assert_eq!(r.certificate, "prox_residual");
    assert!(r.message.contains("stationary"), "{}", r.message);
    // Hard-thresholding fixed point: each kept coordinate is stationary.
    let g = m.gradient(&r.x);
    for j in 0..10 {
        if r.x[j] != 0.0 {
            assert!(g[j].abs() <= 1e-6, "{}", g[j]);
        }
    }
}

#[test]
fn a_nan_smooth_part_is_never_converged() {
    let mut m = Model::lasso(10, 5, 1).l1(0.1);
    m.poison = true;
    let s = m.structure(var(5, None));
    let r = run(
        &FistaMethod,
        &mut m,
        &s,
        Params::auto(FistaMethod.signature()),
        1e-10,
    );
    assert_ne!(r.status, Status::Converged);
    let p = with(&FrankWolfeMethod, &[]);
    let mut s2 = s.clone();
    s2.vars[0].set = Some(Set::L2Ball { radius: 1.0 });
    s2.composite.terms.clear();
    m.terms.clear();
    let r = run(&FrankWolfeMethod, &mut m, &s2, p, 1e-10);
    assert_ne!(r.status, Status::Converged);
}

#[test]
fn accepts_names_what_does_not_fit() {
    let m = Model::lasso(10, 5, 1).l1(0.1);
    let mut s = m.structure(var(5, None));
    s.composite.nonsmooth.push("max(x)".into());
    let Fit::No { message, .. } = FistaMethod.accepts(&s) else {
        panic!("fista accepted max(x)");
    };
    assert!(message.contains("`max(x)` is not"), "{message}");
    s.composite.nonsmooth.clear();
    s.constraints = 1;
    assert!(matches!(FistaMethod.accepts(&s), Fit::No { .. }));
    s.constraints = 0;
    // Frank–Wolfe: nonsmooth terms, unbounded vars.
    let Fit::No { message, .. } = FrankWolfeMethod.accepts(&s) else {
        panic!("frank_wolfe accepted an ℓ1 term");
    };
    assert!(message.contains("norm(x, 1)"), "{message}");
    s.composite.terms.clear();
    let Fit::No { message, .. } = FrankWolfeMethod.accepts(&s) else {
        panic!("frank_wolfe accepted an unbounded var");
    };
    assert!(message.contains("bounded"), "{message}");
    // bcd: needs ℓ1 on every coordinate.
    let mut half = Model::lasso(10, 5, 1).structure(var(5, None));
    half.composite.terms.push(ProxTerm {
        penalty: Penalty::L1,
        weight: 0.1,
        indices: vec![0, 1],
        text: "0.1 * norm(x[0:2], 1)".into(),
    });
    assert!(matches!(BcdMethod.accepts(&half), Fit::No { .. }));
    // A term on a var in a set.
    let mut on_set = m.structure(var(5, Some(Set::Simplex { radius: 1.0 })));
    on_set.composite.least_squares = None;
    assert!(matches!(FistaMethod.accepts(&on_set), Fit::No { .. }));
}
