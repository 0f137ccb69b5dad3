//! NumPy `.npy` files (versions 1.0, 2.0, 3.0) to tensors, and tensors to `.npy`.

use super::{IoError, err, excerpt};
use crate::Tensor;
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use std::fmt;

const NPY_MAGIC: &[u8; 6] = b"\x93NUMPY";
const MAX_DEPTH: usize = 32;

/// A Python literal in a `.npy` header.
#[derive(Debug, Clone, PartialEq)]
enum PyValue {
    Str(String),
    Int(i128),
    Bool(bool),
    None,
    Tuple(Vec<PyValue>),
    List(Vec<PyValue>),
    Dict(Vec<(PyValue, PyValue)>),
}

impl fmt::Display for PyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn seq(f: &mut fmt::Formatter<'_>, items: &[PyValue]) -> fmt::Result {
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{v}")?;
            }
            Ok(())
        }
        match self {
            PyValue::Str(s) => write!(f, "'{s}'"),
            PyValue::Int(i) => write!(f, "{i}"),
            PyValue::Bool(b) => f.write_str(if *b { "True" } else { "False" }),
            PyValue::None => f.write_str("None"),
            PyValue::Tuple(items) => {
                f.write_str("(")?;
                seq(f, items)?;
                f.write_str(if items.len() == 1 { ",)" } else { ")" })
            }
            PyValue::List(items) => {
                f.write_str("[")?;
                seq(f, items)?;
                f.write_str("]")
            }
            PyValue::Dict(items) => {
                f.write_str("{")?;
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// A recursive-descent parser for the Python literals found in `.npy` headers.
struct PyParser<'a> {
    chars: Vec<char>,
    pos: usize,
    src: &'a str,
}

impl<'a> PyParser<'a> {
    fn new(src: &'a str) -> Self {
        PyParser {
            chars: src.chars().collect(),
            pos: 0,
            src,
        }
    }

    fn fail<T>(&self, what: &str) -> Result<T, IoError> {
        err(format!(
            "malformed .npy header {:?}: {what} at character {}",
            excerpt(self.src.trim_end()),
            self.pos + 1
        ))
    }

    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<PyValue, IoError> {
        if depth > MAX_DEPTH {
            return self.fail("nesting too deep");
        }
        match self.peek() {
            None => self.fail("unexpected end"),
            Some(q @ ('\'' | '"')) => {
                self.pos += 1;
                let mut s = String::new();
                loop {
                    match self.chars.get(self.pos).copied() {
                        None => return self.fail("unterminated string"),
                        Some(c) if c == q => {
                            self.pos += 1;
                            break;
                        }
                        Some('\\') => {
                            let Some(&c) = self.chars.get(self.pos + 1) else {
                                return self.fail("unterminated string");
                            };
                            s.push(c);
                            self.pos += 2;
                        }
                        Some(c) => {
                            s.push(c);
                            self.pos += 1;
                        }
                    }
                }
                Ok(PyValue::Str(s))
            }
            Some('(') => {
                self.pos += 1;
                let (items, trailing_comma) = self.items(')', depth)?;
                // `(5)` is just 5 in Python.
                if items.len() == 1 && !trailing_comma {
                    Ok(items.into_iter().next().unwrap_or(PyValue::None))
                } else {
                    Ok(PyValue::Tuple(items))
                }
            }
            Some('[') => {
                self.pos += 1;
                Ok(PyValue::List(self.items(']', depth)?.0))
            }
            Some('{') => {
                self.pos += 1;
                let mut entries = Vec::new();
                loop {
                    if self.eat('}') {
                        break;
                    }
                    let key = self.value(depth + 1)?;
                    if !self.eat(':') {
                        return self.fail("expected ':'");
                    }
                    let value = self.value(depth + 1)?;
                    entries.push((key, value));
                    if self.eat(',') {
                        continue;
                    }
                    if self.eat('}') {
                        break;
                    }
                    return self.fail("expected ',' or '}'");
                }
                Ok(PyValue::Dict(entries))
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' => {
                let start = self.pos;
                self.pos += 1;
                while self.chars.get(self.pos).is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                let digits: String = self.chars[start..self.pos].iter().collect();
                // Python 2 long suffix, e.g. `(3L, 4L)`.
                if matches!(self.chars.get(self.pos), Some('L' | 'l')) {
                    self.pos += 1;
                }
                match digits.parse::<i128>() {
                    Ok(i) => Ok(PyValue::Int(i)),
                    Err(_) => {
                        self.pos = start;
                        self.fail(&format!("invalid integer `{}`", excerpt(&digits)))
                    }
                }
            }
            Some(c) if c.is_alphabetic() || c == '_' => {
                let start = self.pos;
                while self
                    .chars
                    .get(self.pos)
                    .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                match word.as_str() {
                    "True" => Ok(PyValue::Bool(true)),
                    "False" => Ok(PyValue::Bool(false)),
                    "None" => Ok(PyValue::None),
                    _ => {
                        self.pos = start;
                        self.fail(&format!("unexpected name `{}`", excerpt(&word)))
                    }
                }
            }
            Some(c) => self.fail(&format!("unexpected character {c:?}")),
        }
    }

    /// Comma-separated values up to `close`; also reports whether a trailing comma
    /// was present.
    fn items(&mut self, close: char, depth: usize) -> Result<(Vec<PyValue>, bool), IoError> {
        let mut items = Vec::new();
        let mut trailing_comma = false;
        loop {
            if self.eat(close) {
                break;
            }
            items.push(self.value(depth + 1)?);
            trailing_comma = self.eat(',');
            if trailing_comma {
                continue;
            }
            if self.eat(close) {
                break;
            }
            return self.fail(&format!("expected ',' or '{close}'"));
        }
        Ok((items, trailing_comma))
    }
}

/// An element type of a `.npy` file that can be converted to `f64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Float,
    Int,
    Uint,
    Bool,
}

