//! The memory a run will need, estimated from the config and the data's shape before anything
//! is allocated or written, and compared with the memory available (ARCHITECTURE.md §2).
//!
//! A size of 10⁹ in the config (a layer width, a row count) would otherwise make the allocator
//! abort the process (SIGABRT) on the first terabyte-sized buffer, possibly after the run
//! directory was created. The estimate counts the dominant allocations of each phase, in bytes
//! (f32 = 4, f64 = 8), with saturating arithmetic (no overflow whatever the config says):
//!
//! - **data**: the training and probe rows (f32), their labels (i64) and the K probe offsets;
//! - per method trained at the same time (one per core):
//!   - **model**: the parameters, their gradients, the momentum buffers and one temporary copy
//!     (4 × the parameter count), plus the EMA target network of BYOL;
//!   - **training step**: the activations of the two stacked views of a batch (2·B rows) over
//!     every layer width, kept for the backward pass with their gradients (× 6), and the d×d
//!     cross-correlation of Barlow Twins;
//!   - **snapshot forward**: the probe inputs, their K transforms (and the EMA target's, and the
//!     training bank of the kNN monitor) forwarded one after the other: the inputs, the largest
//!     forward's activations (× 3) and every forward's outputs;
//!   - **snapshot tensors**: the N×d and N×K×d tensors of ARCHITECTURE.md §2 (f32, and their
//!     serialised copy) and their f64 copies for the analysis;
//!   - **analysis**: the d×d Gram matrices of the spectra (× 4 with the eigensolver's work), the
//!     probe × bank similarities of the kNN monitor, the information rows' copies of the views
//!     (× 4) and the jackknife weight vectors (`info.ci_groups` × N f64).
//!
//! A method's peak is its model plus the largest of its phases (training, the snapshot forward,
//! the snapshot tensors with the analysis); the run's is a fixed [`BASELINE`], the data and that
//! peak for each method running at once. Measured peaks (`/usr/bin/time -f %M`) are within a
//! factor 0.9–2 of the estimate (`--quick`: 166 MiB estimated, 144 MiB measured; a CNN on
//! digits: 863 / 900 MiB; a wide BYOL MLP: 1.7 / 1.6 GiB; the configs are in the tests): it catches the sizes that cannot fit,
//! not a run that fits tightly.

use anyhow::{bail, Result};

use crate::config::{EncoderKind, Method, RunConfig};
use crate::data::{DataShape, SampleShape};

/// The process itself: the binary, the allocator's arenas, thread stacks, the report's
/// rendering (a `--quick` run peaks at about 145 MiB, of which the estimated parts are ~100).
pub const BASELINE: u128 = 64 << 20;

/// Memory assumed when the system does not say (not Linux, or /proc/meminfo unreadable).
pub const FALLBACK_MEMORY: u64 = 16 << 30;

/// One estimated allocation.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub what: &'static str,
    pub bytes: u128,
}

/// The estimate of a run's peak memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Data, then the per-method parts (each counted once here).
    pub parts: Vec<Part>,
    /// Methods training at the same time.
    pub workers: usize,
    /// The peak: [`BASELINE`] + data + workers × (model + the largest phase).
    pub total: u128,
}

/// Saturating product.
fn prod(xs: &[usize]) -> u128 {
    xs.iter()
        .fold(1u128, |acc, &x| acc.saturating_mul(x as u128))
}

/// Saturating sum.
fn sum(xs: &[u128]) -> u128 {
    xs.iter().fold(0u128, |acc, &x| acc.saturating_add(x))
}

const F32: usize = 4;
const F64: usize = 8;

/// Layer widths and parameter counts of the networks the configured methods build.
struct Widths {
    /// Parameters of the online network (the largest over the methods).
    params: u128,
    /// Parameters of the EMA target network (encoder + projector), when a method has one.
    ema_params: u128,
    /// Values per row over every activation of one forward pass (incl. im2col buffers).
    act: u128,
    /// The widest judged tensor (feature_dim or projection_dim).
    judged: usize,
}

