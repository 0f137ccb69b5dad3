//! `sinkhorn(method, tol, max_iters)` as a [`Method`]: it accepts problems of one
//! matrix variable, and `auto` picks it when the problem is recognised as entropic
//! optimal transport; it solves the recognised form with optl-transport.

use super::recognize::recognize;
use crate::method::{
    AutoFit, DefaultValue as D, Domain, Fit, Method, Model, Outcome, Param, Params, Signature,
    Structure,
};
use crate::problem::{Bounds, Options, SolveResult, Status};

const METHODS: &[&str] = &["scaling", "log", "newton_sparse"];

/// `sinkhorn(method, tol, max_iters)`.
pub struct SinkhornMethod;

static SINKHORN: Signature = Signature {
    name: "sinkhorn",
    params: &[
        Param {
            name: "method",
            default: D::Str("scaling"),
            domain: Domain::Choice(METHODS),
        },
        Param {
            name: "tol",
            default: D::Float(1e-9),
            domain: Domain::Float { positive: true },
        },
        Param {
            name: "max_iters",
            default: D::Int(10000),
            domain: Domain::Int { min: 1 },
        },
    ],
    doc: "Entropic optimal transport (Sinkhorn–Knopp, log-domain, or Sinkhorn–Newton–Sparse) for a problem recognised as `minimize ⟨M, P⟩ + reg Σ P log P` over `P[n, m] >= 0` with its row and column sums fixed; `auto` picks it for such problems.",
};

/// The shape `[n, m]` of the problem's one variable, if it has exactly one 2-d variable.
fn matrix_var(model: &dyn Model) -> Option<(usize, usize)> {
    match model.var_shapes().as_slice() {
        [s] if s.len() == 2 => Some((s[0], s[1])),
        _ => None,
    }
}

impl Method for SinkhornMethod {
    fn signature(&self) -> &'static Signature {
        &SINKHORN
    }

    fn accepts(&self, s: &Structure) -> Fit {
        if s.objectives == 1 {
            Fit::Yes
        } else {
            Fit::No {
                message: format!(
                    "`sinkhorn` solves one transport objective; `{}` has {}",
                    s.name, s.objectives
                ),
                label: "several objectives",
                hint: "use nsga2() for several objectives".into(),
            }
        }
    }

    fn recognizes(&self, model: &mut dyn Model, s: &Structure, bounds: &Bounds) -> Option<AutoFit> {
        if s.objectives != 1 {
            return None;
        }
        let (n, m) = matrix_var(model)?;
        recognize(model, n, m, bounds).ok().map(|_| AutoFit {
            reason: "the problem is entropic optimal transport",
            fallback: None,
        })
    }

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
        let Some((rows, cols)) = matrix_var(m) else {
            return Outcome::Point(SolveResult::new(
                Status::Error,
                x0.to_vec(),
                f64::NAN,
                "sinkhorn: the problem must have one matrix variable P[n, m]",
            ));
        };
        let form = match recognize(m, rows, cols, b) {
            Ok(f) => f,
            Err(why) => {
                return Outcome::Point(SolveResult::new(
                    Status::Error,
                    x0.to_vec(),
                    f64::NAN,
                    format!("sinkhorn: not an entropic transport problem: {why}"),
                ));
            }
        };
        let clock = crate::problem::Clock::new(o.timeout);
        let mut opts = optl_transport::Options::default();
        if !p.auto {
            opts.method = match p.str("method", "scaling") {
                "log" => optl_transport::Method::Log,
                "newton_sparse" => optl_transport::Method::NewtonSparse,
                _ => optl_transport::Method::Scaling,
            };
            opts.max_iters = p.int("max_iters", opts.max_iters);
        }
        opts.tol = if p.auto {
            opts.tol
        } else {
            p.float("tol", opts.tol)
        };
        let t = match optl_transport::sinkhorn(&form.a, &form.b, &form.cost, form.reg, &opts) {
            Ok(t) => t,
            Err(e) => {
                return Outcome::Point(SolveResult::new(
                    Status::Error,
                    x0.to_vec(),
                    f64::NAN,
                    format!("sinkhorn: {e}"),
                ));
            }
        };
        let status = match t.status {
            optl_transport::Status::Converged => Status::Converged,
            optl_transport::Status::MaxIters => Status::MaxIters,
            optl_transport::Status::Diverged => Status::Diverged,
        };
        let message = format!(
            "Sinkhorn ({}{}): marginal error {:.1e} after {} iterations",
            match t.method {
                optl_transport::Method::Scaling => "scaling",
                optl_transport::Method::Log => "log domain",
                optl_transport::Method::NewtonSparse => "Newton–sparse",
            },
            if t.switched_to_log {
                ", switched to the log domain"
            } else {
                ""
            },
            t.err,
            t.iters
        );
        let mut r = SolveResult::new(status, t.plan, t.objective + form.offset, message);
        r.iters = t.iters;
        r.inner_iters = t.iters;
        r.max_violation = t.err;
        r.time_s = clock.elapsed_s();
        Outcome::Point(r)
    }
}
