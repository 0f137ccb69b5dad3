//! The nonsmooth part of a composite problem, `h(x) = Σ weight·penalty(x[block])`
//! plus the indicators of the vars' sets and boxes, as the splitting methods use
//! it: its value, its prox (`prox_{t h}`: each term's prox on its block, each set's
//! projection, the box's clip elsewhere), the projection of a start, and, for
//! Frank–Wolfe, the linear minimization oracle over the sets and boxes.
//!
//! The blocks are disjoint and no term acts on a var in a set (the methods'
//! `accepts` checks this), so the prox separates exactly. On boxed coordinates
//! only ℓ1 terms are allowed: for a one-dimensional convex term the prox of
//! term plus interval is the clip of the term's prox.

use crate::facts::{ProxTerm, VarFact};
use crate::problem::Bounds;
use optl_linalg::prox::Set;

/// A var's set and where the var lies.
#[derive(Clone, Debug)]
struct SetBlock {
    set: Set,
    range: std::ops::Range<usize>,
}

/// `h` for one problem.
#[derive(Clone, Debug)]
pub struct Nonsmooth {
    terms: Vec<ProxTerm>,
    sets: Vec<SetBlock>,
    /// Box bounds of the coordinates outside every set (±inf inside them).
    lower: Vec<f64>,
    upper: Vec<f64>,
    /// Scratch for gathered blocks.
    block: Vec<f64>,
    out: Vec<f64>,
}

impl Nonsmooth {
    pub fn new(terms: &[ProxTerm], vars: &[VarFact], bounds: &Bounds) -> Nonsmooth {
        let mut lower = bounds.lower.clone();
        let mut upper = bounds.upper.clone();
        let mut sets = Vec::new();
        for v in vars {
            if let Some(set) = v.set {
                for i in v.range() {
                    lower[i] = f64::NEG_INFINITY;
                    upper[i] = f64::INFINITY;
                }
                sets.push(SetBlock {
                    set,
                    range: v.range(),
                });
            }
        }
        Nonsmooth {
            terms: terms.to_vec(),
            sets,
            lower,
            upper,
            block: Vec::new(),
            out: Vec::new(),
        }
    }

    /// Whether there is nothing nonsmooth but boxes.
    pub fn has_terms(&self) -> bool {
        !self.terms.is_empty()
    }

    /// `Σ weight·penalty(x[block])` (the indicators are zero on feasible points).
    pub fn value(&self, x: &[f64]) -> f64 {
        let mut total = 0.0;
        let mut block = Vec::new();
        for t in &self.terms {
            block.clear();
            block.extend(t.indices.iter().map(|&i| x[i]));
            total += t.weight * t.penalty.value(&block);
        }
        total
    }

    /// `out = prox_{step·h}(v)`; `Err` with the set's message if a projection
    /// failed (a non-finite input).
    pub fn prox(&mut self, v: &[f64], step: f64, out: &mut [f64]) -> Result<(), String> {
        for ((o, &vi), (&lo, &hi)) in out
            .iter_mut()
            .zip(v)
            .zip(self.lower.iter().zip(&self.upper))
        {
            *o = vi.clamp(lo.min(hi), hi.max(lo));
        }
        for t in &self.terms {
            self.block.clear();
            self.block.extend(t.indices.iter().map(|&i| v[i]));
            self.out.resize(self.block.len(), 0.0);
            t.penalty.prox(&self.block, step * t.weight, &mut self.out);
            for (&i, &z) in t.indices.iter().zip(&self.out) {
                out[i] = z.clamp(self.lower[i], self.upper[i]);
            }
        }
        for s in &self.sets {
            s.set
                .project(&v[s.range.clone()], &mut out[s.range.clone()])
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The nearest point of the sets and boxes (terms untouched): a feasible start.
    pub fn project(&self, v: &[f64], out: &mut [f64]) -> Result<(), String> {
        for ((o, &vi), (&lo, &hi)) in out
            .iter_mut()
            .zip(v)
            .zip(self.lower.iter().zip(&self.upper))
        {
            *o = vi.clamp(lo.min(hi), hi.max(lo));
        }
        for s in &self.sets {
            s.set
                .project(&v[s.range.clone()], &mut out[s.range.clone()])
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// `out = argmin over the sets and boxes of ⟨g, s⟩` (boxes must be finite where
    /// the oracle is asked; a zero gradient entry picks the lower bound).
    pub fn lmo(&self, g: &[f64], out: &mut [f64]) -> Result<(), String> {
        for (i, o) in out.iter_mut().enumerate() {
            *o = if g[i] > 0.0 {
                self.lower[i]
            } else if g[i] < 0.0 {
                self.upper[i]
            } else if self.lower[i].is_finite() {
                self.lower[i]
            } else {
                self.upper[i]
            };
        }
        for s in &self.sets {
            s.set
                .lmo(&g[s.range.clone()], &mut out[s.range.clone()])
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The polytope vertices FW's away steps track: sets whose extreme points are
    /// signed unit vectors (simplex, ℓ1 ball) and the box coordinates.
    pub fn is_polytope(&self) -> bool {
        self.sets
            .iter()
            .all(|s| matches!(s.set, Set::Simplex { .. } | Set::L1Ball { .. }))
    }

    /// The sets with the positions of their vars.
    pub fn sets(&self) -> impl Iterator<Item = (Set, std::ops::Range<usize>)> + '_ {
        self.sets.iter().map(|s| (s.set, s.range.clone()))
    }

    /// The box of coordinate `i` (infinite inside sets).
    pub fn bounds_of(&self, i: usize) -> (f64, f64) {
        (self.lower[i], self.upper[i])
    }
}
