//! `optl repl`: the interactive front, a thin rustyline layer over the terminal-free
//! [`ReplSession`] in `backend.rs`.
//!
//! The front reads lines, keeps the history file and prints replies: `Output` to
//! stdout, `Error` to stderr. On a terminal it edits with rustyline (multi-line
//! entries through the [`Validator`], bracket matching, completion of names and
//! commands); otherwise it reads plain lines without prompts, so
//! `printf '1 + 2\n' | optl repl` prints `3`.
//!
//! rustyline has no continuation prompt: when the validator says an entry is
//! incomplete, Enter inserts a newline into the same buffer and the next line starts
//! at the left margin (kkawakam/rustyline#372). The whole entry is one history item,
//! which is worth more than the prompt. [`CONTINUATION`] is shown only when rustyline
//! hands back an unfinished entry anyway (a binding that accepts without validating).

mod backend;

pub use backend::{COMMANDS, Command, KEYWORDS, ReplSession, Reply, input_is_incomplete};

use crate::cli::RunOpts;
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter, MatchingBracketHighlighter};
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{ColorMode, CompletionType, Config, Context, Editor, Helper};
use std::borrow::Cow;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

/// The prompt for the first line of an entry.
pub const PROMPT: &str = "optl> ";
/// The prompt for further lines of an unfinished entry.
pub const CONTINUATION: &str = "  ... ";

/// Runs the REPL until `:quit` or end of input and returns the exit code: 0, or 1
/// when reading from a pipe and some entry failed (so scripted use can notice).
pub fn run(opts: &RunOpts) -> i32 {
    let mut session = ReplSession::with_interpreter(opts.interpreter());
    session.set_color(opts.color());
    if std::io::stdin().is_terminal() {
        match interactive(&mut session, opts.color()) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: the line editor failed: {e}");
                1
            }
        }
    } else {
        piped(&mut session)
    }
}

/// Prints a reply; returns false for `Quit`.
fn show(reply: Reply) -> bool {
    match reply {
        Reply::Output(text) => {
            let mut out = std::io::stdout().lock();
            // A closed stdout must not abort the session.
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
        Reply::Error(text) => {
            let _ = std::io::stdout().flush();
            eprint!("{text}");
        }
        Reply::Quit => return false,
        Reply::Incomplete => {}
    }
    true
}

/// Standard input is not a terminal: read lines, gather unfinished entries, no prompts.
fn piped(session: &mut ReplSession) -> i32 {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut entry = String::new();
    let mut failed = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        let at_end = match input.read_until(b'\n', &mut line) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => {
                eprintln!("error: cannot read standard input: {e}");
                return 1;
            }
        };
        if at_end {
            // An entry still open at the end is evaluated as it is, so the parser
            // reports what is missing.
            if !entry.trim().is_empty() {
                let reply = session.submit_final(&entry);
                failed |= matches!(reply, Reply::Error(_));
                show(reply);
            }
            break;
        }
        let text = String::from_utf8_lossy(&line);
        entry.push_str(
            text.strip_suffix('\n')
                .unwrap_or(&text)
                .trim_end_matches('\r'),
        );
        let reply = session.submit(&entry);
        if reply == Reply::Incomplete {
            entry.push('\n');
            continue;
        }
        entry.clear();
        failed |= matches!(reply, Reply::Error(_));
        if !show(reply) {
            break;
        }
    }
    i32::from(failed)
}

/// Standard input is a terminal: edit lines with rustyline.
fn interactive(session: &mut ReplSession, color: bool) -> rustyline::Result<i32> {
    let config = Config::builder()
        .max_history_size(1000)?
        .history_ignore_dups(true)?
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .color_mode(if color {
            ColorMode::Enabled
        } else {
            ColorMode::Disabled
        })
        .build();
    let mut editor: Editor<ReplHelper, DefaultHistory> = Editor::with_config(config)?;
    editor.set_helper(Some(ReplHelper::new(color, session.completion_names())));
    let history = history_path();
    if let Some(path) = &history {
        // A missing or unreadable history file just means starting afresh.
        let _ = editor.load_history(path);
    }
    println!(
        "OptL {} — :help lists the commands, Ctrl-D quits",
        env!("CARGO_PKG_VERSION")
    );
    let mut entry = String::new();
    loop {
        let prompt = if entry.is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                // Ctrl-C drops the entry being typed, like a shell.
                entry.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e),
        };
        if !entry.is_empty() {
            entry.push('\n');
        }
        entry.push_str(&line);
        let reply = session.submit(&entry);
        if reply == Reply::Incomplete {
            continue;
        }
        if !entry.trim().is_empty() {
            let _ = editor.add_history_entry(entry.as_str());
            if let Some(path) = &history {
                save_history(&mut editor, path);
            }
        }
        entry.clear();
        if !show(reply) {
            break;
        }
        if let Some(helper) = editor.helper_mut() {
            helper.names = session.completion_names();
        }
    }
    Ok(0)
}

