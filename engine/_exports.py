"""Names a package re-exports, imported on first use.

`import peie` and `peie check` must not pay for numpy, pyarrow or the evaluators; each
package's `__init__` lists what it offers and where it lives, and this loads it when a
name is first asked for."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package` that imports `exports[name]` (a module
    relative to the package) when `name` is first read."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module '{package}' has no attribute '{name}'")
        return getattr(importlib.import_module(exports[name], package), name)

    return __getattr__
