//! The logos lexer: source text to tokens with byte spans.
//!
//! Design note: the lexer knows nothing of statements. It emits `Newline` for every
//! line break; the layout filter (`layout.rs`) decides which newlines end statements.
//! Malformed tokens (bad escapes, unterminated strings, huge integers) still produce a
//! token so that parsing can go on, and the problem is reported as a diagnostic.

use logos::Logos;
use std::fmt;

/// What went wrong inside a token, reported by the layout filter with the token's span.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum LexProblem {
    #[default]
    UnexpectedChar,
    UnterminatedString,
    InvalidEscape(String),
    IntOutOfRange,
}

#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(skip r"[ \t\r\f]+")]
#[logos(skip(r"#[^\n]*", allow_greedy = true))]
#[logos(error = LexProblem)]
pub enum Tok {
    #[token("\n")]
    Newline,

    #[regex(r"[0-9]+", |lex| lex.slice().parse::<i64>().map_err(|_| LexProblem::IntOutOfRange))]
    Int(i64),
    #[regex(r"[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?", |lex| lex.slice().parse::<f64>().ok())]
    #[regex(r"[0-9]+[eE][+-]?[0-9]+", |lex| lex.slice().parse::<f64>().ok())]
    Float(f64),
    #[regex(r#""([^"\\\n]|\\[^\n])*""#, |lex| unescape(lex.slice()))]
    Str(String),
    #[regex(r#""([^"\\\n]|\\[^\n])*"#, unterminated)]
    UnterminatedStr,
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_string())]
    Ident(String),

    #[token("let")]
    Let,
    #[token("fn")]
    Fn,
    #[token("problem")]
    Problem,
    #[token("rule")]
    Rule,
    #[token("lower")]
    Lower,
    #[token("var")]
    Var,
    #[token("state")]
    State,
    #[token("minimize")]
    Minimize,
    #[token("maximize")]
    Maximize,
    #[token("subject")]
    Subject,
    #[token("to")]
    To,
    #[token("in")]
    In,
    #[token("for")]
    For,
    #[token("import")]
    Import,
    #[token("if")]
    If,
    #[token("then")]
    Then,
    #[token("else")]
    Else,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,
    #[token("true")]
    True,
    #[token("false")]
    False,

    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("=")]
    Assign,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("@")]
    At,
    #[token("^")]
    Caret,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
}

fn unterminated(_: &mut logos::Lexer<Tok>) -> Result<(), LexProblem> {
    Err(LexProblem::UnterminatedString)
}

/// Turns the text of a string literal (with quotes) into its value.
fn unescape(lit: &str) -> Result<String, LexProblem> {
    let body = &lit[1..lit.len() - 1];
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => return Err(LexProblem::InvalidEscape(format!("\\{other}"))),
            None => return Err(LexProblem::UnterminatedString),
        }
    }
    Ok(out)
}

impl Tok {
    /// True for tokens after which a line break cannot end a statement.
    pub fn continues_line(&self) -> bool {
        use Tok::*;
        matches!(
            self,
            Comma
                | Semi
                | LBrace
                | LParen
                | LBracket
                | Assign
                | Plus
                | Minus
                | Star
                | Slash
                | Percent
                | At
                | Caret
                | EqEq
                | NotEq
                | Lt
                | Le
                | Gt
                | Ge
                | And
                | Or
                | Not
                | Then
                | Else
                | Colon
                | Dot
                | In
        )
    }

    /// True for tokens before which a line break is ignored: they never start a statement.
    pub fn joins_previous_line(&self) -> bool {
        matches!(self, Tok::RBrace | Tok::Then | Tok::Else)
    }

    /// Keywords, usable as field names after `.`.
    pub fn keyword_text(&self) -> Option<&'static str> {
        use Tok::*;
        Some(match self {
            Let => "let",
            Fn => "fn",
            Problem => "problem",
            Rule => "rule",
            Lower => "lower",
            Var => "var",
            State => "state",
            Minimize => "minimize",
            Maximize => "maximize",
            Subject => "subject",
            To => "to",
            In => "in",
            For => "for",
            Import => "import",
            If => "if",
            Then => "then",
            Else => "else",
            And => "and",
            Or => "or",
            Not => "not",
            True => "true",
            False => "false",
            _ => return None,
        })
    }
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Tok::*;
        if let Some(k) = self.keyword_text() {
            return write!(f, "`{k}`");
        }
        let s = match self {
            Newline => "end of line",
            Int(_) => "integer",
            Float(_) => "number",
            Str(_) | UnterminatedStr => "string",
            Ident(name) => return write!(f, "name `{name}`"),
            LParen => "`(`",
            RParen => "`)`",
            LBracket => "`[`",
            RBracket => "`]`",
            LBrace => "`{`",
            RBrace => "`}`",
            Comma => "`,`",
            Semi => "`;`",
            Colon => "`:`",
            Dot => "`.`",
            Assign => "`=`",
            Plus => "`+`",
            Minus => "`-`",
            Star => "`*`",
            Slash => "`/`",
            Percent => "`%`",
            At => "`@`",
            Caret => "`^`",
            EqEq => "`==`",
            NotEq => "`!=`",
            Lt => "`<`",
            Le => "`<=`",
            Gt => "`>`",
            Ge => "`>=`",
            _ => "keyword",
        };
        f.write_str(s)
    }
}
