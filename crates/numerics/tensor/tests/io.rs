//! Tests of CSV and `.npy` reading and writing (`optl_tensor::io`).
//!
//! The `.npy` fixtures in `tests/data` were written by NumPy via
//! `tests/data/gen_fixtures.py`.

use ndarray::{ArrayD, IxDyn};
use optl_tensor::Tensor;
use optl_tensor::io::{CsvOptions, Header, IoError, header_names, parse_csv, parse_npy, write_npy};

const LIMIT: usize = 1_000_000;

fn t(shape: &[usize], data: &[f64]) -> Tensor {
    ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("tests/data/{name}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn npy_err(bytes: &[u8]) -> String {
    parse_npy(bytes, LIMIT).unwrap_err().0
}

/// Builds a `.npy` file by hand: version, header dict text (padded to 64 bytes) and data.
fn npy(major: u8, header: &str, data: &[u8]) -> Vec<u8> {
    let len_size = if major == 1 { 2 } else { 4 };
    let mut h = header.to_string();
    while !(8 + len_size + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY".to_vec();
    out.extend_from_slice(&[major, 0]);
    if major == 1 {
        out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(h.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out
}

fn assert_same(a: &Tensor, b: &Tensor) {
    assert_eq!(a.shape(), b.shape());
    for (x, y) in a.iter().zip(b.iter()) {
        assert!(x == y || (x.is_nan() && y.is_nan()), "{a} != {b}");
    }
    assert!(a.is_standard_layout());
}

// ---------------------------------------------------------------------------
// .npy
// ---------------------------------------------------------------------------

#[test]
fn npy_round_trips() {
    let cases = [
        t(&[], &[3.5]),
        t(&[0], &[]),
        t(&[3], &[1.0, f64::NAN, f64::NEG_INFINITY]),
        t(
            &[2, 3, 4],
            &(0..24).map(|i| i as f64 * 0.5 - 3.0).collect::<Vec<_>>(),
        ),
        t(&[2, 0, 3], &[]),
    ];
    for case in &cases {
        let bytes = write_npy(case);
        let header_end = 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert!(header_end.is_multiple_of(64));
        assert_eq!(bytes[header_end - 1], b'\n');
        assert_same(&parse_npy(&bytes, LIMIT).unwrap(), case);
    }
    // Non-standard layouts are written in logical (row-major) order.
    let transposed = t(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).reversed_axes();
    let back = parse_npy(&write_npy(&transposed), LIMIT).unwrap();
    assert_same(&back, &t(&[3, 2], &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]));
}

#[test]
fn write_npy_matches_numpy_bytes() {
    let a = t(&[2, 3], &[0.0, 0.25, 0.5, 0.75, 1.0, 1.25]);
    assert_eq!(write_npy(&a), fixture("f8_2x3.npy"));
    assert_eq!(write_npy(&t(&[], &[2.5])), fixture("scalar.npy"));
    assert_eq!(write_npy(&t(&[0, 3], &[])), fixture("empty_0x3.npy"));
}

#[test]
fn npy_numpy_fixtures() {
    let a23 = t(&[2, 3], &[0.0, 0.25, 0.5, 0.75, 1.0, 1.25]);
    let cases: Vec<(&str, Tensor)> = vec![
        ("f8_2x3.npy", a23.clone()),
        ("v2_f8_2x3.npy", a23.clone()),
        ("v3_f8_2x3.npy", a23.clone()),
        ("fortran_2x3.npy", a23),
        (
            "fortran_2x3x2.npy",
            t(&[2, 3, 2], &(0..12).map(f64::from).collect::<Vec<_>>()),
        ),
        ("f4_3.npy", t(&[3], &[1.5, -2.0, 3.25])),
        ("be_i4_2x2.npy", t(&[2, 2], &[1.0, -2.0, 3.0, -4.0])),
        ("be_f8_3.npy", t(&[3], &[1.0, -0.5, 1e300])),
        ("i8_3.npy", t(&[3], &[-(2f64.powi(40)), 0.0, 7.0])),
        ("i2_3.npy", t(&[3], &[-32768.0, 1.0, 32767.0])),
        ("i1_3.npy", t(&[3], &[-128.0, 0.0, 127.0])),
        ("u1_3.npy", t(&[3], &[0.0, 200.0, 255.0])),
        ("u2_be_2.npy", t(&[2], &[1.0, 65535.0])),
        ("u8_2.npy", t(&[2], &[0.0, 2f64.powi(53)])),
        ("b1_4.npy", t(&[4], &[1.0, 0.0, 0.0, 1.0])),
        ("scalar.npy", t(&[], &[2.5])),
        ("empty_0x3.npy", t(&[0, 3], &[])),
    ];
    for (name, expected) in &cases {
        let got = parse_npy(&fixture(name), LIMIT).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_same(&got, expected);
    }
}

#[test]
fn npy_unsupported_numpy_fixtures() {
    for (name, needle) in [
        ("object.npy", "'|O'"),
        ("unicode.npy", "'<U2'"),
        ("complex.npy", "'<c16'"),
        ("f2_2.npy", "'<f2'"),
        ("structured.npy", "[('x', '<f8'), ('y', '<i4')]"),
    ] {
        let e = npy_err(&fixture(name));
        assert!(e.contains("unsupported .npy dtype"), "{name}: {e}");
        assert!(e.contains(needle), "{name}: {e}");
    }
}

#[test]
fn npy_hand_built() {
    // '<f4'
    let data: Vec<u8> = [1.5f32, -2.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let b = npy(
        1,
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
        &data,
    );
    assert_same(&parse_npy(&b, LIMIT).unwrap(), &t(&[2], &[1.5, -2.0]));

    // '>i4', keys in another order, double quotes, no trailing comma
    let data: Vec<u8> = [7i32, -9, 0, 1]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let b = npy(
        1,
        r#"{"shape": (2, 2), "fortran_order": False, "descr": ">i4"}"#,
        &data,
    );
    assert_same(
        &parse_npy(&b, LIMIT).unwrap(),
        &t(&[2, 2], &[7.0, -9.0, 0.0, 1.0]),
    );

    // '|b1'
    let b = npy(
        1,
        "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
        &[0, 1, 5],
    );
    assert_same(&parse_npy(&b, LIMIT).unwrap(), &t(&[3], &[0.0, 1.0, 1.0]));

    // Fortran order: column-major [[1, 2, 3], [4, 5, 6]]
    let data: Vec<u8> = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let b = npy(
        1,
        "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
        &data,
    );
    assert_same(
        &parse_npy(&b, LIMIT).unwrap(),
        &t(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    );

    // Version 2.0 header (u32 length), Python 2 long suffixes
    let data: Vec<u8> = [1u16, 2, 3].iter().flat_map(|v| v.to_le_bytes()).collect();
    let b = npy(
        2,
        "{'descr': '<u2', 'fortran_order': False, 'shape': (3L,), }",
        &data,
    );
    assert_same(&parse_npy(&b, LIMIT).unwrap(), &t(&[3], &[1.0, 2.0, 3.0]));

    // Version 3.0 (UTF-8 header) with 0-d shape
    let b = npy(
        3,
        "{'descr': '<i8', 'fortran_order': False, 'shape': (), }",
        &(-5i64).to_le_bytes(),
    );
    assert_same(&parse_npy(&b, LIMIT).unwrap(), &t(&[], &[-5.0]));
}

#[test]
fn npy_errors() {
    let ok_header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    let two = [0u8; 16];

    assert!(npy_err(b"PK\x03\x04 not npy").contains("magic"));
    assert!(npy_err(b"").contains("truncated"));
    assert!(npy_err(b"\x93NUM").contains("truncated"));
    assert!(npy_err(b"\x93NUMPY").contains("truncated"));
    assert!(npy_err(b"\x93NUMPY\x01\x00\x05").contains("header length"));
    assert!(npy_err(b"\x93NUMPY\x01\x00\x50\x00{'descr'").contains("truncated .npy header"));
    let e = npy_err(b"\x93NUMPY\x04\x00\x00\x00");
    assert!(e.contains("version 4.0"), "{e}");

    // Data length
    let e = npy_err(&npy(1, ok_header, &two[..15]));
    assert!(e.contains("15 bytes") && e.contains("needs 16"), "{e}");
    let e = npy_err(&npy(1, ok_header, &[0u8; 24]));
    assert!(e.contains("24 bytes"), "{e}");

    // Unsupported dtypes name the dtype
    for descr in [
        "|O", "<U3", "|S4", "<c16", "<f2", "<M8[ns]", "<f16", "|V8", "xyz", "",
    ] {
        let h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}");
        let e = npy_err(&npy(1, &h, &two));
        assert!(e.contains(&format!("dtype '{descr}'")), "{descr}: {e}");
    }
    let h = "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }";
    let e = npy_err(&npy(1, h, &two[..8]));
    assert!(
        e.contains("structured") && e.contains("('a', '<f8')"),
        "{e}"
    );

    // Header fields
    let e = npy_err(&npy(1, "{'descr': '<f8', 'shape': (2,), }", &two));
    assert!(e.contains("'fortran_order' field is missing"), "{e}");
    let e = npy_err(&npy(
        1,
        "{'descr': '<f8', 'fortran_order': 1, 'shape': (2,)}",
        &two,
    ));
    assert!(e.contains("'fortran_order' must be True or False"), "{e}");
    let e = npy_err(&npy(
        1,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, -1)}",
        &two,
    ));
    assert!(e.contains("'shape'") && e.contains("-1"), "{e}");
    let e = npy_err(&npy(
        1,
        "{'descr': '<f8', 'fortran_order': False, 'shape': ('a',)}",
        &two,
    ));
    assert!(e.contains("non-integer dimension 'a'"), "{e}");
    let e = npy_err(&npy(
        1,
        "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}",
        &two,
    ));
    assert!(e.contains("duplicate key 'descr'"), "{e}");
    let e = npy_err(&npy(
        1,
        "{'descr': '<f8', 'fortran_order': Fals, 'shape': (2,)}",
        &two,
    ));
    assert!(
        e.contains("malformed .npy header") && e.contains("Fals"),
        "{e}"
    );
    let e = npy_err(&npy(1, "['descr']", &two));
    assert!(e.contains("not a dictionary"), "{e}");
    let e = npy_err(&npy(
        1,
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} x",
        &two,
    ));
    assert!(e.contains("after the header"), "{e}");

    // Shape overflow and element limit (checked before looking at the data)
    let big = format!(
        "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}",
        u64::MAX,
        u64::MAX
    );
    let e = npy_err(&npy(1, &big, &[]));
    assert!(e.contains("too many elements"), "{e}");
    let huge = "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999999999999999999999,), }";
    assert!(npy_err(&npy(1, huge, &[])).contains("invalid integer"));
    let e = parse_npy(
        &npy(
            1,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1000, 1000)}",
            &[],
        ),
        999_999,
    )
    .unwrap_err()
    .0;
    assert!(
        e.contains("1000000 elements") && e.contains("limit of 999999"),
        "{e}"
    );
    assert!(parse_npy(&write_npy(&t(&[3], &[1.0, 2.0, 3.0])), 2).is_err());
    assert!(parse_npy(&write_npy(&t(&[3], &[1.0, 2.0, 3.0])), 3).is_ok());
}

