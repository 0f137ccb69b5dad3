//! The IR graph: a typed, hash-consed DAG of tensor operations with static shapes.
//!
//! Nodes are appended in topological order (arguments always exist first), so a
//! forward walk over the node list evaluates a graph. Structurally identical nodes
//! are stored once (hash-consing), which gives common-subexpression elimination for
//! free. Every builder checks shapes and returns an [`IrError`] on a mismatch; there
//! is no implicit broadcasting: `broadcast` nodes make it explicit.
//!
//! The builders also simplify as they go (see `rewrite.rs`): operands of commutative
//! operations are put in a canonical order, constants are folded and algebraic
//! identities such as `x + 0 -> x` are applied, so a builder may return an existing
//! node or a different (simpler) node of the requested shape. [`Graph::push`] is the
//! raw, unchecked and unsimplified way to add a node.

mod linalg;
mod liveness;

use crate::table::{Fx, IdTable, const_hash, node_hash};
use optl_tensor::Tensor;
use smallvec::SmallVec;
use std::fmt;
use std::hash::Hash;
use std::rc::Rc;

pub type Shape = Vec<usize>;

/// The arguments of a node, stored inline up to four (nearly every node), so that a
/// node costs no allocation of its own.
pub type Args = SmallVec<[NodeId; 4]>;

/// The shape of a node, stored inline up to two axes.
pub type NodeShape = SmallVec<[usize; 2]>;

/// Index of a node in its graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Elementwise functions of one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnaryOp {
    Neg,
    Exp,
    Log,
    Log1p,
    Sqrt,
    Abs,
    Sign,
    Sin,
    Cos,
    Tan,
    Atan,
    Tanh,
    Sigmoid,
    Floor,
    Ceil,
}

/// Elementwise functions of two arguments of one shape. Comparisons give 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Min,
    Max,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl UnaryOp {
    /// Every unary operation, in declaration order (for tests and tools that try
    /// them all).
    pub const ALL: [UnaryOp; 15] = [
        UnaryOp::Neg,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Log1p,
        UnaryOp::Sqrt,
        UnaryOp::Abs,
        UnaryOp::Sign,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tan,
        UnaryOp::Atan,
        UnaryOp::Tanh,
        UnaryOp::Sigmoid,
        UnaryOp::Floor,
        UnaryOp::Ceil,
    ];
}

impl BinaryOp {
    /// Every binary operation, in declaration order.
    pub const ALL: [BinaryOp; 13] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Pow,
        BinaryOp::Min,
        BinaryOp::Max,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Eq,
        BinaryOp::Ne,
    ];

    /// Operand order does not matter: canonical form sorts the operands.
    pub fn is_commutative(self) -> bool {
        matches!(
            self,
            BinaryOp::Add
                | BinaryOp::Mul
                | BinaryOp::Min
                | BinaryOp::Max
                | BinaryOp::Eq
                | BinaryOp::Ne
        )
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne
        )
    }
}

/// A slice of one axis: `len` elements starting at `start`, `step` apart (step may be
/// negative; all positions are in range).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AxisSlice {
    pub start: usize,
    pub step: i64,
    pub len: usize,
}