fn widths(cfg: &RunConfig, shape: &DataShape) -> Widths {
    let m = &cfg.model;
    let d_in = shape.sample.len();
    let (h, f, ph, p) = (
        m.encoder_hidden,
        m.feature_dim,
        m.projector_hidden,
        m.projection_dim,
    );
    let (enc_params, enc_act) = match (m.encoder, shape.sample) {
        (
            EncoderKind::Cnn,
            SampleShape::Image {
                channels,
                height,
                width,
            },
        ) => {
            let (k1, k2) = (m.cnn_channels[0], m.cnn_channels[1]);
            // conv3×3 stride 1 pad 1 keeps the side; conv3×3 stride 2 pad 1 halves it.
            let (h2, w2) = (height.div_ceil(2), width.div_ceil(2));
            let params = sum(&[
                prod(&[k1, channels, 9]),
                prod(&[3, k1]),
                prod(&[k2, k1, 9]),
                prod(&[3, k2]),
                prod(&[k2, h2, w2, f]),
                prod(&[3, f]),
            ]);
            // Each convolution: its im2col buffer, then its output three times (the product,
            // plus the bias, batch-norm + ReLU) — measured within 10 % on digits.
            let act = sum(&[
                d_in as u128,
                prod(&[channels, 9, height, width]),
                prod(&[3, k1, height, width]),
                prod(&[k1, 9, h2, w2]),
                prod(&[3, k2, h2, w2]),
                f as u128,
            ]);
            (params, act)
        }
        _ => (
            sum(&[
                prod(&[d_in, h]),
                prod(&[3, h]),
                prod(&[h, f]),
                prod(&[3, f]),
            ]),
            sum(&[d_in as u128, h as u128, f as u128]),
        ),
    };
    let proj_params = sum(&[
        prod(&[f, ph]),
        prod(&[3, ph]),
        prod(&[ph, p]),
        prod(&[3, p]),
    ]);
    // The predictor's hidden width: BYOL's is the projector's, SimSiam's `predictor_hidden`.
    let pred_hidden = cfg
        .methods
        .iter()
        .filter(|m| !matches!(m, Method::SimsiamNoPredictor | Method::BarlowTwins))
        .map(|m| {
            if matches!(m, Method::Byol | Method::ByolNoEma) {
                ph
            } else {
                cfg.model.predictor_hidden
            }
        })
        .max();
    let (pred_params, pred_act) = match pred_hidden {
        Some(q) => (
            sum(&[prod(&[p, q]), prod(&[3, q]), prod(&[q, p]), p as u128]),
            sum(&[q as u128, p as u128]),
        ),
        None => (0, 0),
    };
    let ema = cfg.methods.contains(&Method::Byol);
    Widths {
        params: sum(&[enc_params, proj_params, pred_params]),
        ema_params: if ema {
            sum(&[enc_params, proj_params])
        } else {
            0
        },
        act: sum(&[enc_act, ph as u128, p as u128, pred_act]),
        judged: f.max(p),
    }
}

