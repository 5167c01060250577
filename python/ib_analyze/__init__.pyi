"""Type stubs of ib_analyze (values in nats; arrays N×d, rows are samples)."""

import os
from pathlib import Path
from typing import Any, Dict, Literal, Optional, Union

import numpy as np
import numpy.typing as npt

ArrayLike = Union[npt.ArrayLike, Any]  # numpy arrays, __array__, torch tensors
Quantity = Literal["entropy", "mi", "cond-entropy"]
Method = Literal["kl", "ksg1", "ksg2", "binned", "binned-mm", "gaussian"]
FailOn = Literal["complete", "dimensional", "any"]

__version__: str

def tool_version() -> str: ...
def kl_entropy(x: ArrayLike, k: int = 3, norm: Literal["max", "euclidean"] = "max") -> float: ...
def ksg_mi(x: ArrayLike, y: ArrayLike, k: int = 3, algorithm: Literal[1, 2] = 1) -> float: ...
def cond_entropy(x: ArrayLike, y: ArrayLike, k: int = 3) -> float: ...
def binned_entropy(x: ArrayLike, bins: int = 8, miller_madow: bool = False) -> float: ...
def gaussian_entropy(x: ArrayLike, ridge: float = 0.0) -> float: ...
def estimate(
    quantity: Quantity,
    method: Method,
    x: ArrayLike,
    y: Optional[ArrayLike] = None,
    *,
    k: Optional[int] = None,
    bins: Optional[int] = None,
    norm: Optional[Literal["max", "euclidean"]] = None,
    ridge: Optional[float] = None,
    jitter: Optional[float] = None,
    seed: Optional[int] = None,
    ci: Optional[float] = None,
    ci_groups: Optional[int] = None,
    allow_degenerate: bool = False,
) -> Dict[str, Any]: ...
def analyze(
    z: ArrayLike,
    *,
    views: Optional[ArrayLike] = None,
    target: Optional[ArrayLike] = None,
    labels: Optional[ArrayLike] = None,
    config: Optional[Union[str, os.PathLike[str]]] = None,
    fixed_transforms: bool = False,
    h_t: Optional[float] = None,
) -> Dict[str, Any]: ...
def check(run_dir: Union[str, os.PathLike[str]], fail_on: FailOn = "complete") -> Dict[str, Any]: ...

class SnapshotWriter:
    directory: Path
    def __init__(self, directory: Union[str, os.PathLike[str]]) -> None: ...
    def path(self, epoch: int) -> Path: ...
    def write(self, epoch: int, **tensors: Any) -> Path: ...
