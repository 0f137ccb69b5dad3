//! Variation of DNA for the evolutionary algorithms: mutation (change some
//! decisions, sampling fresh decisions for a newly taken branch) and crossover
//! (mix two parents decision by decision where their trees agree).

use rand::rngs::ChaCha8Rng;

use crate::dna::{Decision, Dna};
use crate::sources::{RandomSource, sample};
use crate::space::Space;
use crate::walk::{Domain, Reader, Source, below, normal, unit, walk};

/// Standard deviation of a Gaussian step, in (log-)normalised units.
const STEP: f64 = 0.1;
/// Probability that a mutated number is resampled uniformly rather than stepped.
const RESAMPLE: f64 = 0.2;

/// Records which decisions could take another value.
struct Openness<'d>(Reader<'d>, Vec<bool>);

impl Source for Openness<'_> {
    fn decide(&mut self, id: usize, dom: &Domain<'_>) -> Result<Decision, String> {
        self.1.push(dom.is_open());
        self.0.decide(id, dom)
    }
}

struct Mutation<'r> {
    rng: &'r mut ChaCha8Rng,
    rate: f64,
    /// Position (in the parent) of the decision that must change.
    forced: usize,
}

impl Mutation<'_> {
    /// Whether the parent's decision at `pos` is to change.
    fn hit(&mut self, pos: usize) -> bool {
        let r = unit(self.rng);
        pos == self.forced || r < self.rate
    }

    /// An index of `dom` other than `old` (uniform), or `old` if there is none.
    fn other_index(&mut self, dom: &Domain<'_>, old: usize) -> usize {
        let count = dom.indices().filter(|&i| i != old).count();
        if count == 0 {
            return old;
        }
        let r = below(self.rng, count);
        dom.indices().filter(|&i| i != old).nth(r).unwrap_or(old)
    }

    fn float(&mut self, lo: f64, hi: f64, log: bool, old: f64) -> f64 {
        if lo >= hi {
            return old;
        }
        let u = Domain::norm(lo, hi, log, old);
        for _ in 0..16 {
            let v = if unit(self.rng) < RESAMPLE {
                unit(self.rng)
            } else {
                (u + STEP * normal(self.rng)).clamp(0.0, 1.0)
            };
            let x = Domain::denorm(lo, hi, log, v);
            if x != old {
                return x;
            }
        }
        if old == lo { hi } else { lo }
    }

    fn int(&mut self, lo: i64, hi: i64, old: i64) -> i64 {
        if lo >= hi {
            return old;
        }
        let span = (i128::from(hi) - i128::from(lo)) as f64;
        if unit(self.rng) < RESAMPLE {
            let dom = Domain::Int { lo, hi };
            for _ in 0..16 {
                if let Decision::Int(v) = sample(self.rng, &dom)
                    && v != old
                {
                    return v;
                }
            }
        }
        let z = normal(self.rng) * STEP * span;
        let step = if z.abs() < 1.0 { z.signum() } else { z.round() };
        let step = step.clamp(-span, span) as i128;
        let mut v = (i128::from(old) + step).clamp(i128::from(lo), i128::from(hi));
        if v == i128::from(old) {
            // Pushed against a bound: go the other way.
            v = (i128::from(old) - step.signum()).clamp(i128::from(lo), i128::from(hi));
        }
        v as i64
    }

    /// Copies `space`'s part of the parent from `old`, changing hit decisions.
    fn node(
        &mut self,
        space: &Space,
        old: &mut Reader<'_>,
        out: &mut Vec<Decision>,
    ) -> Result<(), String> {
        match space {
            Space::Fixed => Ok(()),
            Space::Seq(cs) => cs.iter().try_for_each(|c| self.node(c, old, out)),
            Space::OneOf(cs) => {
                let n = cs.len();
                let dom = Domain::Choice {
                    n,
                    lo: 0,
                    hi: n - 1,
                    exclude: &[],
                    rest: 0,
                    sorted: false,
                    distinct: false,
                };
                let pos = old.pos;
                let o = read_index(old)?;
                let i = if self.hit(pos) {
                    self.other_index(&dom, o)
                } else {
                    o
                };
                out.push(Decision::Index(i));
                self.branch(&cs[o], &cs[i], o == i, old, out)
            }
            Space::ManyOf {
                k,
                candidates,
                distinct,
                sorted,
            } => {
                let (k, n, distinct, sorted) = (*k, candidates.len(), *distinct, *sorted);
                let mut picks: Vec<usize> = Vec::with_capacity(k);
                for j in 0..k {
                    let dom = Domain::pick(j, k, n, distinct, sorted, &picks);
                    let pos = old.pos;
                    let o = read_index(old)?;
                    let hit = self.hit(pos);
                    let i = if !dom.allows(o) {
                        // An earlier change made this pick impossible.
                        match sample(self.rng, &dom) {
                            Decision::Index(i) => i,
                            _ => o,
                        }
                    } else if hit {
                        self.other_index(&dom, o)
                    } else {
                        o
                    };
                    out.push(Decision::Index(i));
                    picks.push(i);
                    self.branch(&candidates[o], &candidates[i], o == i, old, out)?;
                }
                Ok(())
            }
            Space::Float { lo, hi, log } => {
                let pos = old.pos;
                let Some(Decision::Float(x)) = old.dna.get(pos).cloned() else {
                    return Err(format!("decision {pos} should be a float"));
                };
                old.pos += 1;
                let x = if self.hit(pos) {
                    self.float(*lo, *hi, *log, x)
                } else {
                    x
                };
                out.push(Decision::Float(x));
                Ok(())
            }
            Space::Int { lo, hi } => {
                let pos = old.pos;
                let Some(Decision::Int(v)) = old.dna.get(pos).cloned() else {
                    return Err(format!("decision {pos} should be an int"));
                };
                old.pos += 1;
                let v = if self.hit(pos) {
                    self.int(*lo, *hi, v)
                } else {
                    v
                };
                out.push(Decision::Int(v));
                Ok(())
            }
        }
    }

    /// After a choice: keep mutating the same branch, or skip the parent's
    /// branch and sample the newly taken one afresh.
    fn branch(
        &mut self,
        was: &Space,
        now: &Space,
        same: bool,
        old: &mut Reader<'_>,
        out: &mut Vec<Decision>,
    ) -> Result<(), String> {
        if same {
            return self.node(now, old, out);
        }
        skip(was, old)?;
        walk::<false, _>(now, 0, &mut RandomSource(self.rng), out)
    }
}