/// The estimate for `cfg` on data of `shape`, with `workers` methods training at once.
pub fn estimate(cfg: &RunConfig, shape: &DataShape, workers: usize) -> Estimate {
    let w = widths(cfg, shape);
    let d_in = shape.sample.len();
    let (n_tr, n_pr, k) = (shape.n_train, shape.n_probe, shape.k_views);
    let (f, p) = (cfg.model.feature_dim, cfg.model.projection_dim);
    let ema = cfg.methods.contains(&Method::Byol);
    let barlow = cfg.methods.contains(&Method::BarlowTwins);
    let rows = n_tr.saturating_add(n_pr);

    let data = sum(&[
        prod(&[rows, d_in, F32]),
        prod(&[rows, 8]),
        prod(&[k, d_in, F32]),
    ]);
    let model = sum(&[
        w.params.saturating_mul(4 * F32 as u128),
        w.ema_params.saturating_mul(F32 as u128),
    ]);
    let batch = cfg.optim.batch_size.min(n_tr.max(1));
    let training = sum(&[
        prod(&[2, batch, 6 * F32]).saturating_mul(w.act),
        if barlow { prod(&[p, p, 6 * F32]) } else { 0 },
    ]);
    // The forwards run one after the other (clean probe, its K views, the EMA target's views,
    // the training bank): the largest one's activations, and every one's kept outputs.
    let largest_forward = [
        n_pr,
        n_pr.saturating_mul(k),
        if shape.labels { n_tr } else { 0 },
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    let forward_rows = sum(&[
        prod(&[n_pr, k.saturating_add(1)]),
        if ema { prod(&[n_pr, k]) } else { 0 },
        if shape.labels { n_tr as u128 } else { 0 },
    ]);
    let snapshot_forward = sum(&[
        (largest_forward as u128)
            .saturating_mul(w.act)
            .saturating_mul(3 * F32 as u128),
        forward_rows
            .saturating_mul(sum(&[f as u128, prod(&[2, p])]))
            .saturating_mul(F32 as u128),
        prod(&[n_pr, k, d_in, F32]),
        if shape.labels {
            prod(&[n_tr, d_in, F32])
        } else {
            0
        },
    ]);
    // online.{backbone, projector, predictor} (N×d) and views.{backbone, projector},
    // target.projector (N×K×d): f32 and a serialised copy, then f64 copies for the analysis.
    let per_row = sum(&[f as u128, prod(&[2, p])]);
    let snapshot_tensors = sum(&[
        prod(&[n_pr, k.saturating_add(1), 2 * F32]).saturating_mul(per_row),
        prod(&[n_pr, F64]).saturating_mul(per_row),
        prod(&[n_pr, k, 2, p, F64]),
        if shape.labels {
            prod(&[n_tr, f, 2 * F64])
        } else {
            0
        },
    ]);
    let n_info = n_pr.min(cfg.info.max_rows);
    let analysis = sum(&[
        prod(&[w.judged, w.judged, 4 * F64]),
        if shape.labels {
            prod(&[n_pr, n_tr, F64])
        } else {
            0
        },
        prod(&[n_info, k.saturating_add(1), p, 4 * F64]),
        prod(&[cfg.info.ci_groups, n_info, F64]),
    ]);
    let phase = training
        .max(snapshot_forward)
        .max(snapshot_tensors.saturating_add(analysis));
    let per_method = model.saturating_add(phase);
    let total = sum(&[
        BASELINE,
        data,
        per_method.saturating_mul(workers.max(1) as u128),
    ]);
    Estimate {
        parts: vec![
            Part {
                what: "the training and probe data",
                bytes: data,
            },
            Part {
                what: "model parameters, gradients and optimiser state",
                bytes: model,
            },
            Part {
                what: "activations of a training batch",
                bytes: training,
            },
            Part {
                what: "the snapshot's forward pass over the probe views",
                bytes: snapshot_forward,
            },
            Part {
                what: "snapshot tensors and their f64 copies",
                bytes: snapshot_tensors,
            },
            Part {
                what: "the analysis (spectra, kNN monitor, information, intervals)",
                bytes: analysis,
            },
        ],
        workers: workers.max(1),
        total,
    }
}

/// Bytes, for messages: `512 B`, `3.2 MiB`, `1.5 TiB`, `2.1e6 TiB`.
pub fn human(bytes: u128) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ if v >= 1e5 => format!("{v:.1e} {}", UNITS[unit]),
        _ => format!("{v:.1} {}", UNITS[unit]),
    }
}

/// The memory available to this run, in bytes, and where the figure comes from
/// ([`crate::memory::available`]), else [`FALLBACK_MEMORY`].
pub fn available_memory() -> (u64, String) {
    match crate::memory::available() {
        Some((bytes, source)) => (bytes, source.to_string()),
        None => (
            FALLBACK_MEMORY,
            "assumed: this system does not report its memory".into(),
        ),
    }
}

