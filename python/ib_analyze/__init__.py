"""ib-analyze in Python: entropy and mutual-information estimators (nats), and the collapse
analysis of self-supervised embeddings, computed by the same Rust code as the ``ib-analyze``
command line (which this package also installs).

Every function gives what the command gives on the same numbers:

* :func:`kl_entropy`, :func:`ksg_mi`, :func:`cond_entropy`, :func:`binned_entropy`,
  :func:`gaussian_entropy` return the value of ``ib-analyze estimate`` (bit for bit);
  :func:`estimate` returns the ``estimate --json`` object as a dict;
* :func:`analyze` returns the ``analyze --json`` object, :func:`check` the ``check --json`` one;
* :class:`SnapshotWriter` writes the per-epoch files that ``ib-analyze analyze DIR`` reads.

Arrays: 1-D (one column) or 2-D ``N×d`` (rows are samples), float32 or float64, any order or
strides; numpy arrays, anything with ``__array__``, or torch tensors (``.detach().cpu().numpy()``,
torch is never imported). C- or Fortran-ordered float64 is read in place; float32 is widened to
float64 (exactly), integers are converted to float64. The GIL is released while computing.
Bad data or options raise :class:`ValueError` with the command line's message (where it names a
flag such as ``--jitter``, pass the keyword argument of the same name, ``jitter=``).
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any, Dict, Optional, Union

import numpy as np

from . import _ib_analyze

__all__ = [
    "kl_entropy",
    "ksg_mi",
    "cond_entropy",
    "binned_entropy",
    "gaussian_entropy",
    "estimate",
    "analyze",
    "check",
    "SnapshotWriter",
    "tool_version",
]

__version__ = "0.1.0"

_QUANTITIES_WITH_Y = ("mi", "cond-entropy")


def tool_version() -> str:
    """The version of the Rust code (``ib-analyze X.Y.Z``), as ``ib-analyze --version`` prints."""
    return _ib_analyze.tool_version()


def _numpy(a: Any, name: str) -> np.ndarray:
    """``a`` as a numpy array: torch tensors through ``.detach().cpu().numpy()``, anything else
    through ``numpy.asarray`` (no copy for a numpy array)."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "detach") and hasattr(a, "cpu"):
        a = a.detach().cpu()
        if hasattr(a, "numpy"):
            return np.asarray(a.numpy())
    try:
        return np.asarray(a)
    except Exception as e:  # noqa: BLE001 - any failure to convert is a bad argument
        raise ValueError(f"'{name}': cannot be read as an array: {e}") from e


def _floats(a: Any, name: str) -> np.ndarray:
    """A float32 or float64 array in native byte order (converted only when it is not one)."""
    a = _numpy(a, name)
    kind = a.dtype.kind
    if kind == "f" and a.dtype.itemsize in (4, 8):
        pass
    elif kind == "f" and a.dtype.itemsize < 4:
        a = a.astype(np.float32)  # float16 values are exact in float32
    elif kind in "biuf":
        a = a.astype(np.float64)
    else:
        raise ValueError(
            f"'{name}': expected numbers (float32 or float64), found dtype {a.dtype}"
        )
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return a


def _labels(a: Any) -> np.ndarray:
    """Integer class ids as int64 (N,); an (N, 1) column is accepted, as by ``--labels``."""
    a = _numpy(a, "labels")
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(
            f"'labels': expected a 1-D array of labels (N,), found shape {a.shape}: pass a 1-D "
            "array of integer class ids, e.g. labels.reshape(-1)"
        )
    if a.size == 0:
        raise ValueError("'labels': zero labels: pass one integer class id per row of z")
    if a.dtype.kind in "biu":
        return a.astype(np.int64)
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or not np.all(a == np.round(a)):
            raise ValueError(
                "'labels': float labels must be integral class ids (e.g. 0.0, 1.0, 2.0)"
            )
        return a.astype(np.int64)
    raise ValueError(f"'labels': expected integer class ids, found dtype {a.dtype}")


def _estimate(quantity: str, method: str, x: Any, y: Any = None, **options: Any):
    if quantity in _QUANTITIES_WITH_Y and y is None:
        raise ValueError(
            f"estimate {quantity}: pass y (N×dy) as well as x (N×dx); row i of x and row i of y "
            "are one sample"
        )
    if quantity not in _QUANTITIES_WITH_Y and y is not None:
        raise ValueError(
            f"estimate {quantity}: y applies to mi and cond-entropy; for entropy pass every "
            "column in x"
        )
    xs = _floats(x, "x")
    ys = None if y is None else _floats(y, "y")
    return _ib_analyze.estimate(quantity, method, xs, ys, **options)


