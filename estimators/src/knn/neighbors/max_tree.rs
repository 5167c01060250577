//! A k-d tree specialised for the max-norm, any dimension: k-th-neighbour distances and radius
//! counts, the two searches of Kozachenko–Leonenko (max-norm) and KSG algorithm 1.
//!
//! Built once per call: median splits on the coordinate of widest spread (the top levels in
//! parallel), leaves of at most [`leaf_size`] points, the points moved into tree order (leaves
//! contiguous) and each leaf also stored column-major in blocks of [`LANES`] points for the
//! vectorised distance kernels of [`super::simd`]. Queries run in tree order (neighbouring
//! queries touch the same leaves), in parallel chunks, depth first with an explicit stack,
//! nearer child first.
//!
//! Exactness: a lane distance is exactly [`super::dist_max`] (see [`super::simd`]), and a node
//! is skipped (or counted whole) only by bounds on every computed distance to a point of its
//! tight bounding box, valid because floating-point subtraction is monotone:
//! `fl(|q_c − p_c|) ≥ fl(lo_c − q_c)` for `p_c ≥ lo_c`, and likewise for the upper bound.
//! Results are bit-identical to brute force (tested differentially).

use rayon::prelude::*;

use super::simd::{block_dist, box_bounds, box_near, lanes_within, pack_blocks, with_simd, LANES};
use super::{push_smallest, Bound, Points};

/// Queries per parallel task (consecutive in tree order).
const QUERY_CHUNK: usize = 512;
/// Subtrees of at least this many points are built in parallel.
const PAR_BUILD: usize = 1 << 15;

/// Most points in a leaf.
fn leaf_size(d: usize) -> usize {
    if d <= 2 {
        16
    } else {
        32
    }
}

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Range of tree-order positions covered.
    start: u32,
    end: u32,
    /// Children (0 for a leaf: the root is never a child).
    left: u32,
    right: u32,
    /// Leaves: index of the first block of [`LANES`] points in `MaxTree::blocks`.
    blk: u32,
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
    /// The leaves' points, column-major blocks (see [`pack_blocks`]).
    blocks: Vec<f64>,
}

/// A subtree under construction: node 0 is its root, child indices are local.
struct Sub {
    nodes: Vec<Node>,
    boxes: Vec<f64>,
}

impl Sub {
    /// Appends `other` (a complete subtree), returns the index of its root here.
    fn append(&mut self, other: Sub) -> u32 {
        let shift = self.nodes.len() as u32;
        self.nodes.extend(other.nodes.into_iter().map(|mut n| {
            if n.left != 0 {
                n.left += shift;
                n.right += shift;
            }
            n
        }));
        self.boxes.extend_from_slice(&other.boxes);
        shift
    }
}

/// Tight bounding box of the rows.
fn bounding_box(rows: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut lo = rows[..d].to_vec();
    let mut hi = lo.clone();
    for row in rows.chunks_exact(d) {
        for c in 0..d {
            let v = row[c];
            if v < lo[c] {
                lo[c] = v;
            }
            if v > hi[c] {
                hi[c] = v;
            }
        }
    }
    (lo, hi)
}

/// Moves the rows (and their indices) so that the first half holds the smallest values of
/// coordinate `dim` (median split); returns the split position.
fn split_rows(rows: &mut [f64], idx: &mut [usize], d: usize, dim: usize) -> usize {
    let m = idx.len();
    let mid = m / 2;
    let mut keys: Vec<(f64, u32)> = (0..m).map(|i| (rows[i * d + dim], i as u32)).collect();
    keys.select_nth_unstable_by(mid, |a, b| a.0.total_cmp(&b.0));
    let old_rows = rows.to_vec();
    let old_idx = idx.to_vec();
    for (new, &(_, old)) in keys.iter().enumerate() {
        let old = old as usize;
        rows[new * d..(new + 1) * d].copy_from_slice(&old_rows[old * d..(old + 1) * d]);
        idx[new] = old_idx[old];
    }
    mid
}

