//! Values as search spaces (LANGUAGE.md §7): a value containing hyper-values
//! (`oneof`, `manyof`, `floatv`, `intv`) anywhere inside lists, records and symbolic
//! objects is a space. This file maps it to `optl_search::Space` (the decision tree
//! the algorithms see), builds the concrete value a DNA stands for (`materialize`),
//! and finds the DNA of a concrete value (`dna`). All three walk the value in the
//! same order: list items, record fields and symbolic arguments in order; a choice's
//! index first, then the chosen candidate's own decisions.

use crate::value::{Hyper, Record, SymObj, Value};
use optl_search::{Decision, Dna, Space};
use std::rc::Rc;

/// Nesting deeper than this inside a space is refused (the walks recurse).
const MAX_DEPTH: usize = optl_search::MAX_DEPTH;

/// The parts of a value that may hold hyper-values, in walk order.
fn children(v: &Value) -> Option<Vec<&Value>> {
    match v {
        Value::List(items) => Some(items.iter().collect()),
        Value::Record(r) => Some(r.fields.iter().map(|(_, x)| x).collect()),
        Value::Sym(s) => Some(s.args.iter().map(|(_, x)| x).collect()),
        _ => None,
    }
}

/// Whether `v` holds a hyper-value anywhere (is a space).
pub fn is_space(v: &Value) -> bool {
    contains(v, 0)
}

fn contains(v: &Value, depth: usize) -> bool {
    match v {
        Value::Hyper(_) => true,
        _ if depth > MAX_DEPTH => false,
        _ => children(v).is_some_and(|c| c.into_iter().any(|x| contains(x, depth + 1))),
    }
}

/// The decision tree of a space.
pub fn space_of(v: &Value) -> Result<Space, String> {
    let space = tree(v, 0)?;
    space.validate()?;
    Ok(space)
}

