"""Models and model libraries that come as pip packages, found or imported on demand.

`package_dir` finds the folder of a package that ships model files (without importing
its code); `require` imports an optional library. Each fails with a `ModelError` that
says what to install. Leaves out loading the models themselves (each backend's own).
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

from ragkit.errors import ModelError


def package_dir(package: str, missing: str) -> Path:
    """The folder of the installed package `package`; `missing` is the error's text
    when it is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(missing)
    return Path(next(iter(spec.submodule_search_locations)))


def require(module: str, package: str) -> Any:
    """The module `module`, imported; not installed, a `ModelError` naming `package`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModelError(f"{package} is not installed; run: pip install {package}") from exc
