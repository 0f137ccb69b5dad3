//! What the evolutionary methods share around their loops: the checks of a
//! problem before a run, the evaluation of a whole population in one batch
//! ([`MultiObjective::objectives_batch`]), random initial points, and the
//! [`FrontResult`] built from the final population.

use super::FrontResult;
use super::dominance::sort_fronts;
use super::indicators::{auto_hypervolume, default_reference};
use crate::problem::{Bounds, Clock, MultiObjective, Options, Status};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// One evaluated point: its variables, objectives and total constraint violation.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub x: Vec<f64>,
    pub f: Vec<f64>,
    pub cv: f64,
}

/// Evaluates points of a problem and counts the evaluations.
pub(crate) struct Evaluator<'a> {
    mo: &'a mut dyn MultiObjective,
    /// Variables and objectives of the problem.
    pub n: usize,
    pub m: usize,
    eq_tol: f64,
    pub evals: usize,
}

impl<'a> Evaluator<'a> {
    /// Equality constraints count as met within `eq_tol`.
    pub fn new(mo: &'a mut dyn MultiObjective, eq_tol: f64) -> Self {
        let (n, m) = (mo.n(), mo.n_obj());
        Evaluator {
            mo,
            n,
            m,
            eq_tol,
            evals: 0,
        }
    }

    /// The objectives of all `xs` in one batch, then the constraints point by point.
    /// A NaN objective makes the point as bad as a point can be: the objective
    /// becomes `+inf` and the point infinitely infeasible, so every other point
    /// beats it.
    pub fn evaluate(&mut self, xs: Vec<Vec<f64>>) -> Vec<Member> {
        let (n, m) = (self.n, self.m);
        let flat: Vec<f64> = xs.iter().flat_map(|x| x.iter().copied()).collect();
        let mut out = vec![0.0; xs.len() * m];
        if n == 0 {
            for row in out.chunks_exact_mut(m.max(1)) {
                self.mo.objectives(&[], row);
            }
        } else {
            self.mo.objectives_batch(&flat, &mut out);
        }
        self.evals += xs.len();
        let (me, mi) = (self.mo.n_eq(), self.mo.n_ineq());
        let (mut ce, mut ci) = (vec![0.0; me], vec![0.0; mi]);
        xs.into_iter()
            .enumerate()
            .map(|(k, x)| {
                let mut f = out[k * m..(k + 1) * m].to_vec();
                let mut cv = 0.0;
                for v in f.iter_mut() {
                    if v.is_nan() {
                        *v = f64::INFINITY;
                        cv = f64::INFINITY;
                    }
                }
                if me + mi > 0 {
                    self.mo.constraints(&x, &mut ce, &mut ci);
                    cv += ce
                        .iter()
                        .map(|c| (c.abs() - self.eq_tol).max(0.0))
                        .sum::<f64>()
                        + ci.iter().map(|c| c.max(0.0)).sum::<f64>();
                    if cv.is_nan() {
                        cv = f64::INFINITY;
                    }
                }
                Member { x, f, cv }
            })
            .collect()
    }
}

/// The members of `pop` at the ascending indices `chosen`, in that order.
pub(crate) fn keep(pop: Vec<Member>, chosen: &[usize]) -> Vec<Member> {
    let mut slots: Vec<Option<Member>> = pop.into_iter().map(Some).collect();
    chosen.iter().filter_map(|&i| slots[i].take()).collect()
}

/// `count` points uniformly at random within `bounds` (which are finite).
pub(crate) fn random_points(bounds: &Bounds, count: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    let (lo, hi) = (&bounds.lower, &bounds.upper);
    (0..count)
        .map(|_| {
            (0..lo.len())
                .map(|i| lo[i] + rng.random::<f64>() * (hi[i] - lo[i]))
                .collect()
        })
        .collect()
}

/// Checks a problem before a run of the method `name`: consistent, finite
/// bounds and at least two objectives; the message says what is wrong.
fn check_problem(name: &str, m: usize, n: usize, bounds: &Bounds) -> Result<(), String> {
    bounds.validate(n).map_err(|(_, msg)| msg)?;
    if !bounds.is_finite() {
        return Err(format!("{name} needs finite bounds on every variable"));
    }
    if m < 2 {
        return Err(format!(
            "{name} needs at least two objectives and the problem has {m}; \
             use a single-objective solver such as lbfgs() (or auto)"
        ));
    }
    Ok(())
}

