"""Reading SLO files: each YAML document of a file handed to the OpenSLO or the Sloth reader by its version field,
every problem of the file collected into one refusal (services.slos.files holds what the readers share)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from services.errors import InvalidInput
from services.slos import openslo, sloth
from services.slos.files import MAX_PROBLEMS, OPENSLO, SLOTH, DocumentError, SloDocument
from services.slos.schemas import SloInput

Reader = Callable[[dict[str, Any]], list[SloInput]]


def read(text: str, *, file_name: str) -> list[SloDocument]:
    """Every SLO in a YAML file of one or more documents (`---`), each OpenSLO or Sloth; refuses the file with every
    problem named (document, SLO and field) when any document is not supported."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InvalidInput(f"{file_name} is not valid YAML{at}: {problem}; nothing was applied.") from None
    found: list[SloDocument] = []
    problems: list[str] = []
    for number, doc in enumerate(documents, 1):
        items = doc if isinstance(doc, list) else [doc]  # OpenSLO allows a list of objects in one document
        for index, item in enumerate(items):
            where = f"{file_name} document {number}" + (f" item {index + 1}" if isinstance(doc, list) else "")
            if item is None:
                continue
            reader: Reader | None = None
            if isinstance(item, dict) and "apiVersion" in item:
                reader = openslo.read
            elif isinstance(item, dict) and "version" in item:
                reader = sloth.read
            if reader is None:
                problems.append(f"{where} is neither OpenSLO (apiVersion: {OPENSLO}) nor Sloth (version: {SLOTH})")
                continue
            name = _name(item)
            label = f"{where} ({name})" if name else where
            try:
                found += [SloDocument(label, slo) for slo in reader(item)]
            except DocumentError as exc:
                problems += [f"{label}: {p}" for p in exc.problems]
    if problems:
        more = f"; and {len(problems) - MAX_PROBLEMS} more" if len(problems) > MAX_PROBLEMS else ""
        raise InvalidInput("; ".join(problems[:MAX_PROBLEMS]) + more + ". Nothing was applied.")
    if not found:
        raise InvalidInput(f"{file_name} holds no SLO; nothing was applied.")
    return found


def _name(item: dict[str, Any]) -> str:
    meta = item.get("metadata")
    if isinstance(meta, dict):
        return str(meta.get("displayName") or meta.get("name") or "")
    return str(item.get("service") or "")
