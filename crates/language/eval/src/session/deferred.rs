//! Prelude definitions made when a program first needs them: `std.optim`, the
//! `tasks` namespace (`std.tasks`) and the native constructors (solvers, schedules,
//! search algorithms, whose parameter lists are OptL source). A program pays for
//! parsing them only when it mentions one of their names as a word of its text
//! (comments count), imports the module, or has a name error (then the whole
//! prelude is loaded, for the "did you mean" hints). Their names are read off their
//! declarations without parsing, so the prelude's names are all visible from the
//! start.

use super::Interpreter;
use crate::value::SymKind;
use std::collections::HashSet;

/// Prelude modules loaded when first needed: when a program mentions one of the
/// names they declare (a word of its text, comments included) or one of the
/// builtins that need them, imports them, or when every name is asked for. Their
/// names are the prelude's all the same; a script that uses none of them does not
/// parse them (`optim` was over a third of the instructions of `print(1)`).
pub(super) const STDLIB_LAZY: &[LazyModule] = &[
    LazyModule {
        name: "optim",
        text: include_str!("../../../../../stdlib/optim.opt"),
        joins: Joins::Names,
        // `discover`'s default start is `adamw()`.
        needed_by: &["discover"],
    },
    LazyModule {
        name: "tasks",
        text: include_str!("../../../../../stdlib/tasks.opt"),
        joins: Joins::Namespace,
        needed_by: &[],
    },
];

/// A stdlib module of the prelude parsed when first needed.
pub(super) struct LazyModule {
    pub(super) name: &'static str,
    pub(super) text: &'static str,
    pub(super) joins: Joins,
    /// Builtins whose defaults are values of this module.
    needed_by: &'static [&'static str],
}

/// How a lazy module joins the prelude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Joins {
    /// Its names become the prelude's (`adam`).
    Names,
    /// The module itself becomes the prelude's name (`tasks.logreg`).
    Namespace,
}

/// Prelude definitions made when first needed, and the names they define.
pub(super) struct Pending {
    pub(super) declares: Vec<String>,
    /// Other names whose mention needs these definitions.
    needed_by: &'static [&'static str],
    pub(super) what: Deferred,
}

/// What a [`Pending`] entry defines: a program that mentions none of its names
/// (nor has a name error, which is checked against the whole prelude for its hints)
/// does not pay for parsing it.
pub(super) enum Deferred {
    /// A `STDLIB_LAZY` module.
    Module {
        name: &'static str,
        text: &'static str,
        joins: Joins,
    },
    /// The native constructors of one kind (solvers, schedules, search algorithms),
    /// from their parameter lists in OptL syntax.
    Families {
        kind: SymKind,
        path: &'static str,
        src: String,
    },
}

/// The names a stdlib module declares at its top level (`rule`, `fn`, `let` and
/// `problem` lines that start at column 0), read from its text without parsing it.
fn declared_names(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|line| {
            let rest = ["rule ", "fn ", "let ", "problem "]
                .iter()
                .find_map(|kw| line.strip_prefix(kw))?;
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (end > 0).then(|| &rest[..end])
        })
        .collect()
}

