"""duckdb-kql, the local KQL engine, loaded on first use (the standard library's importlib.util.LazyLoader).

Its package loads the ANTLR parser when imported, a fifth of a second, and a process whose query texts are all
translated already (translation_disk.py) never parses: `slo status` is a whole process. The modules of this package
take the engine from here (`from services.telemetry.kql_engine import duckdb_kql`); reading any of its attributes
loads it. It is the module in sys.modules, so an `import duckdb_kql` elsewhere gets the same one.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING, Any


def _lazy(name: str) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"{name} is not installed; run `make setup`")
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import duckdb_kql
else:
    duckdb_kql = _lazy("duckdb_kql")

__all__ = ["duckdb_kql"]
