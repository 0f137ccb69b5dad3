//! The tree-structured Parzen estimator (Bergstra et al. 2011), independent
//! per decision point like Optuna's default sampler: after `n_startup` random
//! trials, the observed trials are split into the best `gamma` fraction and
//! the rest, each decision point gets a density `l` from the good trials that
//! reached it and `g` from the others, and the proposal takes, point by
//! point, the best of `candidates` draws from `l` by `l(x)/g(x)`.

use rand::rngs::ChaCha8Rng;

use super::{Algorithm, first_score};
use crate::dna::{Decision, Dna};
use crate::sources::RandomSource;
use crate::space::Space;
use crate::walk::{Domain, Source, below, unit, walk};

/// TPE on the first score; failed trials join the bad group. One proposal
/// per batch.
#[derive(Clone, Debug)]
pub struct Tpe {
    /// Random trials before the model is used (default 10).
    pub n_startup: usize,
    /// Fraction of observed trials in the good group (default 0.25; at least one trial).
    pub gamma: f64,
    /// Draws from `l` ranked per decision (default 24).
    pub candidates: usize,
    /// Proposals per batch (1 unless `parallel` raised it).
    pub batch: usize,
    history: Vec<(Dna, f64)>,
    /// Proposals of the current batch not observed yet: the model counts each
    /// as the worst score so far ("constant liar"), so a batch spreads out.
    pending: Vec<Dna>,
    /// Decision point numbers of each trial's decisions (filled lazily, as
    /// `observe` does not see the space).
    decoded: Vec<Vec<usize>>,
}

impl Default for Tpe {
    fn default() -> Self {
        Tpe::new(10, 0.25, 24)
    }
}

impl Tpe {
    pub fn new(n_startup: usize, gamma: f64, candidates: usize) -> Tpe {
        Tpe {
            n_startup,
            gamma,
            candidates: candidates.max(1),
            batch: 1,
            history: Vec::new(),
            pending: Vec::new(),
            decoded: Vec::new(),
        }
    }
}

/// A value at a decision point, in the units the estimators work in: the
/// index for choices, the (log-)normalised position in `[0, 1]` for numbers
/// (an int's values are bins of width `1/(hi-lo+1)`).
fn to_unit(dom: &Domain<'_>, d: &Decision) -> f64 {
    match (*dom, d) {
        (Domain::Choice { .. }, Decision::Index(i)) => *i as f64,
        (Domain::Int { lo, hi }, Decision::Int(v)) => {
            ((i128::from(*v) - i128::from(lo)) as f64 + 0.5)
                / ((i128::from(hi) - i128::from(lo)) as f64 + 1.0)
        }
        (Domain::Float { lo, hi, log }, Decision::Float(x)) => Domain::norm(lo, hi, log, *x),
        _ => f64::NAN,
    }
}

/// The standard normal CDF, via the complementary error function
/// (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7).
fn phi(z: f64) -> f64 {
    let x = -z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let poly = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    0.5 * if x >= 0.0 { erfc } else { 2.0 - erfc }
}

/// A Parzen window estimator on `[0, 1]`: equally weighted Gaussians
/// truncated to the interval, one per observation plus a prior (mean 0.5,
/// sd 1); bandwidths are the larger gap to a neighbour, clipped to
/// `[1/min(100, n+1), 1]` (Optuna's rule).
struct Parzen {
    mus: Vec<f64>,
    sigmas: Vec<f64>,
    norms: Vec<f64>,
}

