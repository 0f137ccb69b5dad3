//! The splitting family as [`Method`]s: `fista`, `frank_wolfe` and `bcd`, which
//! problems each accepts (read from the structure's [`Composite`] and var facts),
//! when `auto` picks them, and how their parameters configure them.

use super::admm::{Admm, Coupled};
use super::certificate::{Certificate, LassoDual};
use super::fista::Fista;
use super::frank_wolfe::{FrankWolfe, Step};
use super::lasso::{Bcd, Rule};
use super::nonsmooth::Nonsmooth;
use crate::facts::Composite;
use crate::method::{
    AutoFit, DefaultValue as D, Domain, Fit, Method, Model, Outcome, Param, Params, Signature,
    Structure, one_objective,
};
use crate::problem::{Bounds, Nlp, Options, SolveResult, Status};
use optl_linalg::prox::{Penalty, Set};

const MAX_ITERS: Domain = Domain::Int { min: 1 };
const TOL: Domain = Domain::Float { positive: false };

/// The prox-friendly forms, for hints.
const PROX_FRIENDLY: &str = "prox-friendly terms are `norm(v, 1)`, `norm(v)`, `sum(norm(V, 2, axis))`, `norm(v, inf)`, `count_nonzero(v)` and `sum(abs(v)^q)` (q < 1) on disjoint blocks of vars";

fn refuse(message: String, hint: impl Into<String>) -> Fit {
    Fit::No {
        message,
        label: "this solver",
        hint: hint.into(),
    }
}

/// The options a splitting method runs with: chosen by `auto`, its own default
/// `max_iters` and `tol` (Frank–Wolfe's `tol` is looser than the NLP solvers', its
/// gap closing as O(1/k)) unless the solve gave them.
fn own_defaults(sig: &Signature, params: &Params, opts: &Options) -> Options {
    let mut o = opts.clone();
    if params.auto {
        for p in sig.params {
            match (p.name, p.default) {
                ("max_iters", D::Int(n)) if !opts.max_iters_given => o.max_iters = n as usize,
                ("tol", D::Float(t)) if !opts.tol_given => o.tol = t,
                _ => {}
            }
        }
    }
    o
}

/// The result with its `max_violation` measured on the model's own constraints
/// (for sets written as constraints, which the method met as sets).
fn measured(model: &mut dyn Model, s: &Structure, mut r: SolveResult) -> SolveResult {
    if s.set_constraints == 0 {
        return r;
    }
    let (me, mi) = (Nlp::n_eq(model), Nlp::n_ineq(model));
    let (mut ce, mut ci) = (vec![0.0; me], vec![0.0; mi]);
    Nlp::constraints(model, &r.x, &mut ce, &mut ci);
    let worst = ce
        .iter()
        .map(|c| c.abs())
        .chain(ci.iter().map(|c| c.max(0.0)))
        .fold(0.0f64, |a, b| if b.is_nan() { f64::NAN } else { a.max(b) });
    r.max_violation = worst;
    if !(worst <= 1e-8) && r.status == Status::Converged {
        r.status = Status::Infeasible;
        r.message = format!("the constraints read as sets are violated by {worst:e} at the answer");
    }
    r
}

/// One objective and no `subject to`.
fn unconstrained(method: &str, s: &Structure) -> Fit {
    if let no @ Fit::No { .. } = one_objective(method, s) {
        return no;
    }
    let general = s.constraints - s.set_constraints.min(s.constraints);
    if general > 0 {
        return refuse(
            format!(
                "`{method}` handles bounds and sets, and `{}` has {general} `subject to` constraint(s) that are not sets",
                s.name
            ),
            "write the constraint as a set (`var x[n] in simplex`, `in l1ball(r)`, ...), or use `auglag()`",
        );
    }
    Fit::Yes
}

/// Every nonsmooth term prox-friendly.
fn prox_friendly(method: &str, c: &Composite) -> Fit {
    match c.nonsmooth.first() {
        Some(term) => refuse(
            format!(
                "`{method}` needs every nonsmooth term to be prox-friendly, and `{term}` is not"
            ),
            format!("{PROX_FRIENDLY}; `lbfgs()` or `nelder_mead()` run on subgradients instead"),
        ),
        None => Fit::Yes,
    }
}

/// `fista(backtracking, restart, max_iters, tol)`.
pub struct FistaMethod;

