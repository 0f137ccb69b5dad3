//! The decision tree of a search space (`Space`): validation, exact size,
//! the numbering of decision points, and a canonical text form.
//!
//! Order of decisions in a DNA (depth first, only the branches taken):
//! `Seq` decides its children left to right; `OneOf` gives the candidate index
//! and then that candidate's decisions; `ManyOf` gives, for each of its `k`
//! picks, the picked index followed by the picked candidate's decisions;
//! `Float` and `Int` give one value each; `Fixed` gives nothing.
//!
//! Decision points are numbered in pre-order: a `OneOf` is one point, then its
//! candidates' points follow in candidate order; a `ManyOf` is `k` points (one
//! per pick slot, numbered first), then its candidates' points, shared by all
//! picks; `Float` and `Int` are one point each. `Space::decode` gives the point
//! of every decision of a DNA.

use std::fmt;

use crate::dna::fmt_float;

/// Deepest nesting `validate` accepts. The walks over a space recurse once
/// per level, so this bounds their stack use.
pub const MAX_DEPTH: usize = 256;

/// A search space as a tree of decisions. Methods other than `validate`
/// expect a valid space (`validate` returned `Ok`).
#[derive(Clone, Debug, PartialEq)]
pub enum Space {
    /// No decision (a constant part of the value).
    Fixed,
    /// Several independent sub-spaces, decided one after the other (a
    /// list/record holding hyper-values).
    Seq(Vec<Space>),
    /// `oneof([...])`: pick one candidate index, then decide that candidate's
    /// sub-space.
    OneOf(Vec<Space>),
    /// `manyof(k, [...], distinct, sorted)`: `k` picks (indices); each pick is
    /// followed by the picked candidate's sub-space decisions. `distinct`: no
    /// index twice; `sorted`: indices non-decreasing (strictly increasing if
    /// `distinct`).
    ManyOf {
        k: usize,
        candidates: Vec<Space>,
        distinct: bool,
        sorted: bool,
    },
    /// `floatv(lo, hi, scale)`: uniform in `[lo, hi]`, or log-uniform when
    /// `log` (which requires `lo > 0`).
    Float { lo: f64, hi: f64, log: bool },
    /// `intv(lo, hi)`, both inclusive.
    Int { lo: i64, hi: i64 },
}

/// What is decided at one decision point (see the module notes for the numbering).
#[derive(Clone, Debug, PartialEq)]
pub enum PointKind {
    /// The index of a `oneof` over `n` candidates.
    OneOf { n: usize },
    /// Pick slot `slot` (of `k`) of a `manyof` over `n` candidates.
    Pick {
        slot: usize,
        k: usize,
        n: usize,
        distinct: bool,
        sorted: bool,
    },
    /// An `intv`.
    Int { lo: i64, hi: i64 },
    /// A `floatv`.
    Float { lo: f64, hi: f64, log: bool },
}

