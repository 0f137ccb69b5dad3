//! Calls: binding arguments to closures, builtins, host functions and problem/rule
//! families; and `.with(...)` rebinding of symbolic objects and records.

use super::{EvalResult, Interp, a_type, describe, err_label};
use crate::builtins::Args;
use crate::env::Scope;
use crate::signature::{Signature, bind_diagnostic};
use crate::value::{Family, Func, Record, SymKind, SymObj, Value};
use optl_syntax::ast::{Arg, Expr, ExprKind};
use optl_syntax::codes;
use optl_syntax::diag::Diagnostic;
use optl_syntax::span::Span;
use std::rc::Rc;

/// An evaluated call argument.
#[derive(Clone, Debug)]
pub struct ArgVal {
    pub name: Option<Rc<str>>,
    pub value: Value,
    pub span: Span,
}

impl ArgVal {
    pub fn positional(value: Value, span: Span) -> ArgVal {
        ArgVal {
            name: None,
            value,
            span,
        }
    }
}

/// Errors from inside a call get a label at the call site, for the first few frames.
const MAX_TRACE_LABELS: usize = 4;

impl Interp {
    pub(super) fn eval_call(
        &mut self,
        callee: &Expr,
        args: &[Arg],
        span: Span,
        env: &Rc<Scope>,
    ) -> EvalResult<Value> {
        if let ExprKind::Field(base, name) = &callee.kind
            && &*name.name == "with"
        {
            let target = self.eval(base, env)?;
            if matches!(target, Value::Sym(_) | Value::Record(_)) {
                let args = self.eval_args(args, env)?;
                let v = self.rebind(target, &args, span)?;
                self.check_value_domains(&v, span)?;
                return Ok(v);
            }
        }
        let f = self.eval(callee, env)?;
        let args = self.eval_args(args, env)?;
        self.call(&f, args, span)
    }

