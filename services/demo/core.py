"""The core of the demo: mana's telemetry for one interval [start, end) as Arrow tables, fully vectorised.

Requests arrive per minute (Poisson around the Thai daily and weekly curve) and get an operation, a user,
a result and a duration; every other table is derived from them by index arithmetic (services.demo.children),
so a dependency, exception, trace or event always belongs to a request of the same interval (same
OperationId, ParentId = the request's Id).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.demo import catalog as c
from services.demo.columns import MIN_US, build, hashed_hex, join, pick_text, random_hex, text, timestamps
from services.demo.incidents import BRUTE_FORCE, DOPA_TIMEOUTS, REGRESSION
from services.demo.population import Population, pick

DEFAULT_SEED = 7
TAIL_SHARE = 0.012  # requests hitting a GC pause, a cold connection, a noisy neighbour...
DOPA_RETRY_FACTOR = 2.0  # during the DOPA outage clients retry: extra dopa-verify traffic, as a multiple
SESSION_US = 4 * 3600 * 1_000_000
SETTLE_OFFSET_US = 2_000_000  # the settlement job starts 2 s past every minute
ENV = '"AspNetCoreEnvironment": "Production"}'
NULL = pa.scalar(None, pa.string())

_I64 = np.int64
_WEB_CDF = np.cumsum(c.WEB_WEIGHTS)
_DOPA_WEIGHT = float(c.WEB_WEIGHTS[list(c.WEB_OPS).index(c.DOPA)])
_PROVIDERS = ("promptpay", "promptpay", "truemoney", "card")


def arrivals(rng: np.random.Generator, s_us: int, e_us: int, rate_per_minute: float) -> np.ndarray:
    """Arrival times (µs) in [s_us, e_us): Poisson per minute around rate × the traffic curve."""
    if e_us <= s_us or rate_per_minute <= 0:
        return np.zeros(0, dtype=_I64)
    minutes = np.arange(s_us // MIN_US, -(-e_us // MIN_US), dtype=_I64)
    lo = np.maximum(minutes * MIN_US, s_us)
    hi = np.minimum((minutes + 1) * MIN_US, e_us)
    noise = rng.gamma(40.0, 1 / 40.0, size=len(minutes))
    lam = rate_per_minute * c.traffic_factor(minutes) * (hi - lo) / MIN_US * noise
    counts = rng.poisson(lam)
    span = np.repeat(hi - lo, counts)
    return np.repeat(lo, counts) + (rng.random(len(span)) * span).astype(_I64)


def _versions(rng: np.random.Generator, t: np.ndarray, win: dict[str, tuple[int, int]]) -> np.ndarray:
    """The AppVersion index serving each request; a rolling deployment mixes old and new for a few minutes."""
    if REGRESSION not in win:
        return np.full(len(t), c.FIXED, dtype=_I64)
    released, fixed = win[REGRESSION]
    roll = c.ROLLOUT_MIN * MIN_US
    ver = np.where(t < released, c.BEFORE, np.where(t < fixed, c.REGRESSED, c.FIXED))
    for at, old, new in ((released, c.BEFORE, c.REGRESSED), (fixed, c.REGRESSED, c.FIXED)):
        rolling = (t >= at) & (t < at + roll)
        if rolling.any():  # draw only here, so a day away from the release draws the same numbers as ever
            u = rng.random(int(rolling.sum()))
            ver[rolling] = np.where(u < (t[rolling] - at) / roll, new, old)
    return ver


def by_op(op: np.ndarray, default: str, pieces: dict[int, pa.Array]) -> pa.Array:
    """Per request, the piece of its operation (or the default)."""
    out: pa.Array = pa.repeat(pa.scalar(default), len(op))
    for k, piece in pieces.items():
        out = pc.if_else(op == k, piece, out)
    return out


@dataclass
class Batch:
    """The requests of one interval, column by column, with what the derived tables need."""

    s_us: int
    e_us: int
    t: np.ndarray  # start, µs since the epoch
    op: np.ndarray  # index into catalog.OPERATIONS
    user: np.ndarray  # index into the population (pseudo-users included)
    code: np.ndarray
    dur: np.ndarray  # ms
    slow: np.ndarray  # the regression's factor (1 elsewhere); SQL calls of the request share it
    ver: np.ndarray
    inst: np.ndarray
    cause: np.ndarray  # catalog.CAUSE_*: why it failed (or the handled exception it logged)
    in_burst: np.ndarray  # a dopa-verify inside the DOPA outage
    timeout: np.ndarray  # its DOPA call timed out
    dopa_ms: np.ndarray  # duration of its DOPA call
    amount: np.ndarray  # THB, for orders
    ctx: dict[str, pa.Array]  # the common columns every child row copies
    req_id: pa.Array
    path: pa.Array
    account: pa.Array
    ip: pa.Array
    shop: pa.Array
    order: pa.Array
    entity: pa.Array  # the id in the path (shop or order)
    provider: pa.Array

    @property
    def n(self) -> int:
        return len(self.t)

    @property
    def success(self) -> np.ndarray:
        return self.code < 400

    @property
    def worker(self) -> np.ndarray:
        return c.OP_IS_WORKER[self.op]

    @property
    def end_us(self) -> np.ndarray:
        return self.t + (self.dur * 1000).astype(_I64)

    def child(self, table: str, idx: np.ndarray, at_us: np.ndarray, cols: dict[str, pa.Array | None]) -> pa.Table:
        """Rows of a derived table for requests `idx`: their context, ParentId = the request's Id."""
        at_us = np.minimum(at_us, self.e_us - 1)  # nothing lands after the interval: a live tick writes no future
        taken = pa.array(idx, pa.int64())
        base = {k: v.take(taken) for k, v in self.ctx.items()}
        base["ParentId"] = self.req_id.take(taken)
        return build(
            table,
            len(idx),
            {**base, "TimeGenerated": timestamps(at_us), **cols},
            {"ClientType": "PC", "SDKVersion": c.SDK[table], **c.RESOURCE},
        )


