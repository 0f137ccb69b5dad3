//! `optl ir FILE`: the IR, gradient IR and hashes of every function, problem and rule
//! a file declares at its top level, in a stable text form for people and snapshots.

use crate::evaluator::Interp;
use crate::session::{Error, Interpreter};
use crate::value::{SymKind, Value};
use optl_ir::Function;
use optl_syntax::ast::StmtKind;
use optl_syntax::span::Span;
use std::fmt::Write;
use std::path::Path;
use std::rc::Rc;

/// What `optl ir --emit` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    Ast,
    Ir,
    Grad,
    Hash,
}

impl Interpreter {
    /// Runs a file (its output discarded) and reports on its top-level declarations.
    pub fn ir_report(&mut self, path: &Path, emit: &[Emit]) -> Result<String, Error> {
        self.set_output(|_| {});
        let program = self.run_file_keep_ast(path)?;
        let mut out = String::new();
        if emit.contains(&Emit::Ast) {
            out.push_str("## ast\n");
            out.push_str(&optl_syntax::print::program_to_sexpr(&program));
        }
        let wanted: Vec<Emit> = emit.iter().copied().filter(|e| *e != Emit::Ast).collect();
        if wanted.is_empty() {
            return Ok(out);
        }
        for s in &program.stmts {
            let (word, name) = match &s.kind {
                StmtKind::Fn(f) => ("fn", f.name.name.clone()),
                StmtKind::Problem(d) => ("problem", d.name.name.clone()),
                StmtKind::Rule(d) => ("rule", d.name.name.clone()),
                _ => continue,
            };
            let Some(value) = self.get(&name) else {
                continue;
            };
            let _ = writeln!(out, "\n## {word} {name}");
            let (interp, _) = self.parts();
            report_one(interp, &value, s.span, &wanted, &mut out);
        }
        Ok(out)
    }
}

impl Interpreter {
    /// The IR, gradient IR and hashes of one value (a function, problem or rule), as
    /// the REPL's `:ir` and `:hash` show them.
    pub fn ir_of_value(&mut self, value: &Value, emit: &[Emit]) -> String {
        let mut out = String::new();
        let (interp, _) = self.parts();
        report_one(interp, value, Span::default(), emit, &mut out);
        if out.is_empty() {
            out.push_str(&format!(
                "({} has no IR; only functions, problems and rules do)\n",
                crate::evaluator::a_type(value)
            ));
        }
        out
    }

    /// The IR of a problem value (an instance, or a family whose parameters all have
    /// defaults): inputs are its vars, outputs its objectives then its constraints.
    pub fn trace_problem_value(
        &mut self,
        value: &Value,
    ) -> Result<crate::numeric::TracedProblem, Error> {
        let (interp, _) = self.parts();
        let sym = match value {
            Value::Sym(s) => s.clone(),
            Value::Family(f) => match interp.instantiate(f, Vec::new(), Span::default()) {
                Ok(Value::Sym(s)) => s,
                Ok(_) => {
                    return Err(Error::from_runtime(crate::trace::not_traceable(
                        "this value",
                        Span::default(),
                    )));
                }
                Err(d) => return Err(Error::from_runtime(d)),
            },
            _ => {
                return Err(Error::from_runtime(crate::trace::not_traceable(
                    "a non-problem value",
                    Span::default(),
                )));
            }
        };
        interp
            .trace_problem(&sym, Span::default())
            .map_err(Error::from_runtime)
    }

    /// `hash(value)` as the language computes it.
    pub fn hash_of_value(&mut self, value: &Value) -> String {
        let (interp, _) = self.parts();
        crate::hashing::value_hash(interp, value, Span::default())
    }
}