/// Builds the subtree over `rows` (tree positions `start..`), reordering rows and `idx`.
fn build(rows: &mut [f64], idx: &mut [usize], d: usize, leaf: usize, start: usize) -> Sub {
    let m = idx.len();
    let (lo, hi) = bounding_box(rows, d);
    let mut sub = Sub {
        nodes: vec![Node {
            start: start as u32,
            end: (start + m) as u32,
            left: 0,
            right: 0,
            blk: 0,
        }],
        boxes: lo.iter().chain(&hi).copied().collect(),
    };
    if m <= leaf {
        return sub;
    }
    // Coordinate of widest spread.
    let (dim, spread) = (0..d)
        .map(|c| (c, hi[c] - lo[c]))
        .fold((0, -1.0), |a, b| if b.1 > a.1 { b } else { a });
    if spread <= 0.0 {
        // Every point here is the same vector: one (large) leaf.
        return sub;
    }
    let mid = split_rows(rows, idx, d, dim);
    let (rl, rr) = rows.split_at_mut(mid * d);
    let (il, ir) = idx.split_at_mut(mid);
    let (left, right) = if m >= PAR_BUILD {
        rayon::join(
            || build(rl, il, d, leaf, start),
            || build(rr, ir, d, leaf, start + mid),
        )
    } else {
        (
            build(rl, il, d, leaf, start),
            build(rr, ir, d, leaf, start + mid),
        )
    };
    let l = sub.append(left);
    let r = sub.append(right);
    sub.nodes[0].left = l;
    sub.nodes[0].right = r;
    sub
}

impl MaxTree {
    fn new(p: &Points) -> Self {
        let d = p.d;
        let mut pts = p.data.clone();
        let mut idx: Vec<usize> = (0..p.n).collect();
        let Sub { mut nodes, boxes } = build(&mut pts, &mut idx, d, leaf_size(d), 0);
        let mut blocks = Vec::with_capacity((p.n + nodes.len() * LANES) * d);
        for nd in nodes.iter_mut().filter(|n| n.left == 0) {
            nd.blk = (blocks.len() / (d * LANES)) as u32;
            pack_blocks(
                &pts[nd.start as usize * d..nd.end as usize * d],
                d,
                &mut blocks,
            );
        }
        MaxTree {
            d,
            pts,
            idx,
            nodes,
            boxes,
            blocks,
        }
    }

    #[inline(always)]
    fn row(&self, pos: usize) -> &[f64] {
        &self.pts[pos * self.d..(pos + 1) * self.d]
    }

    #[inline(always)]
    fn bbox(&self, node: usize) -> (&[f64], &[f64]) {
        let b = &self.boxes[2 * self.d * node..2 * self.d * (node + 1)];
        b.split_at(self.d)
    }

    #[inline(always)]
    fn block(&self, b: usize) -> &[f64] {
        let s = self.d * LANES;
        &self.blocks[b * s..(b + 1) * s]
    }

    /// Mask of the lanes of block `b` of leaf `nd` that hold points other than `pos`.
    #[inline(always)]
    fn lane_mask(nd: &Node, b: usize, pos: usize) -> u32 {
        let first = nd.start as usize + b * LANES;
        let valid = (nd.end as usize - first).min(LANES);
        let mut m = (1u32 << valid) - 1;
        if pos >= first && pos < first + valid {
            m &= !(1u32 << (pos - first));
        }
        m
    }

