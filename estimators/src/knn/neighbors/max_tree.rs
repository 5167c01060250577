//! A k-d tree specialised for the max-norm, any dimension: k-th-neighbour distances and radius
//! counts, the two searches of Kozachenko–Leonenko (max-norm) and KSG algorithm 1.
//!
//! Built once per call: median splits on the coordinate of widest spread (branch-free
//! partitions, the top levels in parallel), leaves of at most [`knn_leaf`] (k-NN, by dimension)
//! or [`COUNT_LEAF`] (counts) points, the points moved into tree order (leaves contiguous) and
//! each leaf also stored column-major in blocks of [`LANES`] points for the vectorised distance
//! kernels of [`super::simd`]. Queries run in tree order (neighbouring
//! queries touch the same leaves), in parallel chunks, depth first with an explicit stack,
//! nearer child first.
//!
//! Exactness: a lane distance is exactly [`super::dist_max`] (see [`super::simd`]), and a node
//! is skipped (or counted whole) only by bounds on every computed distance to a point of its
//! tight bounding box, valid because floating-point subtraction is monotone:
//! `fl(|q_c − p_c|) ≥ fl(lo_c − q_c)` for `p_c ≥ lo_c`, and likewise for the upper bound.
//! Results are bit-identical to brute force (tested differentially).

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::simd::{
    box_gap, box_near_below, box_touch_whole, count_scan, knn_scan, pack_into, packed_len,
    with_simd, LANES,
};
use super::{par_copy, Bound, Points};

/// `match d { 1 => $f::<1>(args), …, 8 => $f::<8>(args), _ => $default }`.
macro_rules! fixed_dim {
    ($d:expr, $f:ident($($arg:expr),*), $default:expr) => {
        match $d {
            1 => $f::<1>($($arg),*),
            2 => $f::<2>($($arg),*),
            3 => $f::<3>($($arg),*),
            4 => $f::<4>($($arg),*),
            5 => $f::<5>($($arg),*),
            6 => $f::<6>($($arg),*),
            7 => $f::<7>($($arg),*),
            8 => $f::<8>($($arg),*),
            _ => $default,
        }
    };
}

/// Most queries searched together (a bit mask of them must fit a `u64`).
const GROUP: usize = 64;
/// Up to this dimension the k-NN search tests every query of a group at every node.
const PER_QUERY_NODE_DIM: usize = 12;
/// Query groups per parallel task (consecutive in tree order).
const GROUP_CHUNK: usize = 16;
/// Subtrees of at least this many points are built in parallel.
const PAR_BUILD: usize = 1 << 15;
/// Most points in a leaf of the radius-count tree (KSG's radii hold hundreds of points, and
/// small leaves are rarely wholly inside one).
const COUNT_LEAF: usize = 128;

