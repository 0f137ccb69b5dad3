//! A Matrix Market reader, as a pure function over the text of a `.mtx` file.
//!
//! Supported: `matrix coordinate real|integer|pattern` with `general`, `symmetric`
//! or `skew-symmetric` storage, and `matrix array real|integer general`. Lines
//! starting with `%` after the header are comments; blank lines are skipped.
//! Symmetric storage lists the lower triangle (entries with row ≥ column) and is
//! mirrored; skew-symmetric storage lists the strict lower triangle and is
//! mirrored with the opposite sign. Every error is [`Error::Parse`] with the
//! 1-based line number.

use ndarray::IxDyn;
use optl_tensor::Tensor;

use crate::error::{Error, Result};
use crate::sparse::Csr;

/// Value type of the entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtxField {
    /// Floating-point values.
    Real,
    /// Integer values (read as f64).
    Integer,
    /// No values: every listed entry is 1.
    Pattern,
}

/// Storage symmetry declared in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MtxSymmetry {
    /// Every entry is listed.
    General,
    /// `a_ij = a_ji`; the lower triangle is listed.
    Symmetric,
    /// `a_ij = −a_ji`; the strict lower triangle is listed.
    SkewSymmetric,
}

/// The matrix read from a file.
#[derive(Debug, Clone, PartialEq)]
pub enum MtxData {
    /// A `coordinate` file, with the stored triangle mirrored.
    Coordinate(Csr),
    /// An `array` file, as a 2-D tensor.
    Array(Tensor),
}

/// A parsed Matrix Market file.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixMarket {
    /// Declared value type.
    pub field: MtxField,
    /// Declared symmetry.
    pub symmetry: MtxSymmetry,
    /// The full (mirrored) matrix.
    pub data: MtxData,
}

impl MatrixMarket {
    /// `(nrows, ncols)`.
    pub fn shape(&self) -> (usize, usize) {
        match &self.data {
            MtxData::Coordinate(c) => c.shape(),
            MtxData::Array(t) => (t.shape()[0], t.shape()[1]),
        }
    }

    /// The matrix in CSR form (exact zeros of an array file are not stored).
    pub fn to_csr(&self) -> Result<Csr> {
        match &self.data {
            MtxData::Coordinate(c) => Ok(c.clone()),
            MtxData::Array(t) => Csr::from_dense(t),
        }
    }

    /// The matrix as a dense 2-D tensor.
    pub fn to_dense(&self) -> Tensor {
        match &self.data {
            MtxData::Coordinate(c) => c.to_dense(),
            MtxData::Array(t) => t.clone(),
        }
    }
}

fn parse_error(line: usize, reason: impl Into<String>) -> Error {
    Error::Parse {
        line,
        reason: reason.into(),
    }
}

/// Parses the banner `%%MatrixMarket matrix <format> <field> <symmetry>`.
fn parse_banner(line: &str) -> Result<(bool, MtxField, MtxSymmetry)> {
    let words: Vec<String> = line.split_whitespace().map(str::to_lowercase).collect();
    if words.first().map(String::as_str) != Some("%%matrixmarket") {
        return Err(parse_error(
            1,
            "expected the banner '%%MatrixMarket matrix ...'",
        ));
    }
    if words.len() != 5 {
        return Err(parse_error(
            1,
            "the banner must be '%%MatrixMarket matrix <format> <field> <symmetry>'",
        ));
    }
    if words[1] != "matrix" {
        return Err(parse_error(1, format!("unsupported object '{}'", words[1])));
    }
    let coordinate = match words[2].as_str() {
        "coordinate" => true,
        "array" => false,
        other => return Err(parse_error(1, format!("unsupported format '{other}'"))),
    };
    let field = match words[3].as_str() {
        "real" | "double" => MtxField::Real,
        "integer" => MtxField::Integer,
        "pattern" => MtxField::Pattern,
        other => return Err(parse_error(1, format!("unsupported field '{other}'"))),
    };
    let symmetry = match words[4].as_str() {
        "general" => MtxSymmetry::General,
        "symmetric" => MtxSymmetry::Symmetric,
        "skew-symmetric" => MtxSymmetry::SkewSymmetric,
        other => return Err(parse_error(1, format!("unsupported symmetry '{other}'"))),
    };
    if !coordinate && (field == MtxField::Pattern || symmetry != MtxSymmetry::General) {
        return Err(parse_error(
            1,
            "array files are supported only as 'array real general' or 'array integer general'",
        ));
    }
    Ok((coordinate, field, symmetry))
}

fn parse_usize(word: &str, line: usize, what: &str) -> Result<usize> {
    word.parse::<usize>().map_err(|_| {
        parse_error(
            line,
            format!("{what} '{word}' is not a non-negative integer"),
        )
    })
}

fn parse_value(word: &str, line: usize, field: MtxField) -> Result<f64> {
    let v = match field {
        MtxField::Integer => word
            .parse::<i64>()
            .map(|v| v as f64)
            .map_err(|_| parse_error(line, format!("value '{word}' is not an integer")))?,
        _ => word
            .parse::<f64>()
            .map_err(|_| parse_error(line, format!("value '{word}' is not a number")))?,
    };
    if !v.is_finite() {
        return Err(parse_error(line, format!("value '{word}' is not finite")));
    }
    Ok(v)
}

