//! Property tests of simplification, printing and hashing on random IR programs:
//! simplification keeps values and is idempotent, the text form and the hashes are
//! deterministic, and gradients carry the function's own value.

mod common;

use common::*;
use optl_ir::interp::eval;
use optl_ir::{functional_hash, grad, simplify, structural_hash, to_text};
use proptest::prelude::*;

fn program() -> impl Strategy<Value = Program> {
    let instr = (
        0..KINDS,
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
        any::<u8>(),
    )
        .prop_map(|(kind, a, b, c, p)| Instr { kind, a, b, c, p });
    (
        prop::collection::vec(0u8..3, 1..=3),
        prop::collection::vec(instr, 1..8),
    )
        .prop_map(|(inputs, instrs)| Program { inputs, instrs })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn simplify_keeps_values_and_is_idempotent(p in program(), seed in any::<u64>()) {
        let f = build(&p).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let s = simplify(&f);
        let ss = simplify(&s);
        prop_assert_eq!(to_text(&s), to_text(&ss));
        prop_assert_eq!(structural_hash(&f), structural_hash(&s));
        prop_assert_eq!(s.input_shapes(), f.input_shapes());
        let xs = random_inputs(&f, seed);
        let (a, b) = (value(&f, &xs), value(&s, &xs));
        prop_assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{a} vs {b}");
        prop_assert_eq!(functional_hash(&f, 3), functional_hash(&s, 3));
    }

    #[test]
    fn grad_value_is_the_function_value(p in program(), seed in any::<u64>()) {
        let f = build(&p).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let gf = grad(&f).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let xs = random_inputs(&f, seed);
        let out = eval(&gf, &xs).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let v = out[0].iter().next().copied().unwrap_or(f64::NAN);
        let want = value(&f, &xs);
        prop_assert!(v.to_bits() == want.to_bits() || (v.is_nan() && want.is_nan()));
        prop_assert_eq!(to_text(&gf), to_text(&grad(&f).map_err(|e| TestCaseError::fail(e.to_string()))?));
    }
}
