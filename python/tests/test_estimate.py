"""ib_analyze's estimators against the installed `ib-analyze estimate` on the reference
datasets (estimators/tests/reference/data, copied to tests/data): the same JSON object, the
same bits, the same warnings and refusals; then the array handling and bad input."""

import json
import math
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

import ib_analyze

DATA = Path(__file__).parent / "data"
CLI = shutil.which("ib-analyze")


def load(name):
    """A reference CSV with Python's float() (correctly rounded: the exact doubles)."""
    lines = (DATA / f"{name}.csv").read_text().splitlines()[1:]
    return np.array([[float(v) for v in line.split(",")] for line in lines])


def cli(*args):
    """`ib-analyze ARGS --json`: (exit code, parsed stdout or None, stderr)."""
    assert CLI, "the ib-analyze console script is not on PATH"
    p = subprocess.run([CLI, *args, "--json"], capture_output=True, text=True)
    out = json.loads(p.stdout) if p.returncode == 0 else None
    return p.returncode, out, p.stderr


def without_input(report):
    report = dict(report)
    del report["input"]
    return report


def bits(v):
    return struct.pack("<d", v)


# (quantity, method, dataset, dx or None, options as flags)
CASES = [
    ("entropy", "kl", "gauss_d2", None, {}),
    ("entropy", "kl", "uniform_d3", None, {"k": 5, "norm": "euclidean"}),
    ("entropy", "binned", "uniform_d3", None, {"bins": 4}),
    ("entropy", "binned-mm", "gauss_d2", None, {"bins": 8}),
    ("entropy", "gaussian", "gauss_d2", None, {}),
    ("entropy", "gaussian", "uniform_d3", None, {"ridge": 1e-3}),
    ("mi", "ksg1", "corr_pair_d2_rho0.8", 2, {}),
    ("mi", "ksg2", "corr_pair_d2_rho0.8", 2, {"k": 4}),
    ("mi", "binned", "discrete_xy", 1, {"bins": 3}),
    ("mi", "gaussian", "corr_pair_d2_rho0.8", 2, {}),
    ("cond-entropy", "kl", "corr_pair_d2_rho0.8", 2, {}),
    ("cond-entropy", "binned-mm", "discrete_xy", 1, {"bins": 4}),
    # Warnings: duplicate rows, ties, a constant column (KSG-1 keeps the value).
    ("entropy", "kl", "duplicates_d2", None, {}),
    ("mi", "ksg1", "const_col_pair_d4", 4, {}),
    ("mi", "ksg1", "ties_rounded_pair", 1, {"allow_degenerate": True}),
    # Jitter and the jackknife interval.
    ("mi", "ksg1", "ties_rounded_pair", 1, {"jitter": 1e-6, "seed": 3}),
    ("entropy", "kl", "gauss_d2", None, {"ci": 0.9, "ci_groups": 10, "seed": 7}),
    ("mi", "ksg1", "corr_pair_d2_rho0.8", 2, {"ci": 0.95}),
    # Non-finite values are the finding: value null, nonfinite named.
    ("entropy", "kl", "collapsed_all_pair_d8", None, {}),
]


def flags(options):
    out = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            out.append(flag)
        else:
            out += [flag, str(value)]
    return out


@pytest.mark.parametrize("quantity,method,name,dx,options", CASES)
def test_estimate_equals_the_cli(quantity, method, name, dx, options):
    m = load(name)
    args = ["estimate", quantity, str(DATA / f"{name}.csv"), "--method", method]
    if dx is None:
        x, y = m, None
    else:
        x, y = m[:, :dx], m[:, dx:]
        args += ["--x-cols", f"0:{dx}", "--y-cols", f"{dx}:{m.shape[1]}"]
    code, expected, err = cli(*args, *flags(options))
    assert code == 0, err
    got = ib_analyze.estimate(quantity, method, x, y, **options)
    assert got["input"] == "<arrays>"
    assert without_input(got) == without_input(expected)
    if expected["value"] is not None:
        assert bits(got["value"]) == bits(expected["value"])


def test_collapsed_data_give_minus_infinity_with_the_reason():
    m = load("collapsed_all_pair_d8")
    got = ib_analyze.estimate("entropy", "kl", m)
    assert got["value"] is None and got["nonfinite"] == "-inf" and got["warnings"]
    assert ib_analyze.kl_entropy(m) == -math.inf


def test_the_shortcuts_are_the_estimates_bit_for_bit():
    g = load("gauss_d2")
    pair = load("corr_pair_d2_rho0.8")
    x, y = pair[:, :2], pair[:, 2:]
    u = load("uniform_d3")
    for short, (quantity, method, a, b, options) in [
        (ib_analyze.kl_entropy(g), ("entropy", "kl", g, None, {})),
        (ib_analyze.kl_entropy(u, k=4, norm="euclidean"),
         ("entropy", "kl", u, None, {"k": 4, "norm": "euclidean"})),
        (ib_analyze.ksg_mi(x, y), ("mi", "ksg1", x, y, {})),
        (ib_analyze.ksg_mi(x, y, k=5, algorithm=2), ("mi", "ksg2", x, y, {"k": 5})),
        (ib_analyze.cond_entropy(x, y), ("cond-entropy", "kl", x, y, {})),
        (ib_analyze.binned_entropy(u, bins=5), ("entropy", "binned", u, None, {"bins": 5})),
        (ib_analyze.binned_entropy(u, miller_madow=True), ("entropy", "binned-mm", u, None, {})),
        (ib_analyze.gaussian_entropy(g, ridge=0.5),
         ("entropy", "gaussian", g, None, {"ridge": 0.5})),
    ]:
        assert isinstance(short, float)
        assert bits(short) == bits(ib_analyze.estimate(quantity, method, a, b, **options)["value"])


