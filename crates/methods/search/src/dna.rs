//! DNA: the flat list of decisions that picks one point of a `Space`, its
//! PyGlove-like display form, and the exact text form kept in the study store.

use std::fmt;

/// One decision of a DNA.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// A candidate index of a `oneof` or of one `manyof` pick.
    Index(usize),
    /// The value of an `intv`.
    Int(i64),
    /// The value of a `floatv` (always finite).
    Float(f64),
}

/// The decisions that pick one point of a space, in depth-first order and only
/// for the branches actually taken (see `Space` for the order).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Dna(pub Vec<Decision>);

/// Writes a float in the shortest form that reads back to the same value
/// (`{:?}`), so `0.1` stays `0.1` and `1e-5` stays `1e-5`.
pub(crate) fn fmt_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    write!(f, "{x:?}")
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Index(i) => write!(f, "{i}"),
            Decision::Int(v) => write!(f, "{v}"),
            Decision::Float(x) => fmt_float(f, *x),
        }
    }
}

/// The display form, modelled on PyGlove's: `DNA([0, 0.0123, 3])`. Indices
/// and integers print as integers, floats in their shortest round-trip form
/// (always with a `.` or an exponent, so they never look like integers). The
/// form is for people; `Dna::to_text` is the unambiguous stored form.
impl fmt::Display for Dna {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DNA([")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("])")
    }
}

impl Dna {
    /// Number of decisions.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the DNA of a space without decisions.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The stored text form: space-separated tokens, `3` for an index, `i-5`
    /// for an integer, `f0.0123` for a float (shortest round-trip form), so
    /// `Dna::from_text(&d.to_text()) == Ok(d)` exactly.
    pub fn to_text(&self) -> String {
        let mut s = String::with_capacity(self.0.len() * 4);
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            match d {
                Decision::Index(v) => s.push_str(&v.to_string()),
                Decision::Int(v) => {
                    s.push('i');
                    s.push_str(&v.to_string());
                }
                Decision::Float(x) => {
                    s.push('f');
                    s.push_str(&format!("{x:?}"));
                }
            }
        }
        s
    }

    /// Reads the form written by `to_text`.
    pub fn from_text(text: &str) -> Result<Dna, String> {
        let bad = |t: &str| format!("bad DNA token '{t}' in '{text}'");
        let mut out = Vec::new();
        for t in text.split_ascii_whitespace() {
            let d = if let Some(r) = t.strip_prefix('i') {
                Decision::Int(r.parse().map_err(|_| bad(t))?)
            } else if let Some(r) = t.strip_prefix('f') {
                let x: f64 = r.parse().map_err(|_| bad(t))?;
                if !x.is_finite() {
                    return Err(bad(t));
                }
                Decision::Float(x)
            } else {
                Decision::Index(t.parse().map_err(|_| bad(t))?)
            };
            out.push(d);
        }
        Ok(Dna(out))
    }
}

/// Scores as a JSON array (`[1.5, 2.0]`); infinities are written as
/// `1e999`/`-1e999`, which JSON readers take as overflowing to ±inf.
pub(crate) fn scores_to_json(scores: &[f64]) -> String {
    let mut s = String::from("[");
    for (i, x) in scores.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        if x.is_infinite() {
            s.push_str(if *x > 0.0 { "1e999" } else { "-1e999" });
        } else {
            s.push_str(&format!("{x:?}"));
        }
    }
    s.push(']');
    s
}

/// Reads the array written by `scores_to_json`.
pub(crate) fn scores_from_json(text: &str) -> Result<Vec<f64>, String> {
    let inner = text
        .trim()
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or_else(|| format!("bad score list '{text}'"))?;
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    inner
        .split(',')
        .map(|t| {
            t.trim()
                .parse::<f64>()
                .map_err(|_| format!("bad score '{t}' in '{text}'"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_text_round_trip() {
        let d = Dna(vec![
            Decision::Index(0),
            Decision::Float(0.0123),
            Decision::Int(-5),
            Decision::Float(1e-5),
            Decision::Float(2.0),
        ]);
        assert_eq!(d.to_string(), "DNA([0, 0.0123, -5, 1e-5, 2.0])");
        assert_eq!(d.to_text(), "0 f0.0123 i-5 f1e-5 f2.0");
        assert_eq!(Dna::from_text(&d.to_text()), Ok(d));
        let x = 0.1 + 0.2;
        let d = Dna(vec![Decision::Float(x)]);
        assert_eq!(Dna::from_text(&d.to_text()), Ok(d));
        assert!(Dna::from_text("fnan").is_err());
        assert!(Dna::from_text("x1").is_err());
        assert_eq!(Dna::from_text(""), Ok(Dna(vec![])));
    }

    #[test]
    fn scores_round_trip() {
        let s = vec![1.5, f64::INFINITY, -0.1 - 0.2, f64::NEG_INFINITY];
        assert_eq!(
            scores_to_json(&s),
            "[1.5, 1e999, -0.30000000000000004, -1e999]"
        );
        assert_eq!(scores_from_json(&scores_to_json(&s)), Ok(s));
        assert_eq!(scores_from_json("[]"), Ok(vec![]));
        assert!(scores_from_json("1,2").is_err());
    }
}