fn read_index(r: &mut Reader<'_>) -> Result<usize, String> {
    match r.dna.get(r.pos) {
        Some(Decision::Index(i)) => {
            r.pos += 1;
            Ok(*i)
        }
        _ => Err(format!("decision {} should be an index", r.pos)),
    }
}

/// Moves `r` past `space`'s decisions.
fn skip(space: &Space, r: &mut Reader<'_>) -> Result<(), String> {
    let mut scratch = Vec::new();
    walk::<false, _>(space, 0, r, &mut scratch)
}

/// Copies `space`'s decisions from `r` to `out`.
fn copy(space: &Space, r: &mut Reader<'_>, out: &mut Vec<Decision>) -> Result<(), String> {
    walk::<false, _>(space, 0, r, out)
}

/// The indices of a `manyof`'s picks, read ahead without moving `r`.
fn peek_picks(candidates: &[Space], k: usize, r: &Reader<'_>) -> Result<Vec<usize>, String> {
    let mut r = r.clone();
    let mut picks = Vec::with_capacity(k);
    for _ in 0..k {
        let i = read_index(&mut r)?;
        skip(candidates.get(i).ok_or("pick out of range")?, &mut r)?;
        picks.push(i);
    }
    Ok(picks)
}

fn cross(
    space: &Space,
    a: &mut Reader<'_>,
    b: &mut Reader<'_>,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<Decision>,
) -> Result<(), String> {
    match space {
        Space::Fixed => Ok(()),
        Space::Seq(cs) => cs.iter().try_for_each(|c| cross(c, a, b, rng, out)),
        Space::OneOf(cs) => {
            let (ia, ib) = (a.dna.get(a.pos), b.dna.get(b.pos));
            if ia == ib
                && let Some(Decision::Index(i)) = ia
            {
                let i = *i;
                a.pos += 1;
                b.pos += 1;
                out.push(Decision::Index(i));
                return cross(cs.get(i).ok_or("index out of range")?, a, b, rng, out);
            }
            take_one(space, a, b, rng, out)
        }
        Space::ManyOf { k, candidates, .. } => {
            if peek_picks(candidates, *k, a)? != peek_picks(candidates, *k, b)? {
                return take_one(space, a, b, rng, out);
            }
            for _ in 0..*k {
                let i = read_index(a)?;
                read_index(b)?;
                out.push(Decision::Index(i));
                cross(&candidates[i], a, b, rng, out)?;
            }
            Ok(())
        }
        Space::Float { .. } | Space::Int { .. } => take_one(space, a, b, rng, out),
    }
}

