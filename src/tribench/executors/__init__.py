"""Executors: where `tribench run` measures its task units — this machine, a Ray cluster, Modal.

The unit of work is one task's interleaved three-way measurement on one machine
(`execute.measure_task`); an executor only decides where units run, never what is recorded
(DESIGN.md, "Remote execution"). The remote executors run the same `measure_task` in a worker
with its own scratch folders and ship back the records plus the logs (`remote.py`); the client
writes both into its results tree, so records from every executor flow into the same tree and
differ only in `executor` and in the fingerprint of the machine that measured them.

`ray` and `modal` are optional extras (`pip install 'tribench[ray]'`, `'tribench[modal]'`),
imported only when their executor is asked for: `import tribench` never loads them.
"""

from __future__ import annotations

import difflib
import importlib
from types import ModuleType
from typing import Any

from tribench.constants import ExecutorName
from tribench.errors import UserError

# name -> (module, class): loaded on demand, so a missing extra only matters when it is used.
_REGISTRY: dict[str, tuple[str, str]] = {
    ExecutorName.LOCAL: ("tribench.execute", "LocalExecutor"),
    ExecutorName.RAY: ("tribench.executors.ray_executor", "RayExecutor"),
    ExecutorName.MODAL: ("tribench.executors.modal_executor", "ModalExecutor"),
}


def available() -> list[str]:
    return sorted(str(name) for name in _REGISTRY)


def make_executor(name: str, **options: Any):
    """The executor `name` (local, ray, modal) built with `options`; UserError for an unknown name."""
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, available(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(f"unknown executor {name!r} (known: {', '.join(available())}){hint}")
    module, cls = _REGISTRY[name]
    return getattr(importlib.import_module(module), cls)(**options)


def require(module: str, extra: str) -> ModuleType:
    """Import an optional backend, or a UserError that names the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise UserError(f"the {extra} executor needs the `{module}` package, which is not installed "
                        f"({exc}): pip install 'tribench[{extra}]'") from None