/// The result of a run that could not start.
fn failed(clock: &Clock, message: String) -> FrontResult {
    FrontResult {
        status: Status::Error,
        front_x: Vec::new(),
        front_f: Vec::new(),
        hypervolume: 0.0,
        hypervolume_exact: true,
        reference: Vec::new(),
        generations: 0,
        evals: 0,
        message,
        time_s: clock.elapsed_s(),
    }
}

/// One run of an evolutionary method: its clock, its seed and generator, the
/// evaluator of its problem and the generations done; [`Run::finish`] makes the
/// result.
pub(crate) struct Run<'a> {
    pub clock: Clock,
    pub seed: u64,
    pub rng: ChaCha8Rng,
    pub eval: Evaluator<'a>,
    pub done: usize,
}

impl<'a> Run<'a> {
    /// Checks the problem for the method `name` ([`check_problem`]) and starts
    /// the clock and the generator (`seed`, else the solve's); `Err` is the
    /// result of a run that cannot start.
    pub fn start(
        name: &str,
        mo: &'a mut dyn MultiObjective,
        bounds: &Bounds,
        opts: &Options,
        seed: Option<u64>,
        eq_tol: f64,
    ) -> Result<Run<'a>, Box<FrontResult>> {
        let clock = Clock::new(opts.timeout);
        if let Err(msg) = check_problem(name, mo.n_obj(), mo.n(), bounds) {
            return Err(Box::new(failed(&clock, msg)));
        }
        let seed = seed.unwrap_or(opts.seed);
        Ok(Run {
            clock,
            seed,
            rng: ChaCha8Rng::seed_from_u64(seed),
            eval: Evaluator::new(mo, eq_tol),
            done: 0,
        })
    }

    /// The result of a run refused after its start (settings that do not fit the
    /// problem).
    pub fn refuse(&self, message: String) -> FrontResult {
        failed(&self.clock, message)
    }

    /// Whether another of `planned` generations may run (time is left).
    pub fn goes_on(&self, planned: usize) -> bool {
        self.done < planned && !self.clock.expired()
    }

    /// The result: [`front_result`] of the final population, its hypervolume
    /// under `reference` (default: [`default_reference`] of the front).
    pub fn finish(
        self,
        pop: &[Member],
        planned: usize,
        reference: Option<Vec<f64>>,
    ) -> FrontResult {
        front_result(pop, &self, planned, reference)
    }
}

/// The first front of the final population (duplicates in objective space kept
/// once), its hypervolume (exact up to four objectives, a seeded Monte Carlo
/// estimate above), and the status: `Timeout` when the run stopped early,
/// `Infeasible` when no point is feasible.
fn front_result(
    pop: &[Member],
    end: &Run,
    planned: usize,
    reference: Option<Vec<f64>>,
) -> FrontResult {
    let fs: Vec<&[f64]> = pop.iter().map(|p| p.f.as_slice()).collect();
    let cv: Vec<f64> = pop.iter().map(|p| p.cv).collect();
    let fronts = sort_fronts(&fs, &cv);
    let mut first: Vec<&Member> = Vec::new();
    for &i in fronts.first().map(Vec::as_slice).unwrap_or(&[]) {
        if !first.iter().any(|q| q.f == pop[i].f) {
            first.push(&pop[i]);
        }
    }
    let feasible = first.iter().any(|p| p.cv == 0.0);
    let (mut status, mut message) = if end.done < planned {
        (
            Status::Timeout,
            format!("timeout after {} generations", end.done),
        )
    } else {
        (
            Status::Converged,
            format!("completed {} generations", end.done),
        )
    };
    if !feasible && status == Status::Converged {
        status = Status::Infeasible;
        message = "no feasible point found; the front holds the least violating points".into();
    }
    let front_x: Vec<Vec<f64>> = first.iter().map(|p| p.x.clone()).collect();
    let front_f: Vec<Vec<f64>> = first.iter().map(|p| p.f.clone()).collect();
    let m = pop.first().map_or(0, |p| p.f.len());
    let reference = reference.unwrap_or_else(|| default_reference(&front_f, m));
    let hv = match feasible {
        true => auto_hypervolume(&front_f, &reference, end.seed),
        false => super::indicators::Hypervolume {
            value: 0.0,
            exact: true,
        },
    };
    FrontResult {
        status,
        front_x,
        front_f,
        hypervolume: hv.value,
        hypervolume_exact: hv.exact,
        reference,
        generations: end.done,
        evals: end.eval.evals,
        message,
        time_s: end.clock.elapsed_s(),
    }
}
