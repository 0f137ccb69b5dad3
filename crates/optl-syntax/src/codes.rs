//! The catalogue of diagnostic codes: one stable code per kind of user mistake.
//!
//! `docs/errors.md` documents every code listed here; a test keeps the two in step.

/// A stable diagnostic code such as `E0100`, with the title shown in `docs/errors.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Code {
    pub id: &'static str,
    pub title: &'static str,
    /// Errors of phases before evaluation exit with 2, runtime errors with 1.
    pub phase: Phase,
}

/// When a diagnostic is found: before evaluation starts (static) or while running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    Static,
    Runtime,
}

macro_rules! codes {
    ($( $name:ident = $id:literal, $phase:ident, $title:literal; )*) => {
        $( pub const $name: Code = Code { id: $id, title: $title, phase: Phase::$phase }; )*
        /// Every code, in catalogue order.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

codes! {
    INVALID_UTF8 = "E0001", Static, "source is not valid UTF-8";
    UNEXPECTED_CHAR = "E0002", Static, "unexpected character";
    UNTERMINATED_STRING = "E0003", Static, "unterminated string";
    INVALID_ESCAPE = "E0004", Static, "invalid escape in string";
    INT_OUT_OF_RANGE = "E0005", Static, "integer literal out of range";
    NESTING_TOO_DEEP = "E0006", Static, "nesting too deep";
    UNEXPECTED_TOKEN = "E0007", Static, "unexpected token";
    UNEXPECTED_EOF = "E0008", Static, "unexpected end of input";
    MISMATCHED_BRACKET = "E0009", Static, "mismatched closing bracket";
    BLOCK_WITHOUT_VALUE = "E0010", Static, "block does not end with an expression";
    UNKNOWN_NAME = "E0100", Static, "unknown name";
    DUPLICATE_DEFINITION = "E0101", Static, "duplicate definition";
    DUPLICATE_PARAMETER = "E0102", Static, "duplicate parameter";
    DUPLICATE_KEYWORD = "E0103", Static, "duplicate keyword argument or record field";
    ARITY = "E0104", Static, "wrong number of arguments";
    UNKNOWN_KEYWORD = "E0105", Static, "unknown keyword argument";
    POSITIONAL_AFTER_KEYWORD = "E0106", Static, "positional argument after keyword argument";
    MISPLACED_STATEMENT = "E0107", Static, "statement not allowed here";
    MISSING_ARGUMENT = "E0108", Static, "missing required argument";
    UNKNOWN_MODULE_MEMBER = "E0109", Static, "unknown member of a module";
    IMPORT_NOT_FOUND = "E0110", Static, "import not found";
    CYCLIC_IMPORT = "E0111", Static, "cyclic import";
    UNKNOWN_STD_MODULE = "E0112", Static, "unknown standard library module";
    RULE_WITHOUT_UPDATE = "E0113", Static, "rule does not assign the update `u`";
    TYPE_MISMATCH = "E0200", Runtime, "type mismatch";
    SHAPE_MISMATCH = "E0201", Runtime, "shape mismatch";
    INDEX_OUT_OF_BOUNDS = "E0202", Runtime, "index out of bounds";
    DIVISION_BY_ZERO = "E0203", Runtime, "integer division by zero";
    NOT_CALLABLE = "E0204", Runtime, "value is not callable";
    NO_SUCH_FIELD = "E0205", Runtime, "no such field";
    ASSERTION_FAILED = "E0206", Runtime, "assertion failed";
    TENSOR_TOO_LARGE = "E0207", Runtime, "tensor too large";
    RECURSION_TOO_DEEP = "E0208", Runtime, "recursion too deep";
    STEP_LIMIT = "E0209", Runtime, "evaluation step budget exhausted";
    TIMEOUT = "E0210", Runtime, "time limit exceeded";
    INVALID_ARGUMENT = "E0211", Runtime, "invalid argument value";
    INT_OVERFLOW = "E0213", Runtime, "integer overflow";
    HOST_ERROR = "E0214", Runtime, "error in a host function";
    UNSUPPORTED = "E0215", Runtime, "operation not supported for this value";
}

/// Looks a code up by its id (`"E0100"`).
pub fn by_id(id: &str) -> Option<Code> {
    ALL.iter().copied().find(|c| c.id == id)
}
