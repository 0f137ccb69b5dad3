//! The nonlinear-programming family as [`Method`]s: each constructor's signature
//! (parameters, defaults, domains), which problems it accepts, when `auto` picks
//! it, and how its parameters configure the solver.

use super::{AugLag, Lbfgs, LineSearch, NelderMead, Newton, Sqp};
use crate::method::{
    AutoFit, DefaultValue as D, Domain, Fit, Method, Model, Outcome, Param, Params, Signature,
    Structure, plain_objective,
};
use crate::problem::{Bounds, Options, Solver};

/// Largest number of variables, and of constraint rows, for which `auto` tries SQP
/// first: its QP and quasi-Newton matrix are dense, and its Jacobian costs one
/// product per constraint.
pub const SQP_AUTO_MAX_SIZE: usize = 50;

const MAX_ITERS: Domain = Domain::Int { min: 1 };
const TOL: Domain = Domain::Float { positive: false };
const LINE_SEARCHES: &[&str] = &["more_thuente", "backtracking"];

/// `lbfgs(m, max_iters, tol, line_search)`.
pub struct LbfgsMethod;

static LBFGS: Signature = Signature {
    name: "lbfgs",
    params: &[
        Param {
            name: "m",
            default: D::Int(10),
            domain: Domain::Int { min: 0 },
        },
        Param {
            name: "max_iters",
            default: D::Int(100000),
            domain: MAX_ITERS,
        },
        Param {
            name: "tol",
            default: D::Float(1e-10),
            domain: TOL,
        },
        Param {
            name: "line_search",
            default: D::Str("more_thuente"),
            domain: Domain::Choice(LINE_SEARCHES),
        },
    ],
    doc: "Limited-memory BFGS with a Moré–Thuente strong-Wolfe line search; with box bounds, a projected active-set variant.",
};

impl LbfgsMethod {
    /// The solver configured by `lbfgs(...)`'s parameters.
    pub fn configure(params: &Params) -> Lbfgs {
        let mut l = Lbfgs::default();
        if params.auto {
            return l;
        }
        l.m = params.int("m", l.m);
        l.line_search = match params.str("line_search", "more_thuente") {
            "backtracking" => LineSearch::Backtracking,
            _ => LineSearch::MoreThuente,
        };
        l
    }
}

impl Method for LbfgsMethod {
    fn signature(&self) -> &'static Signature {
        &LBFGS
    }

    fn accepts(&self, s: &Structure) -> Fit {
        plain_objective(LBFGS.name, s)
    }

    fn auto_fit(&self, _s: &Structure) -> Option<AutoFit> {
        Some(AutoFit {
            reason: "smooth problem without constraints (bounds are fine)",
            fallback: None,
        })
    }

    fn run(
        &self,
        m: &mut dyn Model,
        _: &Structure,
        x0: &[f64],
        b: &Bounds,
        p: &Params,
        o: &Options,
    ) -> Outcome {
        Outcome::Point(Self::configure(p).solve(m, x0, b, o))
    }
}

/// `newton(max_iters, tol)`.
pub struct NewtonMethod;

static NEWTON: Signature = Signature {
    name: "newton",
    params: &[
        Param {
            name: "max_iters",
            default: D::Int(1000),
            domain: MAX_ITERS,
        },
        Param {
            name: "tol",
            default: D::Float(1e-10),
            domain: TOL,
        },
    ],
    doc: "Newton-CG (Steihaug trust region) using Hessian-vector products from automatic differentiation.",
};

impl Method for NewtonMethod {
    fn signature(&self) -> &'static Signature {
        &NEWTON
    }

    fn accepts(&self, s: &Structure) -> Fit {
        plain_objective(NEWTON.name, s)
    }

    fn run(
        &self,
        m: &mut dyn Model,
        _: &Structure,
        x0: &[f64],
        b: &Bounds,
        _: &Params,
        o: &Options,
    ) -> Outcome {
        Outcome::Point(Newton::default().solve(m, x0, b, o))
    }
}

/// `auglag(inner, max_outer, tol, feas_tol, penalty)`.
pub struct AugLagMethod;

static AUGLAG: Signature = Signature {
    name: "auglag",
    params: &[
        Param {
            name: "inner",
            default: D::Method("lbfgs"),
            domain: Domain::Method("lbfgs"),
        },
        Param {
            name: "max_outer",
            default: D::Int(100),
            domain: Domain::Int { min: 1 },
        },
        Param {
            name: "tol",
            default: D::Float(1e-10),
            domain: TOL,
        },
        Param {
            name: "feas_tol",
            default: D::Float(1e-8),
            domain: TOL,
        },
        Param {
            name: "penalty",
            default: D::Float(10.0),
            domain: Domain::Float { positive: true },
        },
    ],
    doc: "Augmented Lagrangian for equality and inequality constraints; bounds go to the inner solver.",
};

