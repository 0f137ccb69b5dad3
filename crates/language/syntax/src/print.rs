//! A stable, readable text form of the AST (S-expressions), used by `optl parse`
//! and the parse snapshots.

use crate::ast::*;
use std::fmt::Write;

/// Prints a whole program, one top-level statement per line.
pub fn program_to_sexpr(p: &Program) -> String {
    let mut out = String::new();
    for s in &p.stmts {
        stmt(&mut out, s);
        out.push('\n');
    }
    out
}

/// Prints one statement on one line.
pub fn stmt_to_sexpr(s: &Stmt) -> String {
    let mut out = String::new();
    stmt(&mut out, s);
    out
}

/// Prints one expression on one line.
pub fn expr_to_sexpr(e: &Expr) -> String {
    let mut out = String::new();
    expr(&mut out, e);
    out
}

fn stmt(o: &mut String, s: &Stmt) {
    match &s.kind {
        StmtKind::Import(ImportPath::Std(path)) => {
            let names: Vec<&str> = path.iter().map(|i| &*i.name).collect();
            let _ = write!(o, "(import {})", names.join("."));
        }
        StmtKind::Import(ImportPath::File(p, _)) => {
            let _ = write!(o, "(import {p:?})");
        }
        StmtKind::Let(n, e) => {
            let _ = write!(o, "(let {} ", n.name);
            expr(o, e);
            o.push(')');
        }
        StmtKind::Fn(f) => {
            let _ = write!(o, "(fn {} ", f.name.name);
            params(o, &f.params);
            o.push(' ');
            expr(o, &f.body);
            o.push(')');
        }
        StmtKind::Problem(d) | StmtKind::Rule(d) | StmtKind::Lower(d) => {
            let kw = match s.kind {
                StmtKind::Problem(_) => "problem",
                StmtKind::Rule(_) => "rule",
                _ => "lower",
            };
            let _ = write!(o, "({kw} {}", d.name.name);
            if let Some(p) = &d.params {
                o.push(' ');
                params(o, p);
            }
            for st in d.body.iter() {
                o.push_str("\n  ");
                stmt(o, st);
            }
            o.push(')');
        }
        StmtKind::Var(v) => {
            let _ = write!(o, "(var {}", v.name.name);
            if let Some(d) = &v.dims {
                o.push_str(" (shape");
                for e in d {
                    o.push(' ');
                    expr(o, e);
                }
                o.push(')');
            }
            if let Some((lo, hi)) = &v.bounds {
                o.push_str(" (in ");
                expr(o, lo);
                o.push(' ');
                expr(o, hi);
                o.push(')');
            }
            if let Some(set) = &v.set {
                let _ = write!(o, " (in-set {}", set.name.name);
                for e in &set.args {
                    o.push(' ');
                    expr(o, e);
                }
                o.push(')');
            }
            if let Some(i) = &v.init {
                o.push_str(" (init ");
                expr(o, i);
                o.push(')');
            }
            o.push(')');
        }
        StmtKind::Minimize(e) => tagged(o, "minimize", e),
        StmtKind::Maximize(e) => tagged(o, "maximize", e),
        StmtKind::SubjectTo(e) => tagged(o, "subject-to", e),
        StmtKind::State(n, e) => {
            let _ = write!(o, "(state {} ", n.name);
            expr(o, e);
            o.push(')');
        }
        StmtKind::Assign(n, e) => {
            let _ = write!(o, "(set {} ", n.name);
            expr(o, e);
            o.push(')');
        }
        StmtKind::Expr(e) => expr(o, e),
        StmtKind::Error => o.push_str("(error)"),
    }
}

fn tagged(o: &mut String, tag: &str, e: &Expr) {
    let _ = write!(o, "({tag} ");
    expr(o, e);
    o.push(')');
}

fn params(o: &mut String, ps: &[Param]) {
    o.push('(');
    for (i, p) in ps.iter().enumerate() {
        if i > 0 {
            o.push(' ');
        }
        match (&p.default, &p.domain) {
            (None, None) => o.push_str(&p.name.name),
            (d, domain) => {
                let _ = write!(o, "({}", p.name.name);
                if let Some(d) = d {
                    o.push(' ');
                    expr(o, d);
                }
                if let Some(dom) = domain {
                    let open = if dom.lo_open { "(" } else { "[" };
                    let close = if dom.hi_open { ")" } else { "]" };
                    let _ = write!(o, " (in {open} ");
                    expr(o, &dom.lo);
                    o.push(' ');
                    expr(o, &dom.hi);
                    let _ = write!(o, " {close})");
                }
                o.push(')');
            }
        }
    }
    o.push(')');
}

