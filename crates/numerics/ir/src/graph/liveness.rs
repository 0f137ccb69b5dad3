//! Liveness and in-place pruning of a [`Graph`]: which nodes the outputs need, and
//! dropping the others without rebuilding the graph (`prune_owned`'s fast path).

use super::{Graph, Node, NodeId, Op, Shape, same_shape};
use crate::table::node_hash;
use optl_tensor::Tensor;
use std::rc::Rc;

impl Graph {
    /// Marks the nodes that `roots` depend on (the roots included). Ids that are not
    /// in the graph are ignored, so this is safe on malformed graphs.
    pub fn reachable(&self, roots: &[NodeId]) -> Vec<bool> {
        let n = self.nodes.len();
        let mut live = vec![false; n];
        for r in roots {
            if let Some(l) = live.get_mut(r.index()) {
                *l = true;
            }
        }
        // Arguments come before their nodes, so one backward sweep marks everything;
        // an argument that does not (a malformed graph) is followed depth-first.
        let mut stack: Vec<NodeId> = Vec::new();
        for i in (0..n).rev() {
            if !live[i] {
                continue;
            }
            for &a in &self.nodes[i].args {
                match live.get_mut(a.index()) {
                    Some(l) if !*l => {
                        *l = true;
                        if a.index() > i {
                            stack.push(a);
                        }
                    }
                    _ => {}
                }
            }
            while let Some(id) = stack.pop() {
                for &a in &self.nodes[id.index()].args {
                    match live.get_mut(a.index()) {
                        Some(l) if !*l => {
                            *l = true;
                            if a.index() > i {
                                stack.push(a);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        live
    }

    /// Whether every node is in the hash-consing table (none was added by
    /// `push_unshared`), so that builders share with all of them.
    pub fn is_fully_shared(&self) -> bool {
        self.unentered || self.dedup.len == self.nodes.len()
    }

    /// Enters the nodes `prune_in_place` left out of the hash-consing table.
    pub(super) fn enter_all(&mut self) {
        if !self.unentered {
            return;
        }
        self.unentered = false;
        for j in self.dedup.len..self.nodes.len() {
            let node = &self.nodes[j];
            let hash = node_hash(&node.op, &node.args, &node.shape);
            self.dedup.insert(hash, j as u32);
        }
    }

    /// The nodes and the constant table, taken apart (for `prune_owned`).
    pub(crate) fn into_parts(self) -> (Vec<Node>, Vec<Rc<Tensor>>, Vec<Shape>) {
        (self.nodes, self.consts, self.input_shapes)
    }

    /// [`crate::prune_owned`] done in place, when the graph is in the form a traced or
    /// differentiated graph has: every node in the hash-consing table, the inputs as
    /// nodes `0..k` in order (and no other input nodes), and the live constant nodes
    /// in increasing constant order. The live nodes (and all inputs) are moved down
    /// over the dead ones, their arguments and constant ids renumbered, and the
    /// hash-consing tables keep their memory: only the entries of moved nodes are
    /// entered again. The result is the graph `prune_owned` builds, node for node and
    /// constant for constant. Returns the new id of every old node (`u32::MAX` for
    /// dropped ones), or `None`, leaving the graph untouched, when the graph does not
    /// have that form.
    pub(crate) fn prune_in_place(&mut self, live: &[bool]) -> Option<Vec<NodeId>> {
        let n = self.nodes.len();
        let k = self.input_shapes.len();
        if live.len() != n || k > n || !self.is_fully_shared() {
            return None;
        }
        let mut last_const: Option<u32> = None;
        for (i, node) in self.nodes.iter().enumerate() {
            if i < k {
                let ok = node.op == Op::Input(i as u32)
                    && node.args.is_empty()
                    && same_shape(&node.shape, &self.input_shapes[i]);
                if !ok {
                    return None;
                }
                continue;
            }
            if matches!(node.op, Op::Input(_)) {
                return None;
            }
            if !live[i] {
                continue;
            }
            match node.op {
                Op::Const(c) => {
                    let ok = node.args.is_empty()
                        && last_const.is_none_or(|l| c > l)
                        && self
                            .consts
                            .get(c as usize)
                            .is_some_and(|t| same_shape(t.shape(), &node.shape));
                    if !ok {
                        return None;
                    }
                    last_const = Some(c);
                }
                _ => {
                    if node.args.iter().any(|a| a.index() >= i) {
                        return None;
                    }
                }
            }
        }
        // The new constant ids: live constants keep their order.
        let mut const_map = vec![u32::MAX; self.consts.len()];
        for (i, node) in self.nodes.iter().enumerate() {
            if let (true, Op::Const(c)) = (live[i], &node.op) {
                const_map[*c as usize] = 0;
            }
        }
        let mut next = 0u32;
        for c in const_map.iter_mut() {
            if *c == 0 {
                *c = next;
                next += 1;
            }
        }
        let keep = |i: usize| i < k || live[i];
        // Nodes before `first_changed` stay where they are with the same content.
        let mut first_changed = n;
        for (i, node) in self.nodes.iter().enumerate() {
            let changed = !keep(i) || matches!(node.op, Op::Const(c) if const_map[c as usize] != c);
            if changed {
                first_changed = i;
                break;
            }
        }
        let mut map: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
        let mut w = first_changed;
        for i in first_changed..n {
            if !keep(i) {
                map[i] = NodeId(u32::MAX);
                continue;
            }
            self.nodes.swap(w, i);
            let node = &mut self.nodes[w];
            for a in node.args.iter_mut() {
                *a = map[a.index()];
            }
            if let Op::Const(c) = &mut node.op {
                *c = const_map[*c as usize];
            }
            map[i] = NodeId(w as u32);
            w += 1;
        }
        self.nodes.truncate(w);
        // The hash-consing table: entries of unmoved nodes stay. Moved nodes are
        // entered again when the table is next used (often never: a pruned gradient
        // is only run), all of them, so the table then holds every node as before.
        self.scalar_memo.clear();
        if first_changed < w {
            if first_changed < w / 2 {
                // Most entries would go: emptying the table is cheaper than erasing.
                self.dedup.table.clear();
                self.dedup.len = 0;
            } else {
                let limit = first_changed as u32;
                self.dedup.table.retain(|e| e.1 < limit);
                self.dedup.len = self.dedup.len.min(first_changed);
            }
            self.unentered = true;
        } else if w < n {
            // Only dead nodes at the end went: their entries must go too, or a
            // lookup would find a node that no longer exists.
            let limit = w as u32;
            self.dedup.table.retain(|e| e.1 < limit);
            self.dedup.len = self.dedup.len.min(w);
        }
        if next as usize != self.consts.len() {
            let mut c = 0;
            self.consts.retain(|_| {
                let kept = const_map[c] != u32::MAX;
                c += 1;
                kept
            });
            self.const_ids.table.retain(|e| {
                let m = const_map[e.1 as usize];
                e.1 = m;
                m != u32::MAX
            });
            self.const_ids.len = self.consts.len();
        }
        Some(map)
    }
}
