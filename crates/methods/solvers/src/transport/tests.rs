//! Tests of transport recognition and the `sinkhorn` method on a hand-written
//! model: the form read back exactly, the near misses refused with their reason,
//! the solve equal to optl-transport's.

use super::recognize;
use crate::method::{Method, Outcome, Params, Structure};
use crate::problem::{Bounds, MultiObjective, Nlp, Options, Status};
use crate::registry;
use crate::transport::methods::SinkhornMethod;

/// `⟨M, P⟩ + reg Σ P log P + 3` with `P 1 = a` (as `rowsum − a`) and `Pᵀ 1 = b`
/// (as `b − colsum`), or a variant that breaks one condition.
struct Model {
    rows: usize,
    cols: usize,
    cost: Vec<f64>,
    reg: f64,
    a: Vec<f64>,
    b: Vec<f64>,
    quadratic: bool,
    rows_only: bool,
}

impl Model {
    fn new() -> Model {
        Model {
            rows: 2,
            cols: 3,
            cost: vec![0.1, 0.7, 0.4, 0.9, 0.2, 0.5],
            reg: 0.3,
            a: vec![0.4, 0.6],
            b: vec![0.2, 0.5, 0.3],
            quadratic: false,
            rows_only: false,
        }
    }
}

impl Nlp for Model {
    fn n(&self) -> usize {
        self.rows * self.cols
    }
    fn var_shapes(&self) -> Vec<Vec<usize>> {
        vec![vec![self.rows, self.cols]]
    }
    fn objective(&mut self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let mut f = 3.0;
        for (k, &p) in x.iter().enumerate() {
            f += self.cost[k] * p
                + if self.quadratic {
                    self.reg * p * p
                } else {
                    self.reg * p * p.ln()
                };
        }
        if let Some(g) = grad {
            for (k, &p) in x.iter().enumerate() {
                g[k] = self.cost[k]
                    + if self.quadratic {
                        2.0 * self.reg * p
                    } else {
                        self.reg * (p.ln() + 1.0)
                    };
            }
        }
        f
    }
    fn n_eq(&self) -> usize {
        if self.rows_only {
            self.rows
        } else {
            self.rows + self.cols
        }
    }
    fn constraints(&mut self, x: &[f64], c_eq: &mut [f64], _: &mut [f64]) {
        for i in 0..self.rows {
            c_eq[i] = (0..self.cols).map(|j| x[i * self.cols + j]).sum::<f64>() - self.a[i];
        }
        if !self.rows_only {
            for j in 0..self.cols {
                c_eq[self.rows + j] =
                    self.b[j] - (0..self.rows).map(|i| x[i * self.cols + j]).sum::<f64>();
            }
        }
    }
}

impl MultiObjective for Model {
    fn n(&self) -> usize {
        self.rows * self.cols
    }
    fn n_obj(&self) -> usize {
        1
    }
    fn objectives(&mut self, x: &[f64], out: &mut [f64]) {
        out[0] = self.objective(x, None);
    }
}

fn bounds(n: usize) -> Bounds {
    Bounds::new(vec![0.0; n], vec![f64::INFINITY; n])
}

fn structure(m: &Model) -> Structure {
    Structure {
        name: "t".into(),
        n: m.rows * m.cols,
        objectives: 1,
        constraints: 2,
        rows: Nlp::n_eq(m),
        ..Structure::default()
    }
}

#[test]
fn the_form_is_read_back() {
    let mut m = Model::new();
    let form = recognize(&mut m, 2, 3, &bounds(6)).expect("recognised");
    assert!((form.reg - 0.3).abs() < 1e-12, "{}", form.reg);
    assert_eq!(form.a, vec![0.4, 0.6]);
    assert_eq!(form.b, vec![0.2, 0.5, 0.3]);
    // The linear part absorbs `reg` (the gradient of reg·P log P at P = 1).
    for (got, want) in form.cost.iter().zip(&m.cost) {
        assert!((got - (want + 0.3)).abs() < 1e-12);
    }
    // ⟨M + reg, P⟩ + reg Σ (P log P − P) is the model's objective minus its constant.
    assert!((form.offset - 3.0).abs() < 1e-9, "{}", form.offset);
}

#[test]
fn near_misses_are_refused_with_their_reason() {
    let mut quadratic = Model {
        quadratic: true,
        ..Model::new()
    };
    let why = recognize(&mut quadratic, 2, 3, &bounds(6)).unwrap_err();
    assert!(why.contains("objective"), "{why}");
    let mut rows_only = Model {
        rows_only: true,
        ..Model::new()
    };
    let why = recognize(&mut rows_only, 2, 3, &bounds(6)).unwrap_err();
    assert!(why.contains("column sums"), "{why}");
    let boxed = Bounds::new(vec![0.0; 6], vec![1.0; 6]);
    assert!(recognize(&mut Model::new(), 2, 3, &boxed).is_err());
}

#[test]
fn auto_picks_sinkhorn_and_solves_as_optl_transport() {
    let mut m = Model::new();
    let s = structure(&m);
    let plan = registry::Plan::auto(&s, &mut m, &bounds(6));
    assert_eq!(plan.method.signature().name, "sinkhorn");
    let s = structure(&m);
    let Outcome::Point(r) = plan.run(&mut m, &s, &[1.0 / 6.0; 6], &bounds(6), &Options::default())
    else {
        panic!("a point")
    };
    assert_eq!(r.status, Status::Converged, "{}", r.message);
    let form = recognize(&mut m, 2, 3, &bounds(6)).expect("recognised");
    let direct = optl_transport::sinkhorn(
        &form.a,
        &form.b,
        &form.cost,
        form.reg,
        &optl_transport::Options::default(),
    )
    .expect("solves");
    assert_eq!(r.x, direct.plan);
    // The reported objective is the model's own at the plan.
    let f = m.objective(&r.x, None);
    assert!((r.f - f).abs() < 1e-9 * f.abs().max(1.0), "{} vs {f}", r.f);
}

#[test]
fn a_non_transport_problem_is_not_picked_and_is_an_error_when_asked() {
    let mut m = Model {
        quadratic: true,
        ..Model::new()
    };
    let s = structure(&m);
    let plan = registry::Plan::auto(&s, &mut m, &bounds(6));
    assert_ne!(plan.method.signature().name, "sinkhorn");
    let sig = SinkhornMethod.signature();
    let Outcome::Point(r) = SinkhornMethod.run(
        &mut m,
        &Structure::default(),
        &[0.1; 6],
        &bounds(6),
        &Params::auto(sig),
        &Options::default(),
    ) else {
        panic!("a point")
    };
    assert_eq!(r.status, Status::Error);
    assert!(
        r.message.contains("not an entropic transport problem"),
        "{}",
        r.message
    );
}