fn opt(o: &mut String, e: &Option<Expr>) {
    match e {
        Some(e) => expr(o, e),
        None => o.push('_'),
    }
}

fn expr(o: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Int(n) => {
            let _ = write!(o, "{n}");
        }
        ExprKind::Float(x) => {
            let _ = write!(o, "{x:?}");
        }
        ExprKind::Str(s) => {
            let _ = write!(o, "{s:?}");
        }
        ExprKind::Bool(b) => {
            let _ = write!(o, "{b}");
        }
        ExprKind::Name(n) => o.push_str(n),
        ExprKind::List(items) => {
            o.push_str("(list");
            for i in items {
                o.push(' ');
                expr(o, i);
            }
            o.push(')');
        }
        ExprKind::Record(fields) => {
            o.push_str("(record");
            for (n, v) in fields {
                let _ = write!(o, " ({} ", n.name);
                expr(o, v);
                o.push(')');
            }
            o.push(')');
        }
        ExprKind::Block(stmts, last) => {
            o.push_str("(block");
            for s in stmts.iter() {
                o.push(' ');
                stmt(o, s);
            }
            o.push(' ');
            expr(o, last);
            o.push(')');
        }
        ExprKind::Unary(op, x) => {
            o.push_str(match op {
                UnOp::Neg => "(neg ",
                UnOp::Not => "(not ",
            });
            expr(o, x);
            o.push(')');
        }
        ExprKind::Binary(op, a, b) => {
            let _ = write!(o, "({} ", op.symbol());
            expr(o, a);
            o.push(' ');
            expr(o, b);
            o.push(')');
        }
        ExprKind::If(c, a, b) => {
            o.push_str("(if ");
            expr(o, c);
            o.push(' ');
            expr(o, a);
            o.push(' ');
            expr(o, b);
            o.push(')');
        }
        ExprKind::Lambda(ps, body) => {
            o.push_str("(lambda ");
            params(o, ps);
            o.push(' ');
            expr(o, body);
            o.push(')');
        }
        ExprKind::Call(f, args) => {
            o.push_str("(call ");
            expr(o, f);
            for a in args {
                o.push(' ');
                if let Some(n) = &a.name {
                    let _ = write!(o, "{}=", n.name);
                }
                expr(o, &a.value);
            }
            o.push(')');
        }
        ExprKind::Index(x, items) => {
            o.push_str("(index ");
            expr(o, x);
            for it in items {
                o.push(' ');
                match it {
                    IndexItem::At(e) => expr(o, e),
                    IndexItem::Slice { start, stop, step } => {
                        o.push_str("(slice ");
                        opt(o, start);
                        o.push(' ');
                        opt(o, stop);
                        o.push(' ');
                        opt(o, step);
                        o.push(')');
                    }
                }
            }
            o.push(')');
        }
        ExprKind::Field(x, n) => {
            o.push_str("(. ");
            expr(o, x);
            let _ = write!(o, " {})", n.name);
        }
        ExprKind::Comprehension(body, clauses) => {
            o.push_str("(comprehension ");
            expr(o, body);
            for c in clauses {
                match c {
                    Clause::For(n, e) => {
                        let _ = write!(o, " (for {} ", n.name);
                        expr(o, e);
                        o.push(')');
                    }
                    Clause::If(e) => {
                        o.push_str(" (if ");
                        expr(o, e);
                        o.push(')');
                    }
                }
            }
            o.push(')');
        }
        ExprKind::Error => o.push_str("(error)"),
    }
}

/// Prints an expression back as OptL source, with parentheses only where precedence
/// needs them (used to show default values and canonical forms).
pub fn expr_to_source(e: &Expr) -> String {
    let mut out = String::new();
    source(&mut out, e, 0);
    out
}

/// Binding strength of an expression's top operator (higher binds tighter).
fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Lambda(..) | ExprKind::If(..) => 1,
        ExprKind::Binary(BinOp::Or, ..) => 2,
        ExprKind::Binary(BinOp::And, ..) => 3,
        ExprKind::Unary(UnOp::Not, _) => 4,
        ExprKind::Binary(
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge,
            ..,
        ) => 5,
        ExprKind::Binary(BinOp::Add | BinOp::Sub, ..) => 6,
        ExprKind::Binary(BinOp::Mul | BinOp::Div | BinOp::Rem | BinOp::MatMul, ..) => 7,
        ExprKind::Unary(UnOp::Neg, _) => 8,
        ExprKind::Binary(BinOp::Pow, ..) => 9,
        _ => 10,
    }
}

