//! A small reader of rule programs for the unit tests: one statement per line
//! (`state x = e`, `let x = e`, `x = e`, or `<other H>` for an opaque statement),
//! expressions with OptL's precedence over numbers, names, calls (with keyword
//! arguments), `-`, `+ - * / % @ ^` and comparisons, and `<other H: a b>` for an
//! opaque expression with handle `H` that reads `a` and `b`. Every node gets the
//! next origin, so origins tell nodes apart.

use crate::program::{Arg, BinOp, Expr, ExprKind, Name, Opaque, Origin, RuleProgram, Stmt};
use crate::program::{StmtKind, UnOp};
use std::rc::Rc;

/// The program of `text`, one statement a line (blank lines skipped).
pub(crate) fn program(text: &str) -> RuleProgram {
    let mut r = Reader::default();
    let stmts = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| r.stmt(l))
        .collect();
    RuleProgram { stmts }
}

/// A program's statements with an expression as `target = source`, joined by
/// `; ` (what tests compare).
pub(crate) fn shown(p: &RuleProgram) -> String {
    p.stmts
        .iter()
        .filter_map(|s| {
            let e = s.expr()?;
            Some(format!(
                "{} = {}",
                s.target()?.name,
                crate::program::to_source(e)
            ))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The expression `text`.
pub(crate) fn expr(text: &str) -> Expr {
    let mut r = Reader::default();
    r.start(text);
    let e = r.binary(0);
    assert!(r.at >= r.tokens.len(), "trailing input in {text:?}");
    e
}

#[derive(Default)]
struct Reader {
    tokens: Vec<String>,
    at: usize,
    next_origin: u32,
}

impl Reader {
    fn start(&mut self, text: &str) {
        self.tokens = tokens(text);
        self.at = 0;
    }

    fn origin(&mut self) -> Origin {
        self.next_origin += 1;
        Origin(self.next_origin)
    }

    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn bump(&mut self) -> String {
        let t = self.tokens.get(self.at).cloned().expect("more input");
        self.at += 1;
        t
    }

    fn expect(&mut self, t: &str) {
        assert_eq!(self.bump(), t);
    }

    fn name(&mut self) -> Name {
        let name = self.bump().into();
        Name {
            name,
            origin: self.origin(),
        }
    }

    fn stmt(&mut self, line: &str) -> Stmt {
        self.start(line);
        let origin = self.origin();
        let kind = match self.peek() {
            Some("<") => {
                self.expect("<");
                self.expect("other");
                let h = self.bump().parse().expect("a handle");
                self.expect(">");
                StmtKind::Other(h)
            }
            Some("state") | Some("let") => {
                let kw = self.bump();
                let n = self.name();
                self.expect("=");
                let e = self.binary(0);
                match kw.as_str() {
                    "state" => StmtKind::State(n, e),
                    _ => StmtKind::Let(n, e),
                }
            }
            _ => {
                let n = self.name();
                self.expect("=");
                StmtKind::Assign(n, self.binary(0))
            }
        };
        assert!(self.at >= self.tokens.len(), "trailing input in {line:?}");
        Stmt { kind, origin }
    }

    /// Operators binding at least as tight as level `min` (5 comparisons, 6 `+ -`,
    /// 7 `* / % @`).
    fn binary(&mut self, min: u8) -> Expr {
        let mut a = self.unary();
        loop {
            let Some((op, lv)) = self.peek().and_then(binop) else {
                return a;
            };
            if lv < min {
                return a;
            }
            self.bump();
            let origin = self.origin();
            let b = self.binary(lv + 1);
            a = Expr::new(ExprKind::Binary(op, Box::new(a), Box::new(b)), origin);
        }
    }

    fn unary(&mut self) -> Expr {
        if self.peek() == Some("-") {
            self.bump();
            let origin = self.origin();
            let x = self.unary();
            return Expr::new(ExprKind::Unary(UnOp::Neg, Box::new(x)), origin);
        }
        let base = self.postfix();
        if self.peek() == Some("^") {
            self.bump();
            let origin = self.origin();
            let exponent = self.unary();
            return Expr::new(
                ExprKind::Binary(BinOp::Pow, Box::new(base), Box::new(exponent)),
                origin,
            );
        }
        base
    }

    fn postfix(&mut self) -> Expr {
        let mut e = self.atom();
        while self.peek() == Some("(") {
            self.bump();
            let origin = self.origin();
            let mut args = Vec::new();
            while self.peek() != Some(")") {
                let keyword = self.tokens.get(self.at + 1).is_some_and(|t| t == "=");
                let name = keyword.then(|| {
                    let n = self.name();
                    self.expect("=");
                    n
                });
                args.push(Arg {
                    name,
                    value: self.binary(0),
                });
                if self.peek() == Some(",") {
                    self.bump();
                }
            }
            self.expect(")");
            e = Expr::new(ExprKind::Call(Box::new(e), args), origin);
        }
        e
    }

    fn atom(&mut self) -> Expr {
        let t = self.bump();
        let origin = self.origin();
        let kind = match t.as_str() {
            "(" => {
                let e = self.binary(0);
                self.expect(")");
                return e;
            }
            "<" => {
                self.expect("other");
                let handle = self.bump().parse().expect("a handle");
                self.expect(":");
                let mut reads: Vec<Rc<str>> = Vec::new();
                while self.peek() != Some(">") {
                    reads.push(self.bump().into());
                }
                self.expect(">");
                ExprKind::Other(Opaque {
                    handle,
                    reads: reads.into(),
                })
            }
            _ if t.starts_with(|c: char| c.is_ascii_digit()) => match t.contains(['.', 'e']) {
                true => ExprKind::Float(t.parse().expect("a float")),
                false => ExprKind::Int(t.parse().expect("an int")),
            },
            _ => ExprKind::Name(t.into()),
        };
        Expr::new(kind, origin)
    }
}

fn binop(t: &str) -> Option<(BinOp, u8)> {
    Some(match t {
        "==" => (BinOp::Eq, 5),
        "!=" => (BinOp::Ne, 5),
        "<" => (BinOp::Lt, 5),
        "<=" => (BinOp::Le, 5),
        ">" => (BinOp::Gt, 5),
        ">=" => (BinOp::Ge, 5),
        "+" => (BinOp::Add, 6),
        "-" => (BinOp::Sub, 6),
        "*" => (BinOp::Mul, 7),
        "/" => (BinOp::Div, 7),
        "%" => (BinOp::Rem, 7),
        "@" => (BinOp::MatMul, 7),
        _ => return None,
    })
}

fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let cs: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        let start = i;
        i += 1;
        if c.is_whitespace() {
            continue;
        }
        if c.is_ascii_digit() {
            // A number: digits, a point, an exponent with its sign.
            while i < cs.len()
                && (cs[i].is_ascii_alphanumeric()
                    || cs[i] == '.'
                    || (matches!(cs[i], '-' | '+') && cs[i - 1] == 'e'))
            {
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
        } else if matches!(c, '=' | '!' | '<' | '>') && cs.get(i) == Some(&'=') {
            i += 1;
        }
        out.push(cs[start..i].iter().collect());
    }
    out
}
