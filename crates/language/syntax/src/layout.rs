//! The layout filter between the lexer and the parser: decides which newlines end
//! statements, tracks bracket nesting, and turns lexical problems into diagnostics.
//!
//! Rules (LANGUAGE.md §1): a newline is dropped when the innermost open bracket is `(`
//! or `[`, when the previous token cannot end a line (a binary operator, `,`, `;`, `{`,
//! `=`, ...), when the next token cannot start a statement (`}`, `then`, `else`), and
//! when it repeats. Nesting deeper than the limit stops lexing with one diagnostic.

use crate::codes;
use crate::diag::Diagnostic;
use crate::lexer::{LexProblem, Tok};
use crate::span::{FileId, Span};
use logos::Logos;

/// At most this many lexical errors are reported per file; the rest are noise.
pub const MAX_LEX_ERRORS: usize = 10;

/// Brackets nested deeper than this are refused before parsing.
pub const MAX_BRACKET_DEPTH: usize = 256;

/// A token with its byte range, as lalrpop wants it.
pub type Spanned = (usize, Tok, usize);

/// The tokens the parser sees, and the lexical diagnostics found on the way.
pub struct Layout {
    pub tokens: Vec<Spanned>,
    pub diagnostics: Vec<Diagnostic>,
    /// Set when lexing stopped early; parse errors after that point are noise.
    pub truncated: bool,
}

pub fn layout(src: &str, file: FileId) -> Layout {
    let mut out = Layout {
        tokens: Vec::new(),
        diagnostics: Vec::new(),
        truncated: false,
    };
    // Open brackets: the token, its range, and whether it opens a parameter list.
    let mut brackets: Vec<(Tok, usize, usize, bool)> = Vec::new();
    // The depths (in `brackets`) of the open parameter domains.
    let mut domains: Vec<usize> = Vec::new();
    let mut pending_newline: Option<(usize, usize)> = None;
    let span = |s: usize, e: usize| Span::new(file, s, e);
    let mut lexer = Tok::lexer(src);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        let (start, end) = (range.start, range.end);
        let tok = match result {
            Ok(tok) => tok,
            Err(problem) => {
                let (diag, stand_in) = recover(problem, lexer.slice(), span(start, end));
                if out.diagnostics.len() == MAX_LEX_ERRORS {
                    // Past this many the input is probably not OptL at all (binary
                    // garbage); stop instead of flooding the terminal.
                    out.diagnostics.push(
                        Diagnostic::error(
                            codes::UNEXPECTED_CHAR,
                            "too many lexical errors; giving up",
                        )
                        .at(span(start, end), "stopped here")
                        .hint("is this file OptL source?"),
                    );
                    out.truncated = true;
                    return out;
                }
                out.diagnostics.push(diag);
                match stand_in {
                    Some(tok) => tok,
                    None => continue,
                }
            }
        };
        // After `.` a keyword is a field name (`r.state`, `r.in`), not a keyword.
        let tok = match (&tok, out.tokens.last()) {
            (t, Some((_, Tok::Dot, _))) if t.keyword_text().is_some() => {
                Tok::Ident(t.keyword_text().unwrap_or_default().to_string())
            }
            _ => tok,
        };
        if tok == Tok::Newline {
            let inside_parens = matches!(brackets.last(), Some((Tok::LParen | Tok::LBracket, ..)));
            let after_continuation = out.tokens.last().is_none_or(|(_, t, _)| t.continues_line());
            if !inside_parens && !after_continuation && pending_newline.is_none() {
                pending_newline = Some((start, end));
            }
            continue;
        }
        if let Some((s, e)) = pending_newline.take()
            && !tok.joins_previous_line()
        {
            out.tokens.push((s, Tok::Newline, e));
        }
        if tok == Tok::RBrace {
            // `{ a; b; }`: separators before `}` separate nothing.
            while matches!(out.tokens.last(), Some((_, Tok::Semi | Tok::Newline, _))) {
                out.tokens.pop();
            }
        }
        // A keyword used as a parameter or keyword-argument name is a name:
        // before `=` in parentheses (`warmup(steps = 10, then = cosine(...))`), or
        // alone in a parameter list (`fn warmup(steps, then, init = 0)`). Neither is
        // valid syntax otherwise.
        if let (true, Some((Tok::LParen, _, _, params))) = (
            matches!(tok, Tok::Assign | Tok::Comma | Tok::RParen),
            brackets.last(),
        ) {
            let n = out.tokens.len();
            let as_name = match &out.tokens[..] {
                [.., (_, before, _), (_, kw, _)] => {
                    !matches!(kw, Tok::True | Tok::False)
                        && kw.keyword_text().is_some()
                        && (tok == Tok::Assign
                            || (*params && matches!(before, Tok::LParen | Tok::Comma)))
                }
                _ => false,
            };
            if as_name {
                let text = out.tokens[n - 1].1.keyword_text().unwrap_or_default();
                out.tokens[n - 1].1 = Tok::Ident(text.to_string());
            }
        }
        if tok == Tok::Semi && matches!(out.tokens.last(), Some((_, Tok::LBrace, _))) {
            // Likewise right after `{`.
            continue;
        }
        match tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace => {
                if brackets.len() >= MAX_BRACKET_DEPTH {
                    out.diagnostics.push(
                        Diagnostic::error(
                            codes::NESTING_TOO_DEEP,
                            format!("brackets nested more than {MAX_BRACKET_DEPTH} deep"),
                        )
                        .at(span(start, end), "this bracket is one level too deep")
                        .hint("split the expression with `let` bindings or helper functions"),
                    );
                    out.truncated = true;
                    return out;
                }
                // `fn f(`, `fn(`, `rule r(`, `problem p(` open parameter lists.
                let params = tok == Tok::LParen
                    && matches!(
                        &out.tokens[..],
                        [.., (_, Tok::Fn, _)]
                            | [
                                ..,
                                (_, Tok::Fn | Tok::Rule | Tok::Problem, _),
                                (_, Tok::Ident(_), _)
                            ]
                    );
                // `in [` or `in (` in a parameter list opens a domain, which
                // either bracket closes (`[0, 1)`).
                let in_params = matches!(brackets.last(), Some((.., true)));
                let domain = in_params
                    && tok != Tok::LBrace
                    && matches!(out.tokens.last(), Some((_, Tok::In, _)));
                let opener = if domain { Tok::LBracket } else { tok.clone() };
                brackets.push((opener, start, end, params));
                if domain {
                    domains.push(brackets.len());
                }
            }
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                let want = match tok {
                    Tok::RParen => Tok::LParen,
                    Tok::RBracket => Tok::LBracket,
                    _ => Tok::LBrace,
                };
                let closes_domain = domains.last() == Some(&brackets.len())
                    && matches!(tok, Tok::RParen | Tok::RBracket);
                if closes_domain {
                    domains.pop();
                    brackets.pop();
                    out.tokens.push((start, tok, end));
                    continue;
                }
                match brackets.last() {
                    Some((open, os, oe, _)) if *open != want => {
                        out.diagnostics.push(
                            Diagnostic::error(
                                codes::MISMATCHED_BRACKET,
                                format!("{tok} does not close {open}"),
                            )
                            .at(span(start, end), format!("expected {}", closer(open)))
                            .also(span(*os, *oe), "the bracket opened here"),
                        );
                        out.truncated = true;
                        return out;
                    }
                    Some(_) => {
                        brackets.pop();
                    }
                    None => {}
                }
            }
            _ => {}
        }
        out.tokens.push((start, tok, end));
    }
    out
}