/// Copies the whole of `space`'s part from one parent (a coin flip) and
/// skips it in the other.
fn take_one(
    space: &Space,
    a: &mut Reader<'_>,
    b: &mut Reader<'_>,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<Decision>,
) -> Result<(), String> {
    if unit(rng) < 0.5 {
        copy(space, a, out)?;
        skip(space, b)
    } else {
        copy(space, b, out)?;
        skip(space, a)
    }
}

impl Space {
    /// A mutant of `dna`: each decision changes with probability `rate`, and
    /// one decision that can change always does, so the result differs from
    /// `dna` unless the space has a single point. A changed choice takes
    /// another allowed index and the newly taken branch is sampled afresh;
    /// numbers take a Gaussian step (sd 0.1 of the (log-)normalised range,
    /// clipped) or, one time in five, a uniform resample. A `dna` that does
    /// not fit the space is replaced by a random DNA.
    pub fn mutate(&self, dna: &Dna, rng: &mut ChaCha8Rng, rate: f64) -> Dna {
        let mut open = Openness(
            Reader {
                dna: &dna.0,
                pos: 0,
            },
            Vec::with_capacity(dna.len()),
        );
        let mut scratch = Vec::with_capacity(dna.len());
        if walk::<false, _>(self, 0, &mut open, &mut scratch).is_err() || open.1.len() != dna.len()
        {
            return self.random(rng);
        }
        let n_open = open.1.iter().filter(|&&o| o).count();
        if n_open == 0 {
            return dna.clone();
        }
        let r = below(rng, n_open);
        let forced = open
            .1
            .iter()
            .enumerate()
            .filter(|(_, o)| **o)
            .nth(r)
            .map_or(0, |(i, _)| i);
        let mut m = Mutation { rng, rate, forced };
        let mut out = Vec::with_capacity(dna.len());
        match m.node(
            self,
            &mut Reader {
                dna: &dna.0,
                pos: 0,
            },
            &mut out,
        ) {
            Ok(()) => Dna(out),
            Err(_) => self.random(m.rng),
        }
    }

    /// A child of two parents: where both took the same branch (same choice,
    /// or the same `manyof` picks) the walk descends and mixes, elsewhere the
    /// whole part comes from one parent, and each number comes from one parent
    /// (coin flips throughout). Parents that do not fit give a random DNA.
    pub fn crossover(&self, a: &Dna, b: &Dna, rng: &mut ChaCha8Rng) -> Dna {
        let mut ra = Reader { dna: &a.0, pos: 0 };
        let mut rb = Reader { dna: &b.0, pos: 0 };
        let mut out = Vec::with_capacity(a.len().max(b.len()));
        match cross(self, &mut ra, &mut rb, rng, &mut out) {
            Ok(()) if ra.pos == a.len() && rb.pos == b.len() => Dna(out),
            _ => self.random(rng),
        }
    }
}