impl Space {
    /// Checks the space: finite float bounds with `lo <= hi`, `lo > 0` for a
    /// log scale, `lo <= hi` for ints, non-empty candidate lists, `k` at most
    /// the number of candidates for a distinct `manyof`, nesting at most
    /// `MAX_DEPTH`.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_at(0)
    }

    fn validate_at(&self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "the space is nested more than {MAX_DEPTH} levels deep"
            ));
        }
        match self {
            Space::Fixed => Ok(()),
            Space::Seq(cs) => cs.iter().try_for_each(|c| c.validate_at(depth + 1)),
            Space::OneOf(cs) => {
                if cs.is_empty() {
                    return Err("oneof needs at least one candidate".into());
                }
                cs.iter().try_for_each(|c| c.validate_at(depth + 1))
            }
            Space::ManyOf {
                k,
                candidates,
                distinct,
                ..
            } => {
                if candidates.is_empty() {
                    return Err("manyof needs at least one candidate".into());
                }
                if *distinct && *k > candidates.len() {
                    return Err(format!(
                        "manyof cannot pick {k} distinct candidates out of {}",
                        candidates.len()
                    ));
                }
                candidates.iter().try_for_each(|c| c.validate_at(depth + 1))
            }
            Space::Float { lo, hi, log } => {
                if !lo.is_finite() || !hi.is_finite() {
                    return Err(format!(
                        "floatv bounds must be finite, got ({lo:?}, {hi:?})"
                    ));
                }
                if lo > hi {
                    return Err(format!("floatv needs lo <= hi, got ({lo:?}, {hi:?})"));
                }
                if *log && *lo <= 0.0 {
                    return Err(format!("floatv with a log scale needs lo > 0, got {lo:?}"));
                }
                Ok(())
            }
            Space::Int { lo, hi } => {
                if lo > hi {
                    return Err(format!("intv needs lo <= hi, got ({lo}, {hi})"));
                }
                Ok(())
            }
        }
    }

    /// The number of distinct DNAs: `f64::INFINITY` when a float with
    /// `lo < hi` is reachable (a float with `lo == hi` counts as one value).
    pub fn space_size(&self) -> f64 {
        self.size_with(None)
    }

    /// The number of DNAs `enumerate(float_points)` yields: as `space_size`,
    /// with every float counting `float_points` values (at least 1).
    pub fn grid_size(&self, float_points: usize) -> f64 {
        self.size_with(Some(float_points.max(1)))
    }

    fn size_with(&self, float_points: Option<usize>) -> f64 {
        match self {
            Space::Fixed => 1.0,
            Space::Seq(cs) => cs.iter().map(|c| c.size_with(float_points)).product(),
            Space::OneOf(cs) => cs.iter().map(|c| c.size_with(float_points)).sum(),
            Space::Float { lo, hi, .. } => {
                if lo == hi {
                    1.0
                } else {
                    float_points.map_or(f64::INFINITY, |m| m as f64)
                }
            }
            Space::Int { lo, hi } => (i128::from(*hi) - i128::from(*lo) + 1) as f64,
            Space::ManyOf {
                k,
                candidates,
                distinct,
                sorted,
            } => {
                let k = *k;
                if k == 0 {
                    return 1.0;
                }
                let s: Vec<f64> = candidates
                    .iter()
                    .map(|c| c.size_with(float_points))
                    .collect();
                match (distinct, sorted) {
                    // Ordered picks with repetition: every pick is a free choice.
                    (false, false) => s.iter().sum::<f64>().powi(k as i32),
                    // Combinations: the elementary symmetric polynomial e_k(s).
                    (true, true) => elementary(&s, k),
                    // Permutations: k! orders of each combination.
                    (true, false) => elementary(&s, k) * (1..=k).map(|i| i as f64).product::<f64>(),
                    // Multisets: the complete homogeneous polynomial h_k(s).
                    (false, true) => {
                        let mut h = vec![0.0; k + 1];
                        h[0] = 1.0;
                        for &si in &s {
                            for j in 1..=k {
                                h[j] += si * h[j - 1];
                            }
                        }
                        h[k]
                    }
                }
            }
        }
    }

    /// Number of decision points in this subtree.
    pub fn n_points(&self) -> usize {
        match self {
            Space::Fixed => 0,
            Space::Seq(cs) => cs.iter().map(Space::n_points).sum(),
            Space::OneOf(cs) => 1 + cs.iter().map(Space::n_points).sum::<usize>(),
            Space::ManyOf { k, candidates, .. } => {
                k + candidates.iter().map(Space::n_points).sum::<usize>()
            }
            Space::Float { .. } | Space::Int { .. } => 1,
        }
    }

    /// The decision points, indexed by their number (see the module notes).
    pub fn points(&self) -> Vec<PointKind> {
        let mut out = Vec::new();
        self.collect_points(&mut out);
        out
    }

    fn collect_points(&self, out: &mut Vec<PointKind>) {
        match self {
            Space::Fixed => {}
            Space::Seq(cs) => cs.iter().for_each(|c| c.collect_points(out)),
            Space::OneOf(cs) => {
                out.push(PointKind::OneOf { n: cs.len() });
                cs.iter().for_each(|c| c.collect_points(out));
            }
            Space::ManyOf {
                k,
                candidates,
                distinct,
                sorted,
            } => {
                for slot in 0..*k {
                    out.push(PointKind::Pick {
                        slot,
                        k: *k,
                        n: candidates.len(),
                        distinct: *distinct,
                        sorted: *sorted,
                    });
                }
                candidates.iter().for_each(|c| c.collect_points(out));
            }
            Space::Float { lo, hi, log } => out.push(PointKind::Float {
                lo: *lo,
                hi: *hi,
                log: *log,
            }),
            Space::Int { lo, hi } => out.push(PointKind::Int { lo: *lo, hi: *hi }),
        }
    }
}

/// `e_k(s)`: the sum over k-subsets of `s` of the products of their members.
fn elementary(s: &[f64], k: usize) -> f64 {
    let mut e = vec![0.0; k + 1];
    e[0] = 1.0;
    for &si in s {
        for j in (1..=k).rev() {
            e[j] += si * e[j - 1];
        }
    }
    e[k]
}

fn fmt_list(f: &mut fmt::Formatter<'_>, cs: &[Space]) -> fmt::Result {
    f.write_str("[")?;
    for (i, c) in cs.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("]")
}

/// The canonical text of a space (stored with a study to recognise it):
/// `fixed`, `[a, b]` for a sequence, `oneof([...])`,
/// `manyof(k, [...], distinct=true, sorted=false)`, `floatv(lo, hi)` or
/// `floatv(lo, hi, log)`, `intv(lo, hi)`; floats in shortest round-trip form.
impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Space::Fixed => f.write_str("fixed"),
            Space::Seq(cs) => fmt_list(f, cs),
            Space::OneOf(cs) => {
                f.write_str("oneof(")?;
                fmt_list(f, cs)?;
                f.write_str(")")
            }
            Space::ManyOf {
                k,
                candidates,
                distinct,
                sorted,
            } => {
                write!(f, "manyof({k}, ")?;
                fmt_list(f, candidates)?;
                write!(f, ", distinct={distinct}, sorted={sorted})")
            }
            Space::Float { lo, hi, log } => {
                f.write_str("floatv(")?;
                fmt_float(f, *lo)?;
                f.write_str(", ")?;
                fmt_float(f, *hi)?;
                f.write_str(if *log { ", log)" } else { ")" })
            }
            Space::Int { lo, hi } => write!(f, "intv({lo}, {hi})"),
        }
    }
}
