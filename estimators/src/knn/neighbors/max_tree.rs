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

use super::simd::{
    box_bounds_lanes, box_gap, box_near_lanes, count_scan, knn_scan, lanes_below, pack_blocks,
    with_simd, LANES,
};
use super::{Bound, Points};

/// Most queries searched together (a bit mask of them must fit a `u64`).
const GROUP: usize = 64;
/// Up to this dimension the k-NN search tests every query of a group at every node.
const PER_QUERY_NODE_DIM: usize = 12;
/// Query groups per parallel task (consecutive in tree order).
const GROUP_CHUNK: usize = 16;
/// Subtrees of at least this many points are built in parallel.
const PAR_BUILD: usize = 1 << 15;

/// Most points in a leaf.
fn leaf_size(d: usize) -> usize {
    if d <= LEAF16_DIM {
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

/// Scratch space of [`build`] for the same range of points.
struct Spare<'a> {
    rows: &'a mut [f64],
    idx: &'a mut [usize],
    keys: &'a mut [(f64, u32)],
}

impl<'a> Spare<'a> {
    fn split_at(self, mid: usize, d: usize) -> (Spare<'a>, Spare<'a>) {
        let (rl, rr) = self.rows.split_at_mut(mid * d);
        let (il, ir) = self.idx.split_at_mut(mid);
        let (kl, kr) = self.keys.split_at_mut(mid);
        (
            Spare {
                rows: rl,
                idx: il,
                keys: kl,
            },
            Spare {
                rows: rr,
                idx: ir,
                keys: kr,
            },
        )
    }
}

/// Nodes of at least this many points split at a sampled median (one partition pass) instead
/// of the exact one.
const SAMPLED_SPLIT: usize = 4096;
const LEAF16_DIM: usize = 2;

/// Partitions the rows in place around the median of 255 evenly spaced values of coordinate
/// `dim` (rows below it first); returns the split position, or `None` (rows possibly
/// reordered, still a valid input) when the split would leave either side under a quarter.
fn split_sampled(rows: &mut [f64], idx: &mut [usize], d: usize, dim: usize) -> Option<usize> {
    let m = idx.len();
    let mut sample: Vec<f64> = (0..255).map(|i| rows[(i * m / 255) * d + dim]).collect();
    sample.sort_unstable_by(f64::total_cmp);
    let pivot = sample[127];
    let (mut a, mut b) = (0, m);
    loop {
        while a < b && rows[a * d + dim] < pivot {
            a += 1;
        }
        while a < b && rows[(b - 1) * d + dim] >= pivot {
            b -= 1;
        }
        if a >= b {
            break;
        }
        // rows[a] ≥ pivot > rows[b − 1]: swap them.
        let (x, y) = rows.split_at_mut((b - 1) * d);
        x[a * d..(a + 1) * d].swap_with_slice(&mut y[..d]);
        idx.swap(a, b - 1);
        a += 1;
        b -= 1;
    }
    (a >= m / 4 && a <= m - m / 4).then_some(a)
}

/// Moves the rows (and their indices) so that the first half holds the smallest values of
/// coordinate `dim` (median split); returns the split position.
fn split_rows(
    rows: &mut [f64],
    idx: &mut [usize],
    d: usize,
    dim: usize,
    spare: &mut Spare,
) -> usize {
    let m = idx.len();
    if m >= SAMPLED_SPLIT {
        if let Some(mid) = split_sampled(rows, idx, d, dim) {
            return mid;
        }
    }
    let mid = m / 2;
    let keys = &mut spare.keys[..m];
    for (i, k) in keys.iter_mut().enumerate() {
        *k = (rows[i * d + dim], i as u32);
    }
    keys.select_nth_unstable_by(mid, |a, b| a.0.total_cmp(&b.0));
    spare.rows.copy_from_slice(rows);
    spare.idx.copy_from_slice(idx);
    for (new, &(_, old)) in keys.iter().enumerate() {
        let old = old as usize;
        rows[new * d..(new + 1) * d].copy_from_slice(&spare.rows[old * d..(old + 1) * d]);
        idx[new] = spare.idx[old];
    }
    mid
}

/// Builds the subtree over `rows` (tree positions `start..`), reordering rows and `idx`.
fn build(
    rows: &mut [f64],
    idx: &mut [usize],
    mut spare: Spare,
    d: usize,
    leaf: usize,
    start: usize,
) -> Sub {
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
    let (dim, spread) =
        (0..d)
            .map(|c| (c, hi[c] - lo[c]))
            .fold((0, -1.0), |a, b| if b.1 > a.1 { b } else { a });
    if spread <= 0.0 {
        // Every point here is the same vector: one (large) leaf.
        return sub;
    }
    let mid = split_rows(rows, idx, d, dim, &mut spare);
    let (rl, rr) = rows.split_at_mut(mid * d);
    let (il, ir) = idx.split_at_mut(mid);
    let (sl, sr) = spare.split_at(mid, d);
    let (left, right) = if m >= PAR_BUILD {
        rayon::join(
            || build(rl, il, sl, d, leaf, start),
            || build(rr, ir, sr, d, leaf, start + mid),
        )
    } else {
        (
            build(rl, il, sl, d, leaf, start),
            build(rr, ir, sr, d, leaf, start + mid),
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
        assert!(p.n <= u32::MAX as usize, "at most 2^32 − 1 points");
        let (mut srows, mut sidx) = (vec![0.0; p.n * d], vec![0usize; p.n]);
        let mut keys = vec![(0.0, 0u32); p.n];
        let spare = Spare {
            rows: &mut srows,
            idx: &mut sidx,
            keys: &mut keys,
        };
        let Sub { mut nodes, boxes } = build(&mut pts, &mut idx, spare, d, leaf_size(d), 0);
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

    /// Groups of at most [`GROUP`] consecutive tree positions inside one leaf: the queries
    /// searched together (they share the nodes they visit, so each node's data is read once
    /// per group instead of once per query).
    /// Each group is `(s, e, first block)`: its points are also the first lanes of the blocks
    /// from `first block` on.
    fn groups(&self) -> Vec<(usize, usize, usize)> {
        let mut g = Vec::with_capacity(self.nodes.len());
        for nd in self.nodes.iter().filter(|n| n.left == 0) {
            let (s, e) = (nd.start as usize, nd.end as usize);
            g.extend(
                (s..e)
                    .step_by(GROUP)
                    .map(|a| (a, (a + GROUP).min(e), nd.blk as usize + (a - s) / LANES)),
            );
        }
        g.sort_unstable();
        g
    }

    /// Bounding box of the rows `s..e`, into `lo` and `hi`.
    #[inline(always)]
    fn group_box(&self, s: usize, e: usize, lo: &mut [f64], hi: &mut [f64]) {
        lo.copy_from_slice(self.row(s));
        hi.copy_from_slice(self.row(s));
        for pos in s + 1..e {
            for (c, &v) in self.row(pos).iter().enumerate() {
                lo[c] = lo[c].min(v);
                hi[c] = hi[c].max(v);
            }
        }
    }

    /// k smallest distances from each point at positions `s..e` to the others (ascending, into
    /// `best[j·k..(j+1)·k]` for position s + j).
    ///
    /// A node is skipped for the whole group when the distance between its box and the group's
    /// box reaches the largest current k-th distance of the group; a leaf is then scanned for
    /// the queries whose own bound is below their k-th distance.
    #[inline(always)]
    fn knn_group(
        &self,
        g: (usize, usize, usize),
        k: usize,
        best: &mut [f64],
        scratch: &mut Scratch,
    ) {
        let (s, e, qblk) = g;
        let m = e - s;
        let all = u64::MAX >> (64 - m);
        // Current k-th distances (0 past the group, so that they never raise the maximum).
        let mut thr = [0.0f64; GROUP];
        thr[..m].fill(f64::INFINITY);
        let mut gthr = f64::INFINITY;
        let (glo, ghi) = scratch.gbox.split_at_mut(self.d);
        self.group_box(s, e, glo, ghi);
        let stack = &mut scratch.stack;
        stack.clear();
        stack.push((0, 0.0, all));
        while let Some((node, bound, mask)) = stack.pop() {
            if bound >= gthr {
                continue;
            }
            let nd = self.nodes[node as usize];
            // The queries for which the node can still hold a closer point (tested at every
            // node in low dimension, where it prunes whole subtrees per query; at the leaves
            // only in high dimension, where every subtree reaches some query of the group).
            let mut live = mask;
            if nd.left == 0 || self.d <= PER_QUERY_NODE_DIM {
                let (lo, hi) = self.bbox(node as usize);
                live = 0;
                for qb in 0..m.div_ceil(LANES) {
                    if (mask >> (qb * LANES)) & 0xff != 0 {
                        let near = box_near_lanes(self.block(qblk + qb), lo, hi);
                        live |= u64::from(lanes_below(&near, &thr[qb * LANES..], false))
                            << (qb * LANES);
                    }
                }
                live &= mask;
                if live == 0 {
                    continue;
                }
            }
            if nd.left == 0 {
                let blocks = &self.blocks[nd.blk as usize * self.d * LANES..];
                while live != 0 {
                    let j = live.trailing_zeros() as usize;
                    live &= live - 1;
                    let pos = s + j;
                    let bj = &mut best[j * k..(j + 1) * k];
                    knn_scan(
                        blocks,
                        self.row(pos),
                        nd.start as usize,
                        nd.end as usize,
                        pos,
                        bj,
                    );
                    thr[j] = bj[k - 1];
                }
                gthr = group_max(&thr);
                continue;
            }
            let (ll, lh) = self.bbox(nd.left as usize);
            let (rl, rh) = self.bbox(nd.right as usize);
            let bl = box_gap(glo, ghi, ll, lh);
            let br = box_gap(glo, ghi, rl, rh);
            let (near, bn, far, bf) = if bl <= br {
                (nd.left, bl, nd.right, br)
            } else {
                (nd.right, br, nd.left, bl)
            };
            if bf < gthr {
                stack.push((far, bf, live));
            }
            if bn < gthr {
                stack.push((near, bn, live));
            }
        }
    }

    /// For each point at positions `s..e`, the number of other points within `r[j]`.
    #[inline(always)]
    fn count_group(
        &self,
        g: (usize, usize, usize),
        r: &[f64],
        inclusive: bool,
        out: &mut [usize],
        scratch: &mut Scratch,
    ) {
        let (s, e, qblk) = g;
        let m = e - s;
        let mut rr = [f64::NEG_INFINITY; GROUP];
        rr[..m].copy_from_slice(r);
        let stack = &mut scratch.masks;
        stack.clear();
        stack.push((0, u64::MAX >> (64 - m)));
        while let Some((node, mask)) = stack.pop() {
            let nd = self.nodes[node as usize];
            let (lo, hi) = self.bbox(node as usize);
            let (ns, ne) = (nd.start as usize, nd.end as usize);
            // Per query: node partly inside the radius (live), or wholly inside (full).
            let (mut live, mut full) = (0u64, 0u64);
            for qb in 0..m.div_ceil(LANES) {
                if (mask >> (qb * LANES)) & 0xff == 0 {
                    continue;
                }
                let (near, far) = box_bounds_lanes(self.block(qblk + qb), lo, hi);
                let rq = &rr[qb * LANES..];
                let touch = lanes_below(&near, rq, inclusive);
                let whole = lanes_below(&far, rq, inclusive);
                live |= u64::from(touch & !whole) << (qb * LANES);
                full |= u64::from(whole) << (qb * LANES);
            }
            live &= mask;
            full &= mask;
            while full != 0 {
                let j = full.trailing_zeros() as usize;
                full &= full - 1;
                let pos = s + j;
                out[j] += ne - ns - usize::from(pos >= ns && pos < ne);
            }
            if live == 0 {
                continue;
            }
            if nd.left == 0 {
                let blocks = &self.blocks[nd.blk as usize * self.d * LANES..];
                while live != 0 {
                    let j = live.trailing_zeros() as usize;
                    live &= live - 1;
                    let pos = s + j;
                    out[j] += count_scan(blocks, self.row(pos), ns, ne, pos, r[j], inclusive);
                }
                continue;
            }
            stack.push((nd.right, live));
            stack.push((nd.left, live));
        }
    }

    /// Runs `f(s, e, out)` for every query group in parallel (`out` = the group's results);
    /// returns results by original index.
    fn per_group<T: Send + Copy + Default>(
        &self,
        f: impl Fn((usize, usize, usize), &mut [T], &mut Scratch) + Sync,
    ) -> Vec<T> {
        let n = self.idx.len();
        let groups = self.groups();
        let by_pos: Vec<T> = groups
            .par_chunks(GROUP_CHUNK)
            .flat_map_iter(|gs| {
                let mut scratch = Scratch {
                    stack: Vec::with_capacity(128),
                    masks: Vec::with_capacity(128),
                    gbox: vec![0.0; 2 * self.d],
                };
                let mut res = vec![T::default(); gs.last().map_or(0, |g| g.1) - gs[0].0];
                let base = gs[0].0;
                with_simd(
                    #[inline(always)]
                    || {
                        for &g in gs {
                            f(g, &mut res[g.0 - base..g.1 - base], &mut scratch);
                        }
                    },
                );
                res
            })
            .collect();
        let mut out = vec![T::default(); n];
        for (pos, &i) in self.idx.iter().enumerate() {
            out[i] = by_pos[pos];
        }
        out
    }
}

/// Largest of the values (none NaN), as 8 independent running maxima.
#[inline(always)]
fn group_max(v: &[f64; GROUP]) -> f64 {
    let mut m = [0.0f64; LANES];
    for c in v.chunks_exact(LANES) {
        for l in 0..LANES {
            m[l] = if c[l] > m[l] { c[l] } else { m[l] };
        }
    }
    m.iter().fold(0.0, |a, &b| if b > a { b } else { a })
}

/// Per-task buffers of the group searches.
struct Scratch {
    stack: Vec<(u32, f64, u64)>,
    masks: Vec<(u32, u64)>,
    gbox: Vec<f64>,
}

/// Max-norm distance from every sample to its k-th nearest neighbour (k < N checked by caller).
pub(super) fn kth(p: &Points, k: usize) -> Vec<f64> {
    let tree = MaxTree::new(p);
    tree.per_group(
        #[inline(always)]
        |g, out: &mut [f64], scratch| {
            let mut best = vec![f64::INFINITY; (g.1 - g.0) * k];
            tree.knn_group(g, k, &mut best, scratch);
            for (j, o) in out.iter_mut().enumerate() {
                *o = best[j * k + k - 1];
            }
        },
    )
}

/// For every sample, the number of others within `radii[i]` under the max-norm.
pub(super) fn count(p: &Points, radii: &[f64], bound: Bound) -> Vec<usize> {
    let tree = MaxTree::new(p);
    let inclusive = bound == Bound::Inclusive;
    // Gathered in a tight loop first: the random reads overlap.
    let r_pos: Vec<f64> = tree.idx.par_iter().map(|&i| radii[i]).collect();
    tree.per_group(
        #[inline(always)]
        |g, out: &mut [usize], scratch| {
            tree.count_group(g, &r_pos[g.0..g.1], inclusive, out, scratch)
        },
    )
}
