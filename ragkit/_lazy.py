"""Names a package re-exports without importing their modules until first use (PEP 562).

`lazy_getattr` builds a package's module-level `__getattr__` from one table, module →
names. Leaves out the declarations type checkers read: each package still names the
same things in a `TYPE_CHECKING` block and in `__all__`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_getattr(package: str, exports: Mapping[str, Iterable[str]]) -> Callable[[str], Any]:
    """A `__getattr__` for `package` that imports a name's module when the name is
    first asked for; `exports` maps each module to the names taken from it."""
    home = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