static FISTA: Signature = Signature {
    name: "fista",
    params: &[
        Param {
            name: "backtracking",
            default: D::Bool(true),
            domain: Domain::Bool,
        },
        Param {
            name: "restart",
            default: D::Bool(true),
            domain: Domain::Bool,
        },
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
    doc: "Accelerated proximal gradient for a smooth part plus prox-friendly terms, vars in boxes or sets.",
};

impl Method for FistaMethod {
    fn signature(&self) -> &'static Signature {
        &FISTA
    }

    fn accepts(&self, s: &Structure) -> Fit {
        let name = FISTA.name;
        for fit in [unconstrained(name, s), prox_friendly(name, &s.composite)] {
            if let no @ Fit::No { .. } = fit {
                return no;
            }
        }
        for t in &s.composite.terms {
            let Some(v) = s
                .vars
                .iter()
                .find(|v| t.indices.iter().any(|i| v.range().contains(i)))
            else {
                continue;
            };
            if let Some(set) = v.set {
                return refuse(
                    format!(
                        "`fista` applies one prox per block, and the term `{}` acts on `{}`, which is declared `in {}`",
                        t.text,
                        v.name,
                        set.name()
                    ),
                    "put the term and the set on different vars, or write the set as constraints and use `auglag()`",
                );
            }
            if v.boxed && t.penalty != Penalty::L1 {
                return refuse(
                    format!(
                        "`fista` combines bounds only with ℓ1 terms, and the term `{}` acts on `{}`, which has bounds",
                        t.text, v.name
                    ),
                    "drop the bounds of that var, or use an ℓ1 term",
                );
            }
        }
        Fit::Yes
    }

    fn auto_fit(&self, s: &Structure) -> Option<AutoFit> {
        let wanted = !s.composite.terms.is_empty() || s.set_var().is_some();
        (wanted && self.accepts(s) == Fit::Yes).then_some(AutoFit {
            reason: "prox-friendly terms or sets: proximal gradient",
            fallback: None,
        })
    }

    fn run(
        &self,
        model: &mut dyn Model,
        s: &Structure,
        x0: &[f64],
        bounds: &Bounds,
        params: &Params,
        opts: &Options,
    ) -> Outcome {
        let fista = Fista {
            backtracking: params.bool("backtracking", true),
            restart: params.bool("restart", true),
        };
        let mut h = Nonsmooth::new(&s.composite.terms, &s.vars, bounds);
        let constrained = s.vars.iter().any(|v| v.boxed || v.set.is_some());
        let cert = Certificate::for_problem(
            &s.composite.terms,
            s.composite.least_squares.as_ref(),
            s.n,
            constrained,
        );
        let opts = own_defaults(&FISTA, params, opts);
        let r = fista.run(model, &mut h, &cert, x0, &opts);
        Outcome::Point(measured(model, s, r))
    }
}

/// `frank_wolfe(step, away, max_iters, tol)`.
pub struct FrankWolfeMethod;

static FRANK_WOLFE: Signature = Signature {
    name: "frank_wolfe",
    params: &[
        Param {
            name: "step",
            default: D::Str("linesearch"),
            domain: Domain::Choice(&["linesearch", "short", "open_loop"]),
        },
        Param {
            name: "away",
            default: D::Bool(true),
            domain: Domain::Bool,
        },
        Param {
            name: "max_iters",
            default: D::Int(10000),
            domain: MAX_ITERS,
        },
        Param {
            name: "tol",
            default: D::Float(1e-6),
            domain: TOL,
        },
    ],
    doc: "Frank–Wolfe (conditional gradient) for a smooth objective over vars in sets and finite boxes.",
};

impl Method for FrankWolfeMethod {
    fn signature(&self) -> &'static Signature {
        &FRANK_WOLFE
    }

    fn accepts(&self, s: &Structure) -> Fit {
        if let no @ Fit::No { .. } = unconstrained(FRANK_WOLFE.name, s) {
            return no;
        }
        if let Some(term) = s.composite.first_nonsmooth() {
            return refuse(
                format!("`frank_wolfe` minimizes a smooth objective, and `{term}` is nonsmooth"),
                "use `fista()` for prox-friendly terms",
            );
        }
        if let Some(v) = s.vars.iter().find(|v| v.set.is_none() && !v.bounded) {
            return refuse(
                format!(
                    "`frank_wolfe` needs a bounded domain, and `{}` is neither in a set nor in a finite box",
                    v.name
                ),
                "declare it `in [lo, hi]` or in a set, or use `fista()`",
            );
        }
        Fit::Yes
    }

    /// `auto` takes Frank–Wolfe for nuclear balls, whose linear oracle is one
    /// singular pair where a projection needs a whole SVD.
    fn auto_fit(&self, s: &Structure) -> Option<AutoFit> {
        let nuclear = s
            .vars
            .iter()
            .any(|v| matches!(v.set, Some(Set::NuclearBall { .. })));
        (nuclear && self.accepts(s) == Fit::Yes).then_some(AutoFit {
            reason: "a var in nuclear_ball: its linear oracle is one singular pair",
            fallback: None,
        })
    }

    fn run(
        &self,
        model: &mut dyn Model,
        s: &Structure,
        x0: &[f64],
        bounds: &Bounds,
        params: &Params,
        opts: &Options,
    ) -> Outcome {
        let step = match params.str("step", "linesearch") {
            "short" => Step::Short,
            "open_loop" => Step::OpenLoop,
            _ => Step::LineSearch,
        };
        let fw = FrankWolfe {
            step,
            away: params.bool("away", true),
        };
        let opts = own_defaults(&FRANK_WOLFE, params, opts);
        let r = fw.run(model, &s.vars, bounds, x0, &opts);
        Outcome::Point(measured(model, s, r))
    }
}

