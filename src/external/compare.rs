//! Several models side by side: `analyze A[:KEY] B[:KEY] ...` analyses each INPUT as its own
//! run and gathers the runs into one record, which the report renders as a comparison
//! (ARCHITECTURE.md §3, "Several INPUTs").
//!
//! - Run names: `--names` (one per INPUT), else each file's stem; where stems collide, the
//!   inputs sharing a stem are named by their KEY (`x.npz:z1 x.npz:z2` → `z1`, `z2`); a
//!   directory's run is named after the directory. Names that still repeat are refused.
//! - Tensor names: the report overlays the runs tensor by tensor, so every run's judged tensor
//!   has one name: the KEY when every INPUT has the same KEY, else `embedding` (a `.npy` series
//!   too; the tensors of `.npz`/`.safetensors` series keep their snapshot names, §2).
//! - The record: `dataset.name` lists the INPUTs as given, `n_probe`/`input_dim` are the first
//!   INPUT's (each run's shapes are in its tensors), `k_views` and `h_t` only when every run
//!   agrees; `config` is a [`CompareConfig`].

use anyhow::{bail, Context, Result};
use ib_reports::record::RunRecord;
use std::collections::BTreeMap;
use std::path::Path;

use crate::config::{check_plain_name, RunConfig};
use crate::files::shown;
use crate::input::InputSpec;
use crate::records::{canonical, CompareConfig, ComparedRun};

/// The judged tensor's name when the INPUTs have no common KEY.
pub const DEFAULT_TENSOR: &str = "embedding";

/// The judged tensor's name shared by the runs of file INPUTs: their KEY when all have the
/// same, else [`DEFAULT_TENSOR`]. An INPUT that does not parse is an error naming it.
pub fn tensor_name(inputs: &[String]) -> Result<String> {
    let mut keys = Vec::new();
    for input in inputs {
        keys.push(parse(input)?.key);
    }
    Ok(match keys.split_first() {
        Some((Some(first), rest)) if rest.iter().all(|k| k.as_ref() == Some(first)) => {
            first.clone()
        }
        _ => DEFAULT_TENSOR.to_string(),
    })
}

fn parse(input: &str) -> Result<InputSpec> {
    InputSpec::parse(input).with_context(|| format!("INPUT {}", shown(input)))
}

/// The run names of `inputs` (all files, or all directories when `series`): `names` when
/// given, else the defaults of the module doc. Every name must be a plain file name and the
/// names distinct; errors name the flag or the INPUTs and the fix (`--names`).
pub fn run_names(inputs: &[String], names: Option<&[String]>, series: bool) -> Result<Vec<String>> {
    let n = inputs.len();
    let names = match names {
        Some(given) => {
            if given.len() != n {
                bail!(
                    "--names gives {} name(s) for {n} INPUTs: give one name per INPUT, in their order",
                    given.len()
                );
            }
            for name in given {
                check_plain_name(name, "--names")?;
            }
            given.to_vec()
        }
        None => {
            let names = if series {
                inputs
                    .iter()
                    .map(|d| super::default_name(Path::new(d)))
                    .collect::<Result<Vec<_>>>()?
            } else {
                default_file_names(inputs)?
            };
            for (name, input) in names.iter().zip(inputs) {
                check_plain_name(
                    name,
                    &format!("the run name of '{}' (pass --names)", shown(input)),
                )?;
            }
            names
        }
    };
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, input) in names.iter().zip(inputs) {
        if let Some(other) = seen.insert(name, input) {
            bail!(
                "'{}' and '{}' would both be the run '{}': name the runs with --names a,b,.. (one per INPUT)",
                shown(other),
                shown(input),
                shown(name)
            );
        }
    }
    Ok(names)
}

/// Each file's stem; the inputs whose stem another input shares are named by their KEY.
fn default_file_names(inputs: &[String]) -> Result<Vec<String>> {
    let specs = inputs
        .iter()
        .map(|i| parse(i))
        .collect::<Result<Vec<_>>>()?;
    let stems: Vec<String> = specs
        .iter()
        .map(|s| {
            s.path
                .file_stem()
                .map(|x| x.to_string_lossy().into_owned())
                .unwrap_or_else(|| s.path.display().to_string())
        })
        .collect();
    Ok(specs
        .iter()
        .zip(&stems)
        .map(|(s, stem)| {
            let collides = stems.iter().filter(|o| *o == stem).count() > 1;
            match (&s.key, collides) {
                (Some(key), true) => key.clone(),
                _ => stem.clone(),
            }
        })
        .collect())
}

