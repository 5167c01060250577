"""analyze, check and SnapshotWriter against the installed `ib-analyze` command."""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

import ib_analyze

CLI = shutil.which("ib-analyze")


def cli(*args, json_out=True):
    assert CLI, "the ib-analyze console script is not on PATH"
    p = subprocess.run([CLI, *args] + (["--json"] if json_out else []),
                       capture_output=True, text=True)
    out = json.loads(p.stdout) if json_out and p.stdout.strip() else None
    return p.returncode, out, p.stderr


def embeddings(n=200, d=8, k=4, seed=0, collapsed=False):
    rng = np.random.default_rng(seed)
    if collapsed:
        z = np.tile(rng.normal(size=(1, d)), (n, 1)) + 1e-7 * rng.normal(size=(n, d))
    else:
        z = rng.normal(size=(n, d))
    views = z[:, None, :] + 0.3 * rng.normal(size=(n, k, d))
    labels = (z[:, 0] > 0).astype(np.int64) + 2 * (z[:, 1] > 0)
    return z.astype(np.float32), views.astype(np.float32), labels


def without_input(summary):
    summary = dict(summary)
    summary.pop("input")
    return summary


def test_analyze_equals_the_cli(tmp_path):
    z, views, labels = embeddings()
    for name, a in [("z", z), ("views", views), ("labels", labels)]:
        np.save(tmp_path / f"{name}.npy", a)
    code, expected, err = cli("analyze", str(tmp_path / "z.npy"), "--views",
                              str(tmp_path / "views.npy"), "--labels",
                              str(tmp_path / "labels.npy"), "--fixed-transforms")
    assert code == 0, err
    got = ib_analyze.analyze(z, views=views, labels=labels, fixed_transforms=True)
    assert got["input"] == "z"
    assert without_input(got) == without_input(expected)
    # The JSON shape: the keys of `analyze --json`.
    assert {"verdict", "summary", "n", "d", "tensors", "knn_accuracy", "info"} <= set(got)
    assert (got["n"], got["d"]) == (200, 8)


def test_analyze_with_a_row_paired_target_equals_the_cli(tmp_path):
    z, _, _ = embeddings(n=150, d=6, seed=1)
    target = (z + np.float32(0.1)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "target.npy", target)
    code, expected, err = cli("analyze", str(tmp_path / "z.npy"), "--target",
                              str(tmp_path / "target.npy"))
    assert code == 0, err
    got = ib_analyze.analyze(z, target=target)
    assert without_input(got) == without_input(expected)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"z": np.zeros((1, 4))}, "at least 2 embeddings"),
        ({"z": np.zeros(5)}, "2-D"),
        ({"z": np.full((5, 2), np.nan)}, "non-finite"),
        ({"z": np.ones((5, 2)), "views": np.ones((5, 2, 3))}, "d = 3"),
        ({"z": np.ones((5, 2)), "views": np.ones((5, 2))}, "3-D"),
        ({"z": np.ones((5, 2)), "labels": np.arange(4)}, "4 labels"),
        ({"z": np.ones((5, 2)), "target": np.ones((4, 2))}, "target"),
        ({"z": np.ones((5, 2)), "fixed_transforms": True}, "needs views"),
        ({"z": np.ones((5, 2)), "labels": np.array([0.5, 1, 2, 3, 4])}, "integral"),
    ],
)
def test_analyze_bad_input_is_a_value_error(kwargs, message):
    z = kwargs.pop("z")
    with pytest.raises(ValueError, match=message):
        ib_analyze.analyze(z, **kwargs)


def test_snapshot_series_round_trip_and_check(tmp_path):
    run = tmp_path / "series"
    writer = ib_analyze.SnapshotWriter(run)
    for epoch in range(3):
        z, views, labels = embeddings(n=120, d=6, seed=epoch, collapsed=(epoch == 2))
        path = writer.write(epoch, online_projector=z, views_projector=views, labels=labels)
        assert path.name == f"epoch-{epoch:04d}.safetensors"
    assert sorted(os.listdir(run)) == [f"epoch-000{e}.safetensors" for e in range(3)]

    out = tmp_path / "out"
    code, summary, err = cli("analyze", str(run), "--out", str(out))
    assert code == 0, err
    assert summary["series"]["epochs"] == 3
    assert summary["series"]["first_epoch"] == 0 and summary["series"]["last_epoch"] == 2
    assert "online.projector" in summary["tensors"]
    assert summary["knn_accuracy"] is not None  # the labels were read

    # The last epoch of the series is the same analysis as the arrays in process.
    z, views, labels = embeddings(n=120, d=6, seed=2, collapsed=True)
    direct = ib_analyze.analyze(z, views=views, labels=labels)
    assert direct["verdict"] == summary["verdict"] == "complete-collapse"

    code, expected, err = cli("check", str(out))
    assert code == 1, err
    got = ib_analyze.check(out)
    assert got == expected and got["failed"] is True
    assert ib_analyze.check(out, fail_on="any")["failed"] is True


def test_snapshot_writer_names_and_inputs(tmp_path):
    class FakeTensor:
        def __init__(self, a):
            self.a = a

        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return self.a

    z, views, _ = embeddings(n=50, d=4)
    w = ib_analyze.SnapshotWriter(tmp_path / "a" / "b")
    w.write(12345, **{"online.projector": FakeTensor(z)}, views_projector=views)
    assert (tmp_path / "a" / "b" / "epoch-12345.safetensors").is_file()
    code, summary, err = cli("analyze", str(tmp_path / "a" / "b"))
    assert code == 0, err
    assert summary["series"]["last_epoch"] == 12345
    for bad, message in [
        (lambda: w.write(-1, online_projector=z), "epoch"),
        (lambda: w.write(1), "no tensors"),
        (lambda: w.write(1, online_projector=z, **{"online.projector": z}), "twice"),
        (lambda: w.write(1, online_projector=z.astype(np.complex64)), "dtype"),
    ]:
        with pytest.raises(ValueError, match=message):
            bad()
    assert not [f for f in os.listdir(tmp_path / "a" / "b") if f.startswith(".")]


def test_check_of_a_missing_directory_is_a_value_error(tmp_path):
    code, _, err = cli("check", str(tmp_path / "nope"))
    assert code == 2
    with pytest.raises(ValueError) as e:
        ib_analyze.check(tmp_path / "nope")
    assert str(e.value) == err.strip().removeprefix("error: ")
    with pytest.raises(ValueError, match="fail_on 'sometimes'"):
        ib_analyze.check(tmp_path, fail_on="sometimes")


def test_console_script_exit_codes():
    p = subprocess.run([CLI, "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.strip() == ib_analyze.tool_version()
    p = subprocess.run([CLI, "estimate"], capture_output=True, text=True)
    assert p.returncode == 2 and "required" in p.stderr