def sample(
    rng: np.random.Generator,
    s_us: int,
    e_us: int,
    rate_per_minute: float,
    win: dict[str, tuple[int, int]],
    pop: Population,
) -> Batch:
    """Draw the requests of [s_us, e_us) with the incidents of `win` applied."""
    parts: list[tuple[np.ndarray, int | np.ndarray, int | np.ndarray, int | np.ndarray, int]] = []
    t = arrivals(rng, s_us, e_us, rate_per_minute)
    users = pick(pop.user_cdf, rng.random(len(t)))
    parts.append((t, c.WEB_OPS[pick(_WEB_CDF, rng.random(len(t)))], users, users, -1))
    if DOPA_TIMEOUTS in win:  # clients retrying the failing verification
        bs, be = win[DOPA_TIMEOUTS]
        t = arrivals(rng, max(bs, s_us), min(be, e_us), rate_per_minute * _DOPA_WEIGHT * DOPA_RETRY_FACTOR)
        users = pick(pop.user_cdf, rng.random(len(t)))
        parts.append((t, c.DOPA, users, users, -1))
    if BRUTE_FORCE in win:  # its own stream, so the attempts are the same however the period is cut
        bs, be = win[BRUTE_FORCE]
        brng = np.random.default_rng(np.random.SeedSequence([pop.seed & 0xFFFF_FFFF_FFFF_FFFF, 0xB2F, bs // MIN_US]))
        t = bs + np.sort((brng.random(int(brng.integers(380, 460))) * (be - bs)).astype(_I64))
        parts.append((t[(t >= s_us) & (t < e_us)], c.LOGIN, pop.attacker, pop.target, 401))
    minutes = np.arange(-(-(s_us - SETTLE_OFFSET_US) // MIN_US), -(-(e_us - SETTLE_OFFSET_US) // MIN_US), dtype=_I64)
    t = minutes * MIN_US + SETTLE_OFFSET_US + rng.integers(0, 400_000, len(minutes))
    parts.append((t[t < e_us], c.SETTLE, pop.internal, -1, -1))

    def column(i: int) -> np.ndarray:
        return np.concatenate([np.broadcast_to(np.asarray(p[i], dtype=_I64), len(p[0])) for p in parts])

    t, op, user, acct, forced = (column(i) for i in range(5))
    n = len(t)
    user[op == c.PAYMENT] = pop.gateway
    acct[op == c.PAYMENT] = -1
    worker = c.OP_IS_WORKER[op]

    # outcome, release, instance, duration
    k = (rng.random(n)[:, None] >= c.CODE_CDF[op]).sum(axis=1)
    code = np.where(forced >= 0, forced, c.CODES[op, np.minimum(k, c.CODES.shape[1] - 1)])
    ver = _versions(rng, t, win)
    pod = ver * c.PODS_PER_VERSION + rng.integers(0, c.PODS_PER_VERSION, n)
    inst = np.where(rng.random(n) < c.APP_SERVICE_SHARE, c.APP_SERVICE_INDEX, pod)
    inst = np.where(worker, c.WORKER_INSTANCE_BASE + ver, inst)
    dur = np.exp(c.OP_LOG_MEDIAN[op] + c.OP_SIGMA[op] * rng.standard_normal(n))
    tail = rng.random(n) < TAIL_SHARE
    dur[tail] *= np.exp(rng.gamma(2.0, 0.6, int(tail.sum())))
    dur *= np.select([code == 503, (code >= 400) & (code < 500) & (code != 401), code == 500], [0.3, 0.6, 1.4], 1.0)
    slow = np.ones(n)
    regressed = (ver == c.REGRESSED) & np.isin(op, c.REGRESSED_OPS)
    slow[regressed] = rng.uniform(3.0, 4.0, int(regressed.sum()))
    dur *= slow

    # DOPA: its call's duration is most of the request; during the outage most calls time out after 30 s
    dopa = op == c.DOPA
    in_burst = np.zeros(n, dtype=bool)
    if DOPA_TIMEOUTS in win:
        bs, be = win[DOPA_TIMEOUTS]
        in_burst = dopa & (t >= bs) & (t < be) & (code != 400)
    u = rng.random(n)
    code = np.where(in_burst & (u < 0.80), 504, np.where(in_burst & (u < 0.88), 500, code))
    timeout = dopa & ((code == 504) | (in_burst & (code == 500)))
    dopa_ms = np.exp(c.DEP_LOG_MEDIAN[c.HTTP_DOPA] + c.DEP_SIGMA[c.HTTP_DOPA] * rng.standard_normal(n))
    dopa_ms = np.where(in_burst, dopa_ms * rng.uniform(4.0, 15.0, n), dopa_ms)
    dopa_ms = np.where(timeout, c.DOPA_TIMEOUT_MS + rng.random(n) * 40.0, dopa_ms)
    dur = np.where(dopa & (code != 400), dopa_ms + dur, dur)

    cause = np.zeros(n, dtype=_I64)
    cause[code == 500] = np.where(rng.random(int((code == 500).sum())) < 0.6, c.CAUSE_SQL, c.CAUSE_BUG)
    cause[code == 503] = c.CAUSE_REDIS
    cause[code == 502] = c.CAUSE_DOPA_ERROR
    cause[timeout] = c.CAUSE_DOPA_TIMEOUT
    cause[(code == 400) & (op == c.ORDER_CREATE)] = c.CAUSE_VALIDATION
    cause[(code < 400) & np.isin(op, (c.SHOPS, c.SHOP)) & (rng.random(n) < 0.002)] = c.CAUSE_REDIS_SOFT

    # the common columns
    op_id = random_hex(rng, n, 16)
    req_id = random_hex(rng, n, 8)
    shop = pick(pop.shop_cdf, rng.random(n)) + 1
    order = rng.integers(1_000_000, 10_000_000, n)
    amount = np.round(rng.lognormal(np.log(320.0), 0.8, n), 2)
    provider = pick_text(_PROVIDERS, rng.integers(0, len(_PROVIDERS), n))
    entity = text(np.where(op == c.SHOP, shop, order))
    account = pop.account.take(pa.array(acct, mask=acct < 0))
    path = join(pick_text([o.path for o in c.OPERATIONS], op), by_op(op, "", {c.SHOP: entity, c.ORDER: entity}))
    session = hashed_hex((user.astype(np.uint64) << np.uint64(24)) ^ (t // SESSION_US).astype(np.uint64))
    ctx = {
        "AppRoleName": pick_text([o.role for o in c.OPERATIONS], op),
        "AppRoleInstance": pick_text(c.INSTANCES, inst),
        "AppVersion": pick_text(c.VERSIONS, ver),
        "OperationId": op_id,
        "OperationName": pick_text([o.name for o in c.OPERATIONS], op),
        "SessionId": pc.if_else(user < pop.gateway, session, NULL),
        "UserId": pop.user_id.take(pa.array(user)),
        "UserAuthenticatedId": pc.if_else(c.OP_AUTHENTICATED[op] & (user < pop.attacker), account, NULL),
        "ClientIP": pop.ip.take(pa.array(user)),
        "ClientCountryOrRegion": pop.country.take(pa.array(user)),
    }
    return Batch(
        s_us=s_us,
        e_us=e_us,
        t=t,
        op=op,
        user=user,
        code=code,
        dur=dur,
        slow=slow,
        ver=ver,
        inst=inst,
        cause=cause,
        in_burst=in_burst,
        timeout=timeout,
        dopa_ms=dopa_ms,
        amount=amount,
        ctx=ctx,
        req_id=req_id,
        path=path,
        account=account,
        ip=ctx["ClientIP"],
        shop=text(shop),
        order=text(order),
        entity=entity,
        provider=provider,
    )


def requests_table(b: Batch) -> pa.Table:
    """AppRequests of a batch."""
    op = b.op
    props = by_op(
        op,
        "{",
        {
            c.LOGIN: join('{"account": "', b.account, '", '),
            c.DOPA: join('{"account": "', b.account, '", '),
            c.SHOP: join('{"shopId": ', b.shop, ", "),
            c.ORDER_CREATE: join('{"shopId": ', b.shop, ', "orderId": ', b.order, ", "),
            c.ORDER: join('{"orderId": ', b.order, ", "),
            c.PAYMENT: join('{"orderId": ', b.order, ', "provider": "', b.provider, '", '),
            c.SETTLE: join('{"batch": ', text(b.t // MIN_US), ", "),
        },
    )
    worker = b.worker
    return build(
        "AppRequests",
        b.n,
        {
            **b.ctx,
            "TimeGenerated": timestamps(b.t),
            "ParentId": b.ctx["OperationId"],
            "Properties": join(props, ENV),
            "Id": b.req_id,
            "Name": b.ctx["OperationName"],
            "Url": pc.if_else(worker, NULL, join(c.BASE_URL, b.path)),
            "Success": pa.array(b.success),
            "ResultCode": text(b.code),
            "DurationMs": pa.array(np.round(b.dur, 3)),
            "PerformanceBucket": pick_text(c.BUCKETS, np.searchsorted(c.BUCKET_EDGES, b.dur, side="right")),
            "Source": pc.if_else(worker, "sb://mana-bus.servicebus.windows.net/settlements", NULL),
        },
        {"ClientType": "PC", "SDKVersion": c.SDK["AppRequests"], **c.RESOURCE},
    )
