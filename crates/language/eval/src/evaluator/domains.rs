//! Parameter domains (docs/language.md, "Parameter domains"): a `problem` or `rule`
//! parameter may declare the numbers it admits (`b1 = 0.9 in [0, 1)`), and every
//! instance is checked when it is made — by a call, by `.with(...)`, by a search's
//! materialized point, by `discover`'s hyper-parameter mutations — so that a value
//! no rule can mean is refused before anything trains with it.

use super::{EvalResult, Interp};
use crate::env::Scope;
use crate::value::{SymObj, Value};
use optl_syntax::ast::ParamDomain;
use optl_syntax::codes;
use optl_syntax::span::Span;

impl Interp {
    /// Checks every bound number of `obj` against its parameter's domain; the error
    /// for parameter `i` is placed at `at(i)`.
    pub(crate) fn check_domains(
        &mut self,
        obj: &SymObj,
        at: &dyn Fn(usize) -> Span,
    ) -> EvalResult<()> {
        let params = obj.family.params();
        if params.iter().all(|p| p.domain.is_none()) {
            return Ok(());
        }
        // Bounds see the declaration's scope and the instance's parameters.
        let scope = Scope::child(&obj.family.env);
        for (name, v) in &obj.args {
            scope.define(name.clone(), v.clone());
        }
        for (i, (p, (name, v))) in params.iter().zip(&obj.args).enumerate() {
            let Some(dom) = &p.domain else { continue };
            let x = match v {
                Value::Int(n) => *n as f64,
                Value::Float(x) => *x,
                _ => continue,
            };
            let (lo, hi) = self.bounds(dom, &scope)?;
            let inside = (if dom.lo_open { x > lo } else { x >= lo })
                && (if dom.hi_open { x < hi } else { x <= hi });
            if !inside {
                let within = interval(dom, lo, hi);
                let d = optl_syntax::Diagnostic::error(
                    codes::INVALID_ARGUMENT,
                    format!(
                        "`{name}` of {} `{}` must be in {within}, found {}",
                        obj.family.kind.word(),
                        obj.name(),
                        v.repr()
                    ),
                )
                .at(at(i), format!("outside {within}"))
                .also(dom.span, "the declared domain")
                .hint(format!("give `{name}` a value in {within}"));
                return Err(Box::new(d));
            }
        }
        Ok(())
    }

    /// Checks every instance inside `v` (its arguments, lists and records
    /// included), each error placed at `span`.
    pub(crate) fn check_value_domains(&mut self, v: &Value, span: Span) -> EvalResult<()> {
        match v {
            Value::Sym(s) => {
                self.check_domains(s, &|_| span)?;
                for (_, a) in &s.args {
                    self.check_value_domains(a, span)?;
                }
                Ok(())
            }
            Value::List(items) => items
                .iter()
                .try_for_each(|x| self.check_value_domains(x, span)),
            Value::Record(r) => r
                .fields
                .iter()
                .try_for_each(|(_, x)| self.check_value_domains(x, span)),
            _ => Ok(()),
        }
    }

    /// The domain's bounds, evaluated in `scope`: numbers, not NaN, `lo <= hi`.
    fn bounds(&mut self, dom: &ParamDomain, scope: &std::rc::Rc<Scope>) -> EvalResult<(f64, f64)> {
        let number = |interp: &mut Interp, e| -> EvalResult<f64> {
            match interp.eval(e, scope)? {
                Value::Int(n) => Ok(n as f64),
                Value::Float(x) if !x.is_nan() => Ok(x),
                other => Err(Box::new(
                    optl_syntax::Diagnostic::error(
                        codes::INVALID_ARGUMENT,
                        format!("a domain's bounds must be numbers, found {}", other.repr()),
                    )
                    .at(dom.span, "in this domain")
                    .hint("bound it by numbers (`in [0, 1)`, `in (0, inf)`)"),
                )),
            }
        };
        let lo = number(self, &dom.lo)?;
        let hi = number(self, &dom.hi)?;
        if lo > hi {
            let d = optl_syntax::Diagnostic::error(
                codes::INVALID_ARGUMENT,
                format!("this domain is empty: its lower bound {lo} is above its upper bound {hi}"),
            )
            .at(dom.span, "empty")
            .hint("write the lower bound first");
            return Err(Box::new(d));
        }
        Ok((lo, hi))
    }
}

/// The interval as written (`[0, 1)`), with the bounds' values where they are
/// not literals (`[0, n] = [0, 10]`).
fn interval(dom: &ParamDomain, lo: f64, hi: f64) -> String {
    let (open, close) = (
        if dom.lo_open { "(" } else { "[" },
        if dom.hi_open { ")" } else { "]" },
    );
    let text = |e: &optl_syntax::ast::Expr| optl_syntax::print::expr_to_source(e);
    let written = format!("{open}{}, {}{close}", text(&dom.lo), text(&dom.hi));
    let literal = |e: &optl_syntax::ast::Expr| {
        matches!(
            e.kind,
            optl_syntax::ast::ExprKind::Int(_) | optl_syntax::ast::ExprKind::Float(_)
        ) || text(e) == "inf"
    };
    if literal(&dom.lo) && literal(&dom.hi) {
        return written;
    }
    let show = |x: f64| Value::Float(x).repr();
    format!("{written} = {open}{}, {}{close}", show(lo), show(hi))
}
