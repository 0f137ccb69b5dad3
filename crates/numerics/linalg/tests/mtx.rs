//! The Matrix Market reader on small files written here.

use optl_linalg::Error;
use optl_linalg::mtx::{MtxData, MtxField, MtxSymmetry, read_matrix_market};

#[test]
fn coordinate_general_with_comments() {
    let text = "%%MatrixMarket matrix coordinate real general\n% a comment\n%another\n\n3 4 4\n1 1 1.5\n2 3 -2e0\n% inside\n3 4 7\n1 1 0.5\n";
    let m = read_matrix_market(text).unwrap();
    assert_eq!(
        (m.field, m.symmetry),
        (MtxField::Real, MtxSymmetry::General)
    );
    assert_eq!(m.shape(), (3, 4));
    let a = m.to_csr().unwrap();
    assert_eq!(a.get(0, 0), 2.0);
    assert_eq!(a.get(1, 2), -2.0);
    assert_eq!(a.get(2, 3), 7.0);
    assert_eq!(a.nnz(), 3);
}

#[test]
fn symmetric_and_skew_symmetric_storage_is_mirrored() {
    let sym = "%%MatrixMarket matrix coordinate integer symmetric\n% lower triangle\n3 3 4\n1 1 2\n2 1 -1\n3 2 -1\n3 3 2\n";
    let m = read_matrix_market(sym).unwrap();
    let a = m.to_csr().unwrap();
    assert!(a.is_symmetric(0.0));
    assert_eq!(
        (a.get(0, 1), a.get(1, 0), a.get(1, 2), a.get(2, 2)),
        (-1.0, -1.0, -1.0, 2.0)
    );
    assert_eq!(a.nnz(), 6);
    let skew = "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 3.0\n";
    let a = read_matrix_market(skew).unwrap().to_csr().unwrap();
    assert_eq!((a.get(1, 0), a.get(0, 1)), (3.0, -3.0));
    let pattern = "%%MatrixMarket matrix coordinate pattern symmetric\n2 2 2\n1 1\n2 1\n";
    let a = read_matrix_market(pattern).unwrap().to_dense();
    assert_eq!(a.into_raw_vec_and_offset().0, vec![1.0, 1.0, 1.0, 0.0]);
}

#[test]
fn array_files_are_column_major() {
    let text = "%%MatrixMarket matrix array real general\n% 2 x 3\n2 3\n1\n2\n3\n4\n5\n6\n";
    let m = read_matrix_market(text).unwrap();
    let MtxData::Array(t) = &m.data else {
        panic!("expected an array");
    };
    assert_eq!(
        t.clone().into_raw_vec_and_offset().0,
        vec![1., 3., 5., 2., 4., 6.]
    );
    assert_eq!(m.to_csr().unwrap().get(1, 2), 6.0);
}

fn line_of(text: &str) -> usize {
    match read_matrix_market(text) {
        Err(Error::Parse { line, .. }) => line,
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn errors_carry_line_numbers() {
    assert_eq!(line_of(""), 1);
    assert_eq!(
        line_of("%%MatrixMarket matrix coordinate complex general\n1 1 0\n"),
        1
    );
    assert_eq!(
        line_of("%%MatrixMarket vector coordinate real general\n"),
        1
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix array real symmetric\n1 1\n1\n"),
        1
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix coordinate real general\n% c\n2 2\n"),
        3
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1.0\n"),
        3
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix coordinate real general\n2 2 1\n% c\n1 1 x\n"),
        4
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 nan\n"),
        3
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 1\n"),
        4
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n"),
        3
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 2 1\n"),
        3
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix coordinate real symmetric\n2 3 0\n"),
        2
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 1 1\n"),
        3
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 1.5\n"),
        3
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix array real general\n2 1\n1\n"),
        3
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix array real general\n1 1\n1\n2\n"),
        4
    );
    assert_eq!(
        line_of("%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1 1\n"),
        3
    );
}