/// The operation of a node. Argument counts and shapes are checked by the builders.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// The n-th input of the function (its shape is the node's shape).
    Input(u32),
    /// A constant from the graph's constant table.
    Const(u32),
    Unary(UnaryOp),
    Binary(BinaryOp),
    /// `where(c, a, b)`: `a` where `c != 0`, else `b`; three arguments of one shape.
    Where,
    /// Sum over one axis (removing it), or over all elements (`None`, giving shape []).
    Sum(Option<usize>),
    /// Largest element over one axis or all; NaN propagates.
    Max(Option<usize>),
    /// Smallest element over one axis or all; NaN propagates.
    Min(Option<usize>),
    /// Matrix product of two 2-d arguments `[m, k] @ [k, n]`.
    MatMul,
    /// NumPy broadcast of the argument to the node's shape.
    Broadcast,
    /// The same elements (row-major) in the node's shape.
    Reshape,
    /// Reverses the axes.
    Transpose,
    /// Basic slicing: one `AxisSlice` per axis of the argument.
    Slice(Vec<AxisSlice>),
    /// The adjoint of `Slice`: a tensor of zeros of the node's shape with the argument
    /// placed at the sliced positions.
    Unslice(Vec<AxisSlice>),
    /// Joins the arguments along an axis.
    Concat(usize),
    /// `solve(a, b)`: the `x` with `a x = b`, for a square `a` `[n, n]` and `b` `[n]` or
    /// `[n, k]` (the result has `b`'s shape). A singular `a` is a run-time error.
    Solve,
    /// `log det a` of a square `a` `[n, n]` (shape `[]`); a run-time error when the
    /// determinant is not positive (NumPy would give NaN).
    LogDet,
    /// The nuclear norm `Σ σᵢ` of a matrix `[m, n]` (shape `[]`).
    NuclearNorm,
    /// Its gradient `U_r V_rᵀ` (a subgradient where singular values vanish), of
    /// the argument's shape. Not differentiable again.
    NuclearNormGrad,
    /// The lower-triangular Cholesky factor `l` (`l lᵀ = a`) of a symmetric positive
    /// definite `a` `[n, n]`; any other `a` is a run-time error.
    Cholesky,
    /// `A x`, or `Aᵀ x` when `transpose`, for a constant sparse matrix `A`
    /// `[m, ncols]` in CSR form: the arguments are `[indptr, indices, values, x]`,
    /// three constants (`[m + 1]`, `[nnz]` and `[nnz]`, integers stored as `f64`)
    /// and `x` `[ncols]` (`[m]` for the transpose); the result is `[m]` (`[ncols]`).
    /// Sums run in storage order (see `sparse.rs`).
    /// The entropic optimal-transport objective `⟨P, M⟩ + reg Σ P (log P − 1)` at
    /// the optimal plan between histograms `a` `[n]` and `b` `[m]` for costs `M`
    /// `[n, m]` (args `[a, b, M]`, result `[]`); `reg` as its bits.
    EntropicOt {
        reg: u64,
    },
    /// The gradient of [`Op::EntropicOt`] with respect to argument `wrt` (0: `a`,
    /// the centred potential `f`; 1: `b`, `g`; 2: `M`, the plan), of that
    /// argument's shape. Not differentiable again.
    EntropicOtGrad {
        reg: u64,
        wrt: u8,
    },
    SparseMatVec {
        ncols: usize,
        transpose: bool,
    },
}

/// One node: an operation, its arguments and the shape of its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub op: Op,
    pub args: Args,
    pub shape: NodeShape,
}

/// A shape or argument mistake found while building a node.
#[derive(Clone, Debug, PartialEq)]
pub enum IrError {
    Shape(String),
    Invalid(String),
    /// A linear-algebra operation failed on its values (a singular matrix, one
    /// that is not positive definite, NaN input): optl-linalg's own error, so that
    /// the language can give it its diagnostic code.
    Linalg(optl_linalg::Error),
}

