//! The embedding API: an `Interpreter` session that parses, checks and runs OptL
//! source, keeps top-level definitions between calls (as the REPL needs), loads
//! imports, and hands back values and diagnostics. It never prints: output goes to a
//! sink the host chooses.

use crate::builtins::Builtins;
use crate::check::{Outer, check_program};
use crate::env::Scope;
use crate::evaluator::Interp;
use crate::limits::Limits;
use crate::signature::Signature;
use crate::value::{Func, HostFn, Module, Record, SymKind, Value};
use optl_syntax::ast::{ImportPath, Program, StmtKind};
use optl_syntax::codes;
use optl_syntax::diag::{Diagnostic, render};
use optl_syntax::span::{SourceMap, Span};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

mod deferred;

use deferred::{Deferred, Joins, Pending, STDLIB_LAZY};

/// The standard library modules, embedded at build time under virtual file names so
/// that diagnostics can point into them. All of them form the prelude.
const STDLIB: &[(&str, &str)] = &[("prelude", include_str!("../../../../stdlib/prelude.opt"))];

/// When an error was found: before evaluation (exit code 2) or while running (1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Static,
    Runtime,
}

/// Errors of one call into the interpreter, with the stage that found them.
#[derive(Clone, Debug)]
pub struct Error {
    pub diagnostics: Vec<Diagnostic>,
    pub stage: Stage,
}

impl Error {
    /// A runtime error from one evaluator diagnostic.
    pub(crate) fn from_runtime(d: Box<Diagnostic>) -> Error {
        Error::runtime(d)
    }

    #[allow(clippy::boxed_local)] // the evaluator's errors arrive boxed
    fn runtime(d: Box<Diagnostic>) -> Error {
        Error {
            diagnostics: vec![*d],
            stage: Stage::Runtime,
        }
    }

    fn at_static(diagnostics: Vec<Diagnostic>) -> Error {
        Error {
            diagnostics,
            stage: Stage::Static,
        }
    }

