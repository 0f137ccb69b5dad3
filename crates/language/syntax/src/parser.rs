//! Parsing entry points: layout-filtered tokens into an AST plus diagnostics.
//!
//! The parser never gives up: syntax errors are recovered at statement level, so one
//! run reports several, and `Parsed::incomplete` tells the REPL that more input could
//! still make the text valid.

use crate::ast::*;
use crate::codes;
use crate::diag::Diagnostic;
use crate::layout::{Spanned, layout};
use crate::lexer::Tok;
use crate::span::{FileId, Span};
use lalrpop_util::{ErrorRecovery, ParseError, lalrpop_mod};
use std::cell::RefCell;
use std::rc::Rc;

lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused_parens, unused_imports)]
    grammar,
    "/optl.rs"
);

/// Expressions nested deeper than this are refused (diagnostic E0006).
pub const MAX_EXPR_DEPTH: u32 = 1000;

/// The parser's user error type: everything is reported through diagnostics instead.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseErr;

/// State the grammar actions share: the file being parsed and semantic errors.
pub struct Builder {
    file: FileId,
    diagnostics: RefCell<Vec<Diagnostic>>,
    depth_reported: RefCell<bool>,
}

/// The result of parsing one source text.
pub struct Parsed {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
    /// True when the only problem is that the input ended too early (an open bracket,
    /// a dangling operator): a REPL should ask for another line.
    pub incomplete: bool,
}

/// Parses a whole source file.
pub fn parse(src: &str, file: FileId) -> Parsed {
    let lay = layout(src, file);
    let builder = Builder {
        file,
        diagnostics: RefCell::new(Vec::new()),
        depth_reported: RefCell::new(false),
    };
    let mut recovered = Vec::new();
    let tokens = lay.tokens.into_iter().map(Ok::<Spanned, ParseErr>);
    let result = grammar::ProgramParser::new().parse(&builder, &mut recovered, tokens);
    let mut diagnostics = lay.diagnostics;
    let mut eof_errors = 0;
    let mut other_errors = 0;
    let mut syntax = Vec::new();
    let program = match result {
        Ok(p) => p,
        Err(e) => {
            recovered.push(ErrorRecovery {
                error: e,
                dropped_tokens: Vec::new(),
            });
            Program { stmts: Vec::new() }
        }
    };
    for r in recovered {
        if matches!(r.error, ParseError::UnrecognizedEof { .. }) {
            eof_errors += 1;
        } else {
            other_errors += 1;
        }
        syntax.push(syntax_diagnostic(r.error, file, src.len()));
    }
    // After lexing stopped early the parser only sees a truncated stream, and right
    // after a lexical error it sees a stand-in: its complaints there would be noise.
    if !lay.truncated {
        let line_of = |offset: u32| {
            src[..(offset as usize).min(src.len())]
                .matches('\n')
                .count()
        };
        let lex_lines: Vec<usize> = diagnostics
            .iter()
            .filter_map(|d| d.primary_span())
            .map(|s| line_of(s.start))
            .collect();
        diagnostics.extend(syntax.into_iter().filter(|d| {
            d.primary_span().is_none_or(|s| {
                let line = line_of(s.start);
                !lex_lines.iter().any(|&l| line == l || line == l + 1)
            })
        }));
    }
    diagnostics.extend(builder.diagnostics.into_inner());
    let incomplete = !lay.truncated
        && eof_errors > 0
        && other_errors == 0
        && diagnostics
            .iter()
            .all(|d| d.code == codes::UNEXPECTED_EOF || d.code == codes::UNTERMINATED_STRING)
        && !diagnostics
            .iter()
            .any(|d| d.code == codes::UNTERMINATED_STRING);
    Parsed {
        program,
        diagnostics,
        incomplete,
    }
}

fn syntax_diagnostic(e: ParseError<usize, Tok, ParseErr>, file: FileId, len: usize) -> Diagnostic {
    match e {
        ParseError::UnrecognizedEof { location, expected } => {
            let at = Span::new(file, location.min(len), location.min(len));
            Diagnostic::error(codes::UNEXPECTED_EOF, "unexpected end of input")
                .at(at, format!("expected {}", describe_expected(&expected)))
                .hint("an open bracket, block or expression is not finished")
        }
        ParseError::UnrecognizedToken {
            token: (s, tok, e),
            expected,
        } => {
            let what = if tok == Tok::Newline {
                "unexpected end of line".to_string()
            } else {
                format!("unexpected {tok}")
            };
            let mut d = Diagnostic::error(codes::UNEXPECTED_TOKEN, what).at(
                Span::new(file, s, e),
                format!("expected {}", describe_expected(&expected)),
            );
            if let Some(h) = hint_for(&tok, &expected) {
                d = d.hint(h);
            }
            d
        }
        ParseError::ExtraToken { token: (s, tok, e) } => {
            Diagnostic::error(codes::UNEXPECTED_TOKEN, format!("unexpected {tok}"))
                .at(Span::new(file, s, e), "extra input")
        }
        ParseError::InvalidToken { location } => {
            Diagnostic::error(codes::UNEXPECTED_CHAR, "invalid token")
                .at(Span::new(file, location, location + 1), "here")
        }
        ParseError::User { .. } => Diagnostic::error(codes::UNEXPECTED_TOKEN, "syntax error"),
    }
}