fn source(o: &mut String, e: &Expr, min: u8) {
    let lv = level(e);
    let paren = lv < min;
    if paren {
        o.push('(');
    }
    match &e.kind {
        ExprKind::Int(n) => {
            let _ = write!(o, "{n}");
        }
        ExprKind::Float(x) => {
            let _ = write!(o, "{x:?}");
        }
        ExprKind::Str(s) => {
            let _ = write!(o, "{s:?}");
        }
        ExprKind::Bool(b) => {
            let _ = write!(o, "{b}");
        }
        ExprKind::Name(n) => o.push_str(n),
        ExprKind::List(items) => {
            o.push('[');
            comma_list(o, items);
            o.push(']');
        }
        ExprKind::Record(fields) => {
            o.push('{');
            for (i, (n, v)) in fields.iter().enumerate() {
                if i > 0 {
                    o.push_str(", ");
                }
                let _ = write!(o, "{}: ", n.name);
                source(o, v, 1);
            }
            o.push('}');
        }
        ExprKind::Block(..) => o.push_str("{ ... }"),
        ExprKind::Unary(UnOp::Neg, x) => {
            o.push('-');
            source(o, x, 8);
        }
        ExprKind::Unary(UnOp::Not, x) => {
            o.push_str("not ");
            source(o, x, 4);
        }
        ExprKind::Binary(op, a, b) => {
            // Left-associative operators keep their left operand at the same level;
            // `^` is right-associative and comparisons do not associate.
            let (l, r) = match op {
                BinOp::Pow => (10, 8),
                BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => (6, 6),
                _ => (lv, lv + 1),
            };
            source(o, a, l);
            let _ = write!(o, " {} ", op.symbol());
            source(o, b, r);
        }
        ExprKind::If(c, a, b) => {
            o.push_str("if ");
            source(o, c, 1);
            o.push_str(" then ");
            source(o, a, 1);
            o.push_str(" else ");
            source(o, b, 1);
        }
        ExprKind::Lambda(ps, body) => {
            o.push_str("fn(");
            for (i, p) in ps.iter().enumerate() {
                if i > 0 {
                    o.push_str(", ");
                }
                o.push_str(&p.name.name);
                if let Some(d) = &p.default {
                    o.push_str(" = ");
                    source(o, d, 1);
                }
            }
            o.push_str(") = ");
            source(o, body, 1);
        }
        ExprKind::Call(f, args) => {
            source(o, f, 10);
            o.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    o.push_str(", ");
                }
                if let Some(n) = &a.name {
                    let _ = write!(o, "{} = ", n.name);
                }
                source(o, &a.value, 1);
            }
            o.push(')');
        }
        ExprKind::Index(x, items) => {
            source(o, x, 10);
            o.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    o.push_str(", ");
                }
                match it {
                    IndexItem::At(e) => source(o, e, 1),
                    IndexItem::Slice { start, stop, step } => {
                        if let Some(s) = start {
                            source(o, s, 1);
                        }
                        o.push(':');
                        if let Some(s) = stop {
                            source(o, s, 1);
                        }
                        if let Some(s) = step {
                            o.push(':');
                            source(o, s, 1);
                        }
                    }
                }
            }
            o.push(']');
        }
        ExprKind::Field(x, n) => {
            source(o, x, 10);
            let _ = write!(o, ".{}", n.name);
        }
        ExprKind::Comprehension(body, clauses) => {
            o.push('[');
            source(o, body, 1);
            for c in clauses {
                match c {
                    Clause::For(n, e) => {
                        let _ = write!(o, " for {} in ", n.name);
                        source(o, e, 2);
                    }
                    Clause::If(e) => {
                        o.push_str(" if ");
                        source(o, e, 2);
                    }
                }
            }
            o.push(']');
        }
        ExprKind::Error => o.push_str("<error>"),
    }
    if paren {
        o.push(')');
    }
}

fn comma_list(o: &mut String, items: &[Expr]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            o.push_str(", ");
        }
        source(o, item, 1);
    }
}
