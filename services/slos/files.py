"""SLO files: YAML documents in OpenSLO v1 or Sloth prometheus/v1, read into SLO inputs and written back.

Every document is read whole or refused: a field the backoffice does not support is named with the reason, never
dropped, so what `slo apply` stores is what the file says.
"""

from __future__ import annotations

from collections.abc import Mapping
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