    fn eval_args(&mut self, args: &[Arg], env: &Rc<Scope>) -> EvalResult<Vec<ArgVal>> {
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            out.push(ArgVal {
                name: a.name.as_ref().map(|n| n.name.clone()),
                value: self.eval(&a.value, env)?,
                span: a
                    .name
                    .as_ref()
                    .map_or(a.value.span, |n| n.span.to(a.value.span)),
            });
        }
        Ok(out)
    }

    /// Calls any callable value.
    pub fn call(&mut self, f: &Value, args: Vec<ArgVal>, span: Span) -> EvalResult<Value> {
        match f {
            Value::Func(func) => match &**func {
                Func::Closure(c) => {
                    let sig = Signature::from_params(&c.params);
                    let what = c
                        .name
                        .as_ref()
                        .map_or("this function".to_string(), |n| format!("`{n}`"));
                    let slots = self.bind(&sig, &args, &what, span, Some(c.span))?;
                    let scope = Scope::child(&c.env);
                    self.bind_params(&c.params, slots, &scope)?;
                    self.enter(span)?;
                    let result = self.eval(&c.body, &scope);
                    self.call_depth -= 1;
                    self.end_scope(scope, &result);
                    result.map_err(|d| with_call_site(d, span))
                }
                Func::Builtin(b) => {
                    let what = format!("`{}`", b.name);
                    let binding = b.signature.bind(&names(&args)).map_err(|e| {
                        let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
                        Box::new(bind_diagnostic(&e, &b.signature, &what, &spans, span, None))
                    })?;
                    let mut args: Vec<Option<ArgVal>> = args.into_iter().map(Some).collect();
                    let slots = binding
                        .slots
                        .iter()
                        .map(|s| s.and_then(|i| args[i].take()))
                        .collect();
                    let rest = binding
                        .rest
                        .iter()
                        .filter_map(|&i| args[i].take())
                        .collect();
                    let args = Args {
                        slots,
                        rest,
                        span,
                        unit: Value::Unit,
                    };
                    let traced = args
                        .slots
                        .iter()
                        .flatten()
                        .chain(&args.rest)
                        .any(|a| matches!(a.value, Value::Tracer(_)));
                    if traced
                        && let Some(result) = crate::builtins::traced::call(self, b.name, &args)
                    {
                        return result;
                    }
                    (b.run)(self, args)
                }

                Func::Derived(d) => self.call_derived(d, args, span),
                Func::Host(h) => {
                    let what = format!("`{}`", h.name);
                    let slots = self.bind(&h.signature, &args, &what, span, None)?;
                    let values: Vec<Value> = slots
                        .into_iter()
                        .map(|s| s.unwrap_or(Value::Unit))
                        .collect();
                    (h.f)(&values).map_err(|m| {
                        Box::new(
                            Diagnostic::error(
                                codes::HOST_ERROR,
                                format!("`{}` failed: {m}", h.name),
                            )
                            .at(span, "in this call"),
                        )
                    })
                }
            },
            Value::Family(fam) => self.instantiate(fam, args, span),
            Value::Sym(s) if s.family.kind == SymKind::Schedule => {
                // `cosine(1.0, steps = 10)(5)`: the schedule's value after 5 updates.
                let [t] = <[ArgVal; 1]>::try_from(args).map_err(|args| {
                    err_label(
                        codes::ARITY,
                        format!(
                            "a schedule takes one argument, the step count; found {}",
                            args.len()
                        ),
                        span,
                        "call it as `s(t)`",
                    )
                })?;
                self.enter(span)?;
                let result = self.schedule_at(s, t.value, span);
                self.call_depth -= 1;
                result.map_err(|d| with_call_site(d, span))
            }
            other => {
                let mut d = Diagnostic::error(
                    codes::NOT_CALLABLE,
                    format!("{} is not callable", a_type(other)),
                )
                .at(span, format!("this calls {}", describe(other)));
                if let Value::Sym(s) = other {
                    d = d.hint(format!(
                        "`{}` takes no parameters: use it as it is, without `()`",
                        s.name()
                    ));
                }
                Err(Box::new(d))
            }
        }
    }

    /// Calls a function value with positional arguments (used by `map`, `fold`, ...).
    pub fn call_positional(
        &mut self,
        f: &Value,
        args: Vec<Value>,
        span: Span,
    ) -> EvalResult<Value> {
        let args = args
            .into_iter()
            .map(|v| ArgVal::positional(v, span))
            .collect();
        self.call(f, args, span)
    }

    fn enter(&mut self, span: Span) -> EvalResult<()> {
        if self.call_depth >= self.limits.max_call_depth {
            return Err(Box::new(
                Diagnostic::error(
                    codes::RECURSION_TOO_DEEP,
                    format!("calls nested more than {} deep", self.limits.max_call_depth),
                )
                .at(span, "this call goes one level too deep")
                .hint("check that the recursion reaches its base case"),
            ));
        }
        self.call_depth += 1;
        Ok(())
    }

    /// Binds call arguments to a signature; missing optional parameters are `None`.
    fn bind(
        &self,
        sig: &Signature,
        args: &[ArgVal],
        what: &str,
        span: Span,
        decl: Option<Span>,
    ) -> EvalResult<Vec<Option<Value>>> {
        let binding = sig.bind(&names(args)).map_err(|e| {
            let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
            Box::new(bind_diagnostic(&e, sig, what, &spans, span, decl))
        })?;
        Ok(binding
            .slots
            .iter()
            .map(|s| s.map(|i| args[i].value.clone()))
            .collect())
    }

    /// Defines parameters in `scope`; defaults are evaluated there, so they may use
    /// earlier parameters.
    fn bind_params(
        &mut self,
        params: &[optl_syntax::ast::Param],
        slots: Vec<Option<Value>>,
        scope: &Rc<Scope>,
    ) -> EvalResult<Vec<(Rc<str>, Value)>> {
        let mut bound = Vec::with_capacity(params.len());
        for (p, slot) in params.iter().zip(slots) {
            let v = match (slot, &p.default) {
                (Some(v), _) => v,
                (None, Some(d)) => self.eval(d, scope)?,
                // `bind` already reported missing required arguments.
                (None, None) => Value::Unit,
            };
            scope.define(p.name.name.clone(), v.clone());
            bound.push((p.name.name.clone(), v));
        }
        Ok(bound)
    }

    /// `rosen(n = 100)`: a symbolic object with every parameter bound.
    pub fn instantiate(
        &mut self,
        fam: &Rc<Family>,
        args: Vec<ArgVal>,
        span: Span,
    ) -> EvalResult<Value> {
        let sig = Signature::from_params(fam.params());
        let what = format!("{} `{}`", fam.kind.word(), fam.name());
        let slots = self.bind(&sig, &args, &what, span, Some(fam.decl.name.span))?;
        // Where each parameter's value came from: its argument, else the call.
        let from: Vec<Span> = sig
            .bind(&names(&args))
            .map(|b| {
                b.slots
                    .iter()
                    .map(|s| s.map_or(span, |i| args[i].span))
                    .collect()
            })
            .unwrap_or_default();
        let scope = Scope::child(&fam.env);
        let bound = self.bind_params(fam.params(), slots, &scope)?;
        let obj = SymObj {
            family: fam.clone(),
            args: bound,
        };
        self.check_domains(&obj, &|i| from.get(i).copied().unwrap_or(span))?;
        if fam.kind == SymKind::Schedule {
            crate::schedules::validate(&obj, span)?;
        }
        Ok(Value::Sym(Rc::new(obj)))
    }

    /// `o.with(lr = 0.1)` or `o.with("inner.lr", 0.1)`: a copy with fields replaced.
    fn rebind(&mut self, target: Value, args: &[ArgVal], span: Span) -> EvalResult<Value> {
        let mut out = target;
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            match &a.name {
                Some(name) => {
                    out = replace_path(&out, std::slice::from_ref(name), a.value.clone(), a.span)?;
                    i += 1;
                }
                None => {
                    let Value::Str(path) = &a.value else {
                        return Err(err_label(
                            codes::TYPE_MISMATCH,
                            "`with` takes `name = value` pairs or a dotted path string and a value",
                            a.span,
                            format!("this is {}", a_type(&a.value)),
                        ));
                    };
                    let Some(value) = args.get(i + 1).filter(|v| v.name.is_none()) else {
                        return Err(err_label(
                            codes::MISSING_ARGUMENT,
                            format!("`with(\"{path}\", ...)` needs the new value after the path"),
                            span,
                            "the value is missing",
                        ));
                    };
                    let parts: Vec<Rc<str>> = path.split('.').map(Rc::from).collect();
                    out = replace_path(&out, &parts, value.value.clone(), a.span)?;
                    i += 2;
                }
            }
        }
        Ok(out)
    }
}

