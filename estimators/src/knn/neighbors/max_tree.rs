//! A k-d tree specialised for the max-norm, any dimension: k-th-neighbour distances and radius
//! counts, the two searches of Kozachenko–Leonenko (max-norm) and KSG algorithm 1.
//!
//! Built once per call: median splits on the coordinate of widest spread, leaves of at most
//! [`LEAF`] points, the points copied into tree order (leaves contiguous in memory). Queries run
//! in tree order too (neighbouring queries touch the same leaves), in parallel chunks.
//!
//! Exactness: distances are computed by the same functions as the brute-force path, and a
//! subtree is skipped only when a lower bound on every distance inside it rules it out. The
//! bound is `max` over the splits on the way of `|q_c − split|`; because floating-point
//! subtraction is monotone, `fl(|q_c − p_c|) ≥ fl(|q_c − split|)` for every point p on the far
//! side, so the bound never exceeds a computed distance. Results are bit-identical to brute
//! force (tested differentially).

use rayon::prelude::*;

use super::{dist_max_until, push_smallest, within_max, Bound, Points};

/// Most points in a leaf.
const LEAF: usize = 12;
/// Queries per parallel task (consecutive in tree order).
const QUERY_CHUNK: usize = 256;

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Range of tree-order positions covered.
    start: usize,
    end: usize,
    /// Split coordinate (internal nodes).
    dim: usize,
    /// Split value: left child ≤ split ≤ right child on `dim`.
    split: f64,
    /// Children (0 for a leaf: the root is never a child).
    left: usize,
    right: usize,
}

struct MaxTree {
    d: usize,
    /// The points in tree order, row-major.
    pts: Vec<f64>,
    /// Original index of each tree-order position.
    idx: Vec<usize>,
    nodes: Vec<Node>,
    /// Bounding box of node `i`: `lo` at `boxes[2·d·i..]`, `hi` right after.
    boxes: Vec<f64>,
}

impl MaxTree {
    fn new(p: &Points) -> Self {
        let (n, d) = (p.n, p.d);
        let mut order: Vec<usize> = (0..n).collect();
        let mut nodes = Vec::with_capacity(2 * n / LEAF + 2);
        let mut boxes = Vec::with_capacity((2 * n / LEAF + 2) * 2 * d);
        build(p, &mut order, 0, n, &mut nodes, &mut boxes);
        let mut pts = Vec::with_capacity(n * d);
        for &i in &order {
            pts.extend_from_slice(p.row(i));
        }
        MaxTree {
            d,
            pts,
            idx: order,
            nodes,
            boxes,
        }
    }

    /// The largest max-norm distance from `q` to any point of the node's bounding box: every
    /// computed distance to a point inside is ≤ this (rounding is monotone).
    #[inline]
    fn farthest(&self, node: usize, q: &[f64]) -> f64 {
        let b = &self.boxes[2 * self.d * node..2 * self.d * (node + 1)];
        let (lo, hi) = b.split_at(self.d);
        let mut m = 0.0f64;
        for c in 0..self.d {
            m = m.max((q[c] - lo[c]).abs()).max((hi[c] - q[c]).abs());
        }
        m
    }

    #[inline]
    fn row(&self, pos: usize) -> &[f64] {
        &self.pts[pos * self.d..(pos + 1) * self.d]
    }

    /// k smallest distances from the point at `pos` to the others (ascending, into `best`).
    fn knn(&self, node: usize, pos: usize, bound: f64, best: &mut [f64]) {
        let k = best.len();
        if bound >= best[k - 1] {
            return;
        }
        let nd = self.nodes[node];
        if nd.left == 0 {
            let q = self.row(pos);
            for j in nd.start..nd.end {
                if j != pos {
                    let v = dist_max_until(q, self.row(j), best[k - 1]);
                    push_smallest(best, v);
                    if best[k - 1] == 0.0 {
                        return;
                    }
                }
            }
            return;
        }
        let qc = self.pts[pos * self.d + nd.dim];
        let gap = (qc - nd.split).abs();
        let (near, far) = if qc <= nd.split {
            (nd.left, nd.right)
        } else {
            (nd.right, nd.left)
        };
        self.knn(near, pos, bound, best);
        self.knn(far, pos, bound.max(gap), best);
    }