fn tree(v: &Value, depth: usize) -> Result<Space, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "the space is nested more than {MAX_DEPTH} levels deep"
        ));
    }
    let all = |c: &[Value]| {
        c.iter()
            .map(|x| tree(x, depth + 1))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(match v {
        Value::Hyper(h) => match &**h {
            Hyper::OneOf(c) => Space::OneOf(all(c)?),
            Hyper::ManyOf {
                k,
                candidates,
                distinct,
                sorted,
            } => Space::ManyOf {
                k: *k,
                candidates: all(candidates)?,
                distinct: *distinct,
                sorted: *sorted,
            },
            Hyper::Float { lo, hi, log } => Space::Float {
                lo: *lo,
                hi: *hi,
                log: *log,
            },
            Hyper::Int { lo, hi } => Space::Int { lo: *lo, hi: *hi },
        },
        other => match children(other) {
            Some(parts) if contains(other, depth) => Space::Seq(
                parts
                    .into_iter()
                    .map(|x| tree(x, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            _ => Space::Fixed,
        },
    })
}

/// Reads decisions off a DNA while building a value.
struct Cursor<'a> {
    dna: &'a [Decision],
    pos: usize,
}

impl Cursor<'_> {
    fn next(&mut self, what: &str) -> Result<Decision, String> {
        let d = self.dna.get(self.pos).cloned().ok_or_else(|| {
            format!(
                "the DNA is too short: decision {} ({what}) is missing",
                self.pos
            )
        })?;
        self.pos += 1;
        Ok(d)
    }

    fn index(&mut self, n: usize) -> Result<usize, String> {
        let at = self.pos;
        match self.next("a choice")? {
            Decision::Index(i) if i < n => Ok(i),
            Decision::Int(i) if i >= 0 && (i as usize) < n => Ok(i as usize),
            Decision::Float(x) if x.fract() == 0.0 && x >= 0.0 && x < n as f64 => Ok(x as usize),
            other => Err(format!(
                "decision {at} must choose one of {n} candidates (0 to {}), found {}",
                n.saturating_sub(1),
                decision_text(&other)
            )),
        }
    }
}

fn decision_text(d: &Decision) -> String {
    match d {
        Decision::Index(i) => i.to_string(),
        Decision::Int(i) => i.to_string(),
        Decision::Float(x) => crate::format::fmt_g(*x),
    }
}

/// The concrete value `dna` stands for in `space`, and the DNA in canonical form.
pub fn materialize(space: &Value, dna: &[Decision]) -> Result<(Value, Dna), String> {
    let mut cur = Cursor { dna, pos: 0 };
    let mut taken = Vec::with_capacity(dna.len());
    let v = build(space, &mut cur, &mut taken, 0)?;
    if cur.pos != dna.len() {
        return Err(format!(
            "the DNA is too long: the space takes {} decisions here, the DNA has {}",
            cur.pos,
            dna.len()
        ));
    }
    Ok((v, Dna(taken)))
}

fn build(
    v: &Value,
    cur: &mut Cursor,
    taken: &mut Vec<Decision>,
    depth: usize,
) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "the space is nested more than {MAX_DEPTH} levels deep"
        ));
    }
    Ok(match v {
        Value::Hyper(h) => match &**h {
            Hyper::OneOf(c) => {
                let i = cur.index(c.len())?;
                taken.push(Decision::Index(i));
                build(&c[i], cur, taken, depth + 1)?
            }
            Hyper::ManyOf {
                k,
                candidates,
                distinct,
                sorted,
            } => {
                let mut picked: Vec<usize> = Vec::with_capacity(*k);
                let mut items = Vec::with_capacity(*k);
                for _ in 0..*k {
                    let at = cur.pos;
                    let i = cur.index(candidates.len())?;
                    if *distinct && picked.contains(&i) {
                        return Err(format!(
                            "decision {at} picks candidate {i} twice in a distinct manyof"
                        ));
                    }
                    if *sorted && picked.last().is_some_and(|&p| p > i) {
                        return Err(format!(
                            "decision {at}: the picks of a sorted manyof must not decrease"
                        ));
                    }
                    picked.push(i);
                    taken.push(Decision::Index(i));
                    items.push(build(&candidates[i], cur, taken, depth + 1)?);
                }
                Value::list(items)
            }
            Hyper::Float { lo, hi, .. } => {
                let at = cur.pos;
                let x = match cur.next("a float")? {
                    Decision::Float(x) => x,
                    Decision::Int(i) => i as f64,
                    Decision::Index(i) => i as f64,
                };
                if !(x >= *lo && x <= *hi) {
                    return Err(format!(
                        "decision {at} must be a number in [{}, {}], found {}",
                        crate::format::fmt_g(*lo),
                        crate::format::fmt_g(*hi),
                        crate::format::fmt_g(x)
                    ));
                }
                taken.push(Decision::Float(x));
                Value::Float(x)
            }
            Hyper::Int { lo, hi } => {
                let at = cur.pos;
                let n = match cur.next("an int")? {
                    Decision::Int(n) => Some(n),
                    Decision::Index(i) => i64::try_from(i).ok(),
                    Decision::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Some(x as i64),
                    Decision::Float(_) => None,
                };
                match n {
                    Some(n) if n >= *lo && n <= *hi => {
                        taken.push(Decision::Int(n));
                        Value::Int(n)
                    }
                    _ => return Err(format!("decision {at} must be an Int in [{lo}, {hi}]")),
                }
            }
        },
        Value::List(items) if contains(v, depth) => Value::list(
            items
                .iter()
                .map(|x| build(x, cur, taken, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Record(r) if contains(v, depth) => Value::Record(Rc::new(Record {
            fields: r
                .fields
                .iter()
                .map(|(n, x)| Ok((n.clone(), build(x, cur, taken, depth + 1)?)))
                .collect::<Result<_, String>>()?,
        })),
        Value::Sym(s) if contains(v, depth) => Value::Sym(Rc::new(SymObj {
            family: s.family.clone(),
            args: s
                .args
                .iter()
                .map(|(n, x)| Ok((n.clone(), build(x, cur, taken, depth + 1)?)))
                .collect::<Result<_, String>>()?,
        })),
        other => other.clone(),
    })
}

/// The DNA of the concrete `value` in `space`, if the space can produce it.
/// Numbers match their own kind first (an Int an `intv`, a Float a `floatv`); only
/// when that fails may a whole Float stand for an Int and an Int for a Float (lists
/// of numbers become tensors of Floats).
pub fn dna_of(space: &Value, value: &Value) -> Option<Dna> {
    [false, true].into_iter().find_map(|lenient| {
        let mut out = Vec::new();
        let m = Match { lenient };
        m.value(space, value, &mut out, 0).then_some(Dna(out))
    })
}

/// One matching pass of `dna_of`.
#[derive(Clone, Copy)]
struct Match {
    lenient: bool,
}

impl Match {
    fn value(self, space: &Value, value: &Value, out: &mut Vec<Decision>, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let mark = out.len();
        let ok = match (space, value) {
            (Value::Hyper(h), _) => match &**h {
                Hyper::OneOf(c) => c.iter().enumerate().any(|(i, cand)| {
                    out.truncate(mark);
                    out.push(Decision::Index(i));
                    self.value(cand, value, out, depth + 1)
                }),
                Hyper::ManyOf {
                    k,
                    candidates,
                    distinct,
                    sorted,
                } => {
                    let Some(items) = elements(value) else {
                        return false;
                    };
                    if items.len() != *k {
                        return false;
                    }
                    let picks = Picks {
                        candidates,
                        items: &items,
                        distinct: *distinct,
                        sorted: *sorted,
                    };
                    picks.matches(self, 0, &mut Vec::new(), out, depth)
                }
                Hyper::Float { lo, hi, .. } => match value {
                    Value::Float(x) if x >= lo && x <= hi => {
                        out.push(Decision::Float(*x));
                        true
                    }
                    Value::Int(n) if self.lenient && (*n as f64) >= *lo && (*n as f64) <= *hi => {
                        out.push(Decision::Float(*n as f64));
                        true
                    }
                    _ => false,
                },
                Hyper::Int { lo, hi } => {
                    // A whole Float (as lists of numbers become) stands for its Int.
                    let n = match value {
                        Value::Int(n) => Some(*n),
                        Value::Float(x) if self.lenient && x.fract() == 0.0 && x.abs() < 9.0e15 => {
                            Some(*x as i64)
                        }
                        _ => None,
                    };
                    match n {
                        Some(n) if n >= *lo && n <= *hi => {
                            out.push(Decision::Int(n));
                            true
                        }
                        _ => false,
                    }
                }
            },
            (Value::List(a), Value::List(b)) if contains(space, depth) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|(x, y)| self.value(x, y, out, depth + 1))
            }
            (Value::Record(a), Value::Record(b)) if contains(space, depth) => {
                a.fields.len() == b.fields.len()
                    && a.fields
                        .iter()
                        .zip(&b.fields)
                        .all(|((n1, x), (n2, y))| n1 == n2 && self.value(x, y, out, depth + 1))
            }
            (Value::Sym(a), Value::Sym(b)) if contains(space, depth) => {
                a.family.kind == b.family.kind
                    && a.name() == b.name()
                    && a.args.len() == b.args.len()
                    && a.args
                        .iter()
                        .zip(&b.args)
                        .all(|((n1, x), (n2, y))| n1 == n2 && self.value(x, y, out, depth + 1))
            }
            _ if self.lenient => crate::value::structural_eq(space, value),
            _ => crate::value::identical(space, value),
        };
        if !ok {
            out.truncate(mark);
        }
        ok
    }
}

