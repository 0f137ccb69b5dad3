//! The static checker: runs before evaluation and reports, with spans, unknown and
//! duplicate names, arity and keyword mistakes against visible declarations, statements
//! out of place, and rule bodies that never assign `u`. All of these exit with code 2.

use crate::signature::{Signature, bind_diagnostic};
use crate::value::{Func, Module, Value};
use optl_syntax::ast::*;
use optl_syntax::codes;
use optl_syntax::diag::Diagnostic;
use optl_syntax::span::Span;
use std::collections::HashMap;
use std::rc::Rc;

/// What the checker knows about a name.
#[derive(Clone, Debug)]
enum Known {
    /// A value whose calls cannot be checked statically.
    Plain,
    /// A callable with a known signature; `decl` is where it was declared.
    Callable {
        sig: Signature,
        what: String,
        decl: Option<Span>,
    },
    Module(Rc<Module>),
}

#[derive(Clone, Debug)]
struct Binding {
    span: Option<Span>,
    known: Known,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ctx {
    TopLevel,
    Block,
    Problem,
    /// The body of a `lower NAME { ... }` block inside a problem.
    Lower,
    Rule,
}

#[derive(Default)]
struct Scope {
    names: HashMap<Rc<str>, Binding>,
    /// `let` names of the statement list being checked that are not yet defined.
    later_lets: HashMap<Rc<str>, Span>,
    /// In a rule body: the `state` names (assignable) and whether `u` was assigned.
    states: Vec<Rc<str>>,
    assigns_u: bool,
}

/// Names defined outside the program being checked (globals, prelude).
pub trait Outer {
    fn lookup(&self, name: &str) -> Option<Value>;
    fn names(&self) -> Vec<Rc<str>>;
}

/// Checks a program. `imports` gives the module each `import` statement loaded (by the
/// statement's span); a failed import is absent and was reported already.
pub fn check_program(
    program: &Program,
    outer: &dyn Outer,
    imports: &HashMap<Span, Rc<Module>>,
) -> Vec<Diagnostic> {
    let mut c = Checker {
        scopes: vec![Scope::default()],
        outer,
        imports,
        diags: Vec::new(),
        lower_vars: Vec::new(),
        current_lower: None,
        lowers_seen: 0,
    };
    c.stmts(&program.stmts, Ctx::TopLevel);
    c.diags
}

struct Checker<'a> {
    scopes: Vec<Scope>,
    outer: &'a dyn Outer,
    imports: &'a HashMap<Span, Rc<Module>>,
    diags: Vec<Diagnostic>,
    /// The vars of lower problems checked so far, with their lower problem's name
    /// (for the hint when one is read outside its block).
    lower_vars: Vec<(Rc<str>, Rc<str>)>,
    /// The lower problem whose body is being checked.
    current_lower: Option<Rc<str>>,
    /// `lower` blocks met in the problem body being checked.
    lowers_seen: usize,
}

fn known_of_value(v: &Value) -> Known {
    match v {
        Value::Func(f) => match &**f {
            Func::Closure(c) => Known::Callable {
                sig: Signature::from_params(&c.params),
                what: c
                    .name
                    .as_ref()
                    .map_or("this function".into(), |n| format!("`{n}`")),
                decl: Some(c.span),
            },
            Func::Builtin(b) => Known::Callable {
                sig: b.signature.clone(),
                what: format!("`{}`", b.name),
                decl: None,
            },
            Func::Derived(_) => Known::Plain,
            Func::Host(h) => Known::Callable {
                sig: h.signature.clone(),
                what: format!("`{}`", h.name),
                decl: None,
            },
        },
        Value::Family(f) => Known::Callable {
            sig: Signature::from_params(f.params()),
            what: format!("{} `{}`", f.kind.word(), f.name()),
            decl: Some(f.decl.name.span),
        },
        Value::Module(m) => Known::Module(m.clone()),
        _ => Known::Plain,
    }
}

