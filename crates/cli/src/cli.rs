//! Argument parsing (clap) and the subcommands that run, check and parse scripts.

use clap::{Args, Parser, Subcommand, ValueEnum};
use optl_eval::{Interpreter, Limits};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "optl",
    version,
    about = "OptL: a language for optimization programs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a script (`-` reads standard input).
    Run {
        file: PathBuf,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Report diagnostics without running the script.
    Check {
        file: PathBuf,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Print the syntax tree of a script.
    Parse {
        file: PathBuf,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Print the IR, gradient IR and hashes of the file's functions, problems and rules.
    Ir {
        file: PathBuf,
        /// What to print (comma-separated).
        #[arg(
            long,
            value_enum,
            value_delimiter = ',',
            default_value = "ir,grad,hash"
        )]
        emit: Vec<EmitArg>,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Start an interactive session (reads plain lines when stdin is not a terminal).
    Repl {
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Inspect studies stored by `search(..., storage = "FILE.db")`.
    Study {
        #[command(subcommand)]
        action: StudyCommand,
    },
}

#[derive(Subcommand)]
enum StudyCommand {
    /// List the studies of a database, or the trials of one study.
    Show {
        file: PathBuf,
        name: Option<String>,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Clone)]
pub struct RunOpts {
    /// Seed for random builtins called without an explicit seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Wall-clock limit in seconds (`inf`: none).
    #[arg(long, value_parser = parse_time_limit, allow_negative_numbers = true)]
    timeout: Option<TimeLimit>,
    /// Evaluation step budget.
    #[arg(long)]
    max_steps: Option<u64>,
    /// Largest tensor, in elements.
    #[arg(long)]
    max_elements: Option<usize>,
    /// Deepest nesting of function calls.
    #[arg(long)]
    max_depth: Option<usize>,
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Where numeric code runs: compiled (jit), interpreted (interp), or chosen by size.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    engine: EngineArg,
    /// Report on stderr how numeric code ran (JIT and interpreter runs, fallbacks).
    #[arg(long)]
    stats: bool,
    /// Print each printed value as one JSON line.
    #[arg(long)]
    json: bool,
    /// Write an SVG plot per solve into this directory.
    #[arg(long, value_name = "DIR")]
    plot: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum EngineArg {
    Jit,
    Interp,
    Auto,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum EmitArg {
    Ast,
    Ir,
    Grad,
    Hash,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Color {
    Auto,
    Always,
    Never,
}

/// `--timeout SECONDS`: `None` for no limit.
#[derive(Clone, Copy)]
struct TimeLimit(Option<Duration>);

/// Parses `--timeout`: a number of seconds >= 0, or `inf` for no limit.
fn parse_time_limit(s: &str) -> Result<TimeLimit, String> {
    let seconds: f64 = s.parse().map_err(|e| format!("{e}"))?;
    optl_eval::time_limit(seconds).map(TimeLimit)
}

impl RunOpts {
    fn limits(&self) -> Limits {
        let mut l = Limits::default();
        if let Some(TimeLimit(t)) = self.timeout {
            l.timeout = t;
        }
        if let Some(s) = self.max_steps {
            l.max_steps = s;
        }
        if let Some(e) = self.max_elements {
            l.max_elements = e;
        }
        if let Some(d) = self.max_depth {
            l.max_call_depth = d;
        }
        l
    }

    pub(crate) fn color(&self) -> bool {
        match self.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
            }
        }
    }

    /// A session with these limits whose output streams to stdout.
    pub(crate) fn interpreter(&self) -> Interpreter {
        let mut interp = Interpreter::new();
        interp.set_limits(self.limits());
        interp.set_seed(self.seed);
        interp.set_engine(match self.engine {
            EngineArg::Jit => optl_jit::Engine::Jit,
            EngineArg::Interp => optl_jit::Engine::Interp,
            EngineArg::Auto => optl_jit::Engine::Auto,
        });
        interp.set_print_json(self.json);
        interp.set_output(|s| {
            let mut out = std::io::stdout().lock();
            // A closed stdout (e.g. piped into `head`) must not abort the run.
            let _ = out.write_all(s.as_bytes());
        });
        crate::progress::install(&mut interp);
        interp
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match cli.command {
        Command::Run { file, opts } => run(&file, &opts, Mode::Run),
        Command::Check { file, opts } => run(&file, &opts, Mode::Check),
        Command::Parse { file, opts } => parse(&file, &opts),
        Command::Ir { file, emit, opts } => ir(&file, &emit, &opts),
        Command::Repl { opts } => crate::repl::run(&opts),
        Command::Study {
            action: StudyCommand::Show { file, name, json },
        } => crate::study::show(&file, name.as_deref(), json),
    }
}

#[derive(PartialEq)]
enum Mode {
    Run,
    Check,
}

/// Reads a script: a path, or `-` for standard input. Errors are reported here.
fn read_script(file: &Path) -> Result<(String, String, Option<PathBuf>), i32> {
    if file == Path::new("-") {
        let mut bytes = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
            eprintln!("error: cannot read standard input: {e}");
            return Err(2);
        }
        return match String::from_utf8(bytes) {
            Ok(text) => Ok(("<stdin>".into(), text, None)),
            Err(e) => {
                eprintln!(
                    "error[E0001]: <stdin> is not valid UTF-8 (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                );
                Err(2)
            }
        };
    }
    Ok((
        file.display().to_string(),
        String::new(),
        Some(file.to_path_buf()),
    ))
}

fn run(file: &Path, opts: &RunOpts, mode: Mode) -> i32 {
    let mut interp = opts.interpreter();
    let (name, text, path) = match read_script(file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let result = match (&path, &mode) {
        (Some(p), Mode::Run) => interp.eval_file(p).map(|_| ()),
        (Some(p), Mode::Check) => interp.check_file(p),
        (None, Mode::Run) => interp.eval_source(&name, &text, None).map(|_| ()),
        (None, Mode::Check) => interp.check_source(&name, &text, None),
    };
    let _ = std::io::stdout().flush();
    if let Some(dir) = &opts.plot {
        let log = interp.take_solve_log();
        if let Err(e) = crate::plot::write_plots(dir, &log) {
            eprintln!("error: cannot write plots into {}: {e}", dir.display());
        }
        let left_out = interp.solves_not_logged();
        if left_out > 0 {
            eprintln!(
                "note: {left_out} later solves are not plotted (the log keeps the first {} solves)",
                optl_eval::solve::MAX_LOGGED_SOLVES
            );
        }
    }
    if opts.stats {
        let s = interp.engine_stats();
        eprintln!(
            "engine: {} jit runs, {} interpreter runs, {} kernels compiled, {} cache hits, {} fallbacks to the interpreter",
            s.jit_runs, s.interp_runs, s.compiled, s.cache_hits, s.fallbacks
        );
    }
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprint!("{}", interp.render(&e, opts.color()));
            e.exit_code()
        }
    }
}

fn parse(file: &Path, opts: &RunOpts) -> i32 {
    let (name, text) = match read_script(file) {
        Ok((name, text, None)) => (name, text),
        Ok((name, _, Some(p))) => match std::fs::read(&p) {
            Ok(bytes) => (name, String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", p.display());
                return 2;
            }
        },
        Err(code) => return code,
    };
    let mut sources = optl_syntax::SourceMap::new();
    let id = sources.add(name, text.clone());
    let parsed = optl_syntax::parse(&text, id);
    if !parsed.diagnostics.is_empty() {
        eprint!(
            "{}",
            optl_syntax::diag::render(&parsed.diagnostics, &sources, opts.color())
        );
        return 2;
    }
    print!("{}", optl_syntax::print::program_to_sexpr(&parsed.program));
    0
}

fn ir(file: &Path, emit: &[EmitArg], opts: &RunOpts) -> i32 {
    use optl_eval::ir_report::Emit;
    let emit: Vec<Emit> = emit
        .iter()
        .map(|e| match e {
            EmitArg::Ast => Emit::Ast,
            EmitArg::Ir => Emit::Ir,
            EmitArg::Grad => Emit::Grad,
            EmitArg::Hash => Emit::Hash,
        })
        .collect();
    let mut interp = opts.interpreter();
    match interp.ir_report(file, &emit) {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err(e) => {
            eprint!("{}", interp.render(&e, opts.color()));
            e.exit_code()
        }
    }
}