    /// k smallest distances from the point at `pos` to the others (ascending, into `best`).
    #[inline(always)]
    fn knn(&self, pos: usize, best: &mut [f64]) {
        let k = best.len();
        let q = self.row(pos);
        let mut stack = [(0u32, 0.0f64); 128];
        let mut sp = 1;
        while sp > 0 {
            sp -= 1;
            let (node, bound) = stack[sp];
            if bound >= best[k - 1] {
                continue;
            }
            let nd = self.nodes[node as usize];
            if nd.left == 0 {
                let nb = (nd.end - nd.start) as usize;
                for b in 0..nb.div_ceil(LANES) {
                    let thr = best[k - 1];
                    if let Some(acc) = block_dist(self.block(nd.blk as usize + b), q, thr, false)
                    {
                        let mut m = lanes_within(&acc, thr, false) & Self::lane_mask(&nd, b, pos);
                        while m != 0 {
                            push_smallest(best, acc[m.trailing_zeros() as usize]);
                            m &= m - 1;
                        }
                    }
                }
                continue;
            }
            let (ll, lh) = self.bbox(nd.left as usize);
            let (rl, rh) = self.bbox(nd.right as usize);
            let bl = box_near(q, ll, lh);
            let br = box_near(q, rl, rh);
            let (near, bn, far, bf) = if bl <= br {
                (nd.left, bl, nd.right, br)
            } else {
                (nd.right, br, nd.left, bl)
            };
            let thr = best[k - 1];
            if bf < thr {
                stack[sp] = (far, bf);
                sp += 1;
            }
            if bn < thr {
                stack[sp] = (near, bn);
                sp += 1;
            }
        }
    }

    /// Number of other points within `r` of the point at `pos`.
    #[inline(always)]
    fn count(&self, pos: usize, r: f64, inclusive: bool) -> usize {
        let q = self.row(pos);
        let mut stack = [0u32; 128];
        let mut sp = 1;
        let mut total = 0usize;
        while sp > 0 {
            sp -= 1;
            let node = stack[sp] as usize;
            let nd = self.nodes[node];
            let (lo, hi) = self.bbox(node);
            let (near, far) = box_bounds(q, lo, hi);
            if (!inclusive && near >= r) || (inclusive && near > r) {
                continue;
            }
            if (!inclusive && far < r) || (inclusive && far <= r) {
                // The whole node inside the radius: count it without visiting its points.
                let (s, e) = (nd.start as usize, nd.end as usize);
                total += e - s - usize::from(pos >= s && pos < e);
                continue;
            }
            if nd.left == 0 {
                let nb = (nd.end - nd.start) as usize;
                for b in 0..nb.div_ceil(LANES) {
                    if let Some(acc) = block_dist(self.block(nd.blk as usize + b), q, r, inclusive)
                    {
                        let m = lanes_within(&acc, r, inclusive) & Self::lane_mask(&nd, b, pos);
                        total += m.count_ones() as usize;
                    }
                }
                continue;
            }
            stack[sp] = nd.right;
            stack[sp + 1] = nd.left;
            sp += 2;
        }
        total
    }

    /// Runs `f(pos)` for every tree-order position in parallel; returns results by original index.
    fn per_point<T: Send + Copy + Default>(&self, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
        let n = self.idx.len();
        let mut by_pos = vec![T::default(); n];
        by_pos
            .par_chunks_mut(QUERY_CHUNK)
            .enumerate()
            .for_each(|(c, chunk)| {
                with_simd(
                    #[inline(always)]
                    || {
                        for (o, slot) in chunk.iter_mut().enumerate() {
                            *slot = f(c * QUERY_CHUNK + o);
                        }
                    },
                )
            });
        let mut out = vec![T::default(); n];
        for (pos, &i) in self.idx.iter().enumerate() {
            out[i] = by_pos[pos];
        }
        out
    }
}

/// Max-norm distance from every sample to its k-th nearest neighbour (k < N checked by caller).
pub(super) fn kth(p: &Points, k: usize) -> Vec<f64> {
    let tree = MaxTree::new(p);
    tree.per_point(
        #[inline(always)]
        |pos| {
            if k <= 16 {
                let mut best = [f64::INFINITY; 16];
                tree.knn(pos, &mut best[..k]);
                best[k - 1]
            } else {
                let mut best = vec![f64::INFINITY; k];
                tree.knn(pos, &mut best);
                best[k - 1]
            }
        },
    )
}

/// For every sample, the number of others within `radii[i]` under the max-norm.
pub(super) fn count(p: &Points, radii: &[f64], bound: Bound) -> Vec<usize> {
    let tree = MaxTree::new(p);
    let inclusive = bound == Bound::Inclusive;
    tree.per_point(
        #[inline(always)]
        |pos| tree.count(pos, radii[tree.idx[pos]], inclusive),
    )
}