/// The words of `src` (identifiers and keywords), each once.
fn words(src: &str) -> HashSet<&str> {
    src.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether `words` has one of `names`.
fn mentions<S: AsRef<str>>(words: &HashSet<&str>, names: &[S]) -> bool {
    names.iter().any(|n| words.contains(n.as_ref()))
}

/// Everything deferred at the start of a session.
pub(super) fn pending_prelude() -> Vec<Pending> {
    let natives = [
        (
            SymKind::Solver,
            "<native>/solvers.opt",
            crate::solvers::declarations(),
        ),
        (
            SymKind::Schedule,
            "<native>/schedules.opt",
            crate::schedules::declarations(),
        ),
        (
            SymKind::Algorithm,
            "<native>/algorithms.opt",
            crate::search::algorithms::declarations(),
        ),
    ];
    let families = natives.into_iter().map(|(kind, path, src)| Pending {
        declares: declared_names(&src).into_iter().map(String::from).collect(),
        needed_by: &[],
        what: Deferred::Families { kind, path, src },
    });
    let modules = STDLIB_LAZY.iter().map(|m| Pending {
        declares: match m.joins {
            Joins::Names => declared_names(m.text)
                .into_iter()
                .map(String::from)
                .collect(),
            Joins::Namespace => vec![m.name.to_string()],
        },
        needed_by: m.needed_by,
        what: Deferred::Module {
            name: m.name,
            text: m.text,
            joins: m.joins,
        },
    });
    families.chain(modules).collect()
}

impl Interpreter {
    /// Makes the pending prelude definitions for which `wanted` says so.
    pub(super) fn load_pending(&mut self, wanted: impl Fn(&Pending) -> bool) {
        while let Some(i) = self.pending.iter().position(&wanted) {
            // Taken off the list first: a module mentions its own names.
            match self.pending.remove(i).what {
                Deferred::Module { name, text, joins } => {
                    if let Err(e) = self.load_std(name, text, joins) {
                        self.stdlib_errors.push(e);
                    }
                }
                Deferred::Families { kind, path, src } => self.define_families(kind, path, src),
            }
        }
    }

    /// Makes the pending prelude definitions of the names `src` mentions.
    pub(super) fn load_mentioned_in(&mut self, src: &str) {
        if !self.pending.is_empty() {
            let words = words(src);
            self.load_pending(|p| mentions(&words, &p.declares) || mentions(&words, p.needed_by));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    /// The names read off a lazy module's text are exactly those it defines, so a
    /// program that mentions any of them loads it.
    #[test]
    fn lazy_modules_declare_what_they_define() {
        for LazyModule {
            name, text, joins, ..
        } in STDLIB_LAZY
        {
            if *joins == Joins::Namespace {
                continue;
            }
            let mut optl = Interpreter::new();
            let module = optl
                .run_module(name, &format!("<stdlib>/{name}.opt"), text, None)
                .expect("the stdlib loads");
            let mut defined: Vec<&str> = module.members.fields.iter().map(|(n, _)| &**n).collect();
            let mut declared = declared_names(text);
            defined.sort_unstable();
            declared.sort_unstable();
            assert_eq!(declared, defined, "std.{name}");
        }
    }

    /// Likewise for the native constructors: each name read off their declarations
    /// is a family of their kind once they are defined.
    #[test]
    fn deferred_natives_declare_what_they_define() {
        let mut optl = Interpreter::new();
        let natives: Vec<(Vec<String>, SymKind)> = optl
            .pending
            .iter()
            .filter_map(|p| match &p.what {
                Deferred::Families { kind, .. } => Some((p.declares.clone(), *kind)),
                Deferred::Module { .. } => None,
            })
            .collect();
        assert_eq!(natives.len(), 3);
        optl.load_pending(|_| true);
        for (names, kind) in natives {
            assert!(!names.is_empty());
            for n in names {
                let v = optl.prelude.lookup(&n);
                assert!(matches!(v, Some(Value::Family(f)) if f.kind == kind), "{n}");
            }
        }
    }

    #[test]
    fn lazy_modules_load_when_mentioned() {
        let mut optl = Interpreter::new();
        optl.eval_str("let x = 1 + 2").expect("runs");
        assert_eq!(
            optl.pending.len(),
            STDLIB_LAZY.len() + 3,
            "nothing mentioned"
        );
        assert!(optl.visible_names().iter().any(|n| &**n == "adam"));
        let loaded = |optl: &Interpreter, module: &str| {
            !optl
                .pending
                .iter()
                .any(|p| matches!(p.what, Deferred::Module { name, .. } if name == module))
        };
        optl.eval_str("# lion is mentioned in a comment only\n1")
            .expect("runs");
        assert!(loaded(&optl, "optim") && !loaded(&optl, "tasks"));
        let mut optl = Interpreter::new();
        assert!(optl.get("adamw").is_some());
        // `discover`'s default start is `adamw()`: mentioning it loads `std.optim`.
        let mut optl = Interpreter::new();
        optl.eval_str("let f = discover").expect("runs");
        assert!(loaded(&optl, "optim"));
        // `tasks` is the module itself, with or without `import std.tasks`.
        let mut optl = Interpreter::new();
        optl.eval_str("let q = tasks.quadratic(n = 2)")
            .expect("runs");
        assert!(loaded(&optl, "tasks") && !loaded(&optl, "optim"));
        optl.eval_str("import std.tasks\nlet same = tasks.quadratic(n = 2) == q")
            .expect("runs");
        assert!(matches!(optl.get("same"), Some(Value::Bool(true))));
        let mut optl = Interpreter::new();
        optl.eval_str("import std.optim\nlet r = optim.sgd()")
            .expect("runs");
        // A typo is checked against the whole prelude, for its hint.
        let mut optl = Interpreter::new();
        let err = optl.eval_str("adamm()").expect_err("unknown name");
        let hint = format!("{:?}", err.diagnostics[0]);
        assert!(hint.contains("did you mean `adam`"), "{hint}");
    }
}