impl Parzen {
    fn new(obs: &[f64]) -> Parzen {
        let mut mus: Vec<f64> = obs.to_vec();
        mus.push(0.5);
        mus.sort_by(f64::total_cmp);
        let n = mus.len();
        let min_sigma = 1.0 / (n as f64 + 1.0).min(100.0);
        let mut sigmas = Vec::with_capacity(n);
        for i in 0..n {
            let left = if i == 0 { mus[i] } else { mus[i] - mus[i - 1] };
            let right = if i + 1 == n {
                1.0 - mus[i]
            } else {
                mus[i + 1] - mus[i]
            };
            sigmas.push(left.max(right).clamp(min_sigma, 1.0));
        }
        // The prior's bandwidth is the whole range.
        if let Some(p) = mus.iter().position(|&m| m == 0.5) {
            sigmas[p] = 1.0;
        }
        let norms = mus
            .iter()
            .zip(&sigmas)
            .map(|(m, s)| (phi((1.0 - m) / s) - phi(-m / s)).max(1e-12))
            .collect();
        Parzen { mus, sigmas, norms }
    }

    fn log_density(&self, x: f64) -> f64 {
        let mut sum = 0.0;
        for ((m, s), z) in self.mus.iter().zip(&self.sigmas).zip(&self.norms) {
            let u = (x - m) / s;
            sum += (-0.5 * u * u).exp() / (s * z);
        }
        (sum / self.mus.len() as f64).max(1e-300).ln()
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        let i = below(rng, self.mus.len());
        let (m, s) = (self.mus[i], self.sigmas[i]);
        for _ in 0..100 {
            let x = m + s * crate::walk::normal(rng);
            if (0.0..=1.0).contains(&x) {
                return x;
            }
        }
        m.clamp(0.0, 1.0)
    }
}

/// Proposes each decision from the good and bad observations at its point.
struct TpeSource<'a> {
    rng: &'a mut ChaCha8Rng,
    good: &'a [Vec<&'a Decision>],
    bad: &'a [Vec<&'a Decision>],
    candidates: usize,
}

impl Source for TpeSource<'_> {
    fn decide(&mut self, id: usize, dom: &Domain<'_>) -> Result<Decision, String> {
        let unit_of = |ds: &[&Decision]| -> Vec<f64> {
            ds.iter()
                .map(|d| to_unit(dom, d))
                .filter(|x| x.is_finite())
                .collect()
        };
        let good = unit_of(self.good.get(id).map_or(&[], Vec::as_slice));
        let bad = unit_of(self.bad.get(id).map_or(&[], Vec::as_slice));
        match *dom {
            Domain::Choice { .. } => {
                let allowed: Vec<usize> = dom.indices().collect();
                // Counts plus a prior of weight 1 spread over the allowed indices.
                let weight = |obs: &[f64], i: usize| {
                    let c = obs.iter().filter(|&&x| x == i as f64).count() as f64;
                    c + 1.0 / allowed.len() as f64
                };
                let wl: Vec<f64> = allowed.iter().map(|&i| weight(&good, i)).collect();
                let total: f64 = wl.iter().sum();
                let mut best: Option<(f64, usize)> = None;
                for _ in 0..self.candidates {
                    let mut r = unit(self.rng) * total;
                    let mut j = allowed.len() - 1;
                    for (k, w) in wl.iter().enumerate() {
                        r -= w;
                        if r < 0.0 {
                            j = k;
                            break;
                        }
                    }
                    let i = allowed[j];
                    let l = wl[j] / (good.len() as f64 + 1.0);
                    let g = weight(&bad, i) / (bad.len() as f64 + 1.0);
                    let score = l.ln() - g.ln();
                    if best.is_none_or(|(s, _)| score > s) {
                        best = Some((score, i));
                    }
                }
                Ok(Decision::Index(best.map_or(allowed[0], |b| b.1)))
            }
            Domain::Int { lo, hi } if lo == hi => Ok(Decision::Int(lo)),
            Domain::Float { lo, hi, .. } if lo == hi => Ok(Decision::Float(lo)),
            Domain::Int { .. } | Domain::Float { .. } => {
                let (l, g) = (Parzen::new(&good), Parzen::new(&bad));
                let mut best: Option<(f64, f64)> = None;
                for _ in 0..self.candidates {
                    let u = l.sample(self.rng);
                    let value = from_unit(dom, u);
                    // Rank an int by its bin's centre, which is what it stands for.
                    let at = to_unit(dom, &value);
                    let score = l.log_density(at) - g.log_density(at);
                    if best.is_none_or(|(s, _)| score > s) {
                        best = Some((score, u));
                    }
                }
                Ok(from_unit(dom, best.map_or(0.5, |b| b.1)))
            }
        }
    }
}

