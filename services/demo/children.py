"""The tables derived from a batch of requests: dependencies, exceptions, traces, custom events and metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.demo import catalog as c
from services.demo.columns import MIN_US, build, join, per_minute, pick_text, random_hex, text, timestamps
from services.demo.core import ENV, Batch

_I64 = np.int64
_SLOT_KIND = np.array([s.kind for s in c.SLOTS])
_SLOT_POS = np.array([s.position for s in c.SLOTS])
_SLOT_PRIMARY = np.array([s.primary for s in c.SLOTS])
_SLOT_HAS_ID = np.array(["{id}" in s.data for s in c.SLOTS])
_SLOT_PREFIX = tuple(s.data.split("{id}")[0] for s in c.SLOTS)
_SLOT_SUFFIX = tuple(s.data.split("{id}")[-1] for s in c.SLOTS)
_SLOT_DATA = tuple(s.data for s in c.SLOTS)
_SLOT_NAME = tuple(s.name for s in c.SLOTS)
_DEP_CODES = (*c.DEP_OK_CODE, *(c.DEP_FAIL_CODE.get(k, "Error") for k in range(4)), c.DOPA_TIMEOUT_CODE)
_OUTCOMES = ("verified", "mismatch", "timeout", "error", "invalid")
_EXC = {name: tuple(getattr(r, name) for r in c.EXCEPTION_ROWS) for name in c.ExceptionRow.__dataclass_fields__}
_EXC_SEVERITY = np.array(_EXC.pop("severity"), dtype=np.int32)
_BREAKER = "Circuit breaker for api.dopa.go.th opened after repeated timeouts; failing fast"


def _bucket(ms: np.ndarray) -> pa.Array:
    return pick_text(c.BUCKETS, np.searchsorted(c.BUCKET_EDGES, ms, side="right"))


@dataclass
class Dependencies:
    table: pa.Table
    req: np.ndarray  # the request of each call
    kind: np.ndarray
    at_us: np.ndarray
    dur: np.ndarray


def dependencies(b: Batch, rng: np.random.Generator) -> Dependencies:
    """The SQL, Redis, DOPA and Service Bus calls of each request (catalog.SLOTS), in request order."""
    fail_kind = c.CAUSE_FAILS[b.cause]
    success = b.success
    reqs, slots = [], []
    for i, slot in enumerate(c.SLOTS):
        when = {"all": True, "ok": success, "not400": b.code != 400}[slot.when]
        cand = np.flatnonzero((b.op == slot.op) & when)
        keep = rng.random(len(cand)) < slot.prob
        if slot.primary:  # the call a failure is blamed on is always made
            keep |= fail_kind[cand] == slot.kind
        reqs.append(cand[keep])
        slots.append(np.full(int(keep.sum()), i, dtype=_I64))
    req, slot_i = np.concatenate(reqs), np.concatenate(slots)
    order = np.argsort(req, kind="stable")
    req, slot_i = req[order], slot_i[order]
    kind = _SLOT_KIND[slot_i]
    n = len(req)
    dur = np.exp(c.DEP_LOG_MEDIAN[kind] + c.DEP_SIGMA[kind] * rng.standard_normal(n))
    dur = np.where(kind == c.SQL, dur * b.slow[req], dur)
    dur = np.minimum(dur, 0.8 * b.dur[req])
    is_dopa = kind == c.HTTP_DOPA
    dur = np.where(is_dopa, b.dopa_ms[req], dur)
    failed = _SLOT_PRIMARY[slot_i] & (fail_kind[req] == kind)
    code = np.where(is_dopa & b.timeout[req], len(_DEP_CODES) - 1, kind + 4 * failed)
    at = b.t[req] + (_SLOT_POS[slot_i] * np.maximum(b.dur[req] - dur, 0.0) * 1000).astype(_I64)
    data = pc.if_else(
        _SLOT_HAS_ID[slot_i],
        join(pick_text(_SLOT_PREFIX, slot_i), b.entity.take(pa.array(req)), pick_text(_SLOT_SUFFIX, slot_i)),
        pick_text(_SLOT_DATA, slot_i),
    )
    table = b.child(
        "AppDependencies",
        req,
        at,
        {
            "Properties": pa.repeat(pa.scalar("{" + ENV), n),
            "Id": random_hex(rng, n, 8),
            "Name": pick_text(_SLOT_NAME, slot_i),
            "Target": pick_text(c.DEP_TARGET, kind),
            "DependencyType": pick_text(c.DEP_TYPE, kind),
            "Data": data,
            "Success": pa.array(~failed),
            "ResultCode": pick_text(_DEP_CODES, code),
            "DurationMs": pa.array(np.round(dur, 3)),
            "PerformanceBucket": _bucket(dur),
        },
    )
    return Dependencies(table, req, kind, at, dur)


def exceptions(b: Batch) -> pa.Table:
    """One exception per failed request with a cause (unhandled), plus the handled ones some requests log."""
    req = np.flatnonzero(b.cause > 0)
    kind = c.EXCEPTION_INDEX[b.op[req], b.cause[req]]
    cols = {name: pick_text(values, kind) for name, values in _EXC.items()}
    return b.child(
        "AppExceptions",
        req,
        b.t[req] + (b.dur[req] * 980).astype(_I64),
        {
            "Properties": join('{"RequestPath": "', b.path.take(pa.array(req)), '", ', ENV),
            "ExceptionType": cols["type"],
            "Message": cols["message"],
            "Method": cols["method"],
            "Assembly": pa.repeat(pa.scalar(c.ASSEMBLY), len(req)),
            "OuterType": cols["outer_type"],
            "OuterMessage": cols["outer_message"],
            "InnermostType": cols["innermost_type"],
            "InnermostMessage": cols["innermost_message"],
            "ProblemId": cols["problem_id"],
            "HandledAt": cols["handled_at"],
            "SeverityLevel": pa.array(_EXC_SEVERITY[kind]),
            "Details": cols["details"],
        },
    )


def _outcome(b: Batch) -> np.ndarray:
    return np.select([b.code == 200, b.code == 422, b.timeout, b.code == 502], [0, 1, 2, 3], 4)


def traces(b: Batch, rng: np.random.Generator) -> pa.Table:
    """Serilog-style messages (SeverityLevel 0 verbose .. 4 critical) about the requests."""
    n, op, code, dur, t = b.n, b.op, b.code, b.dur, b.t
    success, worker = b.success, b.worker
    end_us, mid = b.end_us, t + (dur * 900).astype(_I64)
    parts: list[tuple[np.ndarray, np.ndarray, pa.Array, np.ndarray]] = []

    def add(mask: np.ndarray, severity: np.ndarray | int, message: pa.Array, at: np.ndarray) -> None:
        idx = np.flatnonzero(mask)
        sev = np.asarray(severity)
        sev = sev[idx] if sev.ndim else np.full(len(idx), sev)
        msg = message.filter(pa.array(mask)) if len(message) == n else message
        parts.append((idx, sev.astype(np.int32), msg, at[idx]))

    web = ~worker
    is4 = web & (code >= 400) & (code < 500) & ~((op == c.LOGIN) & (code == 401))
    is5 = web & (code >= 500)
    slow_ok = web & success & (dur > 1000)
    logged = is5 | is4 | slow_ok | (web & success & (rng.random(n) < 0.03))
    method = pick_text([o.method for o in c.OPERATIONS], op)
    add(
        logged,
        np.select([is5, is4 | slow_ok], [3, 2], 1),
        join("HTTP ", method, " ", b.path, " responded ", text(code), " in ", text(np.round(dur, 4)), " ms"),
        end_us,
    )
    add((op == c.LOGIN) & (code == 200), 1, join("User ", b.account, " signed in from ", b.ip), mid)
    add((op == c.LOGIN) & (code == 401), 2, join("Failed sign-in for ", b.account, " from ", b.ip), mid)
    created = (op == c.ORDER_CREATE) & (code == 201)
    add(created, 1, join("Order ", b.order, " created for shop ", b.shop, ": ", text(b.amount), " THB"), mid)
    calls_dopa = (op == c.DOPA) & (code != 400)
    outcome = pick_text(_OUTCOMES, _outcome(b))
    add(
        calls_dopa,
        np.select([code == 200, code == 422], [1, 2], 3),
        join("DOPA verification for ", b.account, ": ", outcome, " (", text(np.round(b.dopa_ms, 1)), " ms)"),
        mid,
    )
    add(b.in_burst & b.timeout & (rng.random(n) < 0.1), 4, pa.repeat(pa.scalar(_BREAKER), n), mid)
    add((op == c.SHOP) & success & (rng.random(n) < 0.02), 0, join("Cache hit for key shop:", b.entity), t + 2_000)
    regressed = b.slow > 1
    add(
        regressed & (rng.random(n) < 0.2),
        2,
        join("Query on dbo.Shops took ", text(np.round(dur * 0.6)), " ms (threshold 200 ms): Clustered Index Scan"),
        mid,
    )
    batch = text(t // MIN_US)
    settled = text(rng.poisson(40 * c.traffic_factor(t // MIN_US)))
    add(worker & success, 1, join("Settled ", settled, " paid orders in batch ", batch), end_us)
    add(worker & ~success, 3, join("Settlement batch ", batch, " failed and will be retried"), end_us)
    req = np.concatenate([p[0] for p in parts])
    return b.child(
        "AppTraces",
        req,
        np.concatenate([p[3] for p in parts]),
        {
            "Properties": pa.repeat(pa.scalar('{"SourceContext": "Mana.Api", ' + ENV), len(req)),
            "Message": pa.concat_arrays([p[2] for p in parts]),
            "SeverityLevel": pa.array(np.concatenate([p[1] for p in parts])),
        },
    )


def events(b: Batch) -> pa.Table:
    """Custom events: LoginFailed, OrderPlaced, DopaVerification, PaymentReceived."""
    op, code = b.op, b.code
    tables = []
    for name, mask, props, measurements in (
        (
            "LoginFailed",
            (op == c.LOGIN) & (code == 401),
            join('{"account": "', b.account, '", "reason": "InvalidPassword"}'),
            None,
        ),
        (
            "OrderPlaced",
            (op == c.ORDER_CREATE) & (code == 201),
            join('{"shopId": ', b.shop, ', "orderId": ', b.order, "}"),
            join('{"amount": ', text(b.amount), "}"),
        ),
        (
            "DopaVerification",
            (op == c.DOPA) & (code != 400),
            join('{"outcome": "', pick_text(_OUTCOMES, _outcome(b)), '"}'),
            None,
        ),
        (
            "PaymentReceived",
            (op == c.PAYMENT) & (code == 204),
            join('{"orderId": ', b.order, ', "provider": "', b.provider, '"}'),
            None,
        ),
    ):
        idx = np.flatnonzero(mask)
        keep = pa.array(mask)
        tables.append(
            b.child(
                "AppEvents",
                idx,
                b.end_us[idx],
                {
                    "Name": pa.repeat(pa.scalar(name), len(idx)),
                    "Properties": props.filter(keep),
                    "Measurements": measurements.filter(keep) if measurements is not None else None,
                },
            )
        )
    return pa.concat_tables(tables)


def metrics(b: Batch, deps: Dependencies, rng: np.random.Generator) -> pa.Table:
    """Pre-aggregated custom metrics per minute and instance: orders.value, dopa.latency, worker.queue.length."""
    created = np.flatnonzero((b.op == c.ORDER_CREATE) & (b.code == 201))
    dopa = np.flatnonzero(deps.kind == c.HTTP_DOPA)
    series = []
    for name, req, at, values, dims in (
        ("orders.value", created, b.end_us[created], b.amount[created], '{"currency": "THB"}'),
        ("dopa.latency", deps.req[dopa], deps.at_us[dopa], deps.dur[dopa], '{"target": "api.dopa.go.th"}'),
    ):
        row, minute, total, lo, hi, count = per_minute(at, b.inst[req], values)
        series.append((name, req[row], minute, total, lo, hi, count, dims))
    w = np.flatnonzero(b.worker)
    queue = rng.poisson(30 * c.traffic_factor(b.t[w] // MIN_US)).astype(np.float64)
    ones = np.ones(len(w), dtype=_I64)
    queue_dims = '{"queue": "settlements"}'
    series.append(("worker.queue.length", w, b.t[w] // MIN_US * MIN_US, queue, queue, queue, ones, queue_dims))
    tables = []
    for name, req, minute, total, lo, hi, count, dims in series:
        n = len(req)
        r = pa.array(req, pa.int64())
        at = np.clip(minute, b.s_us, b.e_us - 1)
        tables.append(
            build(
                "AppMetrics",
                n,
                {
                    "TimeGenerated": timestamps(at),
                    "AppRoleName": b.ctx["AppRoleName"].take(r),
                    "AppRoleInstance": b.ctx["AppRoleInstance"].take(r),
                    "AppVersion": b.ctx["AppVersion"].take(r),
                    "Properties": pa.repeat(pa.scalar(dims), n),
                    "Name": pa.repeat(pa.scalar(name), n),
                    "Sum": pa.array(np.round(total, 3)),
                    "Min": pa.array(np.round(lo, 3)),
                    "Max": pa.array(np.round(hi, 3)),
                    "ItemCount": pa.array(count),
                },
                {"SDKVersion": c.SDK["AppMetrics"], **c.RESOURCE},
            )
        )
    return pa.concat_tables(tables)
