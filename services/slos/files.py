"""SLO files: YAML documents in OpenSLO v1 or Sloth prometheus/v1, read into SLO inputs and written back.

Every document is read whole or refused: a field the backoffice does not support is named with the reason, never
dropped, so what `slo apply` stores is what the file says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from services.errors import InvalidInput
from services.slos.schemas import SloInput, parse_slo_input

MAX_PROBLEMS = 10
OPENSLO, SLOTH = "openslo/v1", "prometheus/v1"


@dataclass(frozen=True)
class SloDocument:
    """One SLO read from a file, with where it was (for messages)."""

    where: str
    slo: SloInput


class DocumentError(Exception):
    """What is wrong with one document, field by field; turned into one InvalidInput per file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def path(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a YAML path: spec.timeWindow[0].duration."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"


def problems_of(exc: ValidationError, hints: Mapping[str, str], prefix: str = "") -> list[str]:
    """pydantic's errors in the words of an SLO file: unknown fields are 'not supported', with the reason per field."""
    out = []
    for err in exc.errors():
        where = prefix + path(tuple(err["loc"]))
        field = next((str(p) for p in reversed(err["loc"]) if isinstance(p, str)), "")
        if err["type"] == "extra_forbidden":
            out.append(f"{where} is not supported: {hints.get(field, 'remove it')}")
        elif err["type"] == "missing":
            out.append(f"{where} is required")
        else:
            out.append(f"{where}: {str(err['msg']).removeprefix('Value error, ')}")
    return out


def to_input(fields: dict[str, Any]) -> SloInput:
    """The SLO fields a document gave, validated like the form's (objective range, KQL syntax, …)."""
    try:
        return parse_slo_input(fields)
    except InvalidInput as exc:
        raise DocumentError([str(exc).removeprefix("The SLO was not saved. ").rstrip(".")]) from None


Reader = Callable[[dict[str, Any]], list[SloInput]]


def read(text: str, *, file_name: str) -> list[SloDocument]:
    """Every SLO in a YAML file of one or more documents (`---`), each OpenSLO or Sloth; refuses the file with every
    problem named (document, SLO and field) when any document is not supported."""
    from services.slos import openslo, sloth

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


class _Dumper(yaml.SafeDumper):
    """Multi-line text (a KQL query over several lines) as a literal block, the way people write it."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump(documents: list[dict[str, Any]]) -> str:
    """YAML documents separated by `---`, keys in the order given."""
    return yaml.dump_all(
        documents, Dumper=_Dumper, sort_keys=False, allow_unicode=True, explicit_start=True, width=10_000
    )