fn names(args: &[ArgVal]) -> Vec<Option<&str>> {
    args.iter().map(|a| a.name.as_deref()).collect()
}

fn with_call_site(mut d: Box<Diagnostic>, span: Span) -> Box<Diagnostic> {
    if d.labels.len() < MAX_TRACE_LABELS && !d.labels.iter().any(|l| l.span == span) {
        d.labels.push(optl_syntax::Label {
            span,
            message: "in this call".into(),
            primary: false,
        });
    }
    d
}

/// Replaces the field at `path` inside nested symbolic objects and records.
fn replace_path(target: &Value, path: &[Rc<str>], value: Value, span: Span) -> EvalResult<Value> {
    let Some((head, rest)) = path.split_first() else {
        return Ok(value);
    };
    let fields: &[(Rc<str>, Value)] = match target {
        Value::Sym(s) => &s.args,
        Value::Record(r) => &r.fields,
        other => {
            return Err(err_label(
                codes::NO_SUCH_FIELD,
                format!("cannot set `{head}` inside {}", a_type(other)),
                span,
                "only symbolic objects and records have fields to rebind",
            ));
        }
    };
    let Some(pos) = fields.iter().position(|(n, _)| n == head) else {
        let names: Vec<&str> = fields.iter().map(|(n, _)| &**n).collect();
        let mut d = Diagnostic::error(
            codes::NO_SUCH_FIELD,
            format!("{} has no field `{head}`", describe(target)),
        )
        .at(span, "no such field");
        d = match crate::suggest::closest(head, names.iter().copied()) {
            Some(s) => d.hint(format!("did you mean `{s}`?")),
            None => d.hint(format!("its fields are: {}", names.join(", "))),
        };
        return Err(Box::new(d));
    };
    let new_inner = replace_path(&fields[pos].1, rest, value, span)?;
    let mut new_fields = fields.to_vec();
    new_fields[pos].1 = new_inner;
    Ok(match target {
        Value::Sym(s) => Value::Sym(Rc::new(SymObj {
            family: s.family.clone(),
            args: new_fields,
        })),
        _ => Value::Record(Rc::new(Record { fields: new_fields })),
    })
}
