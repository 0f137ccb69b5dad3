//! The one walk over a space that every DNA operation shares: it visits the
//! decision points in DNA order, works out the values allowed at each one
//! (`Domain`, which carries the `manyof` distinct/sorted constraints), and asks
//! a `Source` for each decision. Checking, sampling, decoding and grid
//! enumeration are sources (`sources.rs`).

use rand::RngExt;
use rand::rngs::ChaCha8Rng;

use crate::dna::Decision;
use crate::space::Space;

/// The values allowed at one decision point, given the decisions before it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Domain<'a> {
    /// An index in `lo..=hi` that is not in `exclude`, out of `n` candidates.
    /// For a sorted `manyof` pick, `rest` more picks follow.
    Choice {
        n: usize,
        lo: usize,
        hi: usize,
        exclude: &'a [usize],
        rest: usize,
        sorted: bool,
        distinct: bool,
    },
    Int {
        lo: i64,
        hi: i64,
    },
    Float {
        lo: f64,
        hi: f64,
        log: bool,
    },
}

impl<'a> Domain<'a> {
    /// The allowed indices for pick `j` of a `manyof(k, n candidates, distinct,
    /// sorted)` given the earlier `picks`: after the last pick when sorted (strictly
    /// when distinct), leaving room for the picks still to come, and not repeating an
    /// earlier pick when distinct.
    pub(crate) fn pick(
        j: usize,
        k: usize,
        n: usize,
        distinct: bool,
        sorted: bool,
        picks: &'a [usize],
    ) -> Domain<'a> {
        let lo = match (sorted, picks.last()) {
            (true, Some(&p)) => p + usize::from(distinct),
            _ => 0,
        };
        let hi = if sorted && distinct {
            n - (k - j)
        } else {
            n.saturating_sub(1)
        };
        let exclude: &[usize] = if distinct && !sorted { picks } else { &[] };
        Domain::Choice {
            n,
            lo,
            hi,
            exclude,
            rest: k - j - 1,
            sorted,
            distinct,
        }
    }
}

impl Domain<'_> {
    pub(crate) fn allows(&self, i: usize) -> bool {
        match *self {
            Domain::Choice {
                lo, hi, exclude, ..
            } => lo <= i && i <= hi && !exclude.contains(&i),
            _ => false,
        }
    }

    /// Whether a decision fits the domain.
    fn fits(&self, d: &Decision) -> bool {
        match (self, d) {
            (Domain::Choice { .. }, Decision::Index(i)) => self.allows(*i),
            (Domain::Int { lo, hi }, Decision::Int(v)) => lo <= v && v <= hi,
            (Domain::Float { lo, hi, .. }, Decision::Float(x)) => lo <= x && x <= hi,
            _ => false,
        }
    }

    /// The allowed indices of a choice, ascending.
    pub(crate) fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        let (lo, hi) = match *self {
            Domain::Choice { lo, hi, .. } => (lo, hi),
            _ => (1, 0),
        };
        (lo..=hi).filter(move |&i| self.allows(i))
    }

    /// Whether more than one value is allowed.
    pub(crate) fn is_open(&self) -> bool {
        match *self {
            Domain::Choice { .. } => self.indices().nth(1).is_some(),
            Domain::Int { lo, hi } => lo < hi,
            Domain::Float { lo, hi, .. } => lo < hi,
        }
    }

    /// A point of `[0, 1]` mapped into a float domain (log-uniformly for log).
    pub(crate) fn denorm(lo: f64, hi: f64, log: bool, u: f64) -> f64 {
        if u <= 0.0 {
            return lo;
        }
        if u >= 1.0 {
            return hi;
        }
        let x = match (log, hi / lo, hi - lo) {
            // `lo·(hi/lo)^u` keeps round grids round (1e-4, 1e-3, ...).
            (true, ratio, _) if ratio.is_finite() => lo * ratio.powf(u),
            // A range wider than f64 (`floatv(1e-300, 1e300)`) in logarithms.
            (true, _, _) => (lo.ln() + u * (hi.ln() - lo.ln())).exp(),
            (false, _, width) if width.is_finite() => lo + u * width,
            // A range whose width overflows (`floatv(-1e308, 1e308)`).
            (false, _, _) => lo * (1.0 - u) + hi * u,
        };
        x.clamp(lo, hi)
    }

    /// A float mapped to `[0, 1]` (0.5 for a single-value domain).
    pub(crate) fn norm(lo: f64, hi: f64, log: bool, x: f64) -> f64 {
        if lo >= hi {
            return 0.5;
        }
        let u = match (log, hi - lo) {
            (true, _) => (x.ln() - lo.ln()) / (hi.ln() - lo.ln()),
            (false, width) if width.is_finite() => (x - lo) / width,
            // A width that overflows: halve everything first.
            (false, _) => (x / 2.0 - lo / 2.0) / (hi / 2.0 - lo / 2.0),
        };
        u.clamp(0.0, 1.0)
    }

    /// Grid point `t` of `m` (the middle when `m == 1`).
    fn grid_point(lo: f64, hi: f64, log: bool, t: usize, m: usize) -> f64 {
        let u = if m <= 1 {
            0.5
        } else {
            t as f64 / (m - 1) as f64
        };
        Domain::denorm(lo, hi, log, u)
    }

    /// The first value of the grid order.
    pub(crate) fn first(&self, float_points: usize) -> Decision {
        match *self {
            Domain::Choice { .. } => Decision::Index(self.indices().next().unwrap_or(0)),
            Domain::Int { lo, .. } => Decision::Int(lo),
            Domain::Float { lo, hi, log } => {
                let m = if lo == hi { 1 } else { float_points };
                Decision::Float(Domain::grid_point(lo, hi, log, 0, m))
            }
        }
    }

    /// The value after `d` in the grid order, if any.
    pub(crate) fn next_after(&self, d: &Decision, float_points: usize) -> Option<Decision> {
        match (*self, d) {
            (Domain::Choice { .. }, Decision::Index(i)) => {
                self.indices().find(|&j| j > *i).map(Decision::Index)
            }
            (Domain::Int { hi, .. }, Decision::Int(v)) => (*v < hi).then(|| Decision::Int(v + 1)),
            (Domain::Float { lo, hi, log }, Decision::Float(x)) => {
                if lo == hi || float_points <= 1 {
                    return None;
                }
                let m = float_points;
                let t = (Domain::norm(lo, hi, log, *x) * (m - 1) as f64).round() as usize;
                (t + 1 < m).then(|| Decision::Float(Domain::grid_point(lo, hi, log, t + 1, m)))
            }
            _ => None,
        }
    }
}

