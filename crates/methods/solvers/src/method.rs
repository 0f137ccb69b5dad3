//! The one trait every solver family implements ([`Method`]), and what it is given:
//! its constructor's [`Signature`] (parameters with defaults and domains), the
//! [`Params`] a solve was called with (validated from those domains before it runs),
//! the [`Structure`] of the problem (facts derived from the model, never guessed),
//! and the [`Model`] it runs on. A method answers whether it accepts a structure
//! ([`Fit`]), whether `auto` should pick it ([`AutoFit`]), and runs to an
//! [`Outcome`].
//!
//! Nothing here knows the language: the language binds a constructor's symbolic
//! object to [`Params`] through the signature, and shows a [`Fit::No`] as a
//! diagnostic.

use crate::FrontResult;
use crate::facts::{Composite, LinearEquality, VarFact};
use crate::problem::{Bounds, MultiObjective, Nlp, Options, SolveResult};

/// What a method runs on: one objective with constraints ([`Nlp`]) and, for
/// several objectives, all of them at once ([`MultiObjective`]).
pub trait Model: Nlp + MultiObjective {}

impl<T: Nlp + MultiObjective> Model for T {}

/// A method constructor as the language shows it: `lbfgs(m = 10, ...)`.
#[derive(Debug)]
pub struct Signature {
    /// The constructor's name (`lbfgs`).
    pub name: &'static str,
    /// The parameters in declaration order.
    pub params: &'static [Param],
    /// One documentation line.
    pub doc: &'static str,
}

/// One parameter of a method constructor.
#[derive(Debug)]
pub struct Param {
    pub name: &'static str,
    pub default: DefaultValue,
    pub domain: Domain,
}

/// A parameter's default, written as the language writes it.
#[derive(Clone, Copy, Debug)]
pub enum DefaultValue {
    Int(i64),
    Float(f64),
    Str(&'static str),
    Bool(bool),
    /// Another method's constructor with its own defaults (`inner = lbfgs()`).
    Method(&'static str),
}

impl DefaultValue {
    /// The default as OptL source: `10`, `1e-10`, `10.0`, `"more_thuente"`, `lbfgs()`.
    pub fn source(&self) -> String {
        match self {
            DefaultValue::Int(n) => n.to_string(),
            DefaultValue::Float(x) => format!("{x:?}"),
            DefaultValue::Str(s) => format!("{s:?}"),
            DefaultValue::Bool(b) => b.to_string(),
            DefaultValue::Method(m) => format!("{m}()"),
        }
    }
}

/// The values a parameter admits.
#[derive(Clone, Copy, Debug)]
pub enum Domain {
    /// An Int at least `min`.
    Int { min: i64 },
    /// A finite number: above zero when `positive`, else at least zero. Ints are
    /// taken as numbers.
    Float { positive: bool },
    /// One of these strings.
    Choice(&'static [&'static str]),
    /// `true` or `false`.
    Bool,
    /// An instance of the method constructor of this name.
    Method(&'static str),
}

impl Domain {
    /// What the domain admits, as a phrase ending "must be ...".
    pub fn want(&self) -> String {
        match self {
            Domain::Int { min } => format!("an Int >= {min}"),
            Domain::Float { positive: true } => "a finite number > 0".into(),
            Domain::Float { positive: false } => "a finite number >= 0".into(),
            Domain::Choice(options) => {
                let quoted: Vec<String> = options.iter().map(|o| format!("{o:?}")).collect();
                match quoted.split_last() {
                    Some((last, [])) => last.clone(),
                    Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                    None => "nothing".into(),
                }
            }
            Domain::Method(m) => format!("an `{m}(...)`"),
            Domain::Bool => "`true` or `false`".into(),
        }
    }

    /// Checks `value`: the value as the method reads it (an Int taken as a number
    /// becomes a Float), or `Err` with the value that was out of the domain (the
    /// number, for a number out of range).
    pub fn check(&self, value: ParamValue) -> Result<ParamValue, ParamValue> {
        match (self, value) {
            (Domain::Int { min }, ParamValue::Int(n)) if n >= *min => Ok(ParamValue::Int(n)),
            (Domain::Float { positive }, ParamValue::Int(n)) => Domain::Float {
                positive: *positive,
            }
            .check(ParamValue::Float(n as f64)),
            (Domain::Float { positive }, ParamValue::Float(x)) => {
                match x.is_finite() && (x > 0.0 || !positive && x == 0.0) {
                    true => Ok(ParamValue::Float(x)),
                    false => Err(ParamValue::Float(x)),
                }
            }
            (Domain::Choice(options), ParamValue::Str(s)) if options.contains(&s.as_str()) => {
                Ok(ParamValue::Str(s))
            }
            (Domain::Bool, ParamValue::Bool(b)) => Ok(ParamValue::Bool(b)),
            (Domain::Method(m), ParamValue::Method(name, params)) if name == *m => {
                Ok(ParamValue::Method(name, params))
            }
            (_, other) => Err(other),
        }
    }
}

/// A parameter's value as given to a method.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    /// An instance of another method's constructor, with its parameters.
    Method(String, Params),
    /// A value of another kind (the language's description of it), which no
    /// domain admits.
    Other(String),
}

/// The parameters a method runs with, in its signature's order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Params {
    values: Vec<(&'static str, ParamValue)>,
    /// Whether `auto` chose the method: it then runs with its own adaptive
    /// settings where it has them (auglag picks its first penalty from the problem,
    /// nsga2 seeds from the solve's seed) instead of its constructor's defaults.
    pub auto: bool,
}

impl Params {
    /// Parameters chosen by `auto`: every constructor default, flagged as such.
    pub fn auto(sig: &Signature) -> Params {
        let values = sig
            .params
            .iter()
            .map(|p| {
                let v = match p.default {
                    DefaultValue::Int(n) => ParamValue::Int(n),
                    DefaultValue::Float(x) => ParamValue::Float(x),
                    DefaultValue::Str(s) => ParamValue::Str(s.into()),
                    DefaultValue::Bool(b) => ParamValue::Bool(b),
                    DefaultValue::Method(m) => ParamValue::Method(m.into(), Params::default()),
                };
                (p.name, v)
            })
            .collect();
        Params { values, auto: true }
    }