/// The elements of a list, or of a tensor along its first axis (as iterating over
/// it gives: Floats for a vector).
pub fn elements(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::List(items) => Some(items.to_vec()),
        Value::Tensor(t) if t.ndim() >= 1 => Some(
            t.outer_iter()
                .map(|row| match row.ndim() {
                    0 => Value::Float(row.iter().copied().next().unwrap_or(f64::NAN)),
                    _ => Value::tensor(row.to_owned()),
                })
                .collect(),
        ),
        _ => None,
    }
}

/// Matching the items of a concrete list to the picks of a `manyof`, backtracking
/// when an item fits several candidates but only one choice keeps the picks
/// distinct or sorted.
struct Picks<'a> {
    candidates: &'a [Value],
    items: &'a [Value],
    distinct: bool,
    sorted: bool,
}

impl Picks<'_> {
    fn matches(
        &self,
        m: Match,
        at: usize,
        picked: &mut Vec<usize>,
        out: &mut Vec<Decision>,
        depth: usize,
    ) -> bool {
        let Some(item) = self.items.get(at) else {
            return true;
        };
        let mark = out.len();
        for (i, cand) in self.candidates.iter().enumerate() {
            let repeated = self.distinct && picked.contains(&i);
            let unsorted = self.sorted && picked.last().is_some_and(|&p| p > i);
            if repeated || unsorted {
                continue;
            }
            out.push(Decision::Index(i));
            picked.push(i);
            if m.value(cand, item, out, depth + 1) && self.matches(m, at + 1, picked, out, depth) {
                return true;
            }
            picked.pop();
            out.truncate(mark);
        }
        false
    }
}

/// A DNA as OptL shows it: a list of numbers (choices and ints as Ints).
pub fn dna_value(dna: &Dna) -> Value {
    Value::list(
        dna.0
            .iter()
            .map(|d| match d {
                Decision::Index(i) => Value::Int(*i as i64),
                Decision::Int(n) => Value::Int(*n),
                Decision::Float(x) => Value::Float(*x),
            })
            .collect(),
    )
}

/// A DNA from OptL: a list (or tensor) of numbers.
pub fn dna_from_value(v: &Value) -> Result<Vec<Decision>, String> {
    let one = |x: &Value| match x {
        Value::Int(n) => Ok(Decision::Int(*n)),
        Value::Float(f) => Ok(Decision::Float(*f)),
        other => Err(format!("a DNA holds numbers, found {}", other.type_name())),
    };
    match v {
        Value::List(items) => items.iter().map(one).collect(),
        Value::Tensor(t) if t.ndim() == 1 => Ok(t.iter().map(|x| Decision::Float(*x)).collect()),
        other => Err(format!(
            "a DNA is a list of numbers, found {}",
            other.type_name()
        )),
    }
}