impl fmt::Display for IrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IrError::Shape(m) | IrError::Invalid(m) => f.write_str(m),
            IrError::Linalg(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for IrError {}

pub type IrResult<T> = Result<T, IrError>;

/// Whether two shapes are equal. Compares lengths first and never calls `memcmp`: on
/// an empty shape (a dangling pointer) the AVX-512 `memcmp` of glibc does a masked
/// load that takes a slow microcode assist (it was a fifth of the time of building a
/// graph of scalars), and on the short shapes of nodes the call costs more than the
/// comparison.
#[inline]
pub fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Shapes as NumPy prints them: `[2, 3]`.
pub fn shape_text(s: &[usize]) -> String {
    optl_tensor::shape_str(s)
}

/// Constants of at least this many elements have their hash remembered.
const REMEMBERED_HASH_LEN: usize = 1024;
/// How many such hashes are remembered (per thread).
const REMEMBERED_HASHES: usize = 16;

thread_local! {
    /// The hashes of recently added large constants, by allocation. A `Weak`
    /// keeps its allocation alive, so no other tensor can have its address while
    /// the entry exists, and a shared tensor is never mutated in place.
    static HASHES: std::cell::RefCell<Vec<(std::rc::Weak<Tensor>, u32)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `const_hash` of a shared tensor, remembered for large ones: simplifying and
/// pruning a program re-adds its constants to a new graph, and hashing a data
/// matrix each time cost a fifth of a small solve.
fn shared_const_hash(t: &Rc<Tensor>) -> u32 {
    if t.len() < REMEMBERED_HASH_LEN {
        return const_hash(t.shape(), t);
    }
    HASHES.with(|memo| {
        let mut memo = memo.borrow_mut();
        if let Some((_, h)) = memo
            .iter()
            .find(|(w, _)| std::ptr::eq(w.as_ptr(), Rc::as_ptr(t)))
        {
            return *h;
        }
        let h = const_hash(t.shape(), t);
        memo.retain(|(w, _)| w.strong_count() > 0);
        if memo.len() >= REMEMBERED_HASHES {
            memo.remove(0);
        }
        memo.push((Rc::downgrade(t), h));
        h
    })
}

/// The graph: nodes, constants, and the hash-consing table.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    consts: Vec<Rc<Tensor>>,
    /// Constants by content (shape and canonical bits), so equal constants share one id.
    const_ids: IdTable,
    /// Nodes by content: operation, arguments and shape. The shape is part of the key
    /// because some operations (`Broadcast`, `Reshape`, `Unslice`) take their target
    /// shape from the node.
    dedup: IdTable,
    /// Nodes from `dedup.len` on are not in `dedup` yet (after `prune_in_place`);
    /// [`Graph::enter_all`] adds them before the table is used.
    unentered: bool,
    /// Recent answers of [`Graph::scalar`] (canonical bits, node). Builders only add
    /// nodes after looking them up, so an answer stays the answer; the memo is
    /// emptied when nodes are added otherwise or renumbered.
    scalar_memo: Vec<(u64, NodeId)>,
    input_shapes: Vec<Shape>,
}

impl Graph {
    pub fn new() -> Graph {
        Graph::default()
    }

    /// An empty graph with room for `nodes` nodes, so that building it never grows
    /// the hash-consing table.
    pub fn with_capacity(nodes: usize) -> Graph {
        Graph {
            nodes: Vec::with_capacity(nodes),
            dedup: IdTable::with_capacity(nodes),
            ..Graph::default()
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn shape(&self, id: NodeId) -> &[usize] {
        &self.nodes[id.index()].shape
    }

    /// The number of entries of the constant table.
    pub fn constant_count(&self) -> usize {
        self.consts.len()
    }

    pub fn constant_value(&self, c: u32) -> &Rc<Tensor> {
        &self.consts[c as usize]
    }

    /// The node, or `None` when `id` is not a node of this graph.
    pub fn get(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.index())
    }

    /// The constant with table index `c`, or `None` when there is none.
    pub fn get_constant(&self, c: u32) -> Option<&Rc<Tensor>> {
        self.consts.get(c as usize)
    }

    pub fn input_shapes(&self) -> &[Shape] {
        &self.input_shapes
    }

    /// The constant value of a node, if it is a constant.
    pub fn as_const(&self, id: NodeId) -> Option<&Rc<Tensor>> {
        match self.get(id)?.op {
            Op::Const(c) => self.get_constant(c),
            _ => None,
        }
    }

    /// The value of a node that is a scalar constant, or a broadcast of one.
    pub fn as_scalar_const(&self, id: NodeId) -> Option<f64> {
        let mut id = id;
        // Broadcasts of broadcasts are not built, but `push` could make a long chain.
        for _ in 0..self.nodes.len() + 1 {
            let node = self.get(id)?;
            match &node.op {
                Op::Const(c) => {
                    let t = self.get_constant(*c)?;
                    // `first` reads the element without computing strides (which
                    // allocates for dynamic dimensions).
                    return if t.len() == 1 {
                        t.first().copied()
                    } else {
                        None
                    };
                }
                Op::Broadcast if node.args.len() == 1 && node.args[0] < id => id = node.args[0],
                _ => return None,
            }
        }
        None
    }

    /// The existing node with this content, if any.
    fn lookup(&self, hash: u32, op: &Op, args: &[NodeId], shape: &[usize]) -> Option<NodeId> {
        let nodes = &self.nodes;
        self.dedup
            .find(hash, |id| {
                let n = &nodes[id as usize];
                n.op == *op && n.args.as_slice() == args && same_shape(&n.shape, shape)
            })
            .map(NodeId)
    }

    /// Appends a node and enters it in the hash-consing table.
    fn append(&mut self, hash: u32, node: Node) -> NodeId {
        let id = self.nodes.len() as u32;
        self.nodes.push(node);
        self.dedup.insert(hash, id);
        NodeId(id)
    }

    /// Adds a node, or returns the existing identical one. No shape checks and no
    /// simplification: prefer the builders.
    pub fn push(&mut self, op: Op, args: Vec<NodeId>, shape: Shape) -> NodeId {
        self.intern(op, &args, &shape)
    }

    /// [`Graph::push`] from borrowed arguments and shape, which are only copied when
    /// the node is new (most builder calls find an existing node).
    fn intern(&mut self, op: Op, args: &[NodeId], shape: &[usize]) -> NodeId {
        self.enter_all();
        let hash = node_hash(&op, args, shape);
        match self.lookup(hash, &op, args, shape) {
            Some(id) => id,
            None => self.append(
                hash,
                Node {
                    op,
                    args: SmallVec::from_slice(args),
                    shape: SmallVec::from_slice(shape),
                },
            ),
        }
    }

    /// Appends a node without looking it up in (or adding it to) the hash-consing
    /// table: for copying nodes that are already unique (`prune`). Builders used on
    /// the graph afterwards still work, but do not share with these nodes.
    pub(crate) fn push_unshared(&mut self, op: Op, args: Args, shape: NodeShape) -> NodeId {
        self.enter_all();
        self.scalar_memo.clear();
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node { op, args, shape });
        id
    }

    /// Appends a node known to be unique (a copy from a hash-consed graph, `prune`)
    /// and enters it in the hash-consing table without looking it up first, so that
    /// builders used on the graph afterwards share with it.
    pub(crate) fn push_unique(&mut self, node: Node) -> NodeId {
        self.enter_all();
        self.scalar_memo.clear();
        let hash = node_hash(&node.op, &node.args, &node.shape);
        self.append(hash, node)
    }

    /// Adds a shape-checked node through the simplifier: constant folding and
    /// algebraic identities may answer with another node of the same shape (the
    /// callers put the operands of commutative operations in order first).
    fn build(&mut self, op: Op, args: &[NodeId], shape: &[usize]) -> NodeId {
        if let Some(id) = crate::rewrite::rewrite(self, &op, args, shape) {
            return id;
        }
        self.intern(op, args, shape)
    }

    /// One new input per shape, in order (a copy of another function's inputs).
    pub fn inputs(&mut self, shapes: &[Shape]) -> Vec<NodeId> {
        shapes.iter().map(|s| self.input(s.clone())).collect()
    }

    /// A new input of the given shape (inputs are numbered in creation order).
    pub fn input(&mut self, shape: Shape) -> NodeId {
        let n = self.input_shapes.len() as u32;
        self.input_shapes.push(shape.clone());
        self.push(Op::Input(n), Vec::new(), shape)
    }

    pub fn constant(&mut self, t: Tensor) -> NodeId {
        self.constant_rc(&Rc::new(t))
    }

    fn add_constant(&mut self, hash: u32, t: Rc<Tensor>) -> u32 {
        let c = self.consts.len() as u32;
        self.consts.push(t);
        self.const_ids.insert(hash, c);
        c
    }

    /// A scalar constant; the same as `constant(scalar(x))` without making a tensor
    /// unless the constant is new.
    pub fn scalar(&mut self, x: f64) -> NodeId {
        let bits = canonical_bits(x);
        if let Some(&(_, id)) = self.scalar_memo.iter().find(|m| m.0 == bits) {
            return id;
        }
        let id = self.scalar_uncached(x, bits);
        if self.scalar_memo.len() >= 8 {
            self.scalar_memo.remove(0);
        }
        self.scalar_memo.push((bits, id));
        id
    }

    fn scalar_uncached(&mut self, x: f64, bits: u64) -> NodeId {
        let mut h = Fx::default();
        h.add(0);
        h.add(bits);
        let hash = h.finish32();
        let consts = &self.consts;
        let found = self.const_ids.find(hash, |c| {
            let u = &consts[c as usize];
            u.ndim() == 0 && u.first().is_some_and(|v| canonical_bits(*v) == bits)
        });
        let c = match found {
            Some(c) => c,
            None => self.add_constant(hash, Rc::new(optl_tensor::scalar(x))),
        };
        self.intern(Op::Const(c), &[], &[])
    }

    /// Adds a constant node for a shared tensor (from `prune`, or `constant`), without
    /// copying it; equal constants share one entry of the constant table.
    pub(crate) fn constant_rc(&mut self, t: &Rc<Tensor>) -> NodeId {
        let shape = t.shape().to_vec();
        let hash = shared_const_hash(t);
        let consts = &self.consts;
        let found = self.const_ids.find(hash, |c| {
            let u = &consts[c as usize];
            Rc::ptr_eq(u, t)
                || same_shape(u.shape(), &shape)
                    && u.iter()
                        .zip(t.iter())
                        .all(|(a, b)| canonical_bits(*a) == canonical_bits(*b))
        });
        let c = match found {
            Some(c) => c,
            None => self.add_constant(hash, Rc::clone(t)),
        };
        self.push(Op::Const(c), Vec::new(), shape)
    }

    /// A scalar constant broadcast to `shape`.
    pub fn full(&mut self, x: f64, shape: &[usize]) -> NodeId {
        let s = self.scalar(x);
        if shape.is_empty() {
            return s;
        }
        self.intern(Op::Broadcast, &[s], shape)
    }

    /// A scalar constant broadcast to the shape of node `like`.
    pub fn full_like(&mut self, x: f64, like: NodeId) -> NodeId {
        let shape = self.shape(like).to_vec();
        self.full(x, &shape)
    }

    pub fn unary(&mut self, op: UnaryOp, a: NodeId) -> NodeId {
        let shape = self.shape(a).to_vec();
        self.build(Op::Unary(op), &[a], &shape)
    }

    pub fn binary(&mut self, op: BinaryOp, a: NodeId, b: NodeId) -> IrResult<NodeId> {
        let (sa, sb) = (self.shape(a), self.shape(b));
        if !same_shape(sa, sb) {
            return Err(IrError::Shape(format!(
                "operands of `{op:?}` have shapes {} and {}",
                shape_text(sa),
                shape_text(sb)
            )));
        }
        let shape = sa.to_vec();
        let args = if op.is_commutative() && b < a {
            [b, a]
        } else {
            [a, b]
        };
        Ok(self.build(Op::Binary(op), &args, &shape))
    }

    pub fn where_(&mut self, c: NodeId, a: NodeId, b: NodeId) -> IrResult<NodeId> {
        let s = self.shape(c).to_vec();
        if !same_shape(self.shape(a), &s) || !same_shape(self.shape(b), &s) {
            return Err(IrError::Shape(format!(
                "`where` needs one shape, found {}, {} and {}",
                shape_text(&s),
                shape_text(self.shape(a)),
                shape_text(self.shape(b))
            )));
        }
        Ok(self.build(Op::Where, &[c, a, b], &s))
    }

    fn reduce(&mut self, op: Op, axis: Option<usize>, a: NodeId) -> IrResult<NodeId> {
        let s = self.shape(a).to_vec();
        let shape = match axis {
            None => Vec::new(),
            Some(ax) if ax < s.len() => {
                let mut r = s.clone();
                r.remove(ax);
                r
            }
            Some(ax) => {
                return Err(IrError::Shape(format!(
                    "axis {ax} is out of range for shape {}",
                    shape_text(&s)
                )));
            }
        };
        Ok(self.build(op, &[a], &shape))
    }

    pub fn sum(&mut self, a: NodeId, axis: Option<usize>) -> IrResult<NodeId> {
        self.reduce(Op::Sum(axis), axis, a)
    }

    pub fn max(&mut self, a: NodeId, axis: Option<usize>) -> IrResult<NodeId> {
        self.reduce(Op::Max(axis), axis, a)
    }

    pub fn min(&mut self, a: NodeId, axis: Option<usize>) -> IrResult<NodeId> {
        self.reduce(Op::Min(axis), axis, a)
    }

    pub fn matmul(&mut self, a: NodeId, b: NodeId) -> IrResult<NodeId> {
        let (sa, sb) = (self.shape(a).to_vec(), self.shape(b).to_vec());
        if sa.len() != 2 || sb.len() != 2 || sa[1] != sb[0] {
            return Err(IrError::Shape(format!(
                "matmul: shapes {} and {} are not aligned",
                shape_text(&sa),
                shape_text(&sb)
            )));
        }
        Ok(self.build(Op::MatMul, &[a, b], &[sa[0], sb[1]]))
    }

    /// NumPy broadcast of `a` to `shape`; the identity when the shape already fits.
    pub fn broadcast(&mut self, a: NodeId, shape: &[usize]) -> IrResult<NodeId> {
        let s = self.shape(a).to_vec();
        if same_shape(&s, shape) {
            return Ok(a);
        }
        let fits = s.len() <= shape.len()
            && s.iter()
                .rev()
                .zip(shape.iter().rev())
                .all(|(&x, &y)| x == y || x == 1);
        if !fits {
            return Err(IrError::Shape(format!(
                "cannot broadcast shape {} to {}",
                shape_text(&s),
                shape_text(shape)
            )));
        }
        Ok(self.build(Op::Broadcast, &[a], shape))
    }

    pub fn reshape(&mut self, a: NodeId, shape: &[usize]) -> IrResult<NodeId> {
        let s = self.shape(a);
        if same_shape(s, shape) {
            return Ok(a);
        }
        // Sizes in u128 so that huge (broadcast) shapes cannot overflow.
        if optl_tensor::size_of(s) != optl_tensor::size_of(shape) {
            return Err(IrError::Shape(format!(
                "cannot reshape a tensor of shape {} into shape {}",
                shape_text(s),
                shape_text(shape)
            )));
        }
        Ok(self.build(Op::Reshape, &[a], shape))
    }

    pub fn transpose(&mut self, a: NodeId) -> NodeId {
        let mut s = self.shape(a).to_vec();
        if s.len() < 2 {
            return a;
        }
        s.reverse();
        self.build(Op::Transpose, &[a], &s)
    }

    pub fn slice(&mut self, a: NodeId, slices: Vec<AxisSlice>) -> IrResult<NodeId> {
        let s = self.shape(a);
        check_slices(s, &slices)?;
        let shape: NodeShape = slices.iter().map(|sl| sl.len).collect();
        if same_shape(&shape, s) && slices.iter().all(|sl| sl.start == 0 && sl.step == 1) {
            return Ok(a);
        }
        Ok(self.build(Op::Slice(slices), &[a], &shape))
    }

    /// Zeros of `shape` with `a` placed at `slices` (the adjoint of [`Graph::slice`]).
    pub fn unslice(
        &mut self,
        a: NodeId,
        slices: Vec<AxisSlice>,
        shape: &[usize],
    ) -> IrResult<NodeId> {
        check_slices(shape, &slices)?;
        let inner: Shape = slices.iter().map(|sl| sl.len).collect();
        if !same_shape(&inner, self.shape(a)) {
            return Err(IrError::Shape(format!(
                "unslice: argument shape {} does not match the slice {}",
                shape_text(self.shape(a)),
                shape_text(&inner)
            )));
        }
        if same_shape(&inner, shape) && slices.iter().all(|sl| sl.start == 0 && sl.step == 1) {
            return Ok(a);
        }
        Ok(self.build(Op::Unslice(slices), &[a], shape))
    }

    pub fn concat(&mut self, parts: &[NodeId], axis: usize) -> IrResult<NodeId> {
        let Some(&first) = parts.first() else {
            return Err(IrError::Invalid("concat needs at least one part".into()));
        };
        let mut shape = self.shape(first).to_vec();
        if axis >= shape.len() {
            return Err(IrError::Shape(format!(
                "concat axis {axis} is out of range for shape {}",
                shape_text(&shape)
            )));
        }
        let mut total = 0;
        for &p in parts {
            let s = self.shape(p);
            let same_rest = s.len() == shape.len()
                && s.iter()
                    .zip(&shape)
                    .enumerate()
                    .all(|(i, (x, y))| i == axis || x == y);
            if !same_rest {
                return Err(IrError::Shape(format!(
                    "concat: shapes {} and {} differ off axis {axis}",
                    shape_text(&shape),
                    shape_text(s)
                )));
            }
            total = usize::checked_add(total, s[axis])
                .ok_or_else(|| IrError::Shape(format!("concat: axis {axis} would be too long")))?;
        }
        if parts.len() == 1 {
            return Ok(first);
        }
        shape[axis] = total;
        Ok(self.build(Op::Concat(axis), parts, &shape))
    }
}

pub(crate) fn check_slices(shape: &[usize], slices: &[AxisSlice]) -> IrResult<()> {
    if slices.len() != shape.len() {
        return Err(IrError::Invalid(format!(
            "slice has {} axes, the tensor {}",
            slices.len(),
            shape.len()
        )));
    }
    for (sl, &n) in slices.iter().zip(shape) {
        if sl.len == 0 {
            continue;
        }
        // i128 cannot overflow for the first position; the product is checked.
        let last = (sl.step as i128)
            .checked_mul(sl.len as i128 - 1)
            .map(|d| sl.start as i128 + d);
        let in_range = last.is_some_and(|l| l >= 0 && l < n as i128);
        if sl.start >= n || !in_range || sl.step == 0 {
            return Err(IrError::Invalid(format!(
                "slice {sl:?} is out of range for an axis of {n}"
            )));
        }
    }
    Ok(())
}

/// Bits of a float for hashing: all NaNs are one NaN, and -0.0 is kept apart from 0.0.
pub fn canonical_bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

/// A function: a graph with its outputs. Inputs are the graph's inputs, in order.
#[derive(Clone, Debug, Default)]
pub struct Function {
    pub graph: Graph,
    pub outputs: Vec<NodeId>,
}

impl Function {
    pub fn input_shapes(&self) -> &[Shape] {
        self.graph.input_shapes()
    }

    pub fn output_shapes(&self) -> Vec<Shape> {
        self.outputs
            .iter()
            .map(|&o| self.graph.shape(o).to_vec())
            .collect()
    }
}