/// One record of the `runs` (records of one run each, analysed with `cfg`, named in order by
/// `names`), as `analyze` writes for several INPUTs (`inputs`, as given). Each run keeps its
/// own shapes, tensors and config (`config.runs`); what the record's `dataset` says of all of
/// them is said only when they agree.
pub fn merge(
    runs: Vec<RunRecord>,
    names: &[String],
    inputs: &[String],
    cfg: &RunConfig,
) -> Result<RunRecord> {
    let Some(first) = runs.first() else {
        bail!("no INPUT was analysed");
    };
    let agree = |f: &dyn Fn(&RunRecord) -> Option<String>| {
        let v = f(first);
        runs.iter().all(|r| f(r) == v)
    };
    let k_views = first
        .dataset
        .k_views
        .filter(|_| agree(&|r| r.dataset.k_views.map(|k| k.to_string())));
    // Compared bit for bit: H(T) given once applies to every run, ln K agrees when K does.
    let h_t = first
        .dataset
        .h_t
        .filter(|_| agree(&|r| r.dataset.h_t.map(|h| h.to_bits().to_string())));
    let h_t_config = first
        .config
        .get("h_t")
        .filter(|_| agree(&|r| r.config.get("h_t").map(|v| v.to_string())))
        .filter(|v| !v.is_null())
        .cloned();
    let config = CompareConfig {
        info: cfg.info.clone(),
        verdict: cfg.verdict.clone(),
        panel: cfg.panel,
        seed: cfg.seed,
        h_t: h_t_config,
        runs: runs
            .iter()
            .zip(names)
            .map(|(r, name)| ComparedRun::of(name, &r.config))
            .collect(),
    };
    let mut record = RunRecord {
        schema_version: first.schema_version,
        tool: first.tool.clone(),
        created: first.created.clone(),
        source: first.source.clone(),
        dataset: ib_reports::record::DatasetInfo {
            name: inputs.join(", "),
            k_views,
            h_t,
            ..first.dataset.clone()
        },
        config: canonical(&config)?,
        runs: Vec::with_capacity(runs.len()),
    };
    for (r, name) in runs.into_iter().zip(names) {
        for mut run in r.runs {
            run.name = name.clone();
            record.runs.push(run);
        }
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn runs_are_named_by_stem_then_key_where_stems_collide() {
        let names = run_names(
            &strings(&["a/x.npz:z1", "b/x.npz:z2", "y.npy"]),
            None,
            false,
        );
        assert_eq!(names.unwrap(), ["z1", "z2", "y"]);
        let names = run_names(&strings(&["a.npy", "b.npz:z"]), None, false);
        assert_eq!(names.unwrap(), ["a", "b"]);
    }

    #[test]
    fn names_that_still_repeat_ask_for_names() {
        let e = run_names(&strings(&["a/x.npy", "b/x.npy"]), None, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--names") && e.contains("'x'"), "{e}");
        let e = run_names(
            &strings(&["a.npy", "b.npy"]),
            Some(&strings(&["m", "m"])),
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("--names") && e.contains("'m'"), "{e}");
    }

    #[test]
    fn the_tensor_is_the_common_key_or_embedding() {
        assert_eq!(
            tensor_name(&strings(&["a.npz:z", "b.safetensors:z"])).unwrap(),
            "z"
        );
        assert_eq!(
            tensor_name(&strings(&["a.npz:z", "b.npz:w"])).unwrap(),
            DEFAULT_TENSOR
        );
        assert_eq!(
            tensor_name(&strings(&["a.npz:z", "b.npy"])).unwrap(),
            DEFAULT_TENSOR
        );
        assert_eq!(
            tensor_name(&strings(&["a.npy", "b.npy"])).unwrap(),
            DEFAULT_TENSOR
        );
    }
}