/// Reads a Matrix Market file from its text.
pub fn read_matrix_market(text: &str) -> Result<MatrixMarket> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    let (_, banner) = lines
        .next()
        .ok_or_else(|| parse_error(1, "empty input: expected the banner"))?;
    let (coordinate, field, symmetry) = parse_banner(banner)?;
    let mut content = lines.filter(|(_, l)| !l.is_empty() && !l.starts_with('%'));
    let last_line = text.lines().count().max(1);
    let (size_line, size) = content
        .next()
        .ok_or_else(|| parse_error(last_line, "missing the size line"))?;
    let dims: Vec<&str> = size.split_whitespace().collect();
    let expected = if coordinate { 3 } else { 2 };
    if dims.len() != expected {
        return Err(parse_error(
            size_line,
            if coordinate {
                "the size line must be 'rows cols entries'"
            } else {
                "the size line must be 'rows cols'"
            },
        ));
    }
    let nrows = parse_usize(dims[0], size_line, "row count")?;
    let ncols = parse_usize(dims[1], size_line, "column count")?;
    if symmetry != MtxSymmetry::General && nrows != ncols {
        return Err(parse_error(size_line, "a symmetric matrix must be square"));
    }
    if !coordinate {
        let total = nrows
            .checked_mul(ncols)
            .ok_or_else(|| parse_error(size_line, "the matrix is too large"))?;
        let mut column_major = Vec::new();
        for (line, l) in content {
            let words: Vec<&str> = l.split_whitespace().collect();
            if words.len() != 1 {
                return Err(parse_error(line, "an array entry line holds one value"));
            }
            if column_major.len() == total {
                return Err(parse_error(
                    line,
                    format!("more than the {total} declared values"),
                ));
            }
            column_major.push(parse_value(words[0], line, field)?);
        }
        if column_major.len() != total {
            return Err(parse_error(
                last_line,
                format!("expected {total} values, found {}", column_major.len()),
            ));
        }
        let mut data = vec![0.0; total];
        for j in 0..ncols {
            for i in 0..nrows {
                data[i * ncols + j] = column_major[j * nrows + i];
            }
        }
        let t = Tensor::from_shape_vec(IxDyn(&[nrows, ncols]), data)
            .map_err(|_| parse_error(size_line, "the matrix is too large"))?;
        return Ok(MatrixMarket {
            field,
            symmetry,
            data: MtxData::Array(t),
        });
    }
    let declared = parse_usize(dims[2], size_line, "entry count")?;
    let (mut rows, mut cols, mut vals) = (Vec::new(), Vec::new(), Vec::new());
    let mut read = 0usize;
    let want = if field == MtxField::Pattern { 2 } else { 3 };
    for (line, l) in content {
        if read == declared {
            return Err(parse_error(
                line,
                format!("more than the {declared} declared entries"),
            ));
        }
        let words: Vec<&str> = l.split_whitespace().collect();
        if words.len() != want {
            return Err(parse_error(
                line,
                if want == 2 {
                    "a pattern entry line is 'row col'"
                } else {
                    "an entry line is 'row col value'"
                },
            ));
        }
        let i = parse_usize(words[0], line, "row index")?;
        let j = parse_usize(words[1], line, "column index")?;
        if i == 0 || j == 0 || i > nrows || j > ncols {
            return Err(parse_error(
                line,
                format!("entry ({i}, {j}) is outside the 1-based {nrows}x{ncols} matrix"),
            ));
        }
        let v = if want == 2 {
            1.0
        } else {
            parse_value(words[2], line, field)?
        };
        let (i, j) = (i - 1, j - 1);
        match symmetry {
            MtxSymmetry::General => {}
            MtxSymmetry::Symmetric if i < j => {
                return Err(parse_error(
                    line,
                    "symmetric storage lists entries on or below the diagonal",
                ));
            }
            MtxSymmetry::SkewSymmetric if i <= j => {
                return Err(parse_error(
                    line,
                    "skew-symmetric storage lists entries strictly below the diagonal",
                ));
            }
            MtxSymmetry::Symmetric | MtxSymmetry::SkewSymmetric => {
                if i != j {
                    rows.push(j);
                    cols.push(i);
                    vals.push(if symmetry == MtxSymmetry::Symmetric {
                        v
                    } else {
                        -v
                    });
                }
            }
        }
        rows.push(i);
        cols.push(j);
        vals.push(v);
        read += 1;
    }
    if read != declared {
        return Err(parse_error(
            last_line,
            format!("expected {declared} entries, found {read}"),
        ));
    }
    let csr = Csr::from_triplets(&rows, &cols, &vals, (nrows, ncols))
        .map_err(|e| parse_error(size_line, format!("could not build the matrix: {e}")))?;
    Ok(MatrixMarket {
        field,
        symmetry,
        data: MtxData::Coordinate(csr),
    })
}