#[derive(Debug, Clone, Copy)]
struct Dtype {
    kind: Kind,
    size: usize,
    big_endian: bool,
}

fn parse_descr(descr: &PyValue) -> Result<Dtype, IoError> {
    let s = match descr {
        PyValue::Str(s) => s.as_str(),
        PyValue::List(_) => {
            return err(format!(
                "unsupported .npy dtype {}: structured dtypes are not supported",
                excerpt(&descr.to_string())
            ));
        }
        other => {
            return err(format!(
                "invalid .npy header: 'descr' must be a string, got {}",
                excerpt(&other.to_string())
            ));
        }
    };
    let unsupported = |why: &str| err(format!("unsupported .npy dtype '{}': {why}", excerpt(s)));
    let (big_endian, rest) = match s.chars().next() {
        Some('<') => (false, &s[1..]),
        Some('>') => (true, &s[1..]),
        Some('|' | '=') => (cfg!(target_endian = "big"), &s[1..]),
        _ => (cfg!(target_endian = "big"), s),
    };
    if rest == "?" {
        return Ok(Dtype {
            kind: Kind::Bool,
            size: 1,
            big_endian,
        });
    }
    let mut chars = rest.chars();
    let code = chars.next();
    let size: Option<usize> = chars.as_str().parse().ok();
    let kind = match code {
        Some('f') => Kind::Float,
        Some('i') => Kind::Int,
        Some('u') => Kind::Uint,
        Some('b') => Kind::Bool,
        Some('O') => return unsupported("object arrays are not supported"),
        Some('U' | 'S' | 'a') => return unsupported("string arrays are not supported"),
        Some('c') => return unsupported("complex numbers are not supported"),
        Some('M' | 'm') => return unsupported("dates and times are not supported"),
        Some('V') => return unsupported("raw and structured data is not supported"),
        _ => return unsupported(SUPPORTED),
    };
    let ok = matches!(
        (kind, size),
        (Kind::Float, Some(4 | 8))
            | (Kind::Int | Kind::Uint, Some(1 | 2 | 4 | 8))
            | (Kind::Bool, Some(1))
    );
    match size {
        Some(size) if ok => Ok(Dtype {
            kind,
            size,
            big_endian,
        }),
        _ => unsupported(SUPPORTED),
    }
}

const SUPPORTED: &str = "supported dtypes are f8, f4, i8, i4, i2, i1, u8, u4, u2, u1 and b1";

fn parse_shape(shape: &PyValue) -> Result<Vec<usize>, IoError> {
    let items: &[PyValue] = match shape {
        PyValue::Tuple(items) | PyValue::List(items) => items,
        PyValue::Int(_) => std::slice::from_ref(shape),
        other => {
            return err(format!(
                "invalid .npy header: 'shape' must be a tuple of integers, got {}",
                excerpt(&other.to_string())
            ));
        }
    };
    items
        .iter()
        .map(|item| match item {
            PyValue::Int(i) => usize::try_from(*i).map_err(|_| {
                IoError(format!(
                    "invalid .npy header: 'shape' {} has an invalid dimension {i}",
                    excerpt(&shape.to_string())
                ))
            }),
            other => err(format!(
                "invalid .npy header: 'shape' {} has a non-integer dimension {}",
                excerpt(&shape.to_string()),
                excerpt(&other.to_string())
            )),
        })
        .collect()
}

