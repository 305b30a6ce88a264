"""The Azure telemetry source: KQL sent to Azure Monitor Log Analytics through LogsQueryClient."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential, TokenRequestOptions
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.monitor.query import LogsBatchQuery, LogsQueryClient, LogsQueryError, LogsQueryPartialResult

from services.errors import InvalidInput, QueryError
from services.telemetry.kql import syntax_error
from services.telemetry.parameters import Parameters, inlined
from services.telemetry.source import QueryResult, QuerySpec, Timespan, normalise_frame, timed_out

if TYPE_CHECKING:
    from services.config import Settings

_STATIC_TOKEN_LIFETIME_S = 365 * 86_400
_BATCH_LIMIT = 100  # the service's maximum number of queries in one $batch request
_SECRETS = re.compile(r"(Bearer\s+)\S+|eyJ[\w-]+\.[\w-]+\.[\w-]*", re.IGNORECASE)


class StaticTokenCredential:
    """A TokenCredential that always hands out one access token (SRE_AZURE_ACCESS_TOKEN)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """The token, with a far-future expiry so the pipeline never asks again."""
        return AccessToken(self._token, int(time.time()) + _STATIC_TOKEN_LIFETIME_S)

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        """The token as AccessTokenInfo (azure-core's SupportsTokenInfo protocol)."""
        return AccessTokenInfo(self._token, int(time.time()) + _STATIC_TOKEN_LIFETIME_S)

    def close(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return "StaticTokenCredential(token=***)"


def make_credential(settings: Settings) -> TokenCredential:
    """StaticTokenCredential when SRE_AZURE_ACCESS_TOKEN is set, else DefaultAzureCredential."""
    if settings.azure.access_token is not None and settings.azure.access_token.get_secret_value():
        return StaticTokenCredential(settings.azure.access_token.get_secret_value())
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def _verify_setting(value: str | None) -> str | bool | None:
    words = {"false": False, "0": False, "no": False, "off": False, "true": True, "1": True, "yes": True}
    return None if value is None else words.get(value.strip().lower(), value)


def build_azure_source(settings: Settings) -> AzureTelemetrySource:
    """An AzureTelemetrySource configured from the SRE_AZURE_* settings."""
    _check_target(settings.azure.workspace_id, settings.azure.resource_id)
    return AzureTelemetrySource(
        workspace_id=settings.azure.workspace_id,
        resource_id=settings.azure.resource_id,
        endpoint=settings.azure.logs_endpoint,
        credential=make_credential(settings),
        server_timeout_s=settings.azure.server_timeout_s or settings.telemetry.query_timeout_s,
        row_cap=settings.telemetry.row_cap,
        connection_verify=_verify_setting(settings.azure.connection_verify),
    )


def _check_target(workspace_id: str | None, resource_id: str | None) -> None:
    if bool(workspace_id) == bool(resource_id):
        raise InvalidInput(
            "Set exactly one of SRE_AZURE_WORKSPACE_ID (the Log Analytics workspace ID) or "
            "SRE_AZURE_RESOURCE_ID (an Application Insights resource ID) to query Azure Monitor."
        )


def _absolute(timespan: Timespan | None) -> tuple[datetime, datetime] | None:
    """The timespan as aware UTC instants; naive datetimes are taken as UTC, like the local source."""
    if timespan is None:
        return None
    start, end = (t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC) for t in timespan)
    return start, end


def _short(text: object, limit: int = 300) -> str:
    s = str(text).strip()
    first = s.splitlines()[0] if s else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _error_body(err: HttpResponseError) -> tuple[str, str]:
    """The (code, message) of an error answer; the message joins the top and innermost messages."""
    error: dict[str, Any] = {}
    try:
        body = json.loads(err.response.text()) if err.response is not None else None
        if isinstance(body, dict) and isinstance(body.get("error"), Mapping):
            error = body["error"]
    except (ValueError, AttributeError):
        pass
    if not error and isinstance(err.model, LogsQueryError):
        return err.model.code or "", err.model.message or ""
    return _error_parts(error) if error else ("", _short(err.reason or err.message or ""))


def _error_parts(error: Mapping[str, Any]) -> tuple[str, str]:
    """(code, message) of a Log Analytics error; the message adds the innermost reason to the top one."""
    top = str(error.get("message") or "")
    details = error.get("details") or []
    inner = error
    if not isinstance(inner.get("innererror"), Mapping) and details and isinstance(details[0], Mapping):
        inner = details[0]
    while isinstance(inner.get("innererror"), Mapping):
        inner = inner["innererror"]
    deepest = str(inner.get("message") or "") if inner is not error else ""
    message = f"{top}: {deepest}" if top and deepest and deepest != top else (deepest or top)
    return str(error.get("code") or ""), message