    /// Adds a checked value (the binding calls this once per parameter).
    pub fn push(&mut self, name: &'static str, value: ParamValue) {
        self.values.push((name, value));
    }

    fn get(&self, name: &str) -> Option<&ParamValue> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// An Int parameter (checked against `Domain::Int`, so at least its minimum),
    /// or `default` when the signature has no such parameter.
    pub fn int(&self, name: &str, default: usize) -> usize {
        match self.get(name) {
            Some(ParamValue::Int(n)) => usize::try_from(*n).unwrap_or(default),
            _ => default,
        }
    }

    /// A number parameter, or `default`.
    pub fn float(&self, name: &str, default: f64) -> f64 {
        match self.get(name) {
            Some(ParamValue::Float(x)) => *x,
            _ => default,
        }
    }

    /// A string parameter, or `default`.
    pub fn str<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        match self.get(name) {
            Some(ParamValue::Str(s)) => s,
            _ => default,
        }
    }

    /// A Bool parameter, or `default`.
    pub fn bool(&self, name: &str, default: bool) -> bool {
        match self.get(name) {
            Some(ParamValue::Bool(b)) => *b,
            _ => default,
        }
    }

    /// A method parameter's own parameters, if given.
    pub fn method(&self, name: &str) -> Option<&Params> {
        match self.get(name) {
            Some(ParamValue::Method(_, p)) => Some(p),
            _ => None,
        }
    }
}

/// Facts about a problem that decide which methods fit it.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Structure {
    /// The problem's name, for messages.
    pub name: String,
    /// Number of (flattened) variables.
    pub n: usize,
    /// Number of objectives.
    pub objectives: usize,
    /// Number of `subject to` statements.
    pub constraints: usize,
    /// Number of constraint rows (equalities and inequalities).
    pub rows: usize,
    /// The vars in declaration order.
    pub vars: Vec<VarFact>,
    /// The (single) objective as smooth part plus prox-friendly terms.
    pub composite: Composite,
    /// Every `subject to`, when each is an affine equality (ADMM's coupling).
    pub linear_equalities: Option<Vec<LinearEquality>>,
    /// The `subject to` statements that only say a var is in a set (read into
    /// its `VarFact::set`), which the splitting methods need not see.
    pub set_constraints: usize,
    /// The lower problem, for a bilevel problem (then `constraints` and `rows`
    /// count the upper level's).
    pub lower: Option<crate::bilevel::LowerFact>,
}

