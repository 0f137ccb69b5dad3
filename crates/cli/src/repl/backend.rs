//! The REPL's terminal-free backend: a [`ReplSession`] takes one entry at a time and
//! answers with a [`Reply`], so the whole REPL (multi-line entries, `:`-commands,
//! errors that do not end the session) is testable with scripted input.
//!
//! The rustyline front in `repl/mod.rs` only reads lines and prints replies.

use optl_eval::value::Func;
use optl_eval::{Interpreter, Value};
use optl_syntax::FileId;
use std::path::Path;
use std::rc::Rc;

/// What the session says to one submitted entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// The entry only lacks its end (an open bracket or block, a dangling operator):
    /// read another line, append it and submit the whole entry again.
    Incomplete,
    /// Text for standard output: what the entry printed, then the display form of
    /// its value unless that is `Unit`. Empty when there is nothing to show;
    /// otherwise it ends with a newline.
    Output(String),
    /// Text for standard error: the rendered diagnostics, ending with a newline. The
    /// session goes on and keeps every earlier definition. When print output is
    /// buffered (no sink set on the interpreter), whatever the entry printed before
    /// it failed comes first so that it is not lost.
    Error(String),
    /// The user asked to leave.
    Quit,
}

/// One `:`-command. [`COMMANDS`] is the single table that dispatch, `:help` and
/// completion all read.
pub struct Command {
    /// The name after the colon.
    pub name: &'static str,
    /// Other names that run the same command (`q` for `quit`).
    pub aliases: &'static [&'static str],
    /// The argument, as `:help` shows it (`EXPR`, `FILE`), or empty for none.
    pub args: &'static str,
    /// One line for `:help`.
    pub help: &'static str,
    run: fn(&mut ReplSession, &str) -> Reply,
}

impl Command {
    /// Whether `word` (without the colon) names this command.
    pub fn matches(&self, word: &str) -> bool {
        self.name == word || self.aliases.contains(&word)
    }

    /// The usage line: `:type EXPR`.
    pub fn usage(&self) -> String {
        if self.args.is_empty() {
            format!(":{}", self.name)
        } else {
            format!(":{} {}", self.name, self.args)
        }
    }
}

/// Every `:`-command, in the order `:help` lists them.
pub static COMMANDS: &[Command] = &[
    Command {
        name: "help",
        aliases: &["h", "?"],
        args: "",
        help: "list these commands",
        run: ReplSession::cmd_help,
    },
    Command {
        name: "type",
        aliases: &["t"],
        args: "EXPR",
        help: "evaluate EXPR and show its type (and a builtin's documentation)",
        run: ReplSession::cmd_type,
    },
    Command {
        name: "ir",
        aliases: &[],
        args: "EXPR",
        help: "show the IR and gradient IR of a function, problem or rule",
        run: ReplSession::cmd_ir,
    },
    Command {
        name: "hash",
        aliases: &[],
        args: "EXPR",
        help: "show the structural hash of a value, and the IR hashes of numeric code",
        run: ReplSession::cmd_hash,
    },
    Command {
        name: "load",
        aliases: &["l"],
        args: "FILE",
        help: "run FILE (relative to the current directory) in this session; its definitions stay",
        run: ReplSession::cmd_load,
    },
    Command {
        name: "names",
        aliases: &[],
        args: "",
        help: "list the names defined in this session, with their types",
        run: ReplSession::cmd_names,
    },
    Command {
        name: "reset",
        aliases: &[],
        args: "",
        help: "forget every definition of this session (the prelude stays)",
        run: ReplSession::cmd_reset,
    },
    Command {
        name: "quit",
        aliases: &["q", "exit"],
        args: "",
        help: "leave the REPL (Ctrl-D does too)",
        run: ReplSession::cmd_quit,
    },
];

/// The language's keywords, offered by completion next to the names in scope.
pub const KEYWORDS: &[&str] = &[
    "let", "fn", "problem", "rule", "lower", "var", "state", "minimize", "maximize", "subject",
    "to", "in", "for", "import", "if", "then", "else", "and", "or", "not", "true", "false",
];

/// Whether `input` only lacks its end, so a REPL should read another line. A
/// `:`-command is always complete: it is one line.
pub fn input_is_incomplete(input: &str) -> bool {
    if input.trim_start().starts_with(':') {
        return false;
    }
    optl_syntax::parse(input, FileId(0)).incomplete
}

/// A REPL session: an [`Interpreter`] plus the bookkeeping that entries need.
pub struct ReplSession {
    interp: Interpreter,
    /// How many entries were submitted, for the `<repl:N>` source names.
    entries: usize,
    color: bool,
}

impl Default for ReplSession {
    fn default() -> ReplSession {
        ReplSession::new()
    }
}