/// Most points in a leaf of the k-NN tree in d dimensions (measured on Gaussian data,
/// N = 10⁵–10⁶, k = 3, `benches/bench_estimators`: larger leaves trade node visits for
/// vectorised scans, and pay more as the dimension grows).
fn knn_leaf(d: usize) -> usize {
    match d {
        0..=2 => 32,
        3..=4 => 64,
        5..=6 => 128,
        _ => 256,
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
    /// The leaves' points, column-major blocks (see [`pack_blocks`](super::simd::pack_blocks)).
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

/// A box: lower and upper corners.
type BBox = (Vec<f64>, Vec<f64>);

/// Tight bounding box of the rows (NaN-free input).
fn bounding_box(rows: &[f64], d: usize) -> BBox {
    fixed_dim!(d, bounding_box_fixed(rows), {
        let mut lo = rows[..d].to_vec();
        let mut hi = lo.clone();
        for row in rows.chunks_exact(d) {
            for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(row) {
                *l = if v < *l { v } else { *l };
                *h = if v > *h { v } else { *h };
            }
        }
        (lo, hi)
    })
}

/// Scratch space of [`build`] for the same range of points.
struct Spare<'a> {
    rows: &'a mut [f64],
    idx: &'a mut [usize],
    keys: &'a mut [(f64, u32)],
    col: &'a mut [f64],
}

impl<'a> Spare<'a> {
    fn split_at(self, mid: usize, d: usize) -> (Spare<'a>, Spare<'a>) {
        let (rl, rr) = self.rows.split_at_mut(mid * d);
        let (il, ir) = self.idx.split_at_mut(mid);
        let (kl, kr) = self.keys.split_at_mut(mid);
        let (cl, cr) = self.col.split_at_mut(mid);
        (
            Spare {
                rows: rl,
                idx: il,
                keys: kl,
                col: cl,
            },
            Spare {
                rows: rr,
                idx: ir,
                keys: kr,
                col: cr,
            },
        )
    }
}

/// Nodes of at least this many points split at a sampled median instead of the exact one.
const SAMPLED_SPLIT: usize = 4096;

/// Partitions the rows in place (rows with coordinate `dim` below `pivot` first); returns the
/// number of rows below.
fn partition_rows(rows: &mut [f64], idx: &mut [usize], d: usize, dim: usize, pivot: f64) -> usize {
    let (mut a, mut b) = (0, idx.len());
    loop {
        while a < b && rows[a * d + dim] < pivot {
            a += 1;
        }
        while a < b && rows[(b - 1) * d + dim] >= pivot {
            b -= 1;
        }
        if a >= b {
            return a;
        }
        // rows[a] ≥ pivot > rows[b − 1]: swap them.
        let (x, y) = rows.split_at_mut((b - 1) * d);
        x[a * d..(a + 1) * d].swap_with_slice(&mut y[..d]);
        idx.swap(a, b - 1);
        a += 1;
        b -= 1;
    }
}

/// [`partition_rows`] for rows of `D` coordinates, branch-free (Lomuto: every row is swapped
/// with the first row not below the pivot).
fn partition_fixed<const D: usize>(
    rows: &mut [f64],
    idx: &mut [usize],
    dim: usize,
    pivot: f64,
) -> usize {
    let (rows, _) = rows.as_chunks_mut::<D>();
    let idx = &mut idx[..rows.len()];
    let mut s = 0;
    for i in 0..rows.len() {
        let below = rows[i][dim] < pivot;
        rows.swap(i, s);
        idx.swap(i, s);
        s += usize::from(below);
    }
    s
}

/// Tight bounding box of rows of `D` coordinates, two rows at a time.
fn bounding_box_fixed<const D: usize>(rows: &[f64]) -> BBox {
    let (rows, rest) = rows.as_chunks::<D>();
    debug_assert!(rest.is_empty() && !rows.is_empty());
    let (mut lo, mut hi) = ([rows[0]; 2], [rows[0]; 2]);
    let (pairs, last) = rows.as_chunks::<2>();
    let mut add = |j: usize, r: &[f64; D]| {
        for c in 0..D {
            let v = r[c];
            lo[j][c] = if v < lo[j][c] { v } else { lo[j][c] };
            hi[j][c] = if v > hi[j][c] { v } else { hi[j][c] };
        }
    };
    for [a, b] in pairs {
        add(0, a);
        add(1, b);
    }
    if let Some(r) = last.first() {
        add(0, r);
    }
    union(
        (lo[0].to_vec(), hi[0].to_vec()),
        (lo[1].to_vec(), hi[1].to_vec()),
    )
}

/// The smallest box holding both boxes.
fn union((alo, ahi): BBox, (blo, bhi): BBox) -> BBox {
    let lo = alo
        .iter()
        .zip(&blo)
        .map(|(&a, &b)| if b < a { b } else { a });
    let hi = ahi
        .iter()
        .zip(&bhi)
        .map(|(&a, &b)| if b > a { b } else { a });
    (lo.collect(), hi.collect())
}

/// Partitions the rows around `pivot` ([`partition_fixed`] up to 8 dimensions); returns the
/// number of rows below it.
fn partition(rows: &mut [f64], idx: &mut [usize], d: usize, dim: usize, pivot: f64) -> usize {
    fixed_dim!(
        d,
        partition_fixed(rows, idx, dim, pivot),
        partition_rows(rows, idx, d, dim, pivot)
    )
}

/// The tight boxes of the rows before and after row `a` (0 < a < number of rows).
fn side_boxes(rows: &[f64], d: usize, a: usize) -> [BBox; 2] {
    let (l, r) = rows.split_at(a * d);
    [bounding_box(l, d), bounding_box(r, d)]
}

/// Moves the rows (and their indices) so that the rows with the smaller values of coordinate
/// `dim` come first; returns the split position (about the middle) and the tight boxes of both
/// sides.
///
/// The pivot is the median of 255 evenly spaced values for nodes of at least [`SAMPLED_SPLIT`]
/// rows, the exact median below; rows are partitioned in place around it. When ties at the
/// pivot would leave either side under a quarter, the rows are split at the exact median with
/// ties broken by position. Any split gives the same search results (boxes are tight); a
/// balanced one gives a faster search.
fn split_rows(
    rows: &mut [f64],
    idx: &mut [usize],
    d: usize,
    dim: usize,
    spare: &mut Spare,
) -> (usize, [BBox; 2]) {
    let m = idx.len();
    let pivot = if m >= SAMPLED_SPLIT {
        let mut sample: Vec<f64> = (0..255).map(|i| rows[(i * m / 255) * d + dim]).collect();
        sample.sort_unstable_by(f64::total_cmp);
        sample[127]
    } else {
        let col = &mut spare.col[..m];
        for (v, row) in col.iter_mut().zip(rows.chunks_exact(d)) {
            *v = row[dim];
        }
        *col.select_nth_unstable_by(m / 2, f64::total_cmp).1
    };
    let a = partition(rows, idx, d, dim, pivot);
    if a > 0 && a >= m / 4 && a <= m - m / 4 {
        return (a, side_boxes(rows, d, a));
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
    (mid, side_boxes(rows, d, mid))
}

/// Builds the subtree over `rows` (tree positions `start..`), reordering rows and `idx`.
fn build(
    rows: &mut [f64],
    idx: &mut [usize],
    mut spare: Spare,
    d: usize,
    leaf: usize,
    start: usize,
    (lo, hi): BBox,
) -> Sub {
    let m = idx.len();
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
    let (mid, [bl, br]) = split_rows(rows, idx, d, dim, &mut spare);
    let (rl, rr) = rows.split_at_mut(mid * d);
    let (il, ir) = idx.split_at_mut(mid);
    let (sl, sr) = spare.split_at(mid, d);
    let (left, right) = if m >= PAR_BUILD {
        rayon::join(
            || build(rl, il, sl, d, leaf, start, bl),
            || build(rr, ir, sr, d, leaf, start + mid, br),
        )
    } else {
        (
            build(rl, il, sl, d, leaf, start, bl),
            build(rr, ir, sr, d, leaf, start + mid, br),
        )
    };
    let l = sub.append(left);
    let r = sub.append(right);
    sub.nodes[0].left = l;
    sub.nodes[0].right = r;
    sub
}

impl MaxTree {
    fn new(p: &Points, leaf: usize) -> Self {
        let d = p.d;
        let mut pts = par_copy(&p.data);
        let mut idx: Vec<usize> = (0..p.n).collect();
        assert!(p.n <= u32::MAX as usize, "at most 2^32 − 1 points");
        let (mut srows, mut sidx) = (vec![0.0; p.n * d], vec![0usize; p.n]);
        let mut keys = vec![(0.0, 0u32); p.n];
        let mut col = vec![0.0; p.n];
        let spare = Spare {
            rows: &mut srows,
            idx: &mut sidx,
            keys: &mut keys,
            col: &mut col,
        };
        let root = pts
            .par_chunks(PAR_BUILD * d)
            .map(|rows| bounding_box(rows, d))
            .reduce_with(union)
            .expect("at least one point");
        let Sub { mut nodes, boxes } = build(&mut pts, &mut idx, spare, d, leaf, 0, root);
        // The leaves' blocks, packed in parallel.
        let mut total = 0;
        for nd in nodes.iter_mut().filter(|n| n.left == 0) {
            nd.blk = (total / (d * LANES)) as u32;
            total += packed_len((nd.end - nd.start) as usize, d);
        }
        let mut blocks = vec![0.0; total];
        let mut jobs = Vec::with_capacity(nodes.len() / 2 + 1);
        let mut rest = blocks.as_mut_slice();
        for nd in nodes.iter().filter(|n| n.left == 0) {
            let (s, e) = (nd.start as usize, nd.end as usize);
            let (out, r) = rest.split_at_mut(packed_len(e - s, d));
            jobs.push((&pts[s * d..e * d], out));
            rest = r;
        }
        jobs.into_par_iter()
            .with_min_len(256)
            .for_each(|(rows, out)| pack_into(rows, d, out));
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
                        live |= u64::from(box_near_below(
                            self.block(qblk + qb),
                            lo,
                            hi,
                            &thr[qb * LANES..],
                        )) << (qb * LANES);
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
                let (touch, whole) =
                    box_touch_whole(self.block(qblk + qb), lo, hi, &rr[qb * LANES..], inclusive);
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

/// Max-norm distance from every sample to its k-th nearest neighbour (k < N checked by caller),
/// and the number of samples whose nearest neighbour is at distance 0: the rows with an exact
/// copy elsewhere (a max-norm distance is 0 exactly when every coordinate is equal).
pub(super) fn kth(p: &Points, k: usize) -> (Vec<f64>, usize) {
    kth_with_leaf(p, k, knn_leaf(p.d))
}

fn kth_with_leaf(p: &Points, k: usize, leaf: usize) -> (Vec<f64>, usize) {
    let tree = MaxTree::new(p, leaf);
    let duplicated = AtomicUsize::new(0);
    let kth = tree.per_group(
        #[inline(always)]
        |g, out: &mut [f64], scratch| {
            let mut best = vec![f64::INFINITY; (g.1 - g.0) * k];
            tree.knn_group(g, k, &mut best, scratch);
            let mut zeros = 0;
            for (j, o) in out.iter_mut().enumerate() {
                *o = best[j * k + k - 1];
                zeros += usize::from(best[j * k] == 0.0);
            }
            duplicated.fetch_add(zeros, Ordering::Relaxed);
        },
    );
    (kth, duplicated.into_inner())
}

/// For every sample, the number of others within `radii[i]` under the max-norm.
pub(super) fn count(p: &Points, radii: &[f64], bound: Bound) -> Vec<usize> {
    count_with_leaf(p, radii, bound, COUNT_LEAF)
}

fn count_with_leaf(p: &Points, radii: &[f64], bound: Bound, leaf: usize) -> Vec<usize> {
    let tree = MaxTree::new(p, leaf);
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

#[cfg(test)]
mod tests {
    use super::super::{brute_force, Norm};
    use super::*;
    use ndarray::Array2;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    /// Gaussian-like, rounded to a coarse grid (ties, duplicates, constant stretches) or not.
    fn points(n: usize, d: usize, rounded: bool, seed: u64) -> Points {
        let mut rng = StdRng::seed_from_u64(seed);
        let x = Array2::from_shape_fn((n, d), |_| {
            let v: f64 = (0..4).map(|_| rng.random_range(-1.0..1.0)).sum();
            if rounded {
                (v * 2.0).round() / 2.0
            } else {
                v
            }
        });
        Points::new(x.view()).unwrap()
    }

    /// Leaf sizes from 1 to the defaults (trees many levels deep, and leaves split into several
    /// query groups) give the brute-force results bit for bit, and the duplicated rows.
    #[test]
    fn leaf_sizes_match_brute_force() {
        for d in [1usize, 2, 3, 5, 8, 13] {
            for (n, rounded) in [(700usize, false), (700, true), (2500, false)] {
                let p = points(n, d, rounded, (d * 31 + n) as u64);
                for k in [1usize, 4] {
                    let want = (
                        brute_force::kth(&p, k, Norm::Max),
                        crate::knn::duplicate_rows(&p),
                    );
                    for leaf in [1usize, 5, 16, 100, knn_leaf(d)] {
                        assert_eq!(
                            kth_with_leaf(&p, k, leaf),
                            want,
                            "d={d} n={n} k={k} leaf={leaf}"
                        );
                    }
                }
                let radii = brute_force::kth(&p, 6, Norm::Max);
                for bound in [Bound::Strict, Bound::Inclusive] {
                    let want = brute_force::count(&p, &radii, bound);
                    for leaf in [1usize, 5, 16, 100, COUNT_LEAF] {
                        assert_eq!(
                            count_with_leaf(&p, &radii, bound, leaf),
                            want,
                            "d={d} n={n} {bound:?} leaf={leaf}"
                        );
                    }
                }
            }
        }
    }
}