def estimate(
    quantity: str, method: str, x: Any, y: Any = None, **options: Any
) -> Dict[str, Any]:
    """One estimate, as the dict ``ib-analyze estimate QUANTITY --method METHOD --json`` prints.

    ``quantity``: ``"entropy"`` H(X), ``"mi"`` I(X;Y), ``"cond-entropy"`` H(X|Y) = H(X,Y) − H(Y).
    ``method``: ``kl``, ``ksg1``, ``ksg2``, ``binned``, ``binned-mm`` or ``gaussian`` (the ones the
    quantity allows). ``x`` is N×dx, ``y`` (mi and cond-entropy) N×dy with the same N; the report
    reads as for a file holding ``[x | y]`` with ``--x-cols 0:dx --y-cols dx:dx+dy``, and ``input``
    is ``"<arrays>"``.

    Options (the flags of ``estimate``): ``k``, ``bins``, ``norm`` (``"max"`` or
    ``"euclidean"``), ``ridge``, ``jitter`` (σ of seeded N(0, σ²) noise added to ``[x | y]`` row by
    row), ``seed``, ``ci`` (level of the delete-a-group jackknife interval), ``ci_groups``,
    ``allow_degenerate``.

    Values are in nats; a value that is not finite is ``None`` with ``"nonfinite"`` saying which.
    A degenerate finite value (ties, constant columns) raises ``ValueError`` unless
    ``allow_degenerate=True``, as the command exits 2.
    """
    _, text = _estimate(quantity, method, x, y, **options)
    return json.loads(text)


def kl_entropy(x: Any, k: int = 3, norm: str = "max") -> float:
    """Differential entropy H(X) in nats by Kozachenko–Leonenko (Kozachenko & Leonenko, 1987;
    Kraskov, Stögbauer & Grassberger, 2004, eq. 20):

        H(X) = ψ(N) − ψ(k) + ln V_d + (d/N) Σ_i ln r_i

    with r_i the distance of row i to its k-th neighbour in the ``norm`` (``"max"``: V_d = 2^d,
    distances as radii; ``"euclidean"``: V_d the unit ball's volume). Same as
    ``ib-analyze estimate entropy --method kl --k K --norm NORM``. −inf when rows repeat.
    """
    value, _ = _estimate("entropy", "kl", x, k=k, norm=norm)
    return value


def ksg_mi(x: Any, y: Any, k: int = 3, algorithm: int = 1) -> float:
    """Mutual information I(X;Y) in nats by Kraskov–Stögbauer–Grassberger (2004), max-norm:

        algorithm 1: I = ψ(k) + ψ(N) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩
        algorithm 2: I = ψ(k) − 1/k + ψ(N) − ⟨ψ(n_x) + ψ(n_y)⟩

    Negative values are not clipped. Same as ``ib-analyze estimate mi --method ksg1|ksg2``.
    """
    if algorithm not in (1, 2):
        raise ValueError(f"algorithm={algorithm}: KSG has algorithms 1 and 2")
    value, _ = _estimate("mi", f"ksg{algorithm}", x, y, k=k)
    return value


def cond_entropy(x: Any, y: Any, k: int = 3) -> float:
    """Conditional entropy H(X|Y) = H(X,Y) − H(Y) in nats, both terms by Kozachenko–Leonenko
    (max-norm, k neighbours). Same as ``ib-analyze estimate cond-entropy --method kl``."""
    value, _ = _estimate("cond-entropy", "kl", x, y, k=k)
    return value


def binned_entropy(x: Any, bins: int = 8, miller_madow: bool = False) -> float:
    """Plug-in entropy H = −Σ p̂ ln p̂ in nats of equal-width bins (``bins`` per column over each
    column's [min, max]); with ``miller_madow`` the Miller–Madow correction (m − 1)/(2N) is added
    (m: occupied cells). A discrete entropy of the bin labels: it depends on ``bins`` and is not
    a differential entropy. Same as ``ib-analyze estimate entropy --method binned|binned-mm``."""
    method = "binned-mm" if miller_madow else "binned"
    value, _ = _estimate("entropy", method, x, bins=bins)
    return value


def gaussian_entropy(x: Any, ridge: float = 0.0) -> float:
    """Entropy of the Gaussian with the sample covariance Σ (+ ``ridge`` · I), in nats:

        H = ½ ln det(2πe Σ)

    Same as ``ib-analyze estimate entropy --method gaussian --ridge RIDGE``; −inf when Σ is
    singular."""
    value, _ = _estimate("entropy", "gaussian", x, ridge=ridge)
    return value


def analyze(
    z: Any,
    *,
    views: Any = None,
    target: Any = None,
    labels: Any = None,
    config: Optional[Union[str, os.PathLike]] = None,
    fixed_transforms: bool = False,
    h_t: Optional[float] = None,
) -> Dict[str, Any]:
    """Measure and judge embeddings: the dict ``ib-analyze analyze INPUT --json`` prints.

    ``z``: the online embedding V, N×d (float32 stays float32, as the command keeps a float32
    file's precision). ``views``: N'×K×d, K transformed views of each of N' inputs (gives H(V|X),
    I(X;V), I(V;V'), H(V|V')). ``target``: the target network's output, the views' shape, or
    N×d paired with ``z`` row by row. ``labels``: N integer class ids (leave-one-out kNN
    accuracy). ``config``: a TOML file as ``--config``. ``fixed_transforms=True`` (H(T) = ln K)
    or ``h_t=NATS`` say what H(T) is, as ``--fixed-transforms`` / ``--h-t``. Entropies in nats.
    The inputs are named ``z``, ``views``, ``target``, ``labels`` in the result and in messages.
    """
    zs = _floats(z, "z")
    vs = None if views is None else _floats(views, "views")
    ts = None if target is None else _floats(target, "target")
    ls = None if labels is None else _labels(labels)
    cfg = None if config is None else os.fspath(config)
    text = _ib_analyze.analyze(
        zs,
        views=vs,
        target=ts,
        labels=ls,
        config=cfg,
        fixed_transforms=fixed_transforms,
        h_t=h_t,
    )
    return json.loads(text)


