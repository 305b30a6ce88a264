"""The one KQL catalogue: named queries in queries/*.kql, rendered with literals from services.telemetry.kql.

A query file starts with `// title: ...` and `// description: ...` lines and names its parameters as
`{name}`; rendering replaces each with a KQL literal. The same text runs on the local store and on Azure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from services.errors import InvalidInput
from services.telemetry.kql import KqlValue, literal

QUERY_DIR = Path(__file__).with_name("queries")
_PARAM = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
PARAMETER_PREFIX = "catalogue_"  # {start} as a declared parameter: catalogue_start


@dataclass(frozen=True)
class CatalogueQuery:
    """A named, parameterised KQL query."""

    name: str
    title: str
    description: str
    text: str

    @property
    def params(self) -> list[str]:
        """The parameter names, in order of first use."""
        return list(dict.fromkeys(_PARAM.findall(self.text)))

    def render(self, **values: KqlValue) -> str:
        """The KQL text with every parameter replaced by a literal."""
        missing = [p for p in self.params if p not in values]
        if missing:
            raise InvalidInput(f"Query {self.name!r} needs values for: {', '.join(missing)}.")
        return _PARAM.sub(lambda m: literal(values[m.group(1)]), self.text)

    def parameterised(self, **values: KqlValue) -> tuple[str, dict[str, KqlValue]]:
        """The KQL text with every datetime and timespan parameter a declared query parameter (its value beside the
        text, so the text stays the same as time moves and its translation is reused) and every other one a literal."""
        missing = [p for p in self.params if p not in values]
        if missing:
            raise InvalidInput(f"Query {self.name!r} needs values for: {', '.join(missing)}.")
        times = [k for k in self.params if isinstance(values[k], datetime | timedelta)]
        beside: dict[str, KqlValue] = {f"{PARAMETER_PREFIX}{k}": values[k] for k in times}

        def put(m: re.Match[str]) -> str:
            value = values[m.group(1)]
            return f"{PARAMETER_PREFIX}{m.group(1)}" if isinstance(value, datetime | timedelta) else literal(value)

        return _PARAM.sub(put, self.text), beside


def _parse(path: Path) -> CatalogueQuery:
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^//\s*(title|description):\s*(.*)$", line)
        if m and not body:
            meta[m.group(1)] = m.group(2).strip()
        else:
            body.append(line)
    return CatalogueQuery(
        name=path.stem,
        title=meta.get("title", path.stem),
        description=meta.get("description", ""),
        text="\n".join(body).strip(),
    )


@cache
def catalogue() -> dict[str, CatalogueQuery]:
    """All catalogue queries by name."""
    return {p.stem: _parse(p) for p in sorted(QUERY_DIR.glob("*.kql"))}


def get(name: str) -> CatalogueQuery:
    """One catalogue query by name."""
    try:
        return catalogue()[name]
    except KeyError:
        raise InvalidInput(f"No catalogue query named {name!r}; known: {', '.join(catalogue())}.") from None


def parameterised(name: str, **values: KqlValue) -> tuple[str, dict[str, KqlValue]]:
    """Render a catalogue query by name with its datetimes as query parameters (CatalogueQuery.parameterised)."""
    return get(name).parameterised(**values)


def render(name: str, **values: KqlValue) -> str:
    """Render a catalogue query by name."""
    return get(name).render(**values)
