//! Robustness: random sequences of builder calls with random (often invalid)
//! parameters, on inputs of odd shapes (including empty ones) and constants that
//! include NaN and infinities. Builders may refuse; whatever they accept must then
//! go through `eval`, `simplify`, `grad`, `hvp`, `to_text` and both hashes without a
//! panic (errors are fine).

use optl_ir::interp::eval;
use optl_ir::{
    AxisSlice, BinaryOp, Function, Graph, NodeId, UnaryOp, functional_hash, grad, hvp, simplify,
    structural_hash, to_text,
};
use proptest::prelude::*;

const SHAPES: [&[usize]; 7] = [&[], &[0], &[1], &[3], &[2, 1], &[2, 3], &[3, 2]];
const VALUES: [f64; 8] = [0.0, 1.0, -1.0, 2.0, 0.5, f64::NAN, f64::INFINITY, -3.0];

fn pick(nodes: &[NodeId], k: u8) -> NodeId {
    nodes[k as usize % nodes.len()]
}

fn slices(g: &Graph, a: NodeId, r: &[u8]) -> Vec<AxisSlice> {
    g.shape(a)
        .iter()
        .zip(r.chunks(3).cycle())
        .map(|(_, c)| AxisSlice {
            start: usize::from(c[0] % 4),
            step: i64::from(c[1] % 5) - 2,
            len: usize::from(c[2] % 4),
        })
        .collect()
}

fn step(g: &mut Graph, nodes: &[NodeId], r: &[u8]) -> Option<NodeId> {
    let (a, b, c) = (pick(nodes, r[1]), pick(nodes, r[2]), pick(nodes, r[3]));
    let shape = SHAPES[r[4] as usize % SHAPES.len()];
    let axis = (r[5] % 3) as usize;
    let axis_opt = if r[6].is_multiple_of(2) {
        None
    } else {
        Some(axis)
    };
    match r[0] % 16 {
        0 => Some(g.unary(UnaryOp::ALL[r[5] as usize % UnaryOp::ALL.len()], a)),
        1 | 2 => g
            .binary(BinaryOp::ALL[r[5] as usize % BinaryOp::ALL.len()], a, b)
            .ok(),
        3 => g.where_(a, b, c).ok(),
        4 => g.sum(a, axis_opt).ok(),
        5 => g.max(a, axis_opt).ok(),
        6 => g.min(a, axis_opt).ok(),
        7 => g.matmul(a, b).ok(),
        8 => g.broadcast(a, shape).ok(),
        9 => g.reshape(a, shape).ok(),
        10 => Some(g.transpose(a)),
        11 => g.slice(a, slices(g, a, &r[6..])).ok(),
        12 => {
            let target = g.shape(b).to_vec();
            let sl = slices(g, b, &r[6..]);
            g.unslice(a, sl, &target).ok()
        }
        13 => g.concat(&[a, b, c][..1 + (r[6] % 3) as usize], axis).ok(),
        14 => Some(g.full(VALUES[r[5] as usize % 8], shape)),
        _ => {
            let n: usize = shape.iter().product();
            let data = (0..n).map(|i| VALUES[(i + r[5] as usize) % 8]).collect();
            optl_tensor::from_vec(shape, data)
                .ok()
                .map(|t| g.constant(t))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn accepted_graphs_never_panic(
        inputs in prop::collection::vec(0usize..SHAPES.len(), 1..4),
        steps in prop::collection::vec(prop::collection::vec(any::<u8>(), 12), 1..25),
        outs in prop::collection::vec(any::<u8>(), 1..3),
    ) {
        let mut g = Graph::new();
        let mut nodes: Vec<NodeId> = inputs.iter().map(|&s| g.input(SHAPES[s].to_vec())).collect();
        for r in &steps {
            if let Some(n) = step(&mut g, &nodes, r) {
                nodes.push(n);
            }
        }
        let mut outputs: Vec<NodeId> = outs.iter().map(|&k| pick(&nodes, k)).collect();
        let total = g.sum(outputs[0], None).expect("sum of anything");
        outputs.insert(0, total);
        let f = Function { graph: g, outputs };
        let xs: Vec<_> = f
            .input_shapes()
            .iter()
            .map(|s| optl_tensor::full(s, 0.7, 1 << 20).expect("input"))
            .collect();
        let _ = eval(&f, &xs);
        let s = simplify(&f);
        let _ = eval(&s, &xs);
        let _ = to_text(&f);
        let _ = structural_hash(&f);
        let _ = functional_hash(&f, 1);
        if let Ok(gf) = grad(&f) {
            let _ = eval(&gf, &xs);
            let _ = to_text(&gf);
        }
        if let Ok(hf) = hvp(&f) {
            let mut both = xs.clone();
            both.extend(xs.iter().cloned());
            let _ = eval(&hf, &both);
        }
    }
}