fn report_one(interp: &mut Interp, value: &Value, span: Span, emit: &[Emit], out: &mut String) {
    let traced: Result<(Function, bool), String> = match value {
        Value::Func(_) => {
            let arity = match crate::numeric::fhash_shapes(value, &[], span) {
                Ok(s) => s,
                Err(d) => return note(out, &d.message),
            };
            interp
                .trace_function(value, &arity, span)
                .map(|f| (f, true))
                .map_err(|d| d.message)
        }
        Value::Family(fam) => match interp.instantiate(fam, Vec::new(), span) {
            Ok(Value::Sym(s)) => trace_sym(interp, &s, span),
            Ok(_) => Err("not an instance".into()),
            Err(_) => {
                return note(
                    out,
                    "a family with required parameters: instantiate it to see its IR",
                );
            }
        },
        Value::Sym(s) => trace_sym(interp, s, span),
        _ => return,
    };
    let (f, differentiable) = match traced {
        Ok(x) => x,
        Err(m) => return note(out, &format!("not traceable: {m}")),
    };
    if emit.contains(&Emit::Ir) {
        out.push_str("### ir\n");
        out.push_str(&optl_ir::print::to_text(&f));
    }
    if emit.contains(&Emit::Ir) && differentiable {
        split_report(out, &f);
    }
    if emit.contains(&Emit::Grad) && differentiable {
        let scalar = f
            .outputs
            .first()
            .is_some_and(|&o| f.graph.shape(o).is_empty());
        if scalar {
            match optl_ir::ad::grad(&f) {
                Ok(g) => {
                    out.push_str("### grad\n");
                    out.push_str(&optl_ir::print::to_text(&g));
                }
                Err(e) => note(out, &format!("no gradient: {e}")),
            }
        }
    }
    if emit.contains(&Emit::Hash) {
        out.push_str("### hash\n");
        let _ = writeln!(
            out,
            "structural {}",
            crate::hashing::hex(&optl_ir::hash::structural_hash(&f))
        );
        let _ = writeln!(
            out,
            "functional {}",
            crate::hashing::hex(&optl_ir::hash::functional_hash(&f, 0))
        );
    }
}

fn trace_sym(
    interp: &mut Interp,
    s: &Rc<crate::value::SymObj>,
    span: Span,
) -> Result<(Function, bool), String> {
    match s.family.kind {
        SymKind::Problem => interp
            .trace_problem(s, span)
            .map(|p| (p.function, true))
            .map_err(|d| d.message),
        SymKind::Rule | SymKind::Chain => interp
            .trace_rule(
                s,
                &crate::numeric::RULE_PROBE_SHAPE,
                crate::numeric::HyperParams::Constants,
                span,
            )
            .map(|r| (r.function, false))
            .map_err(|d| d.message),
        SymKind::Solver => Err("a solver has no IR".into()),
        SymKind::Algorithm => Err("a search algorithm has no IR".into()),
        SymKind::Schedule => {
            Err("a schedule has no IR of its own; it is traced into the rules that use it".into())
        }
    }
}

fn note(out: &mut String, message: &str) {
    let _ = writeln!(out, "({message})");
}

/// The objective read as smooth part + prox-friendly terms (what `solve` gives the
/// splitting methods), when it has nonsmooth terms or a least-squares smooth part.
fn split_report(out: &mut String, f: &optl_ir::Function) {
    let scalar = f.outputs.len() == 1 && f.graph.shape(f.outputs[0]).is_empty();
    if !scalar {
        return;
    }
    let split = optl_ir::split_objective(f, 0);
    if split.is_smooth() && split.least_squares.is_none() {
        return;
    }
    out.push_str(
        "### split
",
    );
    for t in &split.terms {
        let _ = writeln!(
            out,
            "prox {} ({} entries)",
            t.text(&format!("%{}", t.input)),
            t.indices.len()
        );
    }
    for t in &split.nonsmooth {
        let _ = writeln!(out, "nonsmooth {t}");
    }
    if let Some((terms, constant)) = &split.least_squares {
        for ls in terms {
            let a = ls.a.as_ref().map_or("I".to_string(), |a| {
                format!("A{}", optl_ir::graph::shape_text(a.shape()))
            });
            let b = if ls.b.is_some() { " - b" } else { "" };
            let _ = writeln!(
                out,
                "least squares {} * sum(({a} @ %{}{b})^2)",
                ls.weight, ls.input
            );
        }
        if *constant != 0.0 {
            let _ = writeln!(out, "constant {constant}");
        }
    }
}