/// `$XDG_STATE_HOME/optl/history`, else `$HOME/.optl_history`.
fn history_path() -> Option<PathBuf> {
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(state) = absolute("XDG_STATE_HOME") {
        return Some(state.join("optl").join("history"));
    }
    absolute("HOME").map(|home| home.join(".optl_history"))
}

/// Saves the history after every entry, so a session killed mid-evaluation keeps
/// it. Failing to write it is not worth interrupting anyone for.
fn save_history(editor: &mut Editor<ReplHelper, DefaultHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = editor.save_history(path);
}

/// The rustyline helper: validation, completion and bracket highlighting.
struct ReplHelper {
    /// Names in scope and keywords, refreshed after every entry.
    names: Vec<String>,
    /// `None` when colour is off: the highlighter writes ANSI escapes.
    brackets: Option<MatchingBracketHighlighter>,
    files: FilenameCompleter,
}

impl ReplHelper {
    fn new(color: bool, names: Vec<String>) -> ReplHelper {
        ReplHelper {
            names,
            brackets: color.then(MatchingBracketHighlighter::new),
            files: FilenameCompleter::new(),
        }
    }
}

impl Helper for ReplHelper {}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if input_is_incomplete(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, pos: usize) -> Cow<'l, str> {
        match &self.brackets {
            Some(b) => b.highlight(line, pos),
            None => Cow::Borrowed(line),
        }
    }

    fn highlight_char(&self, line: &str, pos: usize, kind: CmdKind) -> bool {
        self.brackets
            .as_ref()
            .is_some_and(|b| b.highlight_char(line, pos, kind))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = line.get(..pos).unwrap_or(line);
        let lead = before.len() - before.trim_start().len();
        if let Some(command) = before[lead..].strip_prefix(':') {
            match command.split_once(char::is_whitespace) {
                // Still typing the command's name.
                None => return Ok((lead, complete_commands(command))),
                Some((word, _)) if COMMANDS.iter().any(|c| c.name == "load" && c.matches(word)) => {
                    return self.files.complete(line, pos, ctx);
                }
                // `:type EXPR` completes names like ordinary input; other commands
                // take no argument.
                Some((word, _)) if COMMANDS.iter().any(|c| c.name == "type" && c.matches(word)) => {
                }
                Some(_) => return Ok((pos, Vec::new())),
            }
        }
        Ok(complete_names(before, &self.names))
    }
}

/// `:`-commands whose name starts with `prefix`; the replacement includes the colon.
fn complete_commands(prefix: &str) -> Vec<Pair> {
    COMMANDS
        .iter()
        .filter(|c| c.name.starts_with(prefix))
        .map(|c| Pair {
            display: c.usage(),
            replacement: format!(":{}", c.name),
        })
        .collect()
}

/// Names starting with the identifier that ends at the cursor. Nothing after a `.`
/// (fields are not known before evaluation) or when no identifier is begun.
fn complete_names(before: &str, names: &[String]) -> (usize, Vec<Pair>) {
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        .last()
        .map_or(before.len(), |(i, _)| i);
    let word = &before[start..];
    let after_dot = before[..start].ends_with('.');
    if word.is_empty() || after_dot || word.starts_with(|c: char| c.is_ascii_digit()) {
        return (before.len(), Vec::new());
    }
    let mut found: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| n.starts_with(word))
        .collect();
    found.sort_unstable();
    found.dedup();
    let pairs = found
        .into_iter()
        .map(|n| Pair {
            display: n.to_string(),
            replacement: n.to_string(),
        })
        .collect();
    (start, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_names_and_commands() {
        let names = vec!["sum".to_string(), "sqrt".to_string(), "zeros".to_string()];
        let (start, pairs) = complete_names("let y = s", &names);
        assert_eq!(start, 8);
        let got: Vec<&str> = pairs.iter().map(|p| p.replacement.as_str()).collect();
        assert_eq!(got, ["sqrt", "sum"]);
        assert!(complete_names("r.s", &names).1.is_empty());
        assert!(complete_names("1 + ", &names).1.is_empty());
        let cmds: Vec<String> = complete_commands("t")
            .into_iter()
            .map(|p| p.replacement)
            .collect();
        assert_eq!(cmds, [":type"]);
    }
}
