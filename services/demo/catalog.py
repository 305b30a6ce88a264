"""What mana serves and calls: operations, dependency calls, exception kinds, releases, instances, traffic shape.

Constants only (plus the numpy lookup tables derived from them), so the generator stays vectorised: every
per-row choice is an index into one of these tables.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field

import numpy as np

BASE_URL = "https://mana-api.azurewebsites.net"
ROLE = "mana"
WORKER_ROLE = "mana-worker"
TZ_OFFSET_MIN = 7 * 60  # the users are in Thailand (UTC+7)

# --- releases and instances -----------------------------------------------------------------------------
VERSIONS = ("2026.11.3", "2026.11.4", "2026.11.5")
BEFORE, REGRESSED, FIXED = 0, 1, 2  # index into VERSIONS; 2026.11.4 is the regressing release
ROLLOUT_MIN = 10  # a rolling deployment mixes old and new pods for this long
_POD_HASH = ("7d9f", "5c8b", "6f4d")
_POD_SUFFIX = (("abc12", "k8p2x", "q4m7z"), ("d2x9w", "h5t3n", "r7v1c"), ("b6j4s", "m3q8k", "x9w2f"))
_WORKER_HASH = ("58c6", "7b2d", "4e9a")
_WORKER_SUFFIX = ("t2n8v", "p6c3m", "z4k7q")
PODS_PER_VERSION = 3
APP_SERVICE_SHARE = 0.2  # the App Service slot still takes a fifth of the traffic
APP_SERVICE_INSTANCE = "RD00155D8A4F21"
# instance index: version * 3 + pod for the AKS pods, then the App Service instance, then one worker pod a version
INSTANCES: tuple[str, ...] = (
    *(f"mana-{_POD_HASH[v]}-{s}" for v in range(len(VERSIONS)) for s in _POD_SUFFIX[v]),
    APP_SERVICE_INSTANCE,
    *(f"mana-worker-{_WORKER_HASH[v]}-{_WORKER_SUFFIX[v]}" for v in range(len(VERSIONS))),
)
APP_SERVICE_INDEX = len(VERSIONS) * PODS_PER_VERSION
WORKER_INSTANCE_BASE = APP_SERVICE_INDEX + 1

# the Application Insights resource and workspace the telemetry belongs to: the standard columns every row carries
RESOURCE = {
    "_ResourceId": "/subscriptions/6f1c2b9e-3d4a-4e8f-9b0c-5a7d2e1f8c34/resourceGroups/mana-prod/providers/"
    "microsoft.insights/components/mana-ai",
    "ResourceGUID": "3b8e4c1a-9f2d-4a6b-8c7e-1d5f0a2b9c46",
    "IKey": "c2a9d4e7-5b1f-4c8a-9e3d-7f6b2a1c0d58",
    "TenantId": "8d4f1a6c-2e9b-4b7d-a3c5-0f1e9d2c7b64",
}
SDK = {
    "AppRequests": "aspnet5c:2.22.0-997",
    "AppDependencies": "rdddsc:2.22.0-997",
    "AppExceptions": "aspnet5c:2.22.0-997",
    "AppTraces": "dotnetc:2.22.0-997",
    "AppEvents": "aspnet5c:2.22.0-997",
    "AppMetrics": "m-agg2c:2.22.0-997",
}


# --- operations -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    """One endpoint: its traffic share, latency shape and result codes (code -> probability; rest = ok)."""

    name: str
    path: str  # the URL path, or its prefix when `entity` is set (the id is appended)
    weight: float
    median_ms: float
    sigma: float
    ok: int
    errors: dict[int, float]
    handler: str
    repository: str
    entity: str | None = None  # "shop" or "order": the path ends with that id
    authenticated: bool = True
    role: str = ROLE

    @property
    def method(self) -> str:
        return self.name.split(" ", 1)[0]


OPERATIONS: tuple[Operation, ...] = (
    Operation("GET /api/shops", "/api/shops", 0.30, 42, 0.45, 200, {400: 0.001, 500: 0.0008, 503: 0.0004},
              "Mana.Api.Shops.ShopsController.List", "Mana.Data.ShopRepository.ListAsync",
              authenticated=False),
    Operation("GET /api/shops/{id}", "/api/shops/", 0.25, 28, 0.5, 200, {404: 0.004, 500: 0.0008, 503: 0.0004},
              "Mana.Api.Shops.ShopsController.Get", "Mana.Data.ShopRepository.GetByIdAsync", entity="shop",
              authenticated=False),
    Operation("POST /api/auth/login", "/api/auth/login", 0.09, 115, 0.25, 200, {401: 0.015, 400: 0.002, 500: 0.0005},
              "Mana.Api.Auth.AuthController.Login", "Mana.Data.AccountRepository.FindByEmailAsync",
              authenticated=False),
    Operation("POST /api/orders", "/api/orders", 0.08, 95, 0.4, 201, {400: 0.008, 500: 0.0015},
              "Mana.Api.Orders.OrdersController.Create", "Mana.Data.OrderRepository.InsertAsync"),
    Operation("GET /api/orders/{id}", "/api/orders/", 0.14, 30, 0.45, 200, {404: 0.004, 500: 0.0008},
              "Mana.Api.Orders.OrdersController.Get", "Mana.Data.OrderRepository.GetByIdAsync", entity="order"),
    Operation("GET /api/orders", "/api/orders", 0.07, 55, 0.45, 200, {500: 0.0006},
              "Mana.Api.Orders.OrdersController.List", "Mana.Data.OrderRepository.ListForAccountAsync"),
    Operation("POST /api/payments/callback", "/api/payments/callback", 0.06, 60, 0.4, 204, {400: 0.002, 500: 0.001},
              "Mana.Api.Payments.PaymentsController.Callback", "Mana.Data.OrderRepository.MarkPaidAsync",
              authenticated=False),
    Operation("POST /api/identity/dopa-verify", "/api/identity/dopa-verify", 0.01, 25, 0.4, 200,
              {400: 0.004, 422: 0.025, 502: 0.006, 504: 0.004},
              "Mana.Api.Identity.IdentityController.VerifyWithDopa", "Mana.Data.AccountRepository.MarkVerifiedAsync"),
    Operation("Process settlements", "", 0.0, 900, 0.5, 200, {500: 0.002},
              "Mana.Worker.SettlementJob.RunAsync", "Mana.Data.SettlementRepository.SettleAsync",
              authenticated=False, role=WORKER_ROLE),
)  # fmt: skip
OP_INDEX = {op.name: i for i, op in enumerate(OPERATIONS)}
SHOPS, SHOP, LOGIN, ORDER_CREATE, ORDER, ORDERS, PAYMENT, DOPA, SETTLE = range(len(OPERATIONS))
WEB_OPS = np.array([i for i, op in enumerate(OPERATIONS) if op.role == ROLE])
WEB_WEIGHTS = np.array([OPERATIONS[i].weight for i in WEB_OPS]) / sum(OPERATIONS[i].weight for i in WEB_OPS)
REGRESSED_OPS = (SHOPS, SHOP)  # 2026.11.4 shipped a query on Shops without its index

# code table: CODES[op, k] with probability CODE_CDF[op, k] (cumulative); the last column is the ok code
_K = 1 + max(len(op.errors) for op in OPERATIONS)
CODES = np.zeros((len(OPERATIONS), _K), dtype=np.int64)
CODE_CDF = np.ones((len(OPERATIONS), _K))
for _i, _op in enumerate(OPERATIONS):
    _errs = sorted(_op.errors.items())
    _row = [c for c, _ in _errs] + [_op.ok] * (_K - len(_errs))
    CODES[_i] = _row
    CODE_CDF[_i, : len(_errs)] = np.cumsum([p for _, p in _errs])
OP_LOG_MEDIAN = np.log([op.median_ms for op in OPERATIONS])
OP_SIGMA = np.array([op.sigma for op in OPERATIONS])
OP_IS_WORKER = np.array([op.role == WORKER_ROLE for op in OPERATIONS])
OP_HAS_ENTITY = np.array([op.entity is not None for op in OPERATIONS])
OP_AUTHENTICATED = np.array([op.authenticated for op in OPERATIONS])

# --- dependencies ---------------------------------------------------------------------------------------
SQL, REDIS, HTTP_DOPA, BUS = range(4)
DEP_TYPE = ("SQL", "Redis", "HTTP", "Azure Service Bus")
DEP_TARGET = (
    "mana-sql.database.windows.net",
    "mana-cache.redis.cache.windows.net:6380",
    "api.dopa.go.th",
    "mana-bus.servicebus.windows.net",
)
DEP_OK_CODE = ("0", "OK", "200", "0")
DEP_LOG_MEDIAN = np.log([7.0, 1.1, 210.0, 11.0])
DEP_SIGMA = np.array([0.6, 0.5, 0.3, 0.4])
SQL_NAME = "mana-sql.database.windows.net | manadb"


@dataclass(frozen=True)
class Slot:
    """A dependency call an operation makes: when (all / ok / not400 / not401), how likely, what."""

    op: int
    kind: int
    when: str
    prob: float
    name: str
    data: str  # "{id}" is replaced by the request's shop or order id
    position: float  # where in the request it starts, as a fraction of the request's spare time
    primary: bool = field(default=True)  # the call that fails when the request fails because of `kind`


SLOTS: tuple[Slot, ...] = (
    Slot(SHOPS, REDIS, "all", 1.0, "GET", "GET shops:list:page1", 0.05),
    Slot(SHOPS, SQL, "all", 0.35, SQL_NAME, "SELECT TOP (50) Id, Name, Province FROM dbo.Shops ORDER BY Rank", 0.2),
    Slot(SHOP, REDIS, "all", 1.0, "GET", "GET shop:{id}", 0.05),
    Slot(SHOP, SQL, "all", 0.45, SQL_NAME, "SELECT * FROM dbo.Shops WHERE Id = @id", 0.2),
    Slot(LOGIN, SQL, "not400", 1.0, SQL_NAME, "SELECT Id, PasswordHash FROM dbo.Accounts WHERE Email = @email", 0.1),
    Slot(LOGIN, REDIS, "ok", 1.0, "SETEX", "SETEX session 3600", 0.9),
    Slot(ORDER_CREATE, SQL, "not400", 1.0, SQL_NAME, "SELECT Stock FROM dbo.Products WHERE ShopId = @shopId", 0.1),
    Slot(ORDER_CREATE, SQL, "ok", 1.0, SQL_NAME, "INSERT INTO dbo.Orders (ShopId, AccountId, Total) VALUES (...)",
         0.5, primary=False),
    Slot(ORDER_CREATE, BUS, "ok", 1.0, "Send", "orders", 0.9),
    Slot(ORDER, SQL, "all", 1.0, SQL_NAME, "SELECT * FROM dbo.Orders WHERE Id = @id", 0.2),
    Slot(ORDERS, SQL, "all", 1.0, SQL_NAME, "SELECT TOP (20) * FROM dbo.Orders WHERE AccountId = @account", 0.2),
    Slot(PAYMENT, SQL, "not400", 1.0, SQL_NAME, "UPDATE dbo.Orders SET Status = 'Paid' WHERE Id = @id", 0.3),
    Slot(PAYMENT, BUS, "ok", 1.0, "Send", "payments", 0.9),
    Slot(DOPA, HTTP_DOPA, "not400", 1.0, "POST /verify", "https://api.dopa.go.th/verify", 0.1),
    Slot(DOPA, SQL, "ok", 1.0, SQL_NAME, "UPDATE dbo.Accounts SET DopaVerified = 1 WHERE Id = @id", 0.95),
    Slot(SETTLE, SQL, "all", 1.0, SQL_NAME, "EXEC dbo.SettlePaidOrders @batchSize = 500", 0.3),
)  # fmt: skip

# --- why a request failed, and the exception it leaves --------------------------------------------------
NONE, CAUSE_SQL, CAUSE_BUG, CAUSE_REDIS, CAUSE_DOPA_TIMEOUT, CAUSE_DOPA_ERROR, CAUSE_VALIDATION, CAUSE_REDIS_SOFT = (
    range(8)
)
CAUSE_FAILS = np.array([-1, SQL, -1, REDIS, HTTP_DOPA, HTTP_DOPA, -1, REDIS])  # the dependency kind that failed
DEP_FAIL_CODE = {SQL: "1205", REDIS: "Timeout", HTTP_DOPA: "503"}
DOPA_TIMEOUT_CODE = "Timeout"
DOPA_TIMEOUT_MS = 30_000.0


@dataclass(frozen=True)
class ExceptionKind:
    type: str
    message: str
    innermost_type: str
    innermost_message: str
    handled: bool
    frame: str  # the throwing method; "{handler}" / "{repository}" take the operation's


_CAUSES: dict[int, ExceptionKind] = {
    CAUSE_SQL: ExceptionKind(
        "Microsoft.Data.SqlClient.SqlException",
        "Transaction (Process ID 87) was deadlocked on lock resources with another process and has been chosen "
        "as the deadlock victim. Rerun the transaction.",
        "Microsoft.Data.SqlClient.SqlException",
        "Transaction (Process ID 87) was deadlocked on lock resources with another process.",
        False,
        "{repository}",
    ),
    CAUSE_BUG: ExceptionKind(
        "System.NullReferenceException",
        "Object reference not set to an instance of an object.",
        "System.NullReferenceException",
        "Object reference not set to an instance of an object.",
        False,
        "{handler}",
    ),
    CAUSE_REDIS: ExceptionKind(
        "StackExchange.Redis.RedisConnectionException",
        "No connection is active/available to service this operation: GET; UnableToConnect on "
        "mana-cache.redis.cache.windows.net:6380/Interactive",
        "System.Net.Sockets.SocketException",
        "Connection refused",
        False,
        "Mana.Caching.RedisCache.GetAsync",
    ),
    CAUSE_DOPA_TIMEOUT: ExceptionKind(
        "System.TimeoutException",
        "The DOPA verification call to api.dopa.go.th did not complete within 00:00:30.",
        "System.Threading.Tasks.TaskCanceledException",
        "The request was canceled due to the configured HttpClient.Timeout of 30 seconds elapsing.",
        False,
        "Mana.Identity.DopaClient.VerifyAsync",
    ),
    CAUSE_DOPA_ERROR: ExceptionKind(
        "System.Net.Http.HttpRequestException",
        "Response status code does not indicate success: 503 (Service Unavailable).",
        "System.Net.Http.HttpRequestException",
        "Response status code does not indicate success: 503 (Service Unavailable).",
        False,
        "Mana.Identity.DopaClient.VerifyAsync",
    ),
    CAUSE_VALIDATION: ExceptionKind(
        "FluentValidation.ValidationException",
        "Validation failed: -- Items: 'Items' must not be empty. Severity: Error",
        "FluentValidation.ValidationException",
        "Validation failed: -- Items: 'Items' must not be empty. Severity: Error",
        True,
        "Mana.Api.Orders.CreateOrderValidator.ValidateAndThrowAsync",
    ),
    CAUSE_REDIS_SOFT: ExceptionKind(
        "StackExchange.Redis.RedisTimeoutException",
        "Timeout awaiting response (outbound=0KiB, inbound=0KiB, 5016ms elapsed, timeout is 5000ms), command=GET, "
        "next: GET shop, inst: 0, qu: 0, qs: 3, aw: False",
        "StackExchange.Redis.RedisTimeoutException",
        "Timeout awaiting response (5016ms elapsed, timeout is 5000ms), command=GET",
        True,
        "Mana.Caching.RedisCache.GetAsync",
    ),
}
ASSEMBLY = "Mana.Api, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null"


def _details(kind: ExceptionKind, method: str, handler: str, problem_hash: str) -> str:
    frames = [
        method,
        handler,
        "Microsoft.AspNetCore.Mvc.Infrastructure.ControllerActionInvoker.InvokeActionMethodAsync",
    ]
    if method == handler:
        frames = frames[1:]
    stack = [
        {
            "level": i,
            "method": m,
            "assembly": ASSEMBLY if m.startswith("Mana.") else "Microsoft.AspNetCore.Mvc.Core",
            **(
                {"fileName": "/src/" + "/".join(m.split(".")[:-1]) + ".cs", "line": 40 + 17 * i}
                if m.startswith("Mana.")
                else {}
            ),
        }
        for i, m in enumerate(frames)
    ]
    return json.dumps(
        [{
            "id": problem_hash,
            "outerId": "0",
            "type": kind.type,
            "message": kind.message,
            "severityLevel": "Warning" if kind.handled else "Error",
            "hasFullStack": True,
            "parsedStack": stack,
        }]
    )  # fmt: skip


@dataclass(frozen=True)
class ExceptionRow:
    """The constant columns of one (operation, cause) exception."""

    type: str
    message: str
    method: str
    outer_type: str
    outer_message: str
    innermost_type: str
    innermost_message: str
    problem_id: str
    handled_at: str
    severity: int
    details: str


EXCEPTION_ROWS: list[ExceptionRow] = []
EXCEPTION_INDEX = np.full((len(OPERATIONS), len(CAUSE_FAILS)), -1, dtype=np.int64)
for _i, _op in enumerate(OPERATIONS):
    for _cause, _kind in _CAUSES.items():
        _method = _kind.frame.format(handler=_op.handler, repository=_op.repository)
        EXCEPTION_INDEX[_i, _cause] = len(EXCEPTION_ROWS)
        EXCEPTION_ROWS.append(
            ExceptionRow(
                _kind.type,
                _kind.message,
                _method,
                _kind.type,
                _kind.message,
                _kind.innermost_type,
                _kind.innermost_message,
                f"{_kind.type} at {_method}",
                "UserCode" if _kind.handled else "Unhandled",
                2 if _kind.handled else 3,
                _details(_kind, _method, _op.handler, f"{zlib.crc32(f'{_kind.type} at {_method}'.encode()):08x}"),
            )
        )

# --- performance buckets (as Application Insights names them) -------------------------------------------
BUCKET_EDGES = np.array([250, 500, 1000, 3000, 7000, 15000, 30000, 60000, 120000, 300000], dtype=np.float64)
BUCKETS = (
    "<250ms", "250ms-500ms", "500ms-1sec", "1sec-3sec", "3sec-7sec", "7sec-15sec", "15sec-30sec",
    "30sec-1min", "1min-2min", "2min-5min", ">=5min",
)  # fmt: skip


# --- traffic shape --------------------------------------------------------------------------------------
def _bump(hours: np.ndarray, centre: float, width: float) -> np.ndarray:
    d = (hours - centre + 12.0) % 24.0 - 12.0
    return np.exp(-0.5 * (d / width) ** 2)


_H = np.arange(1440) / 60.0
_DIURNAL = (
    0.07
    + 0.45 * _bump(_H, 9.5, 2.0)
    + 0.85 * _bump(_H, 12.5, 1.6)
    + 0.45 * _bump(_H, 16.0, 2.0)
    + 1.10 * _bump(_H, 20.0, 2.0)
)
DIURNAL = _DIURNAL / _DIURNAL.mean()  # local minute of day -> multiplier, mean 1
_WEEKLY = np.array([0.96, 0.95, 0.97, 0.99, 1.07, 1.05, 1.01])  # Monday .. Sunday (local)
WEEKLY = _WEEKLY / _WEEKLY.mean()


def traffic_factor(minutes: np.ndarray) -> np.ndarray:
    """The traffic multiplier (mean 1 over a week) of UTC minutes since the epoch."""
    local = minutes + TZ_OFFSET_MIN
    weekday = (local // 1440 + 3) % 7  # 1970-01-01 was a Thursday
    return DIURNAL[local % 1440] * WEEKLY[weekday]