/// Turns lalrpop's list of expected terminals into a short phrase.
fn describe_expected(expected: &[String]) -> String {
    let has = |t: &str| expected.iter().any(|e| e == t);
    let starts_expr = has("Ident") && has("Int") && has("\"(\"");
    if starts_expr && has("\"let\"") {
        return "a statement".to_string();
    }
    let mut parts: Vec<String> = Vec::new();
    if starts_expr {
        parts.push("an expression".into());
    }
    for e in expected {
        let t = e.trim_matches('"');
        let shown = match t {
            "Ident" if starts_expr => continue,
            "Int" | "Float" | "Str" | "true" | "false" | "(" | "[" | "{" | "-" | "not" | "if"
            | "fn"
                if starts_expr =>
            {
                continue;
            }
            "Ident" => "a name".to_string(),
            "Int" => "an integer".to_string(),
            "Float" => "a number".to_string(),
            "Str" => "a string".to_string(),
            "NL" => "end of line".to_string(),
            "+" | "-" | "*" | "/" | "%" | "@" | "^" | "==" | "!=" | "<" | "<=" | ">" | ">="
            | "and" | "or" => {
                if !parts.iter().any(|p| p == "an operator") {
                    parts.push("an operator".into());
                }
                continue;
            }
            other => format!("`{other}`"),
        };
        if !parts.contains(&shown) {
            parts.push(shown);
        }
    }
    match parts.len() {
        0 => "something else".to_string(),
        1 => parts.remove(0),
        _ => {
            parts.truncate(6);
            let last = parts.pop().unwrap_or_default();
            format!("{} or {}", parts.join(", "), last)
        }
    }
}

fn hint_for(tok: &Tok, expected: &[String]) -> Option<&'static str> {
    let has = |t: &str| expected.iter().any(|e| e == t);
    match tok {
        Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge | Tok::EqEq | Tok::NotEq if !has("\"<\"") => {
            Some("comparisons do not chain: write `a < b and b < c`")
        }
        Tok::If | Tok::Fn => {
            Some("`if` and `fn` expressions need parentheses when used as operands")
        }
        Tok::Newline if has("\"else\"") => Some("`if` needs an `else` branch"),
        Tok::Plus | Tok::Minus | Tok::Star | Tok::Slash | Tok::Caret => Some(
            "a line that starts with an operator does not continue the previous one; end the previous line with the operator instead",
        ),
        _ => None,
    }
}

impl Builder {
    pub fn span(&self, l: usize, r: usize) -> Span {
        Span::new(self.file, l, r)
    }

    pub fn ident(&self, s: &str, l: usize, r: usize) -> Ident {
        Ident {
            name: s.into(),
            span: self.span(l, r),
        }
    }

    pub fn stmt(&self, kind: StmtKind, l: usize, r: usize) -> Stmt {
        Stmt {
            kind,
            span: self.span(l, r),
        }
    }

    /// Builds an expression node, refusing it (once per file) when it nests too deep.
    pub fn expr(&self, kind: ExprKind, l: usize, r: usize) -> Expr {
        let e = Expr::new(kind, self.span(l, r));
        if e.depth <= MAX_EXPR_DEPTH {
            return e;
        }
        if !self.depth_reported.replace(true) {
            self.diagnostics.borrow_mut().push(
                Diagnostic::error(
                    codes::NESTING_TOO_DEEP,
                    format!("expression nested more than {MAX_EXPR_DEPTH} levels deep"),
                )
                .at(e.span, "this expression is too deep")
                .hint("split it with `let` bindings, or build long sums with `sum([...])`"),
            );
        }
        Expr::new(ExprKind::Error, e.span)
    }

    pub fn binary(&self, op: BinOp, a: Expr, b: Expr, l: usize, r: usize) -> Expr {
        self.expr(ExprKind::Binary(op, Box::new(a), Box::new(b)), l, r)
    }

    pub fn std_path(&self, first: Ident, rest: Vec<Ident>) -> ImportPath {
        let mut path = vec![first];
        path.extend(rest);
        ImportPath::Std(path)
    }

    /// A block's last statement is its value and must be an expression.
    pub fn block(&self, mut stmts: Vec<Stmt>, l: usize, r: usize) -> Expr {
        let span = self.span(l, r);
        let last = match stmts.pop() {
            Some(Stmt {
                kind: StmtKind::Expr(e),
                ..
            }) => e,
            Some(Stmt {
                kind: StmtKind::Error,
                span,
            }) => Expr::new(ExprKind::Error, span),
            other => {
                let at = other.as_ref().map_or(span, |s| s.span);
                self.diagnostics.borrow_mut().push(
                    Diagnostic::error(
                        codes::BLOCK_WITHOUT_VALUE,
                        "block does not end with an expression",
                    )
                    .at(at, "the last statement of a block gives its value")
                    .hint("end the block with the expression whose value it has"),
                );
                stmts.extend(other);
                Expr::new(ExprKind::Error, span)
            }
        };
        self.expr(ExprKind::Block(Rc::new(stmts), Box::new(last)), l, r)
    }
}
