//! `ib_analyze._ib_analyze`: the compiled half of the Python package `ib_analyze` (pyo3, abi3).
//!
//! Every function here calls the library entry the command line uses, so a value, a warning or
//! a refusal is the same as `ib-analyze estimate|analyze|check --json` on the same numbers
//! (ARCHITECTURE.md §3): [`ib_analyze::estimate::run_columns`],
//! [`ib_analyze::external::analyze_arrays`], [`ib_analyze::commands::check::json`] and
//! [`ib_analyze::run_cli`]. The objects cross as JSON text (the CLI's serialiser), parsed by the
//! Python side. Errors of the data or the options are `ValueError` with the CLI's message; the
//! GIL is released while computing.

use std::path::PathBuf;

use ib_analyze::analysis::Embedding;
use ib_analyze::config::RunConfig;
use ib_analyze::estimate::{EstimateRequest, Method, NormArg, Quantity};
use ib_analyze::external::{HtRequest, Target};
use ib_analyze::gate::FailOn;
use ndarray::{ArrayView2, ArrayViewD, Axis, Ix2, Ix3};
use numpy::{PyReadonlyArray1, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// An error of the CLI as a `ValueError`, with the message `ib-analyze` prints after `error: `
/// (control characters escaped).
fn value_error(err: anyhow::Error) -> PyErr {
    PyValueError::new_err(ib_analyze::files::shown_message(&format!("{err:#}")).into_owned())
}

/// A float array as the Python side hands it over: f64 read in place, or f32.
enum Floats<'py> {
    F64(PyReadonlyArrayDyn<'py, f64>),
    F32(PyReadonlyArrayDyn<'py, f32>),
}

impl<'py> Floats<'py> {
    fn extract(a: &Bound<'py, PyAny>, name: &str) -> PyResult<Self> {
        if let Ok(a) = a.extract::<PyReadonlyArrayDyn<'py, f64>>() {
            return Ok(Floats::F64(a));
        }
        if let Ok(a) = a.extract::<PyReadonlyArrayDyn<'py, f32>>() {
            return Ok(Floats::F32(a));
        }
        Err(PyValueError::new_err(format!(
            "'{name}': expected a numpy array of float32 or float64"
        )))
    }

    fn shape(&self) -> Vec<usize> {
        match self {
            Floats::F64(a) => a.shape().to_vec(),
            Floats::F32(a) => a.shape().to_vec(),
        }
    }
}

/// A 1-D array as one column (N×1), a 2-D array as is (a view: no copy); other dimensions are
/// the CLI's refusal of a non-matrix input.
fn as_matrix<'a>(a: ArrayViewD<'a, f64>, name: &str) -> PyResult<ArrayView2<'a, f64>> {
    match a.ndim() {
        1 => Ok(a
            .into_dimensionality::<ndarray::Ix1>()
            .map_err(|e| PyValueError::new_err(e.to_string()))?
            .insert_axis(Axis(1))),
        2 => a
            .into_dimensionality::<Ix2>()
            .map_err(|e| PyValueError::new_err(e.to_string())),
        _ => Err(value_error(
            ib_analyze::input::check_matrix_shape(a.shape(), name)
                .err()
                .map(anyhow::Error::from)
                .unwrap_or_else(|| anyhow::anyhow!("'{name}': expected a 1-D or 2-D array")),
        )),
    }
}

/// f64 values of `a`: borrowed for f64, converted (exactly) for f32.
fn f64_values<'a>(a: &'a Floats<'_>) -> ndarray::CowArray<'a, f64, ndarray::IxDyn> {
    match a {
        Floats::F64(a) => a.as_array().into(),
        Floats::F32(a) => a.as_array().mapv(f64::from).into(),
    }
}

fn parse<T: clap::ValueEnum>(what: &str, text: &str) -> PyResult<T> {
    T::from_str(text, false).map_err(|_| {
        let valid: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        PyValueError::new_err(format!("{what} '{text}': not one of {}", valid.join(", ")))
    })
}

/// `estimate`: (the estimate's value, finite or not; the `estimate --json` object as text).
#[pyfunction]
#[pyo3(signature = (quantity, method, x, y=None, *, k=None, bins=None, norm=None, ridge=None,
    jitter=None, seed=None, ci=None, ci_groups=None, allow_degenerate=false))]
#[allow(clippy::too_many_arguments)]
fn estimate(
    py: Python<'_>,
    quantity: &str,
    method: &str,
    x: &Bound<'_, PyAny>,
    y: Option<&Bound<'_, PyAny>>,
    k: Option<usize>,
    bins: Option<usize>,
    norm: Option<&str>,
    ridge: Option<f64>,
    jitter: Option<f64>,
    seed: Option<u64>,
    ci: Option<f64>,
    ci_groups: Option<usize>,
    allow_degenerate: bool,
) -> PyResult<(f64, String)> {
    let request = EstimateRequest {
        quantity: parse::<Quantity>("quantity", quantity)?,
        input: String::new(),
        method: parse::<Method>("method", method)?,
        k,
        bins,
        norm: norm.map(|n| parse::<NormArg>("norm", n)).transpose()?,
        x_cols: None,
        y_cols: None,
        ridge,
        jitter,
        seed,
        ci,
        ci_groups,
        allow_degenerate,
    };
    let xs = Floats::extract(x, "x")?;
    let ys = y.map(|y| Floats::extract(y, "y")).transpose()?;
    let xv = f64_values(&xs);
    let yv = ys.as_ref().map(f64_values);
    let xm = as_matrix(xv.view(), "x")?;
    let ym = yv.as_ref().map(|y| as_matrix(y.view(), "y")).transpose()?;
    let out = py
        .detach(|| ib_analyze::estimate::run_columns(&request, xm, ym, "<arrays>"))
        .map_err(value_error)?;
    let json =
        serde_json::to_string(&out.report).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok((out.estimate.value, json))
}