    /// The process exit code for this error: 2 static, 1 runtime.
    pub fn exit_code(&self) -> i32 {
        match self.stage {
            Stage::Static => 2,
            Stage::Runtime => 1,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "error[{}]: {}", d.code.id, d.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// An OptL session.
pub struct Interpreter {
    sources: SourceMap,
    pub(crate) interp: Interp,
    prelude: Rc<Scope>,
    globals: Rc<Scope>,
    /// Loaded modules by key (`std.optim` or a canonical file path).
    modules: HashMap<String, Rc<Module>>,
    /// Modules being loaded right now, outermost first, to detect cycles.
    loading: Vec<String>,
    buffer: Rc<RefCell<String>>,
    /// Errors from loading the embedded stdlib (empty unless the build is broken).
    stdlib_errors: Vec<Error>,
    /// Prelude definitions not made yet (see [`Deferred`]), with the names each makes.
    pending: Vec<Pending>,
}

impl Drop for Interpreter {
    /// Breaks the cycles between the interpreter's scopes and the functions defined
    /// in them, so that dropping an interpreter frees its definitions.
    fn drop(&mut self) {
        let modules: Vec<Value> = self
            .modules
            .values()
            .map(|m| Value::Module(m.clone()))
            .collect();
        crate::env::break_cycles(&[self.globals.clone(), self.prelude.clone()], &modules);
    }
}

impl Default for Interpreter {
    fn default() -> Interpreter {
        Interpreter::new()
    }
}

impl Interpreter {
    /// A session with default limits whose output is collected (see `take_output`).
    pub fn new() -> Interpreter {
        let buffer = Rc::new(RefCell::new(String::new()));
        let sink = buffer.clone();
        let builtins = Rc::new(Builtins::new());
        let prelude = Scope::root();
        for (name, value) in &builtins.values {
            prelude.define(name.clone(), value.clone());
        }
        let interp = Interp::new(
            Limits::default(),
            builtins,
            Box::new(move |s: &str| sink.borrow_mut().push_str(s)),
        );
        let globals = Scope::child(&prelude);
        let mut interp = interp;
        interp.prelude = Some(prelude.clone());
        let mut me = Interpreter {
            sources: SourceMap::new(),
            interp,
            prelude,
            globals,
            modules: HashMap::new(),
            loading: Vec::new(),
            buffer,
            stdlib_errors: Vec::new(),
            pending: deferred::pending_prelude(),
        };
        me.define_auto();
        for (name, text) in STDLIB {
            // A failure here is a build defect, which the stdlib test reports; the
            // session still starts with whatever did load.
            if let Err(e) = me.load_std(name, text, Joins::Names) {
                me.stdlib_errors.push(e);
            }
        }
        me
    }

    /// Defines one family of `kind` per `fn` of `src`: its parameters become the
    /// family's, and its body (kept as the one statement of the declaration) is what a
    /// schedule evaluates; solvers have `0` there.
    fn define_families(&mut self, kind: SymKind, path: &str, src: String) {
        use crate::value::Family;
        use optl_syntax::ast::{Decl, Stmt};
        let file = self.sources.add(path, src.clone());
        let parsed = optl_syntax::parse(&src, file);
        for s in &parsed.program.stmts {
            if let StmtKind::Fn(f) = &s.kind {
                let family = Family {
                    kind,
                    decl: Decl {
                        name: f.name.clone(),
                        params: Some(f.params.clone()),
                        body: Rc::new(vec![Stmt {
                            kind: StmtKind::Expr((*f.body).clone()),
                            span: f.body.span,
                        }]),
                    },
                    env: self.prelude.clone(),
                    span: s.span,
                };
                self.prelude
                    .define(f.name.name.clone(), Value::Family(Rc::new(family)));
            }
        }
    }

    /// `auto`: the solver chosen by the problem's shape.
    fn define_auto(&mut self) {
        use crate::value::{Family, SymObj};
        use optl_syntax::ast::{Decl, Ident};
        let file = self.sources.add("<native>/auto.opt", String::new());
        let auto = Family {
            kind: SymKind::Solver,
            decl: Decl {
                name: Ident {
                    name: "auto".into(),
                    span: Span::new(file, 0, 0),
                },
                params: None,
                body: Rc::new(Vec::new()),
            },
            env: self.prelude.clone(),
            span: Span::new(file, 0, 0),
        };
        self.prelude.define(
            "auto".into(),
            Value::Sym(Rc::new(SymObj {
                family: Rc::new(auto),
                args: Vec::new(),
            })),
        );
    }

    /// Errors met while loading the embedded stdlib: always empty in a sound build.
    pub fn stdlib_errors(&self) -> &[Error] {
        &self.stdlib_errors
    }

    /// Sends `print` output to `f` instead of the internal buffer.
    pub fn set_output(&mut self, f: impl FnMut(&str) + 'static) {
        self.interp.output = Box::new(f);
    }

    /// Takes the output collected so far (when no sink was set).
    pub fn take_output(&mut self) -> String {
        std::mem::take(&mut *self.buffer.borrow_mut())
    }

    pub fn limits(&self) -> &Limits {
        &self.interp.limits
    }

    pub fn set_limits(&mut self, limits: Limits) {
        self.interp.limits = limits;
    }

    /// Chooses where numeric code runs: `Jit`, `Interp`, or `Auto` (JIT above a size).
    pub fn set_engine(&mut self, engine: optl_jit::Engine) {
        self.interp.engines.engine = engine;
    }

    /// How numeric code ran so far: JIT and interpreter runs, compilations, fallbacks.
    pub fn engine_stats(&self) -> optl_jit::engines::EngineStats {
        self.interp.engines.stats
    }

    /// Makes `print` write one JSON line per call instead of text.
    pub fn set_print_json(&mut self, on: bool) {
        self.interp.print_json = on;
    }

    /// Receives progress reports of long searches and solves (see `crate::progress`).
    pub fn set_progress(&mut self, f: impl FnMut(&crate::progress::Progress) + 'static) {
        self.interp.progress = Some(Box::new(f));
    }

    /// Takes the log of the `solve` calls made so far (for plots): the first
    /// `solve::MAX_LOGGED_SOLVES` of them, within `solve::MAX_LOGGED_NUMBERS`
    /// numbers; [`Interpreter::solves_not_logged`] counts the others.
    pub fn take_solve_log(&mut self) -> Vec<crate::solve::SolveLog> {
        self.interp.logged_numbers = 0;
        std::mem::take(&mut self.interp.solve_log)
    }

    /// The solves left out of the log since the run began (past its bound).
    pub fn solves_not_logged(&self) -> usize {
        self.interp.solves_not_logged
    }

    /// The seed used by random builtins called without an explicit seed.
    pub fn set_seed(&mut self, seed: u64) {
        self.interp.seed = seed;
    }

    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// Renders an error's diagnostics as text (ariadne), with or without colour.
    pub fn render(&self, error: &Error, color: bool) -> String {
        render(&error.diagnostics, &self.sources, color)
    }

    /// Evaluates source text; relative imports resolve from the current directory.
    /// Returns the value of the last expression statement (or `Unit`).
    pub fn eval_str(&mut self, src: &str) -> Result<Value, Error> {
        // Each input gets its own name so diagnostics can tell them apart.
        let name = format!("<input:{}>", self.sources.len());
        self.eval_source(&name, src, None)
    }

    /// Evaluates a file; relative imports resolve from its directory.
    pub fn eval_file(&mut self, path: &Path) -> Result<Value, Error> {
        self.in_file(path, |me, name, text, dir| {
            me.eval_source(name, text, Some(dir))
        })
    }

    /// Reads a file and runs `f` on its name, text and directory while the file counts
    /// as being loaded (so that an import of it is reported as a cycle).
    fn in_file<T>(
        &mut self,
        path: &Path,
        f: impl FnOnce(&mut Self, &str, &str, &Path) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let (name, text, dir, key) = read_source(path, None)?;
        self.loading.push(key);
        let result = f(self, &name, &text, &dir);
        self.loading.pop();
        result
    }

    /// Parses and checks a file (loading its imports) without running it.
    pub fn check_file(&mut self, path: &Path) -> Result<(), Error> {
        self.in_file(path, |me, name, text, dir| {
            me.check_source(name, text, Some(dir))
        })
    }

    /// Runs a file like `eval_file` and returns its syntax tree.
    pub(crate) fn run_file_keep_ast(&mut self, path: &Path) -> Result<Program, Error> {
        self.in_file(path, |me, name, text, dir| {
            me.run(name, text, Some(dir)).map(|(p, _)| p)
        })
    }

    /// The evaluator and the sources, for crate-internal tools such as the IR report.
    pub(crate) fn parts(&mut self) -> (&mut Interp, &SourceMap) {
        (&mut self.interp, &self.sources)
    }

    /// Parses, checks and runs `src` in the session's global scope.
    pub fn eval_source(
        &mut self,
        name: &str,
        src: &str,
        base_dir: Option<&Path>,
    ) -> Result<Value, Error> {
        self.run(name, src, base_dir).map(|(_, v)| v)
    }

    /// Parses, checks and runs; returns the syntax tree and the last value.
    fn run(
        &mut self,
        name: &str,
        src: &str,
        base_dir: Option<&Path>,
    ) -> Result<(Program, Value), Error> {
        let program = self.front_end(name, src, base_dir)?;
        self.log_step(name, src, base_dir);
        self.interp.reset_budget();
        let globals = self.globals.clone();
        let outer_dir =
            std::mem::replace(&mut self.interp.base_dir, base_dir.map(Path::to_path_buf));
        let value = self.interp.exec_stmts(&program.stmts, &globals);
        self.interp.base_dir = outer_dir;
        Ok((program, value.map_err(Error::runtime)?))
    }

    /// Records a top-level evaluation, for search helpers to redo.
    fn log_step(&mut self, name: &str, src: &str, base_dir: Option<&Path>) {
        if let Some(log) = self.interp.replay.as_mut() {
            log.push(crate::search::workers::ReplayStep {
                name: name.to_string(),
                src: src.to_string(),
                base_dir: base_dir.map(Path::to_path_buf),
            });
        }
    }

    /// Parses and checks `src` (loading its imports) without running it.
    pub fn check_source(
        &mut self,
        name: &str,
        src: &str,
        base_dir: Option<&Path>,
    ) -> Result<(), Error> {
        self.front_end(name, src, base_dir).map(|_| ())
    }

    /// Parses, loads imports and checks; imports are bound into the global scope.
    fn front_end(
        &mut self,
        name: &str,
        src: &str,
        base_dir: Option<&Path>,
    ) -> Result<Program, Error> {
        let file = self.sources.add(name, src);
        let parsed = optl_syntax::parse(src, file);
        if !parsed.diagnostics.is_empty() {
            return Err(Error::at_static(parsed.diagnostics));
        }
        self.load_mentioned_in(src);
        let imports = self.load_imports(&parsed.program, base_dir)?;
        let outer = ScopeOuter(self.globals.clone());
        let mut diags = check_program(&parsed.program, &outer, &imports);
        if !diags.is_empty() && !self.pending.is_empty() {
            // Checked again with the whole prelude, for its "did you mean" hints.
            self.load_pending(|_| true);
            diags = check_program(&parsed.program, &outer, &imports);
        }
        if !diags.is_empty() {
            return Err(Error::at_static(diags));
        }
        bind_imports(&parsed.program, &imports, &self.globals);
        Ok(parsed.program)
    }

    fn load_imports(
        &mut self,
        program: &Program,
        base_dir: Option<&Path>,
    ) -> Result<HashMap<Span, Rc<Module>>, Error> {
        let mut out = HashMap::new();
        let mut static_errors = Vec::new();
        for s in &program.stmts {
            let StmtKind::Import(path) = &s.kind else {
                continue;
            };
            match self.load_import(path, s.span, base_dir) {
                Ok(m) => {
                    out.insert(s.span, m);
                }
                Err(e) if e.stage == Stage::Runtime => return Err(e),
                Err(e) => static_errors.extend(e.diagnostics),
            }
        }
        if static_errors.is_empty() {
            Ok(out)
        } else {
            Err(Error::at_static(static_errors))
        }
    }

    fn load_import(
        &mut self,
        path: &ImportPath,
        span: Span,
        base_dir: Option<&Path>,
    ) -> Result<Rc<Module>, Error> {
        match path {
            ImportPath::Std(parts) => {
                let names: Vec<&str> = parts.iter().map(|p| &*p.name).collect();
                let key = names.join(".");
                self.load_pending(|p| {
                    matches!(p.what, Deferred::Module { name, .. } if key.strip_prefix("std.") == Some(name))
                });
                if let Some(m) = self.modules.get(&key) {
                    return Ok(m.clone());
                }
                let known: Vec<String> = STDLIB
                    .iter()
                    .map(|(n, _)| *n)
                    .chain(STDLIB_LAZY.iter().map(|m| m.name))
                    .map(|n| format!("std.{n}"))
                    .collect();
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_STD_MODULE,
                    format!("there is no standard library module `{key}`"),
                )
                .at(span, "unknown module");
                d = match crate::suggest::closest(&key, known.iter().map(String::as_str)) {
                    Some(s) => d.hint(format!("did you mean `{s}`?")),
                    None => d.hint(format!("the modules are: {}", known.join(", "))),
                };
                Err(Error::at_static(vec![d]))
            }
            ImportPath::File(rel, path_span) => {
                let (name, text, dir, key) =
                    read_source(Path::new(rel), base_dir).map_err(|_| {
                        let shown = base_dir.map_or(PathBuf::from(rel), |d| d.join(rel));
                        Error::at_static(vec![
                            Diagnostic::error(
                                codes::IMPORT_NOT_FOUND,
                                format!("cannot import \"{rel}\""),
                            )
                            .at(
                                *path_span,
                                format!("no readable file at {}", shown.display()),
                            )
                            .hint("the path is relative to the importing file's directory"),
                        ])
                    })?;
                if let Some(pos) = self.loading.iter().position(|k| *k == key) {
                    let chain: Vec<String> = self.loading[pos..]
                        .iter()
                        .map(|k| file_label(k))
                        .chain([file_label(&key)])
                        .collect();
                    return Err(Error::at_static(vec![
                        Diagnostic::error(
                            codes::CYCLIC_IMPORT,
                            format!("cyclic import of \"{rel}\""),
                        )
                        .at(*path_span, "this import closes a cycle")
                        .hint(format!("the cycle is {}", chain.join(" -> "))),
                    ]));
                }
                if let Some(m) = self.modules.get(&key) {
                    return Ok(m.clone());
                }
                let stem = Path::new(rel)
                    .file_stem()
                    .map_or("module".to_string(), |s| s.to_string_lossy().into_owned());
                self.loading.push(key.clone());
                let result = self.run_module(&stem, &name, &text, Some(&dir));
                self.loading.pop();
                let module = result?;
                self.modules.insert(key, module.clone());
                Ok(module)
            }
        }
    }

    /// Parses, checks (see below for the stdlib) and evaluates a module in a fresh
    /// scope under the prelude.
    fn run_module(
        &mut self,
        stem: &str,
        name: &str,
        text: &str,
        dir: Option<&Path>,
    ) -> Result<Rc<Module>, Error> {
        let file = self.sources.add(name, text);
        let parsed = optl_syntax::parse(text, file);
        if !parsed.diagnostics.is_empty() {
            return Err(Error::at_static(parsed.diagnostics));
        }
        self.load_mentioned_in(text);
        let imports = self.load_imports(&parsed.program, dir)?;
        let scope = Scope::child(&self.prelude);
        // The embedded stdlib (no directory) is checked in debug builds, so by every
        // test run; release builds trust it, which saves a sixth of start-up.
        if dir.is_some() || cfg!(debug_assertions) {
            let diags = check_program(&parsed.program, &ScopeOuter(scope.clone()), &imports);
            if !diags.is_empty() {
                return Err(Error::at_static(diags));
            }
        }
        bind_imports(&parsed.program, &imports, &scope);
        self.interp.reset_budget();
        self.interp
            .exec_stmts(&parsed.program.stmts, &scope)
            .map_err(Error::runtime)?;
        let fields = scope
            .local_names()
            .into_iter()
            .filter_map(|n| scope.local(&n).map(|v| (n, v)))
            .collect();
        Ok(Rc::new(Module {
            name: stem.into(),
            members: Record { fields },
        }))
    }

    /// Loads a stdlib file: it becomes `std.NAME`, and its names (or, for a
    /// namespace, the module under its own name) join the prelude.
    fn load_std(&mut self, name: &str, text: &str, joins: Joins) -> Result<(), Error> {
        let module = self.run_module(name, &format!("<stdlib>/{name}.opt"), text, None)?;
        match joins {
            Joins::Names => {
                for (n, v) in &module.members.fields {
                    self.prelude.define(n.clone(), v.clone());
                }
            }
            Joins::Namespace => self
                .prelude
                .define(name.into(), Value::Module(module.clone())),
        }
        self.modules.insert(format!("std.{name}"), module);
        Ok(())
    }

    /// Registers a Rust function callable from OptL. `params` lists the parameter
    /// names (`"x, scale?"`: `?` marks optional ones, which arrive as `Value::Unit`
    /// when not given).
    pub fn register_fn(
        &mut self,
        name: &str,
        params: &str,
        f: impl Fn(&[Value]) -> Result<Value, String> + 'static,
    ) {
        let host = HostFn {
            name: name.into(),
            signature: Signature::parse(params),
            f: Box::new(f),
        };
        self.interp.replay = None;
        self.interp.host_functions = true;
        self.prelude
            .define(name.into(), Value::Func(Rc::new(Func::Host(host))));
    }

    /// The value of a global (or prelude) name.
    pub fn get(&mut self, name: &str) -> Option<Value> {
        self.load_pending(|p| p.declares.iter().any(|n| n == name));
        self.globals.lookup(name)
    }

    /// Binds a global name to a value.
    pub fn set(&mut self, name: &str, value: Value) {
        self.interp.replay = None;
        self.globals.define(name.into(), value);
    }

    /// Names visible at the top level: globals, then the prelude (for completion),
    /// including those of prelude modules not loaded yet.
    pub fn visible_names(&self) -> Vec<Rc<str>> {
        let mut names = self.globals.visible_names();
        for p in &self.pending {
            names.extend(p.declares.iter().map(|n| Rc::from(n.as_str())));
        }
        names
    }

    /// Names the session itself defined at the top level (not the prelude), sorted.
    pub fn global_names(&self) -> Vec<Rc<str>> {
        self.globals.local_names()
    }

    /// Forgets every global definition (the prelude stays).
    pub fn reset(&mut self) {
        self.interp.replay = Some(Vec::new());
        self.globals = Scope::child(&self.prelude);
    }

    /// The documentation line of a builtin, if `name` is one.
    pub fn builtin_doc(&self, name: &str) -> Option<String> {
        match self.prelude.lookup(name)? {
            Value::Func(f) => match &*f {
                Func::Builtin(b) => Some(format!("{}({}): {}", b.name, b.signature, b.doc)),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Binds each imported module's name in `scope`.
fn bind_imports(program: &Program, imports: &HashMap<Span, Rc<Module>>, scope: &Rc<Scope>) {
    for s in &program.stmts {
        if let Some(m) = imports.get(&s.span) {
            scope.define(m.name.clone(), Value::Module(m.clone()));
        }
    }
}

/// Reads a source file: (display name, text, directory, canonical key).
fn read_source(
    path: &Path,
    base_dir: Option<&Path>,
) -> Result<(String, String, PathBuf, String), Error> {
    let full = match base_dir {
        Some(d) if path.is_relative() => d.join(path),
        _ => path.to_path_buf(),
    };
    let fail = |message: String| {
        Error::at_static(vec![Diagnostic::error(codes::IMPORT_NOT_FOUND, message)])
    };
    let bytes =
        std::fs::read(&full).map_err(|e| fail(format!("cannot read {}: {e}", full.display())))?;
    let name = full.to_string_lossy().into_owned();
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let mut sources = SourceMap::new();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let file = sources.add(&name, lossy);
            return Err(Error::at_static(vec![
                Diagnostic::error(codes::INVALID_UTF8, format!("{name} is not valid UTF-8")).at(
                    Span::new(file, at, at + 1),
                    format!("invalid byte at offset {at}"),
                ),
            ]));
        }
    };
    let dir = full.parent().map_or(PathBuf::from("."), Path::to_path_buf);
    let key =
        std::fs::canonicalize(&full).map_or(name.clone(), |p| p.to_string_lossy().into_owned());
    Ok((name, text, dir, key))
}

fn file_label(key: &str) -> String {
    Path::new(key)
        .file_name()
        .map_or(key.to_string(), |n| n.to_string_lossy().into_owned())
}

/// The checker's view of names outside the program: a runtime scope chain.
struct ScopeOuter(Rc<Scope>);

impl Outer for ScopeOuter {
    fn lookup(&self, name: &str) -> Option<Value> {
        self.0.lookup(name)
    }

    fn names(&self) -> Vec<Rc<str>> {
        self.0.visible_names()
    }
}
