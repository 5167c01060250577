"""The compiled module (pyo3); use the functions of ib_analyze instead."""

import os
from typing import Any, Optional, Tuple, Union

import numpy as np

def estimate(
    quantity: str,
    method: str,
    x: np.ndarray,
    y: Optional[np.ndarray] = None,
    *,
    k: Optional[int] = None,
    bins: Optional[int] = None,
    norm: Optional[str] = None,
    ridge: Optional[float] = None,
    jitter: Optional[float] = None,
    seed: Optional[int] = None,
    ci: Optional[float] = None,
    ci_groups: Optional[int] = None,
    allow_degenerate: bool = False,
) -> Tuple[float, str]: ...
def analyze(
    z: np.ndarray,
    *,
    views: Optional[np.ndarray] = None,
    target: Optional[np.ndarray] = None,
    labels: Optional[np.ndarray] = None,
    config: Optional[Union[str, os.PathLike[str]]] = None,
    fixed_transforms: bool = False,
    h_t: Optional[float] = None,
) -> str: ...
def check(run_dir: Union[str, os.PathLike[str]], fail_on: str = "complete") -> str: ...
def run_cli(argv: list[str]) -> int: ...
def tool_version() -> str: ...
