//! The sources that give every DNA operation of `Space` built on the walk:
//! uniform sampling, checking, decoding to decision points, and grid
//! enumeration (lexicographic successor of a DNA).

use rand::RngExt;
use rand::rngs::ChaCha8Rng;

use crate::dna::{Decision, Dna};
use crate::space::Space;
use crate::walk::{Domain, Reader, Source, below, unit, walk};

/// `C(n, r)` as a float.
fn binomial(n: usize, r: usize) -> f64 {
    (0..r).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// Samples uniformly: every `manyof` index tuple equally likely (sorted picks
/// are weighted by their number of completions), floats uniform in
/// (log-)normalised space.
pub(crate) struct RandomSource<'r>(pub &'r mut ChaCha8Rng);

impl Source for RandomSource<'_> {
    fn decide(&mut self, _: usize, dom: &Domain<'_>) -> Result<Decision, String> {
        Ok(sample(self.0, dom))
    }
}

/// One uniform draw from a domain.
pub(crate) fn sample(rng: &mut ChaCha8Rng, dom: &Domain<'_>) -> Decision {
    match *dom {
        Domain::Choice {
            n,
            rest,
            sorted,
            distinct,
            ..
        } => {
            if sorted && rest > 0 {
                let weight = |i: usize| {
                    if distinct {
                        binomial(n - 1 - i, rest)
                    } else {
                        binomial(n - 1 - i + rest, rest)
                    }
                };
                let total: f64 = dom.indices().map(weight).sum();
                let mut r = unit(rng) * total;
                let mut last = 0;
                for i in dom.indices() {
                    last = i;
                    r -= weight(i);
                    if r < 0.0 {
                        break;
                    }
                }
                return Decision::Index(last);
            }
            let count = dom.indices().count();
            Decision::Index(dom.indices().nth(below(rng, count)).unwrap_or(0))
        }
        Domain::Int { lo, hi } => Decision::Int(rng.random_range(lo..=hi)),
        Domain::Float { lo, hi, log } => Decision::Float(Domain::denorm(lo, hi, log, unit(rng))),
    }
}

/// Records the point number of each decision read.
struct Decoder<'d>(Reader<'d>, Vec<usize>);

impl Source for Decoder<'_> {
    fn decide(&mut self, id: usize, dom: &Domain<'_>) -> Result<Decision, String> {
        self.1.push(id);
        self.0.decide(id, dom)
    }
}

/// Gives `prefix` and then the first value of every later domain.
struct PrefixSource<'d> {
    prefix: &'d [Decision],
    float_points: usize,
}

impl Source for PrefixSource<'_> {
    fn decide(&mut self, _: usize, dom: &Domain<'_>) -> Result<Decision, String> {
        Ok(match self.prefix.split_first() {
            Some((d, rest)) => {
                self.prefix = rest;
                d.clone()
            }
            None => dom.first(self.float_points),
        })
    }
}

/// Reads a DNA and records, for each decision, the next value of its domain.
struct Successors<'d> {
    reader: Reader<'d>,
    next: Vec<Option<Decision>>,
    float_points: usize,
}

impl Source for Successors<'_> {
    fn decide(&mut self, id: usize, dom: &Domain<'_>) -> Result<Decision, String> {
        let d = self.reader.decide(id, dom)?;
        self.next.push(dom.next_after(&d, self.float_points));
        Ok(d)
    }
}

impl Space {
    /// Checks that `dna` picks a point of this space exactly: the right number
    /// of decisions, each of the right kind and within its allowed values.
    pub fn check(&self, dna: &Dna) -> Result<(), String> {
        let mut r = Reader {
            dna: &dna.0,
            pos: 0,
        };
        let mut out = Vec::with_capacity(dna.len());
        walk::<false, _>(self, 0, &mut r, &mut out)?;
        if r.pos != dna.len() {
            return Err(format!(
                "the DNA has {} decisions but the space takes {}",
                dna.len(),
                r.pos
            ));
        }
        Ok(())
    }

    /// A random DNA (see `RandomSource` for the distribution).
    pub fn random(&self, rng: &mut ChaCha8Rng) -> Dna {
        let mut out = Vec::new();
        // A random source only gives allowed values, so the walk cannot fail.
        let _ = walk::<false, _>(self, 0, &mut RandomSource(rng), &mut out);
        Dna(out)
    }

    /// The decision point number of each decision of `dna`.
    pub fn decode(&self, dna: &Dna) -> Result<Vec<usize>, String> {
        let mut d = Decoder(
            Reader {
                dna: &dna.0,
                pos: 0,
            },
            Vec::with_capacity(dna.len()),
        );
        let mut out = Vec::with_capacity(dna.len());
        walk::<true, _>(self, 0, &mut d, &mut out)?;
        if d.1.len() != dna.len() {
            return Err(format!(
                "the DNA has {} extra decisions",
                dna.len() - d.1.len()
            ));
        }
        Ok(d.1)
    }

    /// The first DNA of the grid order (every decision at its first value).
    pub fn grid_first(&self, float_points: usize) -> Dna {
        let mut src = PrefixSource {
            prefix: &[],
            float_points: float_points.max(1),
        };
        let mut out = Vec::new();
        let _ = walk::<false, _>(self, 0, &mut src, &mut out);
        Dna(out)
    }

    /// The DNA after `dna` in the grid order (lexicographic over the
    /// decisions, each in its domain's order), or `None` after the last.
    pub fn grid_next(&self, dna: &Dna, float_points: usize) -> Option<Dna> {
        let float_points = float_points.max(1);
        let mut s = Successors {
            reader: Reader {
                dna: &dna.0,
                pos: 0,
            },
            next: Vec::with_capacity(dna.len()),
            float_points,
        };
        let mut out = Vec::with_capacity(dna.len());
        walk::<false, _>(self, 0, &mut s, &mut out).ok()?;
        let p = s.next.iter().rposition(Option::is_some)?;
        let mut prefix = dna.0[..p].to_vec();
        prefix.extend(s.next[p].take());
        let mut src = PrefixSource {
            prefix: &prefix,
            float_points,
        };
        let mut out = Vec::with_capacity(dna.len());
        walk::<false, _>(self, 0, &mut src, &mut out).ok()?;
        Some(Dna(out))
    }

    /// Every DNA of the grid, lazily and in a fixed order: floats take
    /// `float_points` evenly spaced values (in log space for a log scale),
    /// ints all their values. Yields exactly `grid_size(float_points)` DNAs.
    pub fn enumerate(&self, float_points: usize) -> impl Iterator<Item = Dna> + '_ {
        let mut next = Some(self.grid_first(float_points));
        std::iter::from_fn(move || {
            let cur = next.take()?;
            next = self.grid_next(&cur, float_points);
            Some(cur)
        })
    }
}