/// The config sizes that can drive the estimate, each with the value it is compared at (the
/// embedded default's): the key named in the refusal is the one whose default lowers the
/// estimate most.
fn drivers(cfg: &RunConfig, shape: &DataShape) -> Vec<(String, u128)> {
    let d = RunConfig::default_config();
    let mut out = Vec::new();
    let mut try_key = |key: String, value: String, c: RunConfig, s: DataShape| {
        out.push((key, value, c, s));
    };
    macro_rules! model_key {
        ($field:ident) => {{
            let mut c = cfg.clone();
            c.model.$field = d.model.$field.min(cfg.model.$field);
            try_key(
                format!("model.{}", stringify!($field)),
                format!("{:?}", cfg.model.$field),
                c,
                *shape,
            );
        }};
    }
    model_key!(encoder_hidden);
    model_key!(feature_dim);
    model_key!(projector_hidden);
    model_key!(projection_dim);
    model_key!(predictor_hidden);
    {
        let mut c = cfg.clone();
        c.model.cnn_channels = [
            d.model.cnn_channels[0].min(cfg.model.cnn_channels[0]),
            d.model.cnn_channels[1].min(cfg.model.cnn_channels[1]),
        ];
        try_key(
            "model.cnn_channels".into(),
            format!("{:?}", cfg.model.cnn_channels),
            c,
            *shape,
        );
    }
    {
        let mut c = cfg.clone();
        c.optim.batch_size = d.optim.batch_size.min(cfg.optim.batch_size);
        try_key(
            "optim.batch_size".into(),
            cfg.optim.batch_size.to_string(),
            c,
            *shape,
        );
    }
    {
        let mut c = cfg.clone();
        c.info.ci_groups = d.info.ci_groups.min(cfg.info.ci_groups);
        try_key(
            "info.ci_groups".into(),
            cfg.info.ci_groups.to_string(),
            c,
            *shape,
        );
        let mut c = cfg.clone();
        c.info.max_rows = d.info.max_rows.min(cfg.info.max_rows);
        try_key(
            "info.max_rows".into(),
            cfg.info.max_rows.to_string(),
            c,
            *shape,
        );
    }
    let s = DataShape {
        n_train: shape.n_train.min(d.dataset.n_train),
        ..*shape
    };
    try_key(
        "dataset.n_train".into(),
        shape.n_train.to_string(),
        cfg.clone(),
        s,
    );
    let s = DataShape {
        n_probe: shape.n_probe.min(d.dataset.n_probe),
        ..*shape
    };
    try_key(
        "dataset.n_probe".into(),
        shape.n_probe.to_string(),
        cfg.clone(),
        s,
    );
    let s = DataShape {
        k_views: shape.k_views.min(d.dataset.k_views),
        ..*shape
    };
    try_key(
        "dataset.k_views".into(),
        shape.k_views.to_string(),
        cfg.clone(),
        s,
    );
    let workers = 1;
    out.into_iter()
        .map(|(key, value, c, s)| (format!("{key} = {value}"), estimate(&c, &s, workers).total))
        .collect()
}