// ---------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------

fn csv(text: &str) -> Result<Tensor, IoError> {
    parse_csv(text, &CsvOptions::default())
}

fn csv_err(text: &str) -> String {
    csv(text).unwrap_err().0
}

#[test]
fn csv_basic_and_header_auto() {
    let a = csv("1,2,3\n4,5,6\n").unwrap();
    assert_same(&a, &t(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    assert_eq!(header_names("1,2,3\n4,5,6\n", &CsvOptions::default()), None);

    let text = "x, y ,\"z w\"\n1,2,3\n";
    assert_same(&csv(text).unwrap(), &t(&[1, 3], &[1.0, 2.0, 3.0]));
    assert_eq!(
        header_names(text, &CsvOptions::default()),
        Some(vec!["x".to_string(), "y".to_string(), "z w".to_string()])
    );
    // One non-numeric field is enough to make the first row a header.
    assert_eq!(csv("1,b\n3,4").unwrap().shape(), &[1, 2]);
}

#[test]
fn csv_header_modes() {
    let yes = CsvOptions {
        header: Header::Yes,
        ..CsvOptions::default()
    };
    let no = CsvOptions {
        header: Header::No,
        ..CsvOptions::default()
    };
    assert_same(
        &parse_csv("1,2\n3,4\n", &yes).unwrap(),
        &t(&[1, 2], &[3.0, 4.0]),
    );
    assert_eq!(
        header_names("1,2\n3,4\n", &yes),
        Some(vec!["1".to_string(), "2".to_string()])
    );
    let e = parse_csv("a,b\n3,4\n", &no).unwrap_err().0;
    assert_eq!(e, "line 1, column 1: `a` is not a number");
    assert_eq!(header_names("a,b\n3,4\n", &no), None);
}

#[test]
fn csv_whitespace_comments_crlf_quotes() {
    let text = "\u{feff}# a comment\r\n  a , b \r\n\r\n 1 , \"2.5\" \r\n   # indented comment\r\n\"-3e-1\",4\r\n\r\n\r\n";
    assert_same(&csv(text).unwrap(), &t(&[2, 2], &[1.0, 2.5, -0.3, 4.0]));
    assert_eq!(
        header_names(text, &CsvOptions::default()),
        Some(vec!["a".to_string(), "b".to_string()])
    );
    // Quoted header fields may contain the delimiter and doubled quotes.
    let text = "\"a,b\",\"say \"\"hi\"\"\"\n1,2";
    assert_eq!(
        header_names(text, &CsvOptions::default()),
        Some(vec!["a,b".to_string(), "say \"hi\"".to_string()])
    );
}

#[test]
fn csv_other_delimiters() {
    let tab = CsvOptions {
        delimiter: b'\t',
        ..CsvOptions::default()
    };
    assert_same(
        &parse_csv("1\t2\n3\t4", &tab).unwrap(),
        &t(&[2, 2], &[1.0, 2.0, 3.0, 4.0]),
    );
    let semi = CsvOptions {
        delimiter: b';',
        ..CsvOptions::default()
    };
    assert_same(
        &parse_csv("1;2\n3;4", &semi).unwrap(),
        &t(&[2, 2], &[1.0, 2.0, 3.0, 4.0]),
    );
    let space = CsvOptions {
        delimiter: b' ',
        ..CsvOptions::default()
    };
    assert_same(
        &parse_csv("  1   2 \t 3\n4 5 6  \n", &space).unwrap(),
        &t(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    );
    for bad in [b'"', b'\n', b'#', 0xe9] {
        let opts = CsvOptions {
            delimiter: bad,
            ..CsvOptions::default()
        };
        assert!(parse_csv("1,2", &opts).unwrap_err().0.contains("delimiter"));
    }
}

#[test]
fn csv_special_numbers() {
    let a = csv("nan,inf,-inf\nNaN,INF,-Infinity\n1,-2.5e-3,+7\n").unwrap();
    assert_eq!(a.shape(), &[3, 3]);
    let v: Vec<f64> = a.iter().copied().collect();
    assert!(v[0].is_nan() && v[3].is_nan());
    assert_eq!(v[1], f64::INFINITY);
    assert_eq!(v[2], f64::NEG_INFINITY);
    assert_eq!(v[4], f64::INFINITY);
    assert_eq!(v[5], f64::NEG_INFINITY);
    assert_eq!(&v[6..], &[1.0, -2.5e-3, 7.0]);
}

#[test]
fn csv_errors() {
    assert_eq!(
        csv_err("a,b,c,d\n1,2,3,4\n\n# c\n5,6,7,8\n\n1,2,3\n"),
        "line 7 has 3 fields, expected 4 (as in the header on line 1)"
    );
    assert_eq!(
        csv_err("1,2\n3,4,5\n"),
        "line 2 has 3 fields, expected 2 (as in the first data row on line 1)"
    );
    assert_eq!(
        csv_err("x,y\n1,2\n3,abc\n"),
        "line 3, column 2: `abc` is not a number"
    );
    assert_eq!(
        csv_err("1,2\n3,\n"),
        "line 2, column 2: the field is empty, expected a number"
    );
    assert_eq!(
        csv_err("1,2\n3,\"4\n"),
        "line 2, column 2: unterminated quoted field"
    );
    assert_eq!(
        csv_err("1,2\n3,\"4\"5\n"),
        "line 2, column 2: unexpected text after the closing quote"
    );
    assert!(csv_err("").contains("empty"));
    assert!(csv_err("\n\n  \r\n# only comments\n").contains("no data rows"));
    assert_eq!(
        csv_err("a,b\n# nothing\n"),
        "the CSV input has a header on line 1 but no data rows"
    );
    let long = "x".repeat(500);
    let e = csv_err(&format!("1\n{long}\n"));
    assert!(
        e.len() < 100 && e.starts_with("line 2, column 1: `xxx"),
        "{e}"
    );
}

#[test]
fn csv_max_elements() {
    let opts = |max_elements| CsvOptions {
        max_elements,
        ..CsvOptions::default()
    };
    let text = "1,2,3\n4,5,6\n7,8,9\n";
    assert_eq!(parse_csv(text, &opts(9)).unwrap().shape(), &[3, 3]);
    let e = parse_csv(text, &opts(8)).unwrap_err().0;
    assert_eq!(
        e,
        "the CSV input has more than the limit of 8 values (reached on line 3)"
    );
    assert!(parse_csv(text, &opts(0)).is_err());
}

// ---------------------------------------------------------------------------
// Robustness: never panic
// ---------------------------------------------------------------------------

/// A small deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn fuzz_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut seeds: Vec<Vec<u8>> = [
        "f8_2x3.npy",
        "fortran_2x3x2.npy",
        "be_i4_2x2.npy",
        "v2_f8_2x3.npy",
        "v3_f8_2x3.npy",
        "structured.npy",
        "object.npy",
        "scalar.npy",
    ]
    .iter()
    .map(|n| fixture(n))
    .collect();
    seeds.push(write_npy(&t(&[2, 2], &[1.0, 2.0, 3.0, 4.0])));
    let csv_seeds = [
        "a,b\n1,2\n3,4\n",
        "\"x\",\"y\"\r\n1,\"2\"\r\n# c\r\n",
        "1 2 3\n4 5 6",
    ];
    let alphabet = b"0123456789.,;eE+-\"# \t\r\nabinfNA\x93\xff{}()':";
    let limits = [0usize, 1, 5, 1000];

    for i in 0..2000 {
        let limit = limits[i % limits.len()];
        // Random bytes.
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = parse_npy(&bytes, limit);
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_csv(&text, &CsvOptions::default());

        // Random text over a CSV-ish alphabet, with random options.
        let len = rng.below(120);
        let bytes: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        let text = String::from_utf8_lossy(&bytes);
        let opts = CsvOptions {
            delimiter: [b',', b' ', b'\t', b';', 0xff][rng.below(5)],
            header: [Header::Auto, Header::Yes, Header::No][rng.below(3)],
            max_elements: limit,
        };
        let _ = parse_csv(&text, &opts);
        let _ = header_names(&text, &opts);

        // Truncations and mutations of valid .npy files.
        let seed = &seeds[rng.below(seeds.len())];
        let cut = rng.below(seed.len() + 1);
        let _ = parse_npy(&seed[..cut], limit);
        let mut mutated = seed.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(mutated.len());
            mutated[at] = if rng.below(2) == 0 {
                rng.next() as u8
            } else {
                alphabet[rng.below(alphabet.len())]
            };
        }
        let _ = parse_npy(&mutated, LIMIT);

        // Truncations of valid CSV text.
        let s = csv_seeds[rng.below(csv_seeds.len())];
        let cut = rng.below(s.len() + 1);
        let _ = parse_csv(&s[..cut], &CsvOptions::default());
    }
}
