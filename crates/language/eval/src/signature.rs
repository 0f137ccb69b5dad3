//! Parameter lists and the one argument-binding routine shared by the static checker
//! (arity and keyword errors before running) and calls at run time.

use optl_syntax::ast::Param;
use std::fmt;
use std::rc::Rc;

/// A parameter: its name, and whether a call must supply it.
#[derive(Clone, Debug, PartialEq)]
pub struct SigParam {
    pub name: Rc<str>,
    pub required: bool,
}

/// What a callable accepts: named parameters, then optionally any number of extra
/// positional arguments (`print(a, b, ...)`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Signature {
    pub params: Vec<SigParam>,
    pub variadic: Option<Rc<str>>,
}

/// Why a call's arguments do not fit a signature; `usize` fields index the arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum BindError {
    TooMany {
        max: usize,
        given: usize,
        first_extra: usize,
    },
    UnknownKeyword {
        name: Rc<str>,
        arg: usize,
    },
    Duplicate {
        name: Rc<str>,
        arg: usize,
        first: usize,
    },
    Missing {
        name: Rc<str>,
    },
    PositionalAfterKeyword {
        arg: usize,
    },
}

/// For each parameter, the index of the argument bound to it; then the extra positional
/// arguments that a variadic signature collects.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub slots: Vec<Option<usize>>,
    pub rest: Vec<usize>,
}

impl Signature {
    pub fn from_params(params: &[Param]) -> Signature {
        Signature {
            params: params
                .iter()
                .map(|p| SigParam {
                    name: p.name.name.clone(),
                    required: p.default.is_none(),
                })
                .collect(),
            variadic: None,
        }
    }