fn decode(bytes: &[u8], dtype: Dtype) -> f64 {
    let mut buf = [0u8; 8];
    let n = dtype.size.min(8);
    buf[..n].copy_from_slice(&bytes[..n]);
    // Normalise to little-endian in the low `n` bytes.
    if dtype.big_endian {
        buf[..n].reverse();
    }
    match (dtype.kind, n) {
        (Kind::Float, 4) => f64::from(f32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]])),
        (Kind::Float, _) => f64::from_le_bytes(buf),
        (Kind::Bool, _) => {
            if buf[0] != 0 {
                1.0
            } else {
                0.0
            }
        }
        (Kind::Uint, _) => u64::from_le_bytes(buf) as f64,
        (Kind::Int, _) => {
            // Sign-extend the low `n` bytes.
            let shift = 64 - 8 * n as u32;
            ((i64::from_le_bytes(buf) << shift) >> shift) as f64
        }
    }
}

/// Parses a NumPy `.npy` file (format version 1.0, 2.0 or 3.0) into a tensor.
///
/// Supported dtypes are `f8`, `f4`, `i8`, `i4`, `i2`, `i1`, `u8`, `u4`, `u2`, `u1`
/// and `b1` in either byte order, converted to `f64` (64-bit integers beyond 2^53
/// are rounded). Fortran-order data is reordered to row-major. Fails on a bad
/// magic string or version, a malformed header, an unsupported dtype, a data
/// length that does not match the shape, and shapes with more than
/// `max_elements` elements.
pub fn parse_npy(bytes: &[u8], max_elements: usize) -> Result<Tensor, IoError> {
    if bytes.len() < 8 || &bytes[..6] != NPY_MAGIC {
        if bytes.len() < 6 && NPY_MAGIC.starts_with(bytes) {
            return err(format!(
                "truncated .npy file: only {} bytes, not even the magic string",
                bytes.len()
            ));
        }
        if bytes.len() >= 6 && &bytes[..6] == NPY_MAGIC {
            return err("truncated .npy file: it ends before the format version");
        }
        return err("not a .npy file: it does not start with the magic string \\x93NUMPY");
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len_size, utf8) = match (major, minor) {
        (1, 0) => (2, false),
        (2, 0) => (4, false),
        (3, 0) => (4, true),
        _ => {
            return err(format!(
                "unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)"
            ));
        }
    };
    let start = 8 + len_size;
    let Some(len_bytes) = bytes.get(8..start) else {
        return err("truncated .npy header: the file ends inside the header length field");
    };
    let header_len = len_bytes
        .iter()
        .rev()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    let available = bytes.len() - start;
    if header_len > available {
        return err(format!(
            "truncated .npy header: the header length is {header_len} bytes but only {available} bytes follow"
        ));
    }
    let header_bytes = &bytes[start..start + header_len];
    let header: String = if utf8 {
        match std::str::from_utf8(header_bytes) {
            Ok(s) => s.to_string(),
            Err(e) => return err(format!("invalid .npy header: it is not valid UTF-8 ({e})")),
        }
    } else {
        header_bytes.iter().map(|&b| char::from(b)).collect()
    };

    let mut parser = PyParser::new(&header);
    let dict = parser.value(0)?;
    if parser.peek().is_some() {
        return parser.fail("unexpected text after the header dictionary");
    }
    let PyValue::Dict(entries) = dict else {
        return err(format!(
            "malformed .npy header {:?}: it is not a dictionary",
            excerpt(header.trim_end())
        ));
    };
    let mut descr = None;
    let mut fortran = None;
    let mut shape = None;
    for (key, value) in &entries {
        let slot = match key {
            PyValue::Str(k) if k == "descr" => &mut descr,
            PyValue::Str(k) if k == "fortran_order" => &mut fortran,
            PyValue::Str(k) if k == "shape" => &mut shape,
            _ => continue,
        };
        if slot.is_some() {
            return err(format!("invalid .npy header: duplicate key {key}"));
        }
        *slot = Some(value);
    }
    let missing = |k: &str| err(format!("invalid .npy header: the '{k}' field is missing"));
    let Some(descr) = descr else {
        return missing("descr");
    };
    let Some(fortran) = fortran else {
        return missing("fortran_order");
    };
    let Some(shape) = shape else {
        return missing("shape");
    };
    let fortran = match fortran {
        PyValue::Bool(b) => *b,
        other => {
            return err(format!(
                "invalid .npy header: 'fortran_order' must be True or False, got {}",
                excerpt(&other.to_string())
            ));
        }
    };
    let shape_value = shape;
    let shape = parse_shape(shape)?;
    let dtype = parse_descr(descr)?;

    let shape_text = excerpt(&shape_value.to_string());
    let Some(count) = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) else {
        return err(format!(
            "invalid .npy header: 'shape' {shape_text} has too many elements"
        ));
    };
    if count > max_elements {
        return err(format!(
            "the .npy array of shape {shape_text} has {count} elements, more than the limit of {max_elements}"
        ));
    }
    let data = &bytes[start + header_len..];
    let expected = count.checked_mul(dtype.size);
    if expected != Some(data.len()) {
        let expected = expected.map_or_else(|| "too many".to_string(), |n| n.to_string());
        return err(format!(
            "the .npy data has {} bytes but shape {shape_text} with {}-byte elements needs {expected}",
            data.len(),
            dtype.size
        ));
    }
    // ndarray requires the product of non-zero dimensions to fit in isize.
    let nonzero = shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if nonzero.is_none_or(|n| n > isize::MAX as usize) {
        return err(format!(
            "invalid .npy header: the dimensions of 'shape' {shape_text} are too large"
        ));
    }
    let values: Vec<f64> = data
        .chunks_exact(dtype.size)
        .map(|chunk| decode(chunk, dtype))
        .collect();
    let array = if fortran {
        ArrayD::from_shape_vec(IxDyn(&shape).f(), values)
            .map(|a| a.as_standard_layout().into_owned())
    } else {
        ArrayD::from_shape_vec(IxDyn(&shape), values)
    };
    array.map_err(|e| IoError(format!("cannot build a tensor of shape {shape_text}: {e}")))
}

