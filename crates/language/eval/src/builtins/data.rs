//! Data files as tensors (for training objectives over real data): `load_csv` and
//! `load_npy`. Relative paths are taken from the directory of the script being run
//! (the current directory in the REPL); the parsers live in `optl_tensor::io`.

use super::{Args, Entry};
use crate::evaluator::{EvalResult, Interp, err_label};
use crate::value::Value;
use optl_syntax::codes;
use optl_tensor::io::{CsvOptions, Header};
use std::path::PathBuf;

pub(super) const TABLE: &[Entry] = &[
    (
        "load_csv",
        "path, header?, delimiter?",
        load_csv,
        "A numeric CSV file as a 2-d tensor [rows, cols]; `header`: \"auto\" (default: skip a first line that is not numbers), true or false; `delimiter` (default \",\").",
    ),
    (
        "load_npy",
        "path",
        load_npy,
        "A NumPy .npy file (float, int or bool dtypes, any shape) as a tensor of floats.",
    ),
];

/// The path in slot 0, resolved against the running script's directory.
fn resolve(interp: &Interp, args: &Args) -> EvalResult<PathBuf> {
    let path = PathBuf::from(&*args.str(0)?);
    Ok(match &interp.base_dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path,
    })
}

pub(super) fn read(interp: &Interp, args: &Args) -> EvalResult<(PathBuf, Vec<u8>)> {
    let path = resolve(interp, args)?;
    let limit = interp.limits.max_elements.saturating_mul(64).max(1 << 20);
    let too_big = std::fs::metadata(&path).is_ok_and(|m| m.len() > limit as u64);
    if too_big {
        return Err(err_label(
            codes::TENSOR_TOO_LARGE,
            format!(
                "`{}` is larger than the data limit ({limit} bytes for --max-elements {})",
                path.display(),
                interp.limits.max_elements
            ),
            args.span(0),
            "this file",
        ));
    }
    match std::fs::read(&path) {
        Ok(bytes) => Ok((path, bytes)),
        Err(e) => Err(err_label(
            codes::FILE_ERROR,
            format!("cannot read `{}`: {e}", path.display()),
            args.span(0),
            "this file",
        )),
    }
}

fn bad_file(
    path: &std::path::Path,
    e: optl_tensor::io::IoError,
    args: &Args,
) -> Box<optl_syntax::diag::Diagnostic> {
    err_label(
        codes::FILE_ERROR,
        format!("`{}`: {e}", path.display()),
        args.span(0),
        "while reading this file",
    )
}

fn load_csv(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let header = match args.value(1) {
        Value::Unit => Header::Auto,
        Value::Bool(true) => Header::Yes,
        Value::Bool(false) => Header::No,
        Value::Str(s) if &**s == "auto" => Header::Auto,
        _ => {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                "`header` is \"auto\", true or false",
                args.span(1),
                "not a header choice",
            ));
        }
    };
    let given = if args.has(2) {
        args.str(2)?
    } else {
        ",".into()
    };
    let delimiter = match given.as_bytes() {
        [d] => *d,
        _ => {
            return Err(err_label(
                codes::INVALID_ARGUMENT,
                "`delimiter` is one ASCII character",
                args.span(2),
                "not one character",
            ));
        }
    };
    let (path, bytes) = read(interp, &args)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        err_label(
            codes::FILE_ERROR,
            format!("`{}` is not UTF-8 text", path.display()),
            args.span(0),
            "this file",
        )
    })?;
    let opts = CsvOptions {
        delimiter,
        header,
        max_elements: interp.limits.max_elements,
    };
    let t = optl_tensor::io::parse_csv(&text, &opts).map_err(|e| bad_file(&path, e, &args))?;
    Ok(Value::tensor(t))
}

fn load_npy(interp: &mut Interp, args: Args) -> EvalResult<Value> {
    let (path, bytes) = read(interp, &args)?;
    let t = optl_tensor::io::parse_npy(&bytes, interp.limits.max_elements)
        .map_err(|e| bad_file(&path, e, &args))?;
    Ok(Value::tensor(t))
}