/// Refuse the run when its estimate exceeds `available` bytes: the message gives the estimate,
/// the memory available and where that figure comes from, the largest parts, and the key whose
/// value drives the estimate most.
pub fn check(
    cfg: &RunConfig,
    shape: &DataShape,
    workers: usize,
    (available, source): (u64, &str),
) -> Result<()> {
    let e = estimate(cfg, shape, workers);
    if e.total <= available as u128 {
        return Ok(());
    }
    let one = estimate(cfg, shape, 1).total;
    let (key, lowered) = drivers(cfg, shape)
        .into_iter()
        .min_by_key(|(_, t)| *t)
        .unwrap_or_else(|| ("the data".into(), one));
    let mut parts = e.parts.clone();
    parts.sort_by_key(|p| std::cmp::Reverse(p.bytes));
    let largest: Vec<String> = parts
        .iter()
        .take(2)
        .map(|p| format!("{} {}", p.what, human(p.bytes)))
        .collect();
    let key_hint = if lowered < one {
        format!("{key} drives it: lower it")
    } else {
        "lower the sizes of the config".into()
    };
    bail!(
        "the run would need about {} ({} bytes) of memory ({} method(s) at once; largest: {}), \
         but {} are available ({source}): {key_hint} (the default config needs well under 1 GiB)",
        human(e.total),
        e.total,
        e.workers,
        largest.join(", "),
        human(available as u128),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic(cfg: &RunConfig) -> DataShape {
        DataShape {
            sample: SampleShape::Vector { dim: 64 },
            n_train: cfg.dataset.n_train,
            n_probe: cfg.dataset.n_probe,
            k_views: cfg.dataset.k_views,
            labels: true,
        }
    }

    #[test]
    fn the_default_run_is_small_and_absurd_sizes_are_huge() {
        let cfg = RunConfig::default_config();
        let e = estimate(&cfg, &synthetic(&cfg), 2);
        assert!(e.total > 10 << 20, "{}", human(e.total));
        assert!(e.total < 1 << 30, "{}", human(e.total));
        for (key, value) in [
            ("feature_dim", 1_000_000_000usize),
            ("encoder_hidden", 1_000_000_000),
            ("projection_dim", 1_000_000_000),
        ] {
            let mut c = cfg.clone();
            match key {
                "feature_dim" => c.model.feature_dim = value,
                "encoder_hidden" => c.model.encoder_hidden = value,
                _ => c.model.projection_dim = value,
            }
            let e = estimate(&c, &synthetic(&c), 2);
            assert!(e.total > 1u128 << 40, "{key}: {}", human(e.total));
            let err = check(&c, &synthetic(&c), 2, (16 << 30, "test")).unwrap_err();
            let msg = format!("{err:#}");
            assert!(msg.contains(&format!("model.{key} = {value}")), "{msg}");
            assert!(msg.contains("16.0 GiB are available (test)"), "{msg}");
        }
        let mut c = cfg.clone();
        c.dataset.n_train = 5_000_000_000;
        let msg = format!(
            "{:#}",
            check(&c, &synthetic(&c), 2, (16 << 30, "test")).unwrap_err()
        );
        assert!(msg.contains("dataset.n_train = 5000000000"), "{msg}");
    }

    /// Peaks measured with `/usr/bin/time -f %M ib-analyze run --quiet --config C` (one
    /// method, so one worker, except `--quick`: 5 methods on 2 cores).
    #[test]
    fn estimates_are_near_measured_peaks() {
        let mib = |b: u128| b as f64 / (1u128 << 20) as f64;
        let check = |cfg: &RunConfig, shape: DataShape, workers: usize, measured_mib: f64| {
            let e = mib(estimate(cfg, &shape, workers).total);
            assert!(
                (0.9 * measured_mib..2.0 * measured_mib).contains(&e),
                "estimated {e:.0} MiB, measured {measured_mib} MiB"
            );
        };
        // `run --quick`: 144 MiB.
        let mut quick = RunConfig::default_config();
        quick.apply_quick();
        check(&quick, synthetic(&quick), 2, 144.0);
        // A wide BYOL MLP, one epoch: 1636 MiB.
        let wide = RunConfig::from_toml_over_default(
            "methods = [\"byol\"]\nepochs = 1\nsnapshot_every = 1\n\
             [dataset]\nn_train = 8192\nn_probe = 2048\n\
             [model]\nencoder_hidden = 2048\nfeature_dim = 1024\nprojector_hidden = 1024\n\
             projection_dim = 512\n[optim]\nbatch_size = 512\n\
             [info]\nci_groups = 0\nestimators = [\"kl\"]\n",
        )
        .unwrap();
        check(&wide, synthetic(&wide), 1, 1636.0);
        // The CNN on digits with 64 and 128 channels: 900 MiB.
        let cnn = RunConfig::from_toml_over_default(
            "methods = [\"simsiam\"]\nepochs = 1\nsnapshot_every = 1\n\
             [dataset]\nkind = \"digits\"\nn_probe = 300\n\
             [model]\nencoder = \"cnn\"\ncnn_channels = [64, 128]\n[optim]\nbatch_size = 512\n\
             [info]\nci_groups = 0\nestimators = [\"kl\"]\n",
        )
        .unwrap();
        let shape = crate::data::planned(&cnn.dataset).unwrap().unwrap();
        check(&cnn, shape, 1, 900.0);
    }

    #[test]
    fn sizes_never_overflow() {
        let mut c = RunConfig::default_config();
        c.model.feature_dim = usize::MAX;
        c.model.encoder_hidden = usize::MAX;
        c.optim.batch_size = usize::MAX;
        c.info.ci_groups = usize::MAX;
        let s = DataShape {
            n_train: usize::MAX,
            n_probe: usize::MAX,
            k_views: usize::MAX,
            ..synthetic(&c)
        };
        assert_eq!(estimate(&c, &s, usize::MAX).total, u128::MAX);
        assert!(check(&c, &s, 2, (u64::MAX, "test")).is_err());
    }

    #[test]
    fn human_units() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(3 << 20), "3.0 MiB");
        assert_eq!(human(3 << 40), "3.0 TiB");
    }
}