/// An N×d array in its stored precision (the CLI keeps f32 as f32), in standard layout.
fn embedding(a: &Floats<'_>, name: &str) -> PyResult<Embedding> {
    if a.shape().len() != 2 {
        return Err(value_error(
            ib_analyze::input::check_matrix_shape(&a.shape(), name)
                .err()
                .map(anyhow::Error::from)
                .unwrap_or_else(|| anyhow::anyhow!("'{name}': expected a 2-D array (N×d)")),
        ));
    }
    let to2 = |e: ndarray::ShapeError| PyValueError::new_err(e.to_string());
    Ok(match a {
        Floats::F64(a) => Embedding::F64(
            a.as_array()
                .into_dimensionality::<Ix2>()
                .map_err(to2)?
                .as_standard_layout()
                .into_owned(),
        ),
        Floats::F32(a) => Embedding::F32(
            a.as_array()
                .into_dimensionality::<Ix2>()
                .map_err(to2)?
                .as_standard_layout()
                .into_owned(),
        ),
    })
}

/// `analyze`: the `analyze --json` object as text.
#[pyfunction]
#[pyo3(signature = (z, *, views=None, target=None, labels=None, config=None,
    fixed_transforms=false, h_t=None))]
#[allow(clippy::too_many_arguments)]
fn analyze(
    py: Python<'_>,
    z: &Bound<'_, PyAny>,
    views: Option<&Bound<'_, PyAny>>,
    target: Option<&Bound<'_, PyAny>>,
    labels: Option<PyReadonlyArray1<'_, i64>>,
    config: Option<PathBuf>,
    fixed_transforms: bool,
    h_t: Option<f64>,
) -> PyResult<String> {
    let cfg = match &config {
        Some(path) => RunConfig::from_file(path).map_err(value_error)?,
        None => RunConfig::default_config(),
    };
    let h_t = match (fixed_transforms, h_t) {
        (true, Some(_)) => {
            return Err(PyValueError::new_err(
                "fixed_transforms=True and h_t: give one (H(T) = ln K for K fixed transforms, \
                 or h_t=NATS)",
            ))
        }
        (true, None) => HtRequest::FixedTransforms,
        (false, Some(h)) if h.is_finite() && h >= 0.0 => HtRequest::Given(h),
        (false, Some(h)) => {
            return Err(PyValueError::new_err(format!(
                "h_t={h}: H(T) must be a finite number of nats >= 0 (e.g. h_t=1.386 for 4 \
                 equiprobable transforms)"
            )))
        }
        (false, None) => HtRequest::Unknown,
    };
    let z = embedding(&Floats::extract(z, "z")?, "z")?;
    let views = match views {
        Some(v) => {
            let v = Floats::extract(v, "views")?;
            let a = f64_values(&v);
            if a.ndim() != 3 {
                return Err(PyValueError::new_err(format!(
                    "'views': expected a 3-D array of views (N×K×d), found shape {}: K \
                     augmented views of each of N inputs",
                    ib_analyze::input::fmt_shape(a.shape())
                )));
            }
            Some(
                a.into_owned()
                    .into_dimensionality::<Ix3>()
                    .map_err(|e| PyValueError::new_err(e.to_string()))?
                    .as_standard_layout()
                    .into_owned(),
            )
        }
        None => None,
    };
    let target = match target {
        Some(t) => {
            let t = Floats::extract(t, "target")?;
            match t.shape().len() {
                2 => Some(Target::Rows(embedding(&t, "target")?)),
                3 => Some(Target::Views(
                    f64_values(&t)
                        .into_owned()
                        .into_dimensionality::<Ix3>()
                        .map_err(|e| PyValueError::new_err(e.to_string()))?
                        .as_standard_layout()
                        .into_owned(),
                )),
                _ => {
                    return Err(PyValueError::new_err(format!(
                        "'target': expected N×d or N×K×d, found shape {}",
                        ib_analyze::input::fmt_shape(&t.shape())
                    )))
                }
            }
        }
        None => None,
    };
    let labels = labels.map(|l| l.as_array().to_vec());
    let json = py.detach(|| {
        let record = ib_analyze::external::analyze_arrays(z, views, target, labels, h_t, &cfg)?;
        ib_analyze::commands::analyze::json(&record, None)
    });
    let json = json.map_err(value_error)?;
    serde_json::to_string(&json).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// `check`: the `check --json` object of a run directory (or its run.json) as text.
#[pyfunction]
#[pyo3(signature = (run_dir, fail_on="complete"))]
fn check(py: Python<'_>, run_dir: PathBuf, fail_on: &str) -> PyResult<String> {
    let fail_on = parse::<FailOn>("fail_on", fail_on)?;
    let json = py
        .detach(|| ib_analyze::commands::check::json(&run_dir, fail_on))
        .map_err(value_error)?;
    serde_json::to_string(&json).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The command line in this process: `argv` with the program name first; returns the exit code.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(|| ib_analyze::run_cli(argv))
}

/// The version of the Rust crates (`ib-analyze X.Y.Z`).
#[pyfunction]
fn tool_version() -> String {
    ib_analyze::tool_version()
}

#[pymodule]
fn _ib_analyze(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(estimate, m)?)?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add_function(wrap_pyfunction!(tool_version, m)?)?;
    Ok(())
}