    /// Number of other points within `r` of the point at `pos`.
    fn count(&self, node: usize, pos: usize, bound: f64, r: f64, strict: bool) -> usize {
        if (strict && bound >= r) || (!strict && bound > r) {
            return 0;
        }
        let nd = self.nodes[node];
        let q = self.row(pos);
        // The whole node inside the radius: count it without visiting its points.
        let far = self.farthest(node, q);
        if (strict && far < r) || (!strict && far <= r) {
            return nd.end - nd.start - usize::from((nd.start..nd.end).contains(&pos));
        }
        if nd.left == 0 {
            return (nd.start..nd.end)
                .filter(|&j| j != pos && within_max(q, self.row(j), r, strict))
                .count();
        }
        let qc = self.pts[pos * self.d + nd.dim];
        let gap = (qc - nd.split).abs();
        let (near, far) = if qc <= nd.split {
            (nd.left, nd.right)
        } else {
            (nd.right, nd.left)
        };
        self.count(near, pos, bound, r, strict) + self.count(far, pos, bound.max(gap), r, strict)
    }

    /// Runs `f(pos)` for every tree-order position in parallel; returns results by original index.
    fn per_point<T: Send + Copy + Default>(&self, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
        let n = self.idx.len();
        let mut by_pos = vec![T::default(); n];
        by_pos
            .par_chunks_mut(QUERY_CHUNK)
            .enumerate()
            .for_each(|(c, chunk)| {
                for (o, slot) in chunk.iter_mut().enumerate() {
                    *slot = f(c * QUERY_CHUNK + o);
                }
            });
        let mut out = vec![T::default(); n];
        for (pos, &i) in self.idx.iter().enumerate() {
            out[i] = by_pos[pos];
        }
        out
    }
}

/// Builds the subtree over `order[start..end]`, returns its node index.
fn build(
    p: &Points,
    order: &mut [usize],
    start: usize,
    end: usize,
    nodes: &mut Vec<Node>,
    boxes: &mut Vec<f64>,
) -> usize {
    let id = nodes.len();
    nodes.push(Node {
        start,
        end,
        dim: 0,
        split: 0.0,
        left: 0,
        right: 0,
    });
    let d = p.d;
    let mut lo = vec![f64::INFINITY; d];
    let mut hi = vec![f64::NEG_INFINITY; d];
    for &i in &order[start..end] {
        for (c, &v) in p.row(i).iter().enumerate() {
            lo[c] = lo[c].min(v);
            hi[c] = hi[c].max(v);
        }
    }
    boxes.extend_from_slice(&lo);
    boxes.extend_from_slice(&hi);
    if end - start <= LEAF {
        return id;
    }
    // Coordinate of widest spread.
    let (dim, spread) =
        (0..d)
            .map(|c| (c, hi[c] - lo[c]))
            .fold((0, -1.0), |a, b| if b.1 > a.1 { b } else { a });
    if spread <= 0.0 {
        // Every point here is the same vector: a (large) leaf, counted whole by `count`.
        return id;
    }
    let mid = start + (end - start) / 2;
    order[start..end].select_nth_unstable_by(mid - start, |&a, &b| {
        p.data[a * d + dim].total_cmp(&p.data[b * d + dim])
    });
    let split = p.data[order[mid] * d + dim];
    let left = build(p, order, start, mid, nodes, boxes);
    let right = build(p, order, mid, end, nodes, boxes);
    nodes[id] = Node {
        start,
        end,
        dim,
        split,
        left,
        right,
    };
    id
}

/// Max-norm distance from every sample to its k-th nearest neighbour (k < N checked by caller).
pub(super) fn kth(p: &Points, k: usize) -> Vec<f64> {
    let tree = MaxTree::new(p);
    tree.per_point(|pos| {
        let mut best = [f64::INFINITY; 16];
        if k <= 16 {
            tree.knn(0, pos, 0.0, &mut best[..k]);
            best[k - 1]
        } else {
            let mut best = vec![f64::INFINITY; k];
            tree.knn(0, pos, 0.0, &mut best);
            best[k - 1]
        }
    })
}

/// For every sample, the number of others within `radii[i]` under the max-norm.
pub(super) fn count(p: &Points, radii: &[f64], bound: Bound) -> Vec<usize> {
    let tree = MaxTree::new(p);
    let strict = bound == Bound::Strict;
    tree.per_point(|pos| tree.count(0, pos, 0.0, radii[tree.idx[pos]], strict))
}
