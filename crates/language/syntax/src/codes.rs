//! The catalogue of diagnostic codes: one stable code per kind of user mistake.
//!
//! Codes below E0200 are normally found before evaluation (exit code 2), the others
//! while running (exit code 1); the exit code itself follows the stage that found the
//! error. `docs/errors.md` documents every code listed here; a test keeps them in step.

/// A stable diagnostic code such as `E0100`, with the title shown in `docs/errors.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Code {
    pub id: &'static str,
    pub title: &'static str,
}

macro_rules! codes {
    ($( $name:ident = $id:literal, $title:literal; )*) => {
        $( pub const $name: Code = Code { id: $id, title: $title }; )*
        /// Every code, in catalogue order.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

codes! {
    INVALID_UTF8 = "E0001", "source is not valid UTF-8";
    UNEXPECTED_CHAR = "E0002", "unexpected character";
    UNTERMINATED_STRING = "E0003", "unterminated string";
    INVALID_ESCAPE = "E0004", "invalid escape in string";
    INT_OUT_OF_RANGE = "E0005", "integer literal out of range";
    NESTING_TOO_DEEP = "E0006", "nesting too deep";
    UNEXPECTED_TOKEN = "E0007", "unexpected token";
    UNEXPECTED_EOF = "E0008", "unexpected end of input";
    MISMATCHED_BRACKET = "E0009", "mismatched closing bracket";
    BLOCK_WITHOUT_VALUE = "E0010", "block does not end with an expression";
    UNKNOWN_NAME = "E0100", "unknown name";
    DUPLICATE_DEFINITION = "E0101", "duplicate definition";
    DUPLICATE_PARAMETER = "E0102", "duplicate parameter";
    DUPLICATE_KEYWORD = "E0103", "duplicate keyword argument or record field";
    ARITY = "E0104", "wrong number of arguments";
    UNKNOWN_KEYWORD = "E0105", "unknown keyword argument";
    POSITIONAL_AFTER_KEYWORD = "E0106", "positional argument after keyword argument";
    MISPLACED_STATEMENT = "E0107", "statement not allowed here";
    MISSING_ARGUMENT = "E0108", "missing required argument";
    UNKNOWN_MODULE_MEMBER = "E0109", "unknown member of a module";
    IMPORT_NOT_FOUND = "E0110", "import not found";
    CYCLIC_IMPORT = "E0111", "cyclic import";
    UNKNOWN_STD_MODULE = "E0112", "unknown standard library module";
    RULE_WITHOUT_UPDATE = "E0113", "rule does not assign the update `u`";
    LOWER_WITHOUT_OBJECTIVE = "E0114", "lower problem without exactly one objective";
    TYPE_MISMATCH = "E0200", "type mismatch";
    SHAPE_MISMATCH = "E0201", "shape mismatch";
    INDEX_OUT_OF_BOUNDS = "E0202", "index out of bounds";
    DIVISION_BY_ZERO = "E0203", "integer division by zero";
    NOT_CALLABLE = "E0204", "value is not callable";
    NO_SUCH_FIELD = "E0205", "no such field";
    ASSERTION_FAILED = "E0206", "assertion failed";
    TENSOR_TOO_LARGE = "E0207", "tensor too large";
    RECURSION_TOO_DEEP = "E0208", "recursion too deep";
    STEP_LIMIT = "E0209", "evaluation step budget exhausted";
    TIMEOUT = "E0210", "time limit exceeded";
    INVALID_ARGUMENT = "E0211", "invalid argument value";
    TRACED_BRANCH = "E0212", "branch on a traced value";
    INT_OVERFLOW = "E0213", "integer overflow";
    HOST_ERROR = "E0214", "error in a host function";
    NOT_TRACEABLE = "E0215", "operation cannot be traced";
    FILE_ERROR = "E0216", "cannot read a data file";
    SINGULAR_MATRIX = "E0217", "singular matrix";
    NOT_POSITIVE_DEFINITE = "E0218", "matrix not symmetric positive definite";
    NON_FINITE_INPUT = "E0219", "NaN or infinity in an input";
    STUDY_STORAGE = "E0220", "cannot use the study storage";
}

/// Looks a code up by its id (`"E0100"`).
pub fn by_id(id: &str) -> Option<Code> {
    ALL.iter().copied().find(|c| c.id == id)
}