/// Writes a tensor as a NumPy `.npy` file: format version 1.0 (2.0 if the header
/// would not fit), dtype `<f8`, C order, with the data aligned to 64 bytes.
pub fn write_npy(t: &Tensor) -> Vec<u8> {
    let dims: Vec<String> = t.shape().iter().map(|d| d.to_string()).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
    let (version, len_size) = if header.len() + 1 + 10 + 63 <= usize::from(u16::MAX) {
        (1u8, 2usize)
    } else {
        (2u8, 4usize)
    };
    let prefix = 8 + len_size;
    let total = (prefix + header.len() + 1).div_ceil(64) * 64;
    let pad = total - prefix - header.len() - 1;
    header.extend(std::iter::repeat_n(' ', pad));
    header.push('\n');

    let mut out = Vec::with_capacity(total + 8 * t.len());
    out.extend_from_slice(NPY_MAGIC);
    out.extend_from_slice(&[version, 0]);
    if len_size == 2 {
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(header.as_bytes());
    for v in t.iter() {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn py_literals() {
        let mut p = PyParser::new("{\"a\": (1, 2,), 'b': [True, None], 'c': (5), }");
        let v = p.value(0).unwrap();
        assert_eq!(
            v,
            PyValue::Dict(vec![
                (
                    PyValue::Str("a".into()),
                    PyValue::Tuple(vec![PyValue::Int(1), PyValue::Int(2)])
                ),
                (
                    PyValue::Str("b".into()),
                    PyValue::List(vec![PyValue::Bool(true), PyValue::None])
                ),
                (PyValue::Str("c".into()), PyValue::Int(5)),
            ])
        );
        assert!(PyParser::new(&"(".repeat(100)).value(0).is_err());
    }

    #[test]
    fn decode_ints() {
        let d = |kind, size, big_endian| Dtype {
            kind,
            size,
            big_endian,
        };
        assert_eq!(decode(&[0xff, 0xff], d(Kind::Int, 2, false)), -1.0);
        assert_eq!(decode(&[0xff, 0xfe], d(Kind::Int, 2, true)), -2.0);
        assert_eq!(decode(&[0xff, 0xfe], d(Kind::Uint, 2, true)), 65534.0);
        assert_eq!(decode(&[0x80], d(Kind::Int, 1, false)), -128.0);
        assert_eq!(decode(&[2], d(Kind::Bool, 1, false)), 1.0);
    }
}