/// Gives the decision at each point of a walk.
pub(crate) trait Source {
    /// The decision at point `id` (only meaningful in a walk with ids) whose
    /// allowed values are `dom`.
    fn decide(&mut self, id: usize, dom: &Domain<'_>) -> Result<Decision, String>;
}

/// Asks `src` for one decision, checks it against `dom` and appends it.
fn decide<S: Source>(
    src: &mut S,
    id: usize,
    dom: &Domain<'_>,
    out: &mut Vec<Decision>,
) -> Result<(), String> {
    let d = src.decide(id, dom)?;
    if !dom.fits(&d) {
        return Err(format!(
            "decision {} ({d}) is not allowed here: {dom:?}",
            out.len()
        ));
    }
    out.push(d);
    Ok(())
}

/// As `decide`, for a choice: returns the index.
fn decide_index<S: Source>(
    src: &mut S,
    id: usize,
    dom: &Domain<'_>,
    out: &mut Vec<Decision>,
) -> Result<usize, String> {
    decide(src, id, dom, out)?;
    match out.last() {
        Some(Decision::Index(i)) => Ok(*i),
        _ => Err("a choice gave no index".into()),
    }
}

/// Walks `space`, appending the decisions `src` gives to `out` after checking
/// that each fits its domain. With `IDS`, `base` is the number of the
/// subtree's first decision point and sources get true point numbers;
/// without, they get 0 and the walk saves the counting.
pub(crate) fn walk<const IDS: bool, S: Source>(
    space: &Space,
    base: usize,
    src: &mut S,
    out: &mut Vec<Decision>,
) -> Result<(), String> {
    match space {
        Space::Fixed => Ok(()),
        Space::Seq(cs) => {
            let mut b = base;
            for c in cs {
                walk::<IDS, S>(c, b, src, out)?;
                if IDS {
                    b += c.n_points();
                }
            }
            Ok(())
        }
        Space::OneOf(cs) => {
            let n = cs.len();
            let dom = Domain::Choice {
                n,
                lo: 0,
                hi: n.saturating_sub(1),
                exclude: &[],
                rest: 0,
                sorted: false,
                distinct: false,
            };
            let i = decide_index(src, base, &dom, out)?;
            let b = if IDS {
                base + 1 + cs[..i].iter().map(Space::n_points).sum::<usize>()
            } else {
                0
            };
            walk::<IDS, S>(&cs[i], b, src, out)
        }
        Space::ManyOf {
            k,
            candidates,
            distinct,
            sorted,
        } => {
            let (k, n, distinct, sorted) = (*k, candidates.len(), *distinct, *sorted);
            let offsets: Vec<usize> = if IDS {
                let mut acc = base + k;
                candidates
                    .iter()
                    .map(|c| {
                        let o = acc;
                        acc += c.n_points();
                        o
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let mut picks: Vec<usize> = Vec::with_capacity(k);
            for j in 0..k {
                let dom = Domain::pick(j, k, n, distinct, sorted, &picks);
                let i = decide_index(src, base + j, &dom, out)?;
                picks.push(i);
                let b = if IDS { offsets[i] } else { 0 };
                walk::<IDS, S>(&candidates[i], b, src, out)?;
            }
            Ok(())
        }
        Space::Float { lo, hi, log } => decide(
            src,
            base,
            &Domain::Float {
                lo: *lo,
                hi: *hi,
                log: *log,
            },
            out,
        ),
        Space::Int { lo, hi } => decide(src, base, &Domain::Int { lo: *lo, hi: *hi }, out),
    }
}

/// Reads the decisions of an existing DNA (checking is the walk's job).
#[derive(Clone)]
pub(crate) struct Reader<'d> {
    pub dna: &'d [Decision],
    pub pos: usize,
}

impl Source for Reader<'_> {
    fn decide(&mut self, _: usize, _: &Domain<'_>) -> Result<Decision, String> {
        let d = self.dna.get(self.pos).cloned().ok_or_else(|| {
            format!(
                "the DNA is too short: it ends after {} decisions",
                self.dna.len()
            )
        })?;
        self.pos += 1;
        Ok(d)
    }
}

/// A uniform draw on [0, 1) from the top 53 bits of one 64-bit output.
pub(crate) fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rand::Rng::next_u64(rng) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal draw (Box–Muller, one value per two uniforms).
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - unit(rng);
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A uniform index below `n` (`n > 0`).
pub(crate) fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    rng.random_range(0..n)
}