impl Structure {
    /// The first var in a set.
    pub fn set_var(&self) -> Option<&VarFact> {
        self.vars.iter().find(|v| v.set.is_some())
    }

    /// The first var declared in a set (`var x in simplex`).
    pub fn declared_set_var(&self) -> Option<&VarFact> {
        self.vars.iter().find(|v| v.set.is_some() && !v.set_written)
    }
}

/// Whether a method accepts a problem, and if not why, in words a user can read.
#[derive(Clone, Debug, PartialEq)]
pub enum Fit {
    Yes,
    No {
        /// What is wrong ("`lbfgs` minimizes one objective, and `p` has 2").
        message: String,
        /// A label for the method argument.
        label: &'static str,
        /// What to use instead.
        hint: String,
    },
}

/// `auto`'s reason to pick a method, and the method to run next if it stops
/// without converging.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoFit {
    pub reason: &'static str,
    pub fallback: Option<&'static str>,
}

/// What a method returns.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// One point, for one objective.
    Point(SolveResult),
    /// A Pareto front, for several objectives.
    Front(FrontResult),
}

/// A solver family's method.
pub trait Method: Sync {
    /// The constructor the language shows.
    fn signature(&self) -> &'static Signature;

    /// Whether the method can solve a problem of this structure (asked after
    /// [`registry::fit`](crate::registry::fit) has checked the number of levels).
    fn accepts(&self, s: &Structure) -> Fit;

    /// Whether the method solves bilevel problems (and only those).
    fn bilevel(&self) -> bool {
        false
    }

    /// Whether `auto` picks this method for the structure (asked in the
    /// registry's order); `None` by default.
    fn auto_fit(&self, _s: &Structure) -> Option<AutoFit> {
        None
    }

    /// Whether `auto` picks this method after probing the problem itself (asked
    /// before [`Method::auto_fit`], in the registry's order): for methods that
    /// recognise a structure from the functions as written. `None` by default.
    fn recognizes(
        &self,
        _model: &mut dyn Model,
        _s: &Structure,
        _bounds: &Bounds,
    ) -> Option<AutoFit> {
        None
    }

    /// Whether the method evaluates the problem often enough that its programs
    /// should be compiled before the first evaluation.
    fn runs_many(&self) -> bool {
        true
    }

    /// Runs from `x0` within `bounds`, on a problem of structure `s` (the one
    /// [`Method::accepts`] said yes to).
    fn run(
        &self,
        model: &mut dyn Model,
        s: &Structure,
        x0: &[f64],
        bounds: &Bounds,
        params: &Params,
        opts: &Options,
    ) -> Outcome;
}

/// The error for a single-objective method given several objectives.
pub fn one_objective(method: &str, s: &Structure) -> Fit {
    if s.objectives <= 1 {
        return Fit::Yes;
    }
    Fit::No {
        message: format!(
            "`{method}` minimizes one objective, and `{}` has {}",
            s.name, s.objectives
        ),
        label: "a single-objective solver",
        hint: "use `nsga2()` (or `auto`) for a Pareto front".into(),
    }
}

/// The error for a method that does not handle vars declared in sets.
pub fn no_sets(method: &str, s: &Structure) -> Fit {
    let Some(v) = s.declared_set_var() else {
        return Fit::Yes;
    };
    let set = v.set.map_or("a set", |set| set.name());
    Fit::No {
        message: format!(
            "`{method}` does not handle vars in sets, and `{}` is declared `in {set}`",
            v.name
        ),
        label: "a solver without sets",
        hint: "use `fista()` or `frank_wolfe()` (or `auto`) for vars in sets".into(),
    }
}

/// [`one_objective`], then [`no_sets`].
pub fn plain_objective(method: &str, s: &Structure) -> Fit {
    match one_objective(method, s) {
        Fit::Yes => no_sets(method, s),
        no => no,
    }
}
