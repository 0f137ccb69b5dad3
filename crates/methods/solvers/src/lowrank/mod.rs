//! The low-rank family: a problem recognised as matrix completion
//! ([`CompletionForm`], derived from the objective as written by the IR's
//! structure analysis) solved by optl-lowrank's alternating minimization.
//!
//! `altmin(max_iters, tol)` accepts a problem whose only vars are the two factors
//! of the completion objective, unbounded, with no constraints and one objective;
//! `auto` picks it for such problems. The ridge terms become the least-squares
//! ridge (`ridge / weight`, equal on both factors: different ridges are not this
//! form). The Result's `f` is the model's own objective at the solution.

use crate::facts::CompletionForm;
use crate::method::{
    AutoFit, DefaultValue as D, Domain, Fit, Method, Model, Outcome, Param, Params, Signature,
    Structure,
};
use crate::problem::{Bounds, Clock, Options, SolveResult, Status};

/// `altmin(max_iters, tol)`.
pub struct AltMinMethod;

static ALTMIN: Signature = Signature {
    name: "altmin",
    params: &[
        Param {
            name: "max_iters",
            default: D::Int(200),
            domain: Domain::Int { min: 1 },
        },
        Param {
            name: "tol",
            default: D::Float(1e-9),
            domain: Domain::Float { positive: true },
        },
    ],
    doc: "Alternating least squares (matrix completion, as `complete`) for a problem recognised as `minimize sum(W * (M - U @ transpose(V))^2)` (+ `lam * (sum(U^2) + sum(V^2))`) over two matrix vars; `auto` picks it for such problems.",
};

/// Why `s` is not a completion problem `altmin` can solve, or its form.
fn form<'a>(s: &'a Structure, bounds: &Bounds) -> Result<&'a CompletionForm, String> {
    let Some(c) = s.composite.completion.as_deref() else {
        return Err(format!(
            "the objective of `{}` is not `sum(W * (M - U @ transpose(V))^2)` (plus `lam * (sum(U^2) + sum(V^2))`) for constants M, a 0/1 mask W and two matrix vars",
            s.name
        ));
    };
    if s.objectives != 1 || s.constraints != 0 {
        return Err("a completion problem has one objective and no `subject to`".into());
    }
    if s.vars.len() != 2 {
        return Err("a completion problem has exactly the two factor vars".into());
    }
    if bounds.lower.iter().any(|l| l.is_finite()) || bounds.upper.iter().any(|u| u.is_finite()) {
        return Err("the factors of a completion problem are unbounded".into());
    }
    if c.ridge_u != c.ridge_v {
        return Err(format!(
            "the ridge terms on the two factors differ ({} and {}); altmin takes one `lam * (sum(U^2) + sum(V^2))`",
            c.ridge_u, c.ridge_v
        ));
    }
    Ok(c)
}

impl Method for AltMinMethod {
    fn signature(&self) -> &'static Signature {
        &ALTMIN
    }

    fn accepts(&self, s: &Structure) -> Fit {
        match form(s, &Bounds::unbounded(s.n)) {
            Ok(_) => Fit::Yes,
            Err(message) => Fit::No {
                message,
                label: "not a completion problem",
                hint: "write the objective as sum(mask * (M - U @ transpose(V))^2), or use lbfgs()"
                    .into(),
            },
        }
    }

    fn auto_fit(&self, s: &Structure) -> Option<AutoFit> {
        form(s, &Bounds::unbounded(s.n)).ok().map(|_| AutoFit {
            reason: "the problem is low-rank matrix completion",
            fallback: None,
        })
    }

    fn runs_many(&self) -> bool {
        false
    }

    fn run(
        &self,
        model: &mut dyn Model,
        s: &Structure,
        x0: &[f64],
        bounds: &Bounds,
        p: &Params,
        o: &Options,
    ) -> Outcome {
        let error = |message: String| {
            Outcome::Point(SolveResult::new(
                Status::Error,
                x0.to_vec(),
                f64::NAN,
                message,
            ))
        };
        let c = match form(s, bounds) {
            Ok(c) => c,
            Err(why) => return error(format!("altmin: {why}")),
        };
        let clock = Clock::new(o.timeout);
        let ones;
        let mask: &[f64] = match &c.mask {
            Some(m) => m,
            None => {
                ones = vec![1.0; c.rows * c.cols];
                &ones
            }
        };
        let obs = match optl_lowrank::Observed::from_dense(&c.m, mask, c.rows, c.cols) {
            Ok(obs) => obs,
            Err(e) => return error(format!("altmin: {e}")),
        };
        let options = optl_lowrank::CompletionOptions {
            rank: c.rank,
            max_iters: p.int("max_iters", 200),
            tol: p.float("tol", 1e-9),
            ridge: c.ridge_u / c.weight,
            ..Default::default()
        };
        let r = match optl_lowrank::complete(&obs, &options) {
            Ok(r) => r,
            Err(e) => return error(format!("altmin: {e}")),
        };
        let mut x = x0.to_vec();
        let (uv, vv) = (&s.vars[c.u], &s.vars[c.v]);
        for (to, from) in x[uv.range()].iter_mut().zip(r.u.iter()) {
            *to = *from;
        }
        for (to, from) in x[vv.range()].iter_mut().zip(r.v.iter()) {
            *to = *from;
        }
        let f = model.objective(&x, None);
        let status = match r.status {
            optl_lowrank::Status::Converged if f.is_finite() => Status::Converged,
            optl_lowrank::Status::MaxIters if f.is_finite() => Status::MaxIters,
            _ => Status::Diverged,
        };
        let message = format!(
            "alternating least squares: observed relative error {:.1e} after {} sweeps",
            r.rel_error_observed, r.iters
        );
        let mut out = SolveResult::new(status, x, f, message);
        out.iters = r.iters;
        out.time_s = clock.elapsed_s();
        Outcome::Point(out)
    }
}