/// `bcd(rule, block, max_iters, tol)`.
pub struct BcdMethod;

static BCD: Signature = Signature {
    name: "bcd",
    params: &[
        Param {
            name: "rule",
            default: D::Str("cyclic"),
            domain: Domain::Choice(&["cyclic", "random", "gauss_southwell", "greedy"]),
        },
        Param {
            name: "block",
            default: D::Int(1),
            domain: Domain::Int { min: 1 },
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
    ],
    doc: "Block coordinate descent with working sets for least squares plus ℓ1 (Lasso, elastic net).",
};

/// Relative agreement required between the least-squares reading and the model's
/// own objective at the solution.
const READING_RTOL: f64 = 1e-8;

impl BcdMethod {
    /// The Lasso dual of the problem, or why `bcd` does not apply.
    fn dual(s: &Structure) -> Result<LassoDual, Fit> {
        if let no @ Fit::No { .. } = unconstrained(BCD.name, s) {
            return Err(no);
        }
        if let no @ Fit::No { .. } = prox_friendly(BCD.name, &s.composite) {
            return Err(no);
        }
        if let Some(v) = s.vars.iter().find(|v| v.boxed || v.set.is_some()) {
            return Err(refuse(
                format!(
                    "`bcd` solves unconstrained Lasso problems, and `{}` has bounds or a set",
                    v.name
                ),
                "use `fista()`",
            ));
        }
        if let Some(t) = s.composite.terms.iter().find(|t| t.penalty != Penalty::L1) {
            return Err(refuse(
                format!("`bcd` handles ℓ1 terms, and `{}` is not one", t.text),
                "use `fista()` for other prox-friendly terms",
            ));
        }
        let Some(form) = s.composite.least_squares.as_ref().filter(|f| f.n == s.n) else {
            return Err(refuse(
                format!(
                    "`bcd` needs a least-squares smooth part `c * sum((A @ x - b)^2)` (plus `d * sum(x^2)`), and `{}`'s is not one",
                    s.name
                ),
                "use `fista()`",
            ));
        };
        LassoDual::new(form.clone(), &s.composite.terms).ok_or_else(|| {
            refuse(
                format!("`bcd` needs an ℓ1 term on every variable of `{}`", s.name),
                "add `norm(x, 1)` terms that cover every var, or use `fista()`",
            )
        })
    }
}

impl Method for BcdMethod {
    fn signature(&self) -> &'static Signature {
        &BCD
    }

    fn accepts(&self, s: &Structure) -> Fit {
        match Self::dual(s) {
            Ok(_) => Fit::Yes,
            Err(no) => no,
        }
    }

    fn auto_fit(&self, s: &Structure) -> Option<AutoFit> {
        Self::dual(s).is_ok().then_some(AutoFit {
            reason: "least squares plus ℓ1: coordinate descent",
            fallback: None,
        })
    }

    /// It reads the problem's constants and never runs its programs (one
    /// evaluation at the end checks the reading).
    fn runs_many(&self) -> bool {
        false
    }

    fn run(
        &self,
        model: &mut dyn Model,
        s: &Structure,
        x0: &[f64],
        _bounds: &Bounds,
        params: &Params,
        opts: &Options,
    ) -> Outcome {
        let dual = match Self::dual(s) {
            Ok(d) => d,
            Err(_) => {
                return Outcome::Point(SolveResult::new(
                    Status::Error,
                    x0.to_vec(),
                    f64::NAN,
                    "the problem is not least squares plus ℓ1",
                ));
            }
        };
        let rule = match params.str("rule", "cyclic") {
            "random" => Rule::Random,
            "gauss_southwell" => Rule::GaussSouthwell,
            "greedy" => Rule::Greedy,
            _ => Rule::Cyclic,
        };
        let bcd = Bcd {
            rule,
            block: params.int("block", 1).max(1),
        };
        let mut r = bcd.run(&dual, x0, &own_defaults(&BCD, params, opts));
        // The model's own objective at the solution must agree with the reading.
        let f = model.objective(&r.x, None);
        r.evals = 1;
        if !((f - r.f).abs() <= READING_RTOL * f.abs().max(1.0)) {
            r.message = format!(
                "the least-squares reading gives {} where the objective is {f}",
                r.f
            );
            r.status = Status::Error;
        }
        r.f = f;
        Outcome::Point(r)
    }
}