def check(run_dir: Union[str, os.PathLike], fail_on: str = "complete") -> Dict[str, Any]:
    """The CI gate: the dict ``ib-analyze check RUN_DIR --fail-on FAIL_ON --json`` prints.

    ``fail_on``: ``"complete"`` (complete collapse or divergence), ``"dimensional"`` or ``"any"``.
    ``result["failed"]`` is true where the command exits 1. A directory that cannot be judged
    raises ``ValueError`` (the command's exit 2)."""
    return json.loads(_ib_analyze.check(os.fspath(run_dir), fail_on))


# safetensors dtype names (https://github.com/huggingface/safetensors, format.md).
_DTYPES = {
    np.dtype(np.float64): "F64",
    np.dtype(np.float32): "F32",
    np.dtype(np.float16): "F16",
    np.dtype(np.int64): "I64",
    np.dtype(np.int32): "I32",
    np.dtype(np.int16): "I16",
    np.dtype(np.int8): "I8",
    np.dtype(np.uint64): "U64",
    np.dtype(np.uint32): "U32",
    np.dtype(np.uint16): "U16",
    np.dtype(np.uint8): "U8",
    np.dtype(np.bool_): "BOOL",
}

# Keyword spellings of the snapshot tensor names (ARCHITECTURE.md §2), which hold a dot.
_ALIASES = {
    "online_backbone": "online.backbone",
    "online_projector": "online.projector",
    "online_predictor": "online.predictor",
    "views_backbone": "views.backbone",
    "views_projector": "views.projector",
    "target_projector": "target.projector",
}


class SnapshotWriter:
    """Writes ``DIRECTORY/epoch-NNNN.safetensors``, the series ``ib-analyze analyze DIRECTORY``
    reads (one run, one epoch per file).

    >>> w = SnapshotWriter("snapshots/byol")
    >>> w.write(5, online_projector=z, views_projector=v, labels=y)   # doctest: +SKIP

    Tensor names are the run directory's (ARCHITECTURE.md §2): ``online.backbone``,
    ``online.projector``, ``online.predictor`` (N×d), ``views.backbone``, ``views.projector``
    (N×K×d), ``target.projector`` (the views' shape), ``labels`` (N, stored as int64). Pass them
    as keywords with ``_`` for the dot (``online_projector=``) or as ``**{"online.projector": z}``.
    Values: numpy arrays, anything with ``__array__``, or torch tensors (``.detach().cpu()``);
    stored in their dtype (float32 is the contract's; float64 is kept). Each file is written to
    ``.epoch-NNNN.safetensors.tmp`` and renamed into place, so a reader sees all of it or none.
    """

    def __init__(self, directory: Union[str, os.PathLike]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def path(self, epoch: int) -> Path:
        """The file of ``epoch``: ``DIRECTORY/epoch-NNNN.safetensors`` (at least 4 digits)."""
        return self.directory / f"epoch-{epoch:04d}.safetensors"

    def write(self, epoch: int, **tensors: Any) -> Path:
        """Write the tensors of ``epoch`` (an integer ≥ 0) atomically; returns the file's path."""
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
            raise ValueError(f"epoch={epoch!r}: the epoch is an integer >= 0")
        epoch = int(epoch)
        if not tensors:
            raise ValueError(
                "no tensors: pass e.g. online_projector=Z (N×d), views_projector=V (N×K×d)"
            )
        arrays = {}
        for key, value in tensors.items():
            name = _ALIASES.get(key, key)
            if name in arrays:
                raise ValueError(f"'{name}' given twice (as '{key}' and its other spelling)")
            a = _numpy(value, name)
            if name == "labels":
                a = _labels(a)
            if a.dtype not in _DTYPES:
                raise ValueError(
                    f"'{name}': dtype {a.dtype} has no safetensors type here; pass float32, "
                    "float64, float16, integers or bool"
                )
            arrays[name] = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        header: Dict[str, Any] = {}
        offset = 0
        for name in sorted(arrays):
            a = arrays[name]
            header[name] = {
                "dtype": _DTYPES[np.dtype(a.dtype.newbyteorder("="))],
                "shape": list(a.shape),
                "data_offsets": [offset, offset + a.nbytes],
            }
            offset += a.nbytes
        head = json.dumps(header, separators=(",", ":")).encode()
        head += b" " * (-len(head) % 8)  # the data start 8-byte aligned
        final = self.path(epoch)
        tmp = self.directory / f".{final.name}.tmp"
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(head)))
            f.write(head)
            for name in sorted(arrays):
                f.write(arrays[name].tobytes())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
        return final
