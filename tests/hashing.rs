//! Checks every row of the table in `docs/hashing.md`: equivalent programs share a
//! functional hash, near misses do not. The table is the test data, so the page and
//! the behaviour cannot drift apart.

use optl::Interpreter;

struct Row {
    number: String,
    f: String,
    g: String,
    shapes_f: String,
    shapes_g: String,
    equal: bool,
}

fn rows() -> Vec<Row> {
    let doc = include_str!("../docs/hashing.md");
    let start = doc.find("<!-- pairs:begin -->").expect("begin marker");
    let end = doc.find("<!-- pairs:end -->").expect("end marker");
    doc[start..end]
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #") && !l.starts_with("| ---"))
        .map(|l| {
            let cells: Vec<String> = l
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect();
            // cells: "", #, f, g, shapes, expected, ""
            let shapes = cells[4].clone();
            let (shapes_f, shapes_g) = match shapes.split_once(" vs ") {
                Some((a, b)) => (
                    a.trim().trim_matches('`').to_string(),
                    b.trim().trim_matches('`').to_string(),
                ),
                None => (shapes.clone(), shapes),
            };
            Row {
                number: cells[1].clone(),
                f: cells[2].clone(),
                g: cells[3].clone(),
                shapes_f,
                shapes_g,
                equal: match cells[5].as_str() {
                    "equal" => true,
                    "different" => false,
                    other => panic!(
                        "row {}: expected `equal` or `different`, found {other}",
                        cells[1]
                    ),
                },
            }
        })
        .collect()
}

fn call(f: &str, shapes: &str) -> String {
    if shapes.is_empty() {
        format!("fhash({f})")
    } else {
        format!("fhash({f}, {shapes})")
    }
}

#[test]
fn table_of_equivalent_pairs_and_near_misses_holds() {
    let rows = rows();
    assert!(
        rows.iter().filter(|r| r.equal).count() >= 20,
        "at least 20 equivalent pairs"
    );
    assert!(
        rows.iter().filter(|r| !r.equal).count() >= 20,
        "at least 20 near misses"
    );
    let mut optl = Interpreter::new();
    let mut failures = Vec::new();
    for r in &rows {
        let src = format!("{} == {}", call(&r.f, &r.shapes_f), call(&r.g, &r.shapes_g));
        match optl.eval_str(&src) {
            Ok(v) => {
                let got = bool::try_from(v).expect("a Bool");
                if got != r.equal {
                    failures.push(format!(
                        "row {}: `{}` vs `{}`: expected {}",
                        r.number,
                        r.f,
                        r.g,
                        if r.equal { "equal" } else { "different" }
                    ));
                }
            }
            Err(e) => failures.push(format!("row {}: {}", r.number, optl.render(&e, false))),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn structural_hash_ignores_names_but_not_meaning() {
    let mut optl = Interpreter::new();
    let t = |optl: &mut Interpreter, s: &str| {
        bool::try_from(optl.eval_str(s).expect("runs")).expect("Bool")
    };
    assert!(t(&mut optl, "hash(fn(x) = x + 1) == hash(fn(y) = 1 + y)"));
    assert!(!t(&mut optl, "hash(fn(x) = x + 1) == hash(fn(x) = x + 2)"));
    assert!(t(
        &mut optl,
        "hash(adam(lr = 0.1)) == hash(adam().with(lr = 0.1))"
    ));
    assert!(!t(
        &mut optl,
        "hash(adam(lr = 0.1)) == hash(adam(lr = 0.2))"
    ));
    assert!(!t(&mut optl, "hash(1) == hash(1.0)"));
    assert!(
        t(&mut optl, "hash([1, 2]) == hash([1.0, 2.0])"),
        "numeric lists are tensors"
    );
    assert!(t(
        &mut optl,
        "hash({a: 1, b: \"x\"}) == hash({a: 1, b: \"x\"})"
    ));
    assert!(
        !t(&mut optl, "hash({a: 1, b: 2}) == hash({b: 2, a: 1})"),
        "record fields are ordered"
    );
    // Equal values hash alike: -0.0 == 0.0, and every NaN is one NaN.
    assert!(t(&mut optl, "-0.0 == 0.0 and hash(-0.0) == hash(0.0)"));
    assert!(t(
        &mut optl,
        "hash({w: [0.0, -0.0]}) == hash({w: [-0.0, 0.0]})"
    ));
    assert!(t(&mut optl, "hash(nan) == hash(-nan)"));
}

#[test]
fn rules_and_problems_hash_functionally() {
    let mut optl = Interpreter::new();
    optl.eval_str(
        "rule sgd2(lr = 0.01) { u = lr * g }\n\
         rule sgd3(rate = 0.01) { let step_size = rate\n u = g * step_size }\n\
         problem p1 { var x[2] = 1\n minimize sum(x^2) }\n\
         problem p2 { var y[2] = 1\n minimize y @ y }",
    )
    .expect("declarations");
    let t = |optl: &mut Interpreter, s: &str| {
        bool::try_from(optl.eval_str(s).expect("runs")).expect("Bool")
    };
    assert!(
        t(&mut optl, "fhash(sgd2()) == fhash(sgd3())"),
        "same update, other names"
    );
    assert!(
        t(&mut optl, "fhash(sgd2()) == fhash(sgd())"),
        "the stdlib sgd is the same rule"
    );
    assert!(!t(&mut optl, "fhash(sgd2()) == fhash(sgd2(lr = 0.02))"));
    assert!(!t(&mut optl, "fhash(adam()) == fhash(adamw(wd = 0.01))"));
    assert!(
        t(&mut optl, "fhash(adamw(wd = 0)) == fhash(adam())"),
        "adamw without decay is adam"
    );
    assert!(t(&mut optl, "fhash(p1) == fhash(p2)"));
}