class AzureTelemetrySource:
    """Runs KQL on a Log Analytics workspace (or an Application Insights resource) via LogsQueryClient."""

    kind = "azure"

    def __init__(
        self,
        *,
        workspace_id: str | None,
        resource_id: str | None,
        endpoint: str,
        credential: TokenCredential,
        server_timeout_s: int,
        row_cap: int,
        connection_verify: str | bool | None = None,
        retry_total: int | None = None,
    ) -> None:
        _check_target(workspace_id, resource_id)
        self.workspace_id = workspace_id or None
        self.resource_id = resource_id or None
        self.endpoint = endpoint.rstrip("/")
        self.server_timeout_s = server_timeout_s
        self.row_cap = row_cap
        client_kwargs: dict[str, Any] = {}
        if connection_verify is not None:
            client_kwargs["connection_verify"] = connection_verify
        if retry_total is not None:
            client_kwargs["retry_total"] = retry_total
        self._client = LogsQueryClient(credential, endpoint=self.endpoint, **client_kwargs)
        # the client's read timeout outlasts the server-side one, so the service answers first
        self._call_kwargs: dict[str, Any] = {"read_timeout": server_timeout_s + 30}

    @property
    def _target(self) -> tuple[str, str, str]:
        if self.workspace_id:
            return "workspace", self.workspace_id, "SRE_AZURE_WORKSPACE_ID"
        return "resource", str(self.resource_id), "SRE_AZURE_RESOURCE_ID"

    def describe(self) -> str:
        """Where the data comes from."""
        what, ident, _ = self._target
        return f"Azure Monitor Log Analytics {what} {ident} at {self.endpoint}"

    def query(
        self,
        kql: str,
        *,
        timespan: Timespan | None,
        name: str = "query",
        parameters: Parameters | None = None,
        records: bool = False,
    ) -> QueryResult:
        """Run one KQL query over the timespan on Azure Monitor (`parameters` as `let`s in front); raises QueryError.
        Its rows arrive as a frame whatever `records` says."""
        kql = inlined(kql, parameters or {})
        err = syntax_error(kql, name)
        if err:
            raise err
        started = time.perf_counter()
        opts: dict[str, Any] = {"timespan": _absolute(timespan), "server_timeout": self.server_timeout_s}
        try:
            if self.workspace_id:
                answer = self._client.query_workspace(self.workspace_id, kql, **opts, **self._call_kwargs)
            else:
                answer = self._client.query_resource(str(self.resource_id), kql, **opts, **self._call_kwargs)
        except (AzureError, json.JSONDecodeError) as exc:
            raise self._to_query_error(name, exc) from None
        return self._result(name, answer, started)

    def query_batch(self, specs: list[QuerySpec]) -> list[QueryResult]:
        """Run several queries in $batch requests (one by one on a resource); results in request order."""
        for spec in specs:
            err = syntax_error(inlined(spec.text, spec.parameters), spec.name)
            if err:
                raise err
        if not self.workspace_id or len(specs) < 2:
            return [self.query(s.text, timespan=s.timespan, name=s.name, parameters=s.parameters) for s in specs]
        results: list[QueryResult] = []
        for at in range(0, len(specs), _BATCH_LIMIT):
            chunk = specs[at : at + _BATCH_LIMIT]
            started = time.perf_counter()
            wait = self.server_timeout_s
            batch = [
                LogsBatchQuery(
                    self.workspace_id,
                    inlined(s.text, s.parameters),
                    timespan=_absolute(s.timespan),
                    server_timeout=wait,
                )
                for s in chunk
            ]
            try:
                answers = self._client.query_batch(batch, **self._call_kwargs)
            except (AzureError, json.JSONDecodeError) as exc:
                raise self._to_query_error(", ".join(s.name for s in chunk), exc) from None
            for spec, answer in zip(chunk, answers, strict=True):
                if isinstance(answer, LogsQueryError):
                    raise self._error(spec.name, None, answer.code or "", answer.message or "")
                results.append(self._result(spec.name, answer, started))
        return results

    def _result(self, name: str, answer: Any, started: float) -> QueryResult:
        warnings: list[str] = []
        if isinstance(answer, LogsQueryPartialResult):
            tables: list[Any] = answer.partial_data or []
            perr = answer.partial_error
            why = _error_parts(vars(perr))[1] if perr is not None else "no reason given"
            warnings.append(
                f"{name} returned partial results from Azure Monitor ({_redact(why)}); "
                "the numbers may be incomplete, so narrow the timespan or simplify the query."
            )
        else:
            tables = answer.tables or []
        table = next((t for t in tables if t.name == "PrimaryResult"), tables[0] if tables else None)
        rows = list(table.rows) if table is not None else []
        columns = list(table.columns) if table is not None else []
        truncated = bool(self.row_cap) and len(rows) > self.row_cap
        if truncated:
            rows = rows[: self.row_cap]
            warnings.append(f"Only the first {self.row_cap:,} rows are shown; narrow the query.")
        frame = pd.DataFrame([list(r) for r in rows], columns=columns)
        return QueryResult(
            name=name,
            frame=normalise_frame(frame),
            truncated=truncated,
            elapsed_s=time.perf_counter() - started,
            source=self.kind,
            warning=" ".join(warnings) or None,
        )

    def _to_query_error(self, name: str, exc: Exception) -> QueryError:
        if isinstance(exc, HttpResponseError) and exc.status_code is not None:
            code, message = _error_body(exc)
            return self._error(name, exc.status_code, code, message)
        # query_workspace re-raises a credential's ClientAuthenticationError as a bare HttpResponseError
        auth = exc if isinstance(exc, ClientAuthenticationError) else exc.__context__
        if isinstance(auth, ClientAuthenticationError):
            return _query_error(
                name,
                f"could not get an Azure access token ({_short(auth.message)}); sign in (az login), "
                "use a managed identity, or set SRE_AZURE_ACCESS_TOKEN.",
            )
        if isinstance(exc, ServiceResponseTimeoutError):  # connected, but no answer within the server's wait
            return timed_out(name, self.server_timeout_s)
        if isinstance(exc, ServiceRequestTimeoutError):
            return _query_error(
                name,
                f"no answer from {self.endpoint} in time; check SRE_AZURE_LOGS_ENDPOINT and the network, or try again.",
            )
        if isinstance(exc, ServiceRequestError | ServiceResponseError):
            hint = "SRE_AZURE_CONNECTION_VERIFY" if "ssl" in str(exc).lower() else "the network or proxy"
            return _query_error(
                name,
                f"cannot reach {self.endpoint} ({_short(exc.message, 200)}); check SRE_AZURE_LOGS_ENDPOINT and {hint}.",
            )
        if isinstance(exc, json.JSONDecodeError):
            return _query_error(
                name,
                f"{self.endpoint} did not answer like Log Analytics (not JSON); "
                "check SRE_AZURE_LOGS_ENDPOINT and any proxy in between.",
            )
        return _query_error(name, f"Azure Monitor query failed: {_short(getattr(exc, 'message', exc))}")

    def _error(self, name: str, status: int | None, code: str, message: str) -> QueryError:
        what, ident, setting = self._target
        parts = ": ".join(p for p in (code, message) if p)
        detail = f" ({parts})" if parts else ""
        c = code.lower()
        if status in (401, 403) or c in {"authorizationfailed", "insufficientaccesserror", "forbidden"}:
            text = (
                f"access refused{_status(status)}: the identity needs the Log Analytics Reader role on the "
                f"{what} {ident}; check {setting} / SRE_AZURE_ACCESS_TOKEN."
            )
        elif status == 404 or "notfound" in c:
            text = f"the Log Analytics {what} {ident} was not found at {self.endpoint}; check {setting}."
        elif status == 429 or "throttl" in c:
            text = f"Azure Monitor is throttling queries{_status(status)}; try again in a minute."
        elif status == 504 or "timeout" in c:  # the service stopped the query at its server timeout
            return timed_out(name, self.server_timeout_s)
        elif status is not None and status >= 500:
            text = f"Azure Monitor failed{_status(status)}{detail}; try again shortly."
        elif status == 400 or c in {"badargumenterror", "syntaxerror", "semanticerror"}:
            text = f"Log Analytics rejected the query: {message or code}"
        else:
            text = f"Azure Monitor refused the query{_status(status)}{detail}."
        return _query_error(name, text)


def _status(status: int | None) -> str:
    return f" (HTTP {status})" if status is not None else ""


def _redact(text: str) -> str:
    return _SECRETS.sub(lambda m: (m.group(1) or "") + "***", text)


def _query_error(name: str, text: str) -> QueryError:
    return QueryError(_redact(f"{name}: {text}"), query_name=name)
