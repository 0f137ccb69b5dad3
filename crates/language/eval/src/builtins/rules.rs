//! Builtins for rules (LANGUAGE.md §6): `chain(r1, r2, ...)` and `hutchinson()`.

use super::{Args, Entry};
use crate::env::Scope;
use crate::evaluator::{EvalResult, Interp, a_type, err_label};
use crate::value::{Family, SymKind, SymObj, Value};
use optl_syntax::ast::{Decl, Ident};
use optl_syntax::codes;
use std::rc::Rc;

pub(super) const TABLE: &[Entry] = &[
    (
        "chain",
        "*rules",
        chain,
        "Rules applied in turn, each one's `u` the next one's `g` (one fused update kernel).",
    ),
    (
        "hutchinson",
        "",
        hutchinson,
        "Inside a rule: `z * (H z)` for a fresh Rademacher vector `z` each step, an unbiased estimate of the Hessian's diagonal.",
    ),
];

fn chain(_: &mut Interp, args: Args) -> EvalResult<Value> {
    if args.rest.is_empty() {
        return Err(err_label(
            codes::MISSING_ARGUMENT,
            "`chain` needs at least one rule",
            args.span,
            "no rules given",
        ));
    }
    let mut rules = Vec::with_capacity(args.rest.len());
    for (i, a) in args.rest.iter().enumerate() {
        match &a.value {
            Value::Sym(s) if matches!(s.family.kind, SymKind::Rule | SymKind::Chain) => {
                rules.push((Rc::from(i.to_string()), a.value.clone()));
            }
            Value::Family(f) if f.kind == SymKind::Rule => {
                return Err(err_label(
                    codes::TYPE_MISMATCH,
                    format!(
                        "`chain` takes rule instances; `{}` is the rule itself",
                        f.name()
                    ),
                    a.span,
                    format!("write `{}()` for its defaults", f.name()),
                ));
            }
            other => {
                return Err(err_label(
                    codes::TYPE_MISMATCH,
                    format!("`chain` takes rules, found {}", a_type(other)),
                    a.span,
                    "not a rule",
                ));
            }
        }
    }
    let family = Family {
        kind: SymKind::Chain,
        decl: Decl {
            name: Ident {
                name: "chain".into(),
                span: args.span,
            },
            params: None,
            body: Rc::new(Vec::new()),
        },
        env: Scope::root(),
        span: args.span,
    };
    Ok(Value::Sym(Rc::new(SymObj {
        family: Rc::new(family),
        args: rules,
    })))
}

fn hutchinson(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    interp.hutchinson_probe(args.span)
}