    /// Parses a compact description: `"x, axis?, *rest"` (`?` marks an optional parameter).
    pub fn parse(spec: &str) -> Signature {
        let mut sig = Signature::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if let Some(rest) = part.strip_prefix('*') {
                sig.variadic = Some(rest.into());
            } else if let Some(name) = part.strip_suffix('?') {
                sig.params.push(SigParam {
                    name: name.into(),
                    required: false,
                });
            } else {
                sig.params.push(SigParam {
                    name: part.into(),
                    required: true,
                });
            }
        }
        sig
    }

    pub fn find(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| &*p.name == name)
    }

    /// Binds arguments given in call order (`None` = positional, `Some(k)` = `k = ...`).
    pub fn bind(&self, args: &[Option<&str>]) -> Result<Binding, BindError> {
        let mut slots: Vec<Option<usize>> = vec![None; self.params.len()];
        let mut rest = Vec::new();
        let mut next_positional = 0;
        let mut seen_keyword = false;
        for (i, arg) in args.iter().enumerate() {
            match arg {
                None => {
                    if seen_keyword {
                        return Err(BindError::PositionalAfterKeyword { arg: i });
                    }
                    if next_positional < self.params.len() {
                        slots[next_positional] = Some(i);
                        next_positional += 1;
                    } else if self.variadic.is_some() {
                        rest.push(i);
                    } else {
                        let given = args.iter().filter(|a| a.is_none()).count();
                        return Err(BindError::TooMany {
                            max: self.params.len(),
                            given,
                            first_extra: i,
                        });
                    }
                }
                Some(name) => {
                    seen_keyword = true;
                    let Some(p) = self.find(name) else {
                        return Err(BindError::UnknownKeyword {
                            name: (*name).into(),
                            arg: i,
                        });
                    };
                    if let Some(first) = slots[p] {
                        return Err(BindError::Duplicate {
                            name: (*name).into(),
                            arg: i,
                            first,
                        });
                    }
                    slots[p] = Some(i);
                }
            }
        }
        for (p, slot) in self.params.iter().zip(&slots) {
            if p.required && slot.is_none() {
                return Err(BindError::Missing {
                    name: p.name.clone(),
                });
            }
        }
        Ok(Binding { slots, rest })
    }

    /// Names accepted as keywords, for "did you mean" hints.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.params.iter().map(|p| &*p.name)
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = self
            .params
            .iter()
            .map(|p| {
                if p.required {
                    p.name.to_string()
                } else {
                    format!("{}?", p.name)
                }
            })
            .collect();
        if let Some(v) = &self.variadic {
            parts.push(format!("*{v}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// The diagnostic for a call whose arguments do not fit: `what` names the callee
/// ("`f`"), `arg_spans` are the argument spans in call order, `decl` where the callee
/// was declared (for a secondary label), if known.
pub fn bind_diagnostic(
    e: &BindError,
    sig: &Signature,
    what: &str,
    arg_spans: &[optl_syntax::Span],
    call: optl_syntax::Span,
    decl: Option<optl_syntax::Span>,
) -> optl_syntax::Diagnostic {
    use optl_syntax::Diagnostic;
    use optl_syntax::codes;
    let at = |i: usize| arg_spans.get(i).copied().unwrap_or(call);
    let d = match e {
        BindError::TooMany {
            max,
            given,
            first_extra,
        } => Diagnostic::error(
            codes::ARITY,
            format!(
                "{what} takes {max} positional argument{}, but {given} were given",
                if *max == 1 { "" } else { "s" }
            ),
        )
        .at(at(*first_extra), "unexpected argument")
        .hint(format!("the parameters are ({sig})")),
        BindError::UnknownKeyword { name, arg } => {
            let d = Diagnostic::error(
                codes::UNKNOWN_KEYWORD,
                format!("{what} has no parameter named `{name}`"),
            )
            .at(at(*arg), "unknown keyword");
            match crate::suggest::closest(name, sig.names()) {
                Some(s) => d.hint(format!("did you mean `{s}`?")),
                None => d.hint(format!("the parameters are ({sig})")),
            }
        }
        BindError::Duplicate { name, arg, first } => Diagnostic::error(
            codes::DUPLICATE_KEYWORD,
            format!("argument `{name}` is given twice"),
        )
        .at(at(*arg), "given again here")
        .also(at(*first), "first given here"),
        BindError::Missing { name } => Diagnostic::error(
            codes::MISSING_ARGUMENT,
            format!("{what} is missing the argument `{name}`"),
        )
        .at(call, format!("`{name}` is required"))
        .hint(format!("the parameters are ({sig})")),
        BindError::PositionalAfterKeyword { arg } => Diagnostic::error(
            codes::POSITIONAL_AFTER_KEYWORD,
            "positional argument after a keyword argument",
        )
        .at(at(*arg), "this positional argument")
        .hint("put positional arguments first"),
    };
    match decl {
        Some(s) => d.also(s, "declared here"),
        None => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_positional_keyword_and_rest() {
        let sig = Signature::parse("x, scale?, *more");
        let b = sig.bind(&[None, Some("scale")]).unwrap();
        assert_eq!(b.slots, vec![Some(0), Some(1)]);
        let b = sig.bind(&[None, None, None, None]).unwrap();
        assert_eq!(b.rest, vec![2, 3]);
    }

    #[test]
    fn reports_each_mistake() {
        let sig = Signature::parse("x, y?");
        assert!(matches!(
            sig.bind(&[None, None, None]),
            Err(BindError::TooMany {
                max: 2,
                given: 3,
                ..
            })
        ));
        assert!(matches!(
            sig.bind(&[None, Some("z")]),
            Err(BindError::UnknownKeyword { .. })
        ));
        assert!(matches!(
            sig.bind(&[None, Some("x")]),
            Err(BindError::Duplicate { .. })
        ));
        assert!(matches!(
            sig.bind(&[Some("y")]),
            Err(BindError::Missing { .. })
        ));
        assert!(matches!(
            sig.bind(&[Some("x"), None]),
            Err(BindError::PositionalAfterKeyword { arg: 1 })
        ));
    }
}