/// `admm(rho, adaptive, max_iters, tol)`.
pub struct AdmmMethod;

static ADMM: Signature = Signature {
    name: "admm",
    params: &[
        Param {
            name: "rho",
            default: D::Float(1.0),
            domain: Domain::Float { positive: true },
        },
        Param {
            name: "adaptive",
            default: D::Bool(true),
            domain: Domain::Bool,
        },
        Param {
            name: "max_iters",
            default: D::Int(10000),
            domain: MAX_ITERS,
        },
        Param {
            name: "tol",
            default: D::Float(1e-8),
            domain: TOL,
        },
    ],
    doc: "ADMM for `minimize f(x) + h(z) subject to A @ x + B @ z == c`, the prox-friendly terms on z.",
};

impl Method for AdmmMethod {
    fn signature(&self) -> &'static Signature {
        &ADMM
    }

    fn accepts(&self, s: &Structure) -> Fit {
        if let no @ Fit::No { .. } = one_objective(ADMM.name, s) {
            return no;
        }
        if let no @ Fit::No { .. } = prox_friendly(ADMM.name, &s.composite) {
            return no;
        }
        match Coupled::new(s) {
            Ok(_) => Fit::Yes,
            Err(message) => refuse(
                message,
                "write the problem as `minimize f(x) + g(z) subject to A @ x - z == c`, with the nonsmooth terms on `z`",
            ),
        }
    }

    fn auto_fit(&self, s: &Structure) -> Option<AutoFit> {
        (s.constraints > 0 && self.accepts(s) == Fit::Yes).then_some(AutoFit {
            reason: "prox-friendly terms on vars coupled linearly: ADMM",
            fallback: None,
        })
    }

    fn run(
        &self,
        model: &mut dyn Model,
        s: &Structure,
        x0: &[f64],
        bounds: &Bounds,
        params: &Params,
        opts: &Options,
    ) -> Outcome {
        let coupled = match Coupled::new(s) {
            Ok(c) => c,
            Err(e) => {
                return Outcome::Point(SolveResult::new(Status::Error, x0.to_vec(), f64::NAN, e));
            }
        };
        let admm = Admm {
            rho: params.float("rho", 1.0),
            adaptive: params.bool("adaptive", true),
            anchored: false,
        };
        let opts = own_defaults(&ADMM, params, opts);
        Outcome::Point(admm.run(model, &coupled, x0, bounds, &opts))
    }
}

/// `halpern(rho, max_iters, tol)`: Halpern-anchored ADMM.
pub struct HalpernMethod;

static HALPERN: Signature = Signature {
    name: "halpern",
    params: &[
        Param {
            name: "rho",
            default: D::Float(1.0),
            domain: Domain::Float { positive: true },
        },
        Param {
            name: "max_iters",
            default: D::Int(10000),
            domain: MAX_ITERS,
        },
        Param {
            name: "tol",
            default: D::Float(1e-8),
            domain: TOL,
        },
    ],
    doc: "Halpern's anchored iteration of ADMM (Douglas–Rachford) on the same linear coupling as `admm`.",
};

impl Method for HalpernMethod {
    fn signature(&self) -> &'static Signature {
        &HALPERN
    }

    fn accepts(&self, s: &Structure) -> Fit {
        match AdmmMethod.accepts(s) {
            Fit::No {
                message,
                label,
                hint,
            } => Fit::No {
                message: message.replace("`admm`", "`halpern`"),
                label,
                hint,
            },
            yes => yes,
        }
    }

    fn run(
        &self,
        model: &mut dyn Model,
        s: &Structure,
        x0: &[f64],
        bounds: &Bounds,
        params: &Params,
        opts: &Options,
    ) -> Outcome {
        let coupled = match Coupled::new(s) {
            Ok(c) => c,
            Err(e) => {
                return Outcome::Point(SolveResult::new(Status::Error, x0.to_vec(), f64::NAN, e));
            }
        };
        let halpern = Admm {
            rho: params.float("rho", 1.0),
            adaptive: false,
            anchored: true,
        };
        let opts = own_defaults(&HALPERN, params, opts);
        Outcome::Point(halpern.run(model, &coupled, x0, bounds, &opts))
    }
}