impl Checker<'_> {
    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn push(&mut self) {
        self.scopes.push(Scope::default());
    }

    fn pop(&mut self) {
        self.scopes.pop();
    }

    fn top(&mut self) -> &mut Scope {
        let last = self.scopes.len() - 1;
        &mut self.scopes[last]
    }

    fn lookup(&self, name: &str) -> Option<Known> {
        for s in self.scopes.iter().rev() {
            if let Some(b) = s.names.get(name) {
                return Some(b.known.clone());
            }
        }
        self.outer.lookup(name).map(|v| known_of_value(&v))
    }

    /// Defines a name in the innermost scope, reporting a duplicate in that scope.
    fn define(&mut self, name: &Ident, known: Known, what: &str) {
        if let Some(prev) = self.top().names.get(&name.name) {
            let mut d = Diagnostic::error(
                codes::DUPLICATE_DEFINITION,
                format!("`{}` is defined twice", name.name),
            )
            .at(name.span, format!("{what} `{}` redefined here", name.name));
            if let Some(s) = prev.span {
                d = d.also(s, "first defined here");
            }
            self.error(d.hint("choose another name; names in one scope are bound once"));
            return;
        }
        let top = self.top();
        top.later_lets.remove(&name.name);
        top.names.insert(
            name.name.clone(),
            Binding {
                span: Some(name.span),
                known,
            },
        );
    }

    fn define_params(&mut self, params: &[Param]) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for p in params {
            if let Some(d) = &p.default {
                self.expr(d);
            }
            if let Some(first) = seen.get(&*p.name.name) {
                let d = Diagnostic::error(
                    codes::DUPLICATE_PARAMETER,
                    format!("parameter `{}` appears twice", p.name.name),
                )
                .at(p.name.span, "repeated here")
                .also(*first, "first here");
                self.error(d);
                continue;
            }
            seen.insert(&p.name.name, p.name.span);
            self.top().names.insert(
                p.name.name.clone(),
                Binding {
                    span: Some(p.name.span),
                    known: Known::Plain,
                },
            );
        }
    }

    // ---------- statements ----------

    fn stmts(&mut self, stmts: &[Stmt], ctx: Ctx) {
        // Declarations are visible in the whole statement list (mutual recursion).
        for s in stmts {
            match &s.kind {
                StmtKind::Fn(f) => {
                    let known = Known::Callable {
                        sig: Signature::from_params(&f.params),
                        what: format!("`{}`", f.name.name),
                        decl: Some(f.name.span),
                    };
                    self.define(&f.name, known, "function");
                }
                StmtKind::Problem(d) | StmtKind::Rule(d) => {
                    let word = if matches!(s.kind, StmtKind::Problem(_)) {
                        "problem"
                    } else {
                        "rule"
                    };
                    let known = match &d.params {
                        Some(p) => Known::Callable {
                            sig: Signature::from_params(p),
                            what: format!("{word} `{}`", d.name.name),
                            decl: Some(d.name.span),
                        },
                        None => Known::Plain,
                    };
                    self.define(&d.name, known, word);
                }
                StmtKind::Let(n, _) => {
                    self.top()
                        .later_lets
                        .entry(n.name.clone())
                        .or_insert(n.span);
                }
                _ => {}
            }
        }
        // Bodies of declarations are checked after the whole list, so they may use
        // names bound by later `let`s (they run only when called).
        let mut deferred = Vec::new();
        for s in stmts {
            match s.kind {
                StmtKind::Fn(_) | StmtKind::Problem(_) | StmtKind::Rule(_) => deferred.push(s),
                _ => self.stmt(s, ctx),
            }
        }
        self.top().later_lets.clear();
        for s in deferred {
            self.stmt(s, ctx);
        }
    }

    fn misplaced(&mut self, span: Span, what: &str, allowed: &str) {
        self.error(
            Diagnostic::error(
                codes::MISPLACED_STATEMENT,
                format!("{what} is not allowed here"),
            )
            .at(span, format!("only {allowed}")),
        );
    }

    fn stmt(&mut self, s: &Stmt, ctx: Ctx) {
        match &s.kind {
            StmtKind::Import(_) => {
                if ctx != Ctx::TopLevel || self.scopes.len() > 1 {
                    self.misplaced(s.span, "`import`", "at the top level of a file");
                } else if let Some(m) = self.imports.get(&s.span) {
                    let name = Ident {
                        name: m.name.clone(),
                        span: s.span,
                    };
                    self.define(&name, Known::Module(m.clone()), "module");
                }
            }
            StmtKind::Let(n, e) => {
                self.expr(e);
                let known = match &e.kind {
                    ExprKind::Lambda(params, _) => Known::Callable {
                        sig: Signature::from_params(params),
                        what: format!("`{}`", n.name),
                        decl: Some(n.span),
                    },
                    _ => Known::Plain,
                };
                self.define(n, known, "name");
            }
            StmtKind::Fn(f) => {
                self.push();
                self.define_params(&f.params);
                self.expr(&f.body);
                self.pop();
            }
            StmtKind::Problem(d) | StmtKind::Rule(d) => {
                let is_rule = matches!(s.kind, StmtKind::Rule(_));
                self.push();
                if let Some(p) = &d.params {
                    self.define_params(p);
                }
                if is_rule {
                    for name in ["g", "w", "step"] {
                        self.top().names.insert(
                            name.into(),
                            Binding {
                                span: None,
                                known: Known::Plain,
                            },
                        );
                    }
                }
                self.push();
                let lowers_outside = std::mem::take(&mut self.lowers_seen);
                self.stmts(&d.body, if is_rule { Ctx::Rule } else { Ctx::Problem });
                self.lowers_seen = lowers_outside;
                let assigns_u = self.top().assigns_u;
                self.pop();
                self.pop();
                if is_rule && !assigns_u {
                    self.error(
                        Diagnostic::error(
                            codes::RULE_WITHOUT_UPDATE,
                            format!("rule `{}` never assigns the update `u`", d.name.name),
                        )
                        .at(d.name.span, "this rule has no `u = ...`")
                        .hint("a rule must set `u`; the driver applies `w = w - u`"),
                    );
                }
            }
            StmtKind::Lower(d) => self.lower(d, s.span, ctx),
            StmtKind::Var(v) => {
                if ctx != Ctx::Problem && ctx != Ctx::Lower {
                    self.misplaced(s.span, "`var`", "inside a `problem` body");
                }
                for e in v.dims.iter().flatten() {
                    self.expr(e);
                }
                if let Some((lo, hi)) = &v.bounds {
                    self.expr(lo);
                    self.expr(hi);
                }
                for e in v.set.iter().flat_map(|s| &s.args) {
                    self.expr(e);
                }
                if let Some(i) = &v.init {
                    self.expr(i);
                }
                self.define(&v.name, Known::Plain, "var");
            }
            StmtKind::Minimize(e) | StmtKind::Maximize(e) | StmtKind::SubjectTo(e) => {
                if ctx != Ctx::Problem && ctx != Ctx::Lower {
                    let what = match &s.kind {
                        StmtKind::Minimize(_) => "`minimize`",
                        StmtKind::Maximize(_) => "`maximize`",
                        _ => "`subject to`",
                    };
                    self.misplaced(s.span, what, "inside a `problem` body");
                }
                self.expr(e);
            }
            StmtKind::State(n, e) => {
                if ctx != Ctx::Rule {
                    self.misplaced(s.span, "`state`", "inside a `rule` body");
                }
                self.expr(e);
                self.define(n, Known::Plain, "state");
                self.top().states.push(n.name.clone());
            }
            StmtKind::Assign(n, e) => {
                self.expr(e);
                if ctx != Ctx::Rule {
                    self.error(
                        Diagnostic::error(
                            codes::MISPLACED_STATEMENT,
                            format!("assignment to `{}` is not allowed here", n.name),
                        )
                        .at(s.span, "assignments appear only in `rule` bodies")
                        .hint(format!("to name a value, write `let {} = ...`", n.name)),
                    );
                } else if &*n.name == "u" {
                    self.top().assigns_u = true;
                } else if !self.top().states.contains(&n.name) {
                    self.error(
                        Diagnostic::error(
                            codes::MISPLACED_STATEMENT,
                            format!("`{}` cannot be assigned", n.name),
                        )
                        .at(
                            n.span,
                            "only `u` and `state` variables can be assigned in a rule",
                        )
                        .hint(format!(
                            "declare it first with `state {} = ...`, or use `let`",
                            n.name
                        )),
                    );
                }
            }
            StmtKind::Expr(e) => {
                if matches!(ctx, Ctx::Problem | Ctx::Lower | Ctx::Rule) {
                    let body = match ctx {
                        Ctx::Problem => "problem",
                        Ctx::Lower => "lower",
                        _ => "rule",
                    };
                    self.error(
                        Diagnostic::error(
                            codes::MISPLACED_STATEMENT,
                            format!("an expression cannot stand alone in a {body} body"),
                        )
                        .at(e.span, "this value is not used")
                        .hint("if this continues the previous line, end that line with the operator instead"),
                    );
                }
                self.expr(e);
            }
            StmtKind::Error => {}
        }
    }

    /// `lower NAME { ... }`: only directly in a problem body, at most one per
    /// problem, with exactly one objective; its body sees the names declared
    /// before it, and after it `NAME` stands for the lower problem's solution.
    fn lower(&mut self, d: &optl_syntax::ast::Decl, span: Span, ctx: Ctx) {
        let name = &d.name;
        match ctx {
            Ctx::Problem if self.lowers_seen > 0 => self.error(
                Diagnostic::error(
                    codes::MISPLACED_STATEMENT,
                    format!("a second lower problem `{}` in one problem", name.name),
                )
                .at(span, "a problem has at most one `lower` block")
                .hint("put the lower variables of both into one `lower` block, with one objective"),
            ),
            Ctx::Problem => {}
            Ctx::Lower => self.error(
                Diagnostic::error(
                    codes::MISPLACED_STATEMENT,
                    format!("the lower problem `{}` is nested in another lower problem", name.name),
                )
                .at(span, "a `lower` block inside a `lower` block")
                .hint("OptL problems have two levels: write the lower problem's variables in its one block"),
            ),
            _ => self.misplaced(span, "`lower`", "directly inside a `problem` body"),
        }
        self.lowers_seen += 1;
        let objectives = d
            .body
            .iter()
            .filter(|st| matches!(st.kind, StmtKind::Minimize(_) | StmtKind::Maximize(_)))
            .count();
        if objectives != 1 {
            let found = match objectives {
                0 => "has no objective".to_string(),
                k => format!("has {k} objectives"),
            };
            self.error(
                Diagnostic::error(
                    codes::LOWER_WITHOUT_OBJECTIVE,
                    format!("the lower problem `{}` {found}", name.name),
                )
                .at(name.span, "needs exactly one `minimize` or `maximize`")
                .hint(
                    "a lower problem is solved for its vars: write one `minimize E` in its block",
                ),
            );
        }
        let outer_lower = self.current_lower.replace(name.name.clone());
        self.push();
        self.stmts(&d.body, Ctx::Lower);
        let vars: Vec<Rc<str>> = d
            .body
            .iter()
            .filter_map(|st| match &st.kind {
                StmtKind::Var(v) => Some(v.name.name.clone()),
                _ => None,
            })
            .collect();
        self.pop();
        self.current_lower = outer_lower;
        for v in vars {
            self.lower_vars.push((v, name.name.clone()));
        }
        self.define(name, Known::Plain, "lower problem");
    }

    // ---------- expressions ----------

    fn expr(&mut self, e: &Expr) {
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.expr_inner(e));
    }

    fn expr_inner(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Name(n) => {
                if self.lookup(n).is_none() {
                    self.unknown(n, e.span);
                }
            }
            ExprKind::Lambda(params, body) => {
                self.push();
                self.define_params(params);
                self.expr(body);
                self.pop();
            }
            ExprKind::Block(stmts, last) => {
                self.push();
                self.stmts(stmts, Ctx::Block);
                self.expr(last);
                self.pop();
            }
            ExprKind::Record(fields) => {
                let mut seen: HashMap<&str, Span> = HashMap::new();
                for (name, value) in fields {
                    if let Some(first) = seen.insert(&name.name, name.span) {
                        self.error(
                            Diagnostic::error(
                                codes::DUPLICATE_KEYWORD,
                                format!("field `{}` appears twice in a record", name.name),
                            )
                            .at(name.span, "repeated here")
                            .also(first, "first here"),
                        );
                    }
                    self.expr(value);
                }
            }
            ExprKind::Call(callee, args) => {
                self.expr(callee);
                for a in args {
                    self.expr(&a.value);
                }
                self.check_call(callee, args, e.span);
            }
            ExprKind::Field(base, name) => {
                self.expr(base);
                if let ExprKind::Name(m) = &base.kind
                    && let Some(Known::Module(module)) = self.lookup(m)
                    && module.members.get(&name.name).is_none()
                {
                    let mut d = Diagnostic::error(
                        codes::UNKNOWN_MODULE_MEMBER,
                        format!("module `{}` has no member `{}`", module.name, name.name),
                    )
                    .at(name.span, "not defined in that module");
                    if let Some(s) = crate::suggest::closest(
                        &name.name,
                        module.members.fields.iter().map(|(n, _)| &**n),
                    ) {
                        d = d.hint(format!("did you mean `{m}.{s}`?"));
                    }
                    self.error(d);
                }
            }
            ExprKind::Comprehension(body, clauses) => {
                let depth = self.scopes.len();
                for c in clauses {
                    match c {
                        Clause::For(n, iter) => {
                            self.expr(iter);
                            self.push();
                            self.top().names.insert(
                                n.name.clone(),
                                Binding {
                                    span: Some(n.span),
                                    known: Known::Plain,
                                },
                            );
                        }
                        Clause::If(cond) => self.expr(cond),
                    }
                }
                self.expr(body);
                self.scopes.truncate(depth);
            }
            other => other.for_each_child(|child| self.expr(child)),
        }
    }

    /// Checks a call against the callee's signature when the callee is known statically.
    fn check_call(&mut self, callee: &Expr, args: &[Arg], span: Span) {
        let known = match &callee.kind {
            ExprKind::Name(n) => self.lookup(n),
            ExprKind::Field(base, member) => match &base.kind {
                ExprKind::Name(m) => match self.lookup(m) {
                    Some(Known::Module(module)) => {
                        module.members.get(&member.name).map(known_of_value)
                    }
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        let Some(Known::Callable { sig, what, decl }) = known else {
            return;
        };
        let names: Vec<Option<&str>> = args
            .iter()
            .map(|a| a.name.as_ref().map(|n| &*n.name))
            .collect();
        if let Err(e) = sig.bind(&names) {
            let spans: Vec<Span> = args
                .iter()
                .map(|a| {
                    a.name
                        .as_ref()
                        .map_or(a.value.span, |n| n.span.to(a.value.span))
                })
                .collect();
            self.error(bind_diagnostic(&e, &sig, &what, &spans, span, decl));
        }
    }

    fn unknown(&mut self, name: &str, span: Span) {
        for s in self.scopes.iter().rev() {
            if let Some(&at) = s.later_lets.get(name) {
                let d = Diagnostic::error(
                    codes::UNKNOWN_NAME,
                    format!("`{name}` is used before its `let`"),
                )
                .at(span, "used here")
                .also(at, "defined later here")
                .hint("move the `let` above its first use");
                self.error(d);
                return;
            }
        }
        if self.current_lower.as_deref() == Some(name) {
            let d = Diagnostic::error(
                codes::UNKNOWN_NAME,
                format!("the lower problem `{name}` reads its own solution"),
            )
            .at(span, "a cycle between the levels")
            .hint("inside its block a lower problem reads its own vars by their plain names, and the upper vars");
            self.error(d);
            return;
        }
        if let Some((_, lower)) = self.lower_vars.iter().rev().find(|(v, _)| &**v == name) {
            let d = Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown name `{name}`"))
                .at(span, "not defined here")
                .hint(format!(
                    "`{name}` is a var of the lower problem `{lower}`; outside its block, write `{lower}.{name}`"
                ));
            self.error(d);
            return;
        }
        let mut candidates: Vec<Rc<str>> = self.outer.names();
        for s in &self.scopes {
            candidates.extend(s.names.keys().cloned());
        }
        candidates.sort();
        let mut d = Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown name `{name}`"))
            .at(span, "not defined");
        if let Some(s) = crate::suggest::closest(name, candidates.iter().map(|c| &**c)) {
            d = d.hint(format!("did you mean `{s}`?"));
        }
        self.error(d);
    }
}
