//! OptL: a language and interpreter for optimization programs.
//!
//! This facade is the crate to embed. Create an [`Interpreter`], evaluate source,
//! and exchange [`Value`]s with it:
//!
//! ```
//! use optl::{Interpreter, Value};
//!
//! let mut optl = Interpreter::new();
//! optl.eval_str("fn f(x, scale = 1.0) = scale * sum(x^2)").unwrap();
//! let v = optl.eval_str("f([1, 2], scale = 2)").unwrap();
//! assert_eq!(f64::try_from(v).unwrap(), 10.0);
//! ```

pub use optl_eval::limits::Limits;
pub use optl_eval::session::{Error, Interpreter, Stage};
pub use optl_eval::value::Value;
pub use optl_eval::{Engine, EngineStats};
pub use optl_syntax::diag::Diagnostic;