impl ReplSession {
    /// A session over a fresh interpreter whose print output is buffered and
    /// returned in the replies; diagnostics are not coloured.
    pub fn new() -> ReplSession {
        ReplSession::with_interpreter(Interpreter::new())
    }

    /// A session over `interp`, keeping its limits, seed and output sink. With a
    /// sink set, printed text goes there as it is printed and replies carry only
    /// values and diagnostics.
    pub fn with_interpreter(interp: Interpreter) -> ReplSession {
        ReplSession {
            interp,
            entries: 0,
            color: false,
        }
    }

    /// Whether diagnostics are rendered with ANSI colours.
    pub fn set_color(&mut self, color: bool) {
        self.color = color;
    }

    pub fn interpreter(&self) -> &Interpreter {
        &self.interp
    }

    pub fn interpreter_mut(&mut self) -> &mut Interpreter {
        &mut self.interp
    }

    /// Whether `input` needs more lines before it can be evaluated.
    pub fn is_incomplete(&self, input: &str) -> bool {
        input_is_incomplete(input)
    }

    /// Handles one entry: a `:`-command, or OptL statements and expressions
    /// (possibly several lines). An incomplete entry is not evaluated.
    pub fn submit(&mut self, input: &str) -> Reply {
        if input_is_incomplete(input) {
            return Reply::Incomplete;
        }
        self.submit_final(input)
    }

    /// Like [`submit`](Self::submit) but never answers `Incomplete`: an unfinished
    /// entry is evaluated as it is, so the parser reports what is missing. For the
    /// end of the input.
    pub fn submit_final(&mut self, input: &str) -> Reply {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Reply::Output(String::new());
        }
        self.entries += 1;
        match trimmed.strip_prefix(':') {
            Some(command) => self.command(command),
            None => self.eval_entry(input),
        }
    }

    /// The source name of the current entry, which diagnostics show.
    fn entry_name(&self) -> String {
        format!("<repl:{}>", self.entries)
    }

    /// Names for completion: everything in scope (session names first) and keywords.
    pub fn completion_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .interp
            .visible_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        names.extend(KEYWORDS.iter().map(|k| k.to_string()));
        names
    }

    /// The names defined in this session (not the prelude's), sorted.
    pub fn user_names(&self) -> Vec<Rc<str>> {
        self.interp.global_names()
    }

    fn eval_entry(&mut self, input: &str) -> Reply {
        let name = self.entry_name();
        let result = self.interp.eval_source(&name, input, None);
        let mut out = self.interp.take_output();
        match result {
            Ok(value) => {
                if !matches!(value, Value::Unit) {
                    out.push_str(&value.display());
                    out.push('\n');
                }
                Reply::Output(out)
            }
            Err(e) => {
                out.push_str(&self.interp.render(&e, self.color));
                Reply::Error(ensure_newline(out))
            }
        }
    }

    fn command(&mut self, text: &str) -> Reply {
        let (word, args) = match text.find(char::is_whitespace) {
            Some(i) => (&text[..i], text[i..].trim()),
            None => (text, ""),
        };
        match COMMANDS.iter().find(|c| c.matches(word)) {
            Some(c) if c.args.is_empty() && !args.is_empty() => Reply::Error(format!(
                "error: `:{}` takes no argument\n  = usage: {}\n",
                c.name,
                c.usage()
            )),
            Some(c) => (c.run)(self, args),
            None => Reply::Error(unknown_command(word)),
        }
    }

    fn cmd_help(&mut self, _args: &str) -> Reply {
        let width = COMMANDS
            .iter()
            .map(|c| usage_with_aliases(c).len())
            .max()
            .unwrap_or(0);
        let mut out = String::from("Commands:\n");
        for c in COMMANDS {
            out.push_str(&format!("  {:width$}  {}\n", usage_with_aliases(c), c.help));
        }
        out.push_str(
            "Anything else is OptL: statements define names for later entries, and an \
             expression shows its value.\nAn unfinished entry (open bracket or block, \
             trailing operator) continues on the next line; Ctrl-C discards it.\n",
        );
        Reply::Output(out)
    }

    /// Evaluates a command's EXPR argument and describes the value with `describe`.
    fn with_value(
        &mut self,
        command: &str,
        args: &str,
        describe: fn(&mut Self, &str, &Value) -> String,
    ) -> Reply {
        if args.is_empty() {
            return usage_error(command);
        }
        let name = self.entry_name();
        let result = self.interp.eval_source(&name, args, None);
        let mut out = self.interp.take_output();
        match result {
            Ok(value) => {
                out.push_str(&describe(self, args, &value));
                Reply::Output(out)
            }
            Err(e) => {
                out.push_str(&self.interp.render(&e, self.color));
                Reply::Error(ensure_newline(out))
            }
        }
    }

    fn cmd_type(&mut self, args: &str) -> Reply {
        self.with_value("type", args, |me, args, value| {
            let mut out = format!("{args} : {}\n", value.type_name());
            if let Some(doc) = me.builtin_doc_of(value) {
                out.push_str(&doc);
                out.push('\n');
            }
            out
        })
    }

    fn cmd_ir(&mut self, args: &str) -> Reply {
        use optl_eval::ir_report::Emit;
        self.with_value("ir", args, |me, _, value| {
            me.interp.ir_of_value(value, &[Emit::Ir, Emit::Grad])
        })
    }

    fn cmd_hash(&mut self, args: &str) -> Reply {
        use optl_eval::ir_report::Emit;
        self.with_value("hash", args, |me, _, value| {
            let mut out = format!("hash {}\n", me.interp.hash_of_value(value));
            if matches!(value, Value::Func(_) | Value::Sym(_) | Value::Family(_)) {
                out.push_str(&me.interp.ir_of_value(value, &[Emit::Hash]));
            }
            out
        })
    }

    /// The documentation of `value` when it is a builtin function.
    fn builtin_doc_of(&self, value: &Value) -> Option<String> {
        let Value::Func(f) = value else {
            return None;
        };
        let Func::Builtin(b) = &**f else {
            return None;
        };
        // The prelude's entry, unless the user shadowed it; then the function itself.
        Some(
            self.interp
                .builtin_doc(b.name)
                .unwrap_or_else(|| format!("{}({}): {}", b.name, b.signature, b.doc)),
        )
    }

    fn cmd_load(&mut self, args: &str) -> Reply {
        if args.is_empty() {
            return usage_error("load");
        }
        let file = unquote(args);
        let path = Path::new(file);
        let result = self.interp.eval_file(path);
        let out = self.interp.take_output();
        match result {
            Ok(_) => Reply::Output(out),
            Err(e) => {
                let mut text = out;
                text.push_str(&self.interp.render(&e, self.color));
                Reply::Error(ensure_newline(text))
            }
        }
    }

    fn cmd_names(&mut self, _args: &str) -> Reply {
        let names = self.user_names();
        if names.is_empty() {
            return Reply::Output("no definitions yet\n".into());
        }
        let mut out = String::new();
        for n in names {
            let ty = self.interp.get(&n).map_or("?", |v| v.type_name());
            out.push_str(&format!("{n} : {ty}\n"));
        }
        Reply::Output(out)
    }

    fn cmd_reset(&mut self, _args: &str) -> Reply {
        self.interp.reset();
        Reply::Output("all definitions forgotten\n".into())
    }

    fn cmd_quit(&mut self, _args: &str) -> Reply {
        Reply::Quit
    }
}

