//! Numeric CSV text to a 2-D `[rows, cols]` tensor, with header detection.

use super::{IoError, err, excerpt};
use crate::Tensor;
use ndarray::{ArrayD, IxDyn};

/// Whether the first row of a CSV input is a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Header {
    /// The first row is a header iff any of its fields is not a number.
    #[default]
    Auto,
    /// The first row is always a header.
    Yes,
    /// There is no header; every row is data.
    No,
}

/// Options for [`parse_csv`] and [`header_names`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// Field separator, an ASCII character other than `"`, `#`, CR and LF.
    /// A space delimiter treats any run of spaces and tabs as one separator.
    pub delimiter: u8,
    /// Whether the first row is a header.
    pub header: Header,
    /// Maximum number of values the result may hold.
    pub max_elements: usize,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            header: Header::Auto,
            max_elements: usize::MAX,
        }
    }
}

/// One non-blank, non-comment line of a CSV input.
struct CsvLine<'a> {
    /// 1-based line number.
    number: usize,
    text: &'a str,
}

/// The lines of `text` that hold data or a header, with their line numbers.
fn csv_lines(text: &str) -> impl Iterator<Item = CsvLine<'_>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.split('\n').enumerate().filter_map(|(i, line)| {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            None
        } else {
            Some(CsvLine {
                number: i + 1,
                text: line,
            })
        }
    })
}

fn check_delimiter(delimiter: u8) -> Result<(), IoError> {
    if !delimiter.is_ascii() || matches!(delimiter, b'"' | b'#' | b'\r' | b'\n') {
        return err(format!(
            "invalid CSV delimiter {:?}: it must be an ASCII character other than '\"', '#', CR and LF",
            char::from(delimiter)
        ));
    }
    Ok(())
}

/// Splits one line into fields: trims whitespace around each field and removes the
/// quotes of quoted fields (`""` inside quotes stands for one `"`).
fn split_fields(line: &CsvLine<'_>, delimiter: u8) -> Result<Vec<String>, IoError> {
    let delim = char::from(delimiter);
    let collapse = delimiter == b' ';
    let is_delim = |c: char| {
        if collapse {
            c == ' ' || c == '\t'
        } else {
            c == delim
        }
    };
    let mut fields = Vec::new();
    let mut chars = line.text.chars().peekable();
    if collapse {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
    }
    loop {
        let column = fields.len() + 1;
        // Leading whitespace (unless it is the delimiter itself).
        while chars
            .next_if(|&c| c.is_whitespace() && !is_delim(c))
            .is_some()
        {}
        let mut field = String::new();
        if chars.next_if_eq(&'"').is_some() {
            let mut closed = false;
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.next_if_eq(&'"').is_some() {
                        field.push('"');
                    } else {
                        closed = true;
                        break;
                    }
                } else {
                    field.push(c);
                }
            }
            if !closed {
                return err(format!(
                    "line {}, column {column}: unterminated quoted field",
                    line.number
                ));
            }
            while chars
                .next_if(|&c| c.is_whitespace() && !is_delim(c))
                .is_some()
            {}
            match chars.peek() {
                None => {}
                Some(&c) if is_delim(c) => {}
                Some(_) => {
                    return err(format!(
                        "line {}, column {column}: unexpected text after the closing quote",
                        line.number
                    ));
                }
            }
        } else {
            while let Some(c) = chars.next_if(|&c| !is_delim(c)) {
                field.push(c);
            }
            field.truncate(field.trim_end().len());
        }
        fields.push(field);
        if chars.next().is_none() {
            break;
        }
        if collapse {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            if chars.peek().is_none() {
                break;
            }
        }
    }
    Ok(fields)
}

/// Parses one numeric field: decimal numbers, `nan`, `inf`, `-inf`, `infinity`
/// (case-insensitive).
fn parse_number(field: &str) -> Option<f64> {
    if field.is_empty() {
        return None;
    }
    field.parse::<f64>().ok()
}

