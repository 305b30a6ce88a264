"""The shape every domain keeps: queries in repositories, no import cycle, pages that only render."""

from __future__ import annotations

import ast
import re
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "services"
QUERY = re.compile(r"(?<![.\w])(select|update|delete|insert)\(|session\.(query|get|scalars|scalar|execute)\(")
# where building a statement is the module's job: repositories, the shared helpers, engine set-up, migrations
QUERY_HOMES = {"repository.py", "db.py", "migrate.py"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in SERVICES.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def test_nothing_outside_a_repository_builds_a_query() -> None:
    found = []
    for path in SERVICES.rglob("*.py"):
        if path.name in QUERY_HOMES or "demo" in path.parts:  # the demo generator's np.select is not SQL
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if QUERY.search(code) and "np.select" not in code and ".execute(f'CREATE" not in code:
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    allowed_sql = [f for f in found if "telemetry/local.py" in f and "con.execute" in f]  # DuckDB views, not ORM
    assert sorted(set(found) - set(allowed_sql)) == []


def _imports(path: Path, modules: dict[str, str]) -> set[str]:
    """Every services module `path` imports, at the top or inside a function."""
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        out |= {n for n in names if n in modules}
    return out


def test_no_import_cycle_even_counting_function_level_imports() -> None:
    modules = {name: name for name in _modules()}
    graph = {name: _imports(path, modules) - {name} for name, path in _modules().items()}
    for name in list(graph):  # a package's __init__ re-exporting its modules is not a cycle with them
        graph[name] = {d for d in graph[name] if not (d.startswith(name + ".") or name.startswith(d + "."))}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_pages_only_render() -> None:
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text()
        assert len(text.splitlines()) <= 80, f"{page.name} is {len(text.splitlines())} lines: move blocks to app/ui"
        assert not re.search(r"^\s*(from|import) (sqlalchemy|azure)", text, re.M), page.name


def test_services_never_import_streamlit() -> None:
    for path in SERVICES.rglob("*.py"):
        assert not re.search(r"^\s*(from|import) streamlit", path.read_text(), re.M), path


def test_every_domain_folder_has_the_same_files() -> None:
    """A domain with stored state keeps models, repository and service side by side."""
    for folder in SERVICES.iterdir():
        if folder.is_dir() and (folder / "models.py").exists():
            assert (folder / "repository.py").exists() and (folder / "service.py").exists(), folder.name


def test_the_cli_prints_only_after_the_unit_of_work_has_committed() -> None:
    """A commit can still fail at the end of `with session_scope()`: nothing is printed inside one."""
    inside = []
    for path in [*SERVICES.rglob("*cli.py")]:
        for block in ast.walk(ast.parse(path.read_text())):
            if isinstance(block, ast.With) and any("session_scope" in ast.unparse(i.context_expr) for i in block.items):
                inside += [
                    f"{path.relative_to(ROOT)}:{call.lineno}"
                    for call in ast.walk(block)
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print"
                ]
    assert inside == []
