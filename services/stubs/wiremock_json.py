"""WireMock mapping JSON in and out: the Java server's format (what /__admin/mappings takes and a `mappings/` folder
holds) and WireMock.Net's PascalCase dialect, read on upload and converted; written as a zip of `mappings/*.json`.

A mapping is checked with pydantic against the parts of WireMock's stub schema the backoffice reads (request method
and URL matcher, response status, delay, fault, scenario); everything else WireMock knows passes through unchanged.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.errors import InvalidInput
from services.stubs import dotnet
from services.uploads import leaves_its_folder

MAX_BYTES = 10 << 20  # a mapping set's JSON, decompressed: thousands of stubs fit in far less
MAX_MAPPINGS = 2_000
URL_KEYS = ("url", "urlPath", "urlPattern", "urlPathPattern", "urlPathTemplate")
FAULTS = ("EMPTY_RESPONSE", "MALFORMED_RESPONSE_CHUNK", "RANDOM_DATA_THEN_CLOSE", "CONNECTION_RESET_BY_PEER")
HINT = (
    'Upload WireMock mapping JSON: one mapping, {"mappings": [...]} as GET /__admin/mappings returns it, a zip of a '
    "mappings/ folder, or WireMock.Net's JSON."
)


class _Delay(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["lognormal", "uniform", "fixed"]
    median: float | None = Field(default=None, ge=0)
    sigma: float | None = Field(default=None, ge=0)
    lower: int | None = Field(default=None, ge=0)
    upper: int | None = Field(default=None, ge=0)
    milliseconds: int | None = Field(default=None, ge=0)


class _Request(BaseModel):
    model_config = ConfigDict(extra="allow")
    method: str = "ANY"
    url: str | None = None
    urlPath: str | None = None
    urlPattern: str | None = None
    urlPathPattern: str | None = None
    urlPathTemplate: str | None = None

    @model_validator(mode="after")
    def _one_url(self) -> _Request:
        given = [k for k in URL_KEYS if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"request has {' and '.join(given)}; WireMock takes one URL matcher")
        for key in ("urlPattern", "urlPathPattern"):
            value = getattr(self, key)
            if value is not None:
                try:
                    re.compile(value)
                except re.error as exc:
                    raise ValueError(f"request.{key} is not a regular expression ({exc})") from None
        return self


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: int = Field(default=200, ge=100, le=599)
    fixedDelayMilliseconds: int | None = Field(default=None, ge=0, le=600_000)
    delayDistribution: _Delay | None = None
    fault: Literal[FAULTS] | None = None  # type: ignore[valid-type]


class Mapping(BaseModel):
    """The parts of a WireMock stub mapping the backoffice reads."""

    model_config = ConfigDict(extra="allow")
    id: str | None = None
    name: str | None = None
    priority: int | None = Field(default=None, ge=1)
    request: _Request
    response: _Response
    scenarioName: str | None = None
    requiredScenarioState: str | None = None
    newScenarioState: str | None = None


def _problem(name: str, index: int, exc: ValidationError) -> InvalidInput:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "mapping"
    return InvalidInput(
        f"{name}: mapping {index + 1} is not a WireMock stub ({where}: {err['msg']}); nothing was stored. {HINT}"
    )


def check(mappings: list[Any], *, name: str) -> list[dict[str, Any]]:
    """The mappings, each checked; refused whole with the first problem named."""
    if not mappings:
        raise InvalidInput(f"{name}: holds no mapping; nothing was stored. {HINT}")
    if len(mappings) > MAX_MAPPINGS:
        raise InvalidInput(f"{name}: holds {len(mappings):,} mappings, over the {MAX_MAPPINGS:,} a set may hold.")
    checked = []
    for i, m in enumerate(mappings):
        if not isinstance(m, dict) or "request" not in m or "response" not in m:
            keys = ", ".join(list(m)[:6]) if isinstance(m, dict) else type(m).__name__
            raise InvalidInput(
                f"{name}: mapping {i + 1} has no request and response ({keys}); nothing was stored. {HINT}"
            )
        try:
            Mapping.model_validate(m)
        except ValidationError as exc:
            raise _problem(name, i, exc) from None
        checked.append(m)
    return checked


def _mappings_of(doc: Any, name: str) -> list[Any]:
    if isinstance(doc, dict) and "mappings" in doc:
        doc = doc["mappings"]
    elif isinstance(doc, dict) and isinstance(doc.get("Mappings"), list):
        doc = doc["Mappings"]
    items = doc if isinstance(doc, list) else [doc]
    if any(dotnet.is_dotnet(m) for m in items):
        items = [dotnet.to_java(m, name=name, index=i) if dotnet.is_dotnet(m) else m for i, m in enumerate(items)]
    return items


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidInput(f"{name}: is not UTF-8 text; nothing was stored. {HINT}") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{name}: is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); nothing was stored. {HINT}"
        ) from None
    except RecursionError:  # arrays nested thousands deep: no mapping looks like that
        raise InvalidInput(f"{name}: nests its JSON too deep to be a mapping set; nothing was stored. {HINT}") from None


def _is_mapping_entry(entry: zipfile.ZipInfo) -> bool:
    parts = entry.filename.replace("\\", "/").split("/")
    if entry.is_dir() or parts[0] == "__MACOSX" or parts[-1].startswith("."):  # Finder's forks, editors' dotfiles
        return False
    return parts[-1].lower().endswith(".json")


def _zip_entries(name: str, data: bytes) -> list[tuple[str, bytes]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            for entry in entries:
                if leaves_its_folder(entry.filename):
                    raise InvalidInput(
                        f"{name}: holds an entry whose path leaves its folder ({entry.filename}); nothing was stored. "
                        "Zip the mappings folder again from inside its parent folder."
                    )
            wanted = [e for e in entries if _is_mapping_entry(e)]
            too_big = InvalidInput(f"{name}: unpacks to more than {MAX_BYTES >> 20} MB of JSON; nothing was stored.")
            if sum(e.file_size for e in wanted) > MAX_BYTES:
                raise too_big
            out, left = [], MAX_BYTES
            for entry in wanted:
                with archive.open(entry) as member:
                    content = member.read(left + 1)  # the declared size can lie: read no more than the budget
                left -= len(content)
                if left < 0:
                    raise too_big
                out.append((f"{name}/{entry.filename}", content))
    except (zipfile.BadZipFile, RuntimeError, EOFError, ValueError) as exc:
        raise InvalidInput(f"{name}: starts like a zip but cannot be read ({exc}); nothing was stored.") from None
    if not out:
        raise InvalidInput(f"{name}: holds no .json file; nothing was stored. {HINT}")
    return out


def read(name: str, data: bytes) -> list[dict[str, Any]]:
    """The mappings an uploaded file holds (JSON of either dialect, or a zip of such files), checked."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"{name}: is over the {MAX_BYTES >> 20} MB a mapping set may be; nothing was stored.")
    files = _zip_entries(name, data) if data[:4] in (b"PK\x03\x04", b"PK\x05\x06") else [(name, data)]
    mappings: list[Any] = []
    for file_name, content in files:
        mappings.extend(_mappings_of(_json(content, file_name), file_name))
    return check(mappings, name=name)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "stub"


def export_zip(mappings: list[dict[str, Any]], *, folder: str = "mappings") -> bytes:
    """A zip of `mappings/NN-<name>.json`, one mapping per file, as `wiremock --root-dir` loads them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, m in enumerate(mappings, start=1):
            file = f"{folder}/{i:03d}-{_slug(str(m.get('name') or m['request'].get('method', 'stub')))}.json"
            archive.writestr(file, json.dumps(m, indent=2, ensure_ascii=False) + "\n")
    return buffer.getvalue()