/// The inverse of `to_unit` for numbers.
fn from_unit(dom: &Domain<'_>, u: f64) -> Decision {
    match *dom {
        Domain::Int { lo, hi } => {
            let span = i128::from(hi) - i128::from(lo) + 1;
            let off = ((u * span as f64).floor() as i128).clamp(0, span - 1);
            Decision::Int((i128::from(lo) + off) as i64)
        }
        Domain::Float { lo, hi, log } => Decision::Float(Domain::denorm(lo, hi, log, u)),
        Domain::Choice { .. } => Decision::Index(u as usize),
    }
}

impl Algorithm for Tpe {
    fn batch(&self) -> usize {
        self.batch.max(1)
    }

    fn parallel(&mut self, k: usize) {
        self.batch = k.max(1);
    }

    fn propose(&mut self, space: &Space, rng: &mut ChaCha8Rng) -> Option<Dna> {
        let dna = if self.history.len() + self.pending.len() < self.n_startup.max(1) {
            space.random(rng)
        } else {
            let observed = self.history.len();
            let lies = self.pending.iter().map(|d| (d.clone(), f64::INFINITY));
            self.history.extend(lies);
            let dna = self.model_proposal(space, rng);
            self.history.truncate(observed);
            self.decoded.truncate(observed);
            dna
        };
        self.pending.push(dna.clone());
        Some(dna)
    }

    fn observe(&mut self, dna: &Dna, scores: Option<&[f64]>) {
        if let Some(i) = self.pending.iter().position(|d| d == dna) {
            self.pending.remove(i);
        }
        self.history.push((dna.clone(), first_score(scores)));
    }

    fn describe(&self) -> String {
        format!(
            "tpe(n_startup={}, gamma={:?}, candidates={}{})",
            self.n_startup,
            self.gamma,
            self.candidates,
            super::batch_text(self.batch)
        )
    }
}

impl Tpe {
    /// A proposal from the estimators of the good and bad trials of `history`.
    fn model_proposal(&mut self, space: &Space, rng: &mut ChaCha8Rng) -> Dna {
        while self.decoded.len() < self.history.len() {
            let dna = &self.history[self.decoded.len()].0;
            self.decoded.push(space.decode(dna).unwrap_or_default());
        }
        let mut order: Vec<usize> = (0..self.history.len()).collect();
        order.sort_by(|&a, &b| {
            self.history[a]
                .1
                .total_cmp(&self.history[b].1)
                .then(a.cmp(&b))
        });
        let finite = self.history.iter().filter(|h| h.1.is_finite()).count();
        let n_good = ((self.gamma * finite as f64).ceil() as usize).clamp(1, finite.max(1));
        let n_points = space.n_points();
        let mut good: Vec<Vec<&Decision>> = vec![Vec::new(); n_points];
        let mut bad: Vec<Vec<&Decision>> = vec![Vec::new(); n_points];
        for (rank, &t) in order.iter().enumerate() {
            let is_good = rank < n_good && self.history[t].1.is_finite();
            let sink = if is_good { &mut good } else { &mut bad };
            for (d, &id) in self.history[t].0.0.iter().zip(&self.decoded[t]) {
                if let Some(v) = sink.get_mut(id) {
                    v.push(d);
                }
            }
        }
        let mut src = TpeSource {
            rng,
            good: &good,
            bad: &bad,
            candidates: self.candidates,
        };
        let mut out = Vec::new();
        match walk::<true, _>(space, 0, &mut src, &mut out) {
            Ok(()) => Dna(out),
            Err(_) => {
                let mut out = Vec::new();
                let _ = walk::<false, _>(space, 0, &mut RandomSource(src.rng), &mut out);
                Dna(out)
            }
        }
    }
}