fn closer(open: &Tok) -> &'static str {
    match open {
        Tok::LParen => "`)`",
        Tok::LBracket => "`]`",
        _ => "`}`",
    }
}

/// Reports a lexical problem and, where possible, a stand-in token so parsing goes on.
fn recover(problem: LexProblem, text: &str, span: Span) -> (Diagnostic, Option<Tok>) {
    match problem {
        LexProblem::UnexpectedChar => {
            let shown = text.chars().next().map_or(String::new(), |c| {
                if c.is_control() {
                    format!("{:?}", c).trim_matches('\'').to_string()
                } else {
                    c.to_string()
                }
            });
            (
                Diagnostic::error(
                    codes::UNEXPECTED_CHAR,
                    format!("unexpected character `{shown}`"),
                )
                .at(span, "not part of any OptL token"),
                None,
            )
        }
        LexProblem::UnterminatedString => (
            Diagnostic::error(codes::UNTERMINATED_STRING, "unterminated string")
                .at(span, "this string has no closing `\"` on its line")
                .hint("strings cannot span lines; use `\\n` for a line break"),
            Some(Tok::Str(String::new())),
        ),
        LexProblem::InvalidEscape(esc) => (
            Diagnostic::error(
                codes::INVALID_ESCAPE,
                format!("invalid escape `{esc}` in string"),
            )
            .at(span, "in this string")
            .hint("the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`"),
            Some(Tok::Str(String::new())),
        ),
        LexProblem::IntOutOfRange => (
            Diagnostic::error(codes::INT_OUT_OF_RANGE, "integer literal out of range")
                .at(span, "does not fit in a 64-bit signed integer")
                .hint("write it as a Float, e.g. `1e20`"),
            Some(Tok::Int(0)),
        ),
    }
}