/// The header fields and the remaining (data) lines of a CSV input.
type Split<'a> = (Option<(usize, Vec<String>)>, Vec<CsvLine<'a>>);

fn split_header<'a>(text: &'a str, opts: &CsvOptions) -> Result<Split<'a>, IoError> {
    check_delimiter(opts.delimiter)?;
    let mut lines = csv_lines(text);
    let Some(first) = lines.next() else {
        return err("the CSV input is empty: it has no data rows");
    };
    let first_fields = split_fields(&first, opts.delimiter)?;
    let is_header = match opts.header {
        Header::Yes => true,
        Header::No => false,
        Header::Auto => first_fields.iter().any(|f| parse_number(f).is_none()),
    };
    let mut rest: Vec<CsvLine<'a>> = Vec::new();
    let header = if is_header {
        Some((first.number, first_fields))
    } else {
        rest.push(first);
        None
    };
    rest.extend(lines);
    Ok((header, rest))
}

/// Parses CSV text of numbers into a 2-D `[rows, cols]` tensor.
///
/// Blank lines and lines starting with `#` are skipped; fields may be surrounded by
/// whitespace and double quotes; lines may end in `\n` or `\r\n`. Numbers are
/// decimal (`1`, `-2.5e-3`) or `nan`, `inf`, `-inf` in any case. Fails on ragged
/// rows, non-numeric fields, inputs without data rows and inputs with more than
/// `opts.max_elements` values.
pub fn parse_csv(text: &str, opts: &CsvOptions) -> Result<Tensor, IoError> {
    let (header, lines) = split_header(text, opts)?;
    if lines.is_empty() {
        return err(match &header {
            Some((n, _)) => format!("the CSV input has a header on line {n} but no data rows"),
            None => "the CSV input is empty: it has no data rows".to_string(),
        });
    }
    let mut cols: Option<(usize, String)> = header
        .as_ref()
        .map(|(n, f)| (f.len(), format!("as in the header on line {n}")));
    let mut values: Vec<f64> = Vec::new();
    let mut rows = 0usize;
    for line in &lines {
        let fields = split_fields(line, opts.delimiter)?;
        match &cols {
            Some((n, origin)) if fields.len() != *n => {
                return err(format!(
                    "line {} has {} field{}, expected {n} ({origin})",
                    line.number,
                    fields.len(),
                    if fields.len() == 1 { "" } else { "s" },
                ));
            }
            Some(_) => {}
            None => {
                cols = Some((
                    fields.len(),
                    format!("as in the first data row on line {}", line.number),
                ));
            }
        }
        if values.len().saturating_add(fields.len()) > opts.max_elements {
            return err(format!(
                "the CSV input has more than the limit of {} values (reached on line {})",
                opts.max_elements, line.number
            ));
        }
        for (i, field) in fields.iter().enumerate() {
            match parse_number(field) {
                Some(v) => values.push(v),
                None if field.is_empty() => {
                    return err(format!(
                        "line {}, column {}: the field is empty, expected a number",
                        line.number,
                        i + 1
                    ));
                }
                None => {
                    return err(format!(
                        "line {}, column {}: `{}` is not a number",
                        line.number,
                        i + 1,
                        excerpt(field)
                    ));
                }
            }
        }
        rows += 1;
    }
    let ncols = cols.map_or(0, |(n, _)| n);
    ArrayD::from_shape_vec(IxDyn(&[rows, ncols]), values)
        .map_err(|e| IoError(format!("cannot build a {rows}x{ncols} tensor: {e}")))
}

/// The header fields of a CSV input (unquoted and trimmed), or `None` if it has no
/// header under `opts.header` or cannot be read.
pub fn header_names(text: &str, opts: &CsvOptions) -> Option<Vec<String>> {
    split_header(text, opts)
        .ok()
        .and_then(|(header, _)| header.map(|(_, fields)| fields))
}