impl AugLagMethod {
    /// The solver configured by `auglag(...)`'s parameters; chosen by `auto`, it
    /// picks its first penalty from the problem.
    fn configure(params: &Params) -> AugLag {
        let mut a = AugLag::default();
        if params.auto {
            return a;
        }
        if let Some(inner) = params.method("inner") {
            a.inner = LbfgsMethod::configure(inner);
        }
        a.max_outer = params.int("max_outer", a.max_outer);
        a.feas_tol = params.float("feas_tol", a.feas_tol);
        a.rho0 = Some(params.float("penalty", 10.0));
        a
    }
}

impl Method for AugLagMethod {
    fn signature(&self) -> &'static Signature {
        &AUGLAG
    }

    fn accepts(&self, s: &Structure) -> Fit {
        plain_objective(AUGLAG.name, s)
    }

    fn auto_fit(&self, s: &Structure) -> Option<AutoFit> {
        (s.constraints > 0).then_some(AutoFit {
            reason: "constrained problem",
            fallback: None,
        })
    }

    fn run(
        &self,
        m: &mut dyn Model,
        _: &Structure,
        x0: &[f64],
        b: &Bounds,
        p: &Params,
        o: &Options,
    ) -> Outcome {
        Outcome::Point(Self::configure(p).solve(m, x0, b, o))
    }
}

/// `sqp(max_iters, tol, feas_tol)`.
pub struct SqpMethod;

static SQP: Signature = Signature {
    name: "sqp",
    params: &[
        Param {
            name: "max_iters",
            default: D::Int(200),
            domain: MAX_ITERS,
        },
        Param {
            name: "tol",
            default: D::Float(1e-10),
            domain: TOL,
        },
        Param {
            name: "feas_tol",
            default: D::Float(1e-8),
            domain: TOL,
        },
    ],
    doc: "Sequential quadratic programming (damped BFGS, Goldfarb–Idnani QP, l1 merit) for small dense constrained problems.",
};

impl Method for SqpMethod {
    fn signature(&self) -> &'static Signature {
        &SQP
    }

    fn accepts(&self, s: &Structure) -> Fit {
        plain_objective(SQP.name, s)
    }

    /// Small constrained problems: SQP, and the augmented Lagrangian from the start
    /// when SQP does not converge.
    fn auto_fit(&self, s: &Structure) -> Option<AutoFit> {
        let small = s.n <= SQP_AUTO_MAX_SIZE && s.rows <= SQP_AUTO_MAX_SIZE;
        (s.constraints > 0 && small).then_some(AutoFit {
            reason: "small constrained problem",
            fallback: Some(AUGLAG.name),
        })
    }

    /// On a small problem SQP evaluates its programs a few dozen times, fewer than
    /// it takes a compile to pay off.
    fn runs_many(&self) -> bool {
        false
    }

    fn run(
        &self,
        m: &mut dyn Model,
        _: &Structure,
        x0: &[f64],
        b: &Bounds,
        p: &Params,
        o: &Options,
    ) -> Outcome {
        let mut q = Sqp::default();
        if !p.auto {
            q.max_iters = p.int("max_iters", q.max_iters);
            q.feas_tol = p.float("feas_tol", q.feas_tol);
        }
        Outcome::Point(q.solve(m, x0, b, o))
    }
}

/// `nelder_mead(max_iters, tol)`.
pub struct NelderMeadMethod;

static NELDER_MEAD: Signature = Signature {
    name: "nelder_mead",
    params: &[
        Param {
            name: "max_iters",
            default: D::Int(20000),
            domain: MAX_ITERS,
        },
        Param {
            name: "tol",
            default: D::Float(1e-10),
            domain: TOL,
        },
    ],
    doc: "Adaptive Nelder–Mead simplex search: no gradients, for non-smooth problems.",
};

impl Method for NelderMeadMethod {
    fn signature(&self) -> &'static Signature {
        &NELDER_MEAD
    }

    fn accepts(&self, s: &Structure) -> Fit {
        plain_objective(NELDER_MEAD.name, s)
    }

    fn run(
        &self,
        m: &mut dyn Model,
        _: &Structure,
        x0: &[f64],
        b: &Bounds,
        _: &Params,
        o: &Options,
    ) -> Outcome {
        Outcome::Point(NelderMead::default().solve(m, x0, b, o))
    }
}