def test_degenerate_values_are_refused_as_by_the_cli():
    m = load("ties_rounded_pair")
    code, _, err = cli("estimate", "mi", str(DATA / "ties_rounded_pair.csv"), "--method", "ksg1",
                       "--x-cols", "0:1", "--y-cols", "1:2")
    assert code == 2 and "is degenerate" in err
    with pytest.raises(ValueError, match="is degenerate") as e:
        ib_analyze.ksg_mi(m[:, :1], m[:, 1:])
    # The same message, the file name aside.
    cli_message = err.strip().removeprefix("error: ")
    assert str(e.value).split("': ", 1)[1] == cli_message.split("': ", 1)[1]


def test_layouts_and_precisions(tmp_path):
    m = load("corr_pair_d2_rho0.8")
    x, y = m[:, :2], m[:, 2:]
    reference = ib_analyze.ksg_mi(np.ascontiguousarray(x), np.ascontiguousarray(y))
    # Column slices (strided), Fortran order, a reversed copy read through negative strides.
    assert not x.flags.c_contiguous
    assert ib_analyze.ksg_mi(x, y) == reference
    assert ib_analyze.ksg_mi(np.asfortranarray(x), np.asfortranarray(y)) == reference
    rev = m[::-1]
    assert ib_analyze.ksg_mi(rev[::-1, :2], rev[::-1, 2:]) == reference
    # Every other row: a strided view against its compact copy.
    assert ib_analyze.ksg_mi(x[::2], y[::2]) == ib_analyze.ksg_mi(x[::2].copy(), y[::2].copy())
    # 1-D is one column.
    g = load("gauss_d2")
    assert ib_analyze.kl_entropy(g[:, 0]) == ib_analyze.kl_entropy(g[:, :1])
    # Big-endian input is read as its values.
    assert ib_analyze.kl_entropy(g.astype(">f8")) == ib_analyze.kl_entropy(g)
    # float32: the same as the CLI on a float32 .npy file.
    g32 = g.astype(np.float32)
    np.save(tmp_path / "g32.npy", g32)
    code, expected, err = cli("estimate", "entropy", str(tmp_path / "g32.npy"), "--method", "kl")
    assert code == 0, err
    got = ib_analyze.estimate("entropy", "kl", g32)
    assert without_input(got) == without_input(expected)
    assert bits(got["value"]) == bits(expected["value"])
    assert got["value"] != ib_analyze.kl_entropy(g)  # float32 rounding changes the data
    # Integers are numbers.
    ints = np.arange(40).reshape(20, 2) % 7
    assert ib_analyze.binned_entropy(ints) == ib_analyze.binned_entropy(ints.astype(float))


class FakeTensor:
    """Quacks like a torch tensor: .detach().cpu().numpy()."""

    def __init__(self, a):
        self.a = a

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.a


def test_tensor_like_inputs():
    g = load("gauss_d2")
    assert ib_analyze.kl_entropy(FakeTensor(g)) == ib_analyze.kl_entropy(g)
    assert ib_analyze.kl_entropy(g.tolist()) == ib_analyze.kl_entropy(g)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda g: ib_analyze.kl_entropy(np.where(np.arange(g.size).reshape(g.shape) == 5, np.nan, g)),
         "non-finite"),
        (lambda g: ib_analyze.kl_entropy(g[:, :, None]), "2-D"),
        (lambda g: ib_analyze.kl_entropy(np.zeros((0, 2))), "zero rows"),
        (lambda g: ib_analyze.kl_entropy(np.zeros((5, 0))), "zero columns"),
        (lambda g: ib_analyze.kl_entropy(np.zeros(0)), "zero rows"),
        (lambda g: ib_analyze.ksg_mi(g[:, :1], g[:-1, 1:]), "rows but 'y' has"),
        (lambda g: ib_analyze.ksg_mi(g[:, :1], None), "pass y"),
        (lambda g: ib_analyze.estimate("entropy", "kl", g, g), "y applies to mi"),
        (lambda g: ib_analyze.kl_entropy(g[:3], k=3), "--k 3"),
        (lambda g: ib_analyze.kl_entropy(g, k=0), "k must be at least 1"),
        (lambda g: ib_analyze.estimate("entropy", "ksg1", g), "not available"),
        (lambda g: ib_analyze.estimate("entropy", "nope", g), "method 'nope'"),
        (lambda g: ib_analyze.kl_entropy(g, norm="l1"), "norm 'l1'"),
        (lambda g: ib_analyze.estimate("entropy", "kl", g, jitter=-1.0), "--jitter -1"),
        (lambda g: ib_analyze.kl_entropy(np.array([["a", "b"]] * 5)), "dtype"),
        (lambda g: ib_analyze.gaussian_entropy(g, ridge=float("nan")), "--ridge"),
    ],
)
def test_bad_input_is_a_value_error_with_the_message(call, message):
    g = load("gauss_d2")
    with pytest.raises(ValueError, match=message):
        call(g)


def test_nan_message_is_the_clis(tmp_path):
    g = load("gauss_d2")[:50].copy()
    g[7, 1] = np.nan
    np.save(tmp_path / "x.npy", g)
    code, _, err = cli("estimate", "entropy", str(tmp_path / "x.npy"), "--method", "kl")
    assert code == 2
    with pytest.raises(ValueError) as e:
        ib_analyze.kl_entropy(g)
    # The CLI names the file, the package the argument; the rest is the same text.
    cli_rest = err.strip().split(f"'{tmp_path / 'x.npy'}': ", 1)[1]
    assert str(e.value) == "'x': " + cli_rest
    assert "row 7, column 1" in cli_rest