/// `:quit, :q` for `:help`.
fn usage_with_aliases(c: &Command) -> String {
    let mut s = c.usage();
    for a in c.aliases {
        s.push_str(&format!(", :{a}"));
    }
    s
}

fn usage_error(name: &str) -> Reply {
    let usage = COMMANDS
        .iter()
        .find(|c| c.name == name)
        .map_or_else(|| format!(":{name}"), Command::usage);
    Reply::Error(format!(
        "error: `:{name}` needs an argument\n  = usage: {usage}\n"
    ))
}

fn unknown_command(word: &str) -> String {
    let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
    let mut out = format!("error: unknown command `:{word}`\n");
    if let Some(s) = closest_command(word) {
        out.push_str(&format!("  = help: did you mean `:{s}`?\n"));
    }
    let list: Vec<String> = names.iter().map(|n| format!(":{n}")).collect();
    out.push_str(&format!(
        "  = help: the commands are {} (`:help` explains them)\n",
        list.join(" ")
    ));
    out
}

/// The command a mistyped `word` most likely meant: the one it abbreviates, else
/// the nearest within two edits. Command names are short, so the language's "a third
/// of the length" rule for names would miss plain transpositions like `:tpye`.
fn closest_command(word: &str) -> Option<&'static str> {
    if word.is_empty() {
        return None;
    }
    let mut prefixed = COMMANDS.iter().filter(|c| c.name.starts_with(word));
    if let (Some(c), None) = (prefixed.next(), prefixed.next()) {
        return Some(c.name);
    }
    COMMANDS
        .iter()
        .map(|c| (optl_eval::suggest::edit_distance(word, c.name), c.name))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

/// Strips one pair of surrounding double quotes, so `:load "my file.opt"` works.
fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(s)
}

fn ensure_newline(mut s: String) -> String {
    if !s.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
    s
}
