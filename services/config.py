"""One Settings object in sections, each field read from its SRE_ variable, through a cached getter tests can override.

Every field names its documented variable (README's Settings table) as its validation alias; a section also reads
SRE_<SECTION>_<FIELD> (pydantic-settings reads a field by name under the section's prefix), never a bare name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path(".data")


def _section(prefix: str) -> SettingsConfigDict:
    """The config every section shares: the environment and `.env`, constructible by field name in tests."""
    return SettingsConfigDict(env_prefix=prefix, env_file=".env", extra="ignore", validate_by_name=True)


class DatabaseSettings(BaseSettings):
    """Where the app state lives."""

    model_config = _section("SRE_DATABASE_")

    url: str = Field(default=f"sqlite:///{DATA_DIR / 'backoffice.db'}", validation_alias="SRE_DATABASE_URL")


class TelemetrySettings(BaseSettings):
    """Which telemetry source the pages and rules query, and what they watch."""

    model_config = _section("SRE_TELEMETRY_")

    source: Literal["local", "azure"] = Field(default="local", validation_alias="SRE_TELEMETRY_SOURCE")
    dir: Path = Field(default=DATA_DIR / "telemetry", validation_alias="SRE_TELEMETRY_DIR")
    row_cap: int = Field(default=50_000, validation_alias="SRE_QUERY_ROW_CAP")
    # seconds a query may run, locally and on Azure, before it is stopped with a message
    query_timeout_s: int = Field(default=30, ge=1, validation_alias="SRE_QUERY_TIMEOUT_S")
    # MB of memory each local query connection (one per thread) may use before the query is stopped with a message
    query_memory_mb: int = Field(default=2048, ge=64, validation_alias="SRE_QUERY_MEMORY_MB")
    service_name: str = Field(default="mana", validation_alias="SRE_SERVICE_NAME")
    # days of rows each table keeps: "30" for every table, or "AppTraces=7,AppRequests=90,*=30"; empty keeps all
    retention_days: str = Field(default="", validation_alias="SRE_RETENTION_DAYS")


class AzureSettings(BaseSettings):
    """The Log Analytics workspace or Application Insights resource behind the azure source."""

    model_config = _section("SRE_AZURE_")

    workspace_id: str | None = Field(default=None, validation_alias="SRE_AZURE_WORKSPACE_ID")
    resource_id: str | None = Field(default=None, validation_alias="SRE_AZURE_RESOURCE_ID")
    logs_endpoint: str = Field(default="https://api.loganalytics.io", validation_alias="SRE_AZURE_LOGS_ENDPOINT")
    access_token: SecretStr | None = Field(default=None, validation_alias="SRE_AZURE_ACCESS_TOKEN")
    # unset: SRE_QUERY_TIMEOUT_S
    server_timeout_s: int | None = Field(default=None, ge=1, validation_alias="SRE_AZURE_SERVER_TIMEOUT_S")
    connection_verify: str | None = Field(default=None, validation_alias="SRE_AZURE_CONNECTION_VERIFY")

    @field_validator("workspace_id", "resource_id", "connection_verify", "server_timeout_s", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if v == "" else v


class AuthSettings(BaseSettings):
    """Who signs in and with which role."""

    model_config = _section("SRE_AUTH_")

    mode: Literal["local", "entra"] = Field(default="local", validation_alias="SRE_AUTH_MODE")
    entra_role_map: str = Field(
        default="SRE.Admin:admin,SRE.Lead:lead,SRE.Operator:operator,SRE.Developer:developer,SRE.Viewer:viewer",
        validation_alias="SRE_ENTRA_ROLE_MAP",
    )
    entra_default_role: str = Field(default="", validation_alias="SRE_ENTRA_DEFAULT_ROLE")  # no app role: refused
    local_users: str = Field(
        default="admin:admin,lead:lead,operator:operator,developer:developer,viewer:viewer",
        validation_alias="SRE_LOCAL_USERS",
    )
    default_user: str = Field(default="admin", validation_alias="SRE_DEFAULT_USER")
    allow_local_on_network: bool = Field(default=False, validation_alias="SRE_ALLOW_LOCAL_AUTH_ON_NETWORK")

    def entra_roles(self) -> dict[str, str]:
        """Entra ID app role value -> backoffice role."""
        out: dict[str, str] = {}
        for part in self.entra_role_map.split(","):
            claim, _, role = part.strip().rpartition(":")
            if claim:
                out[claim.strip()] = role.strip()
        return out

    def local_identities(self) -> dict[str, str]:
        """The configured local identities, name -> role."""
        out: dict[str, str] = {}
        for part in self.local_users.split(","):
            name, _, role = part.strip().partition(":")
            if name:
                out[name.strip()] = (role or "viewer").strip()
        return out


class UiSettings(BaseSettings):
    """Where the UI listens (the API listens on the same address), its public address and its time zone."""

    model_config = _section("SRE_UI_")

    public_url: str = Field(default="http://localhost:8501", validation_alias="SRE_PUBLIC_URL")
    bind_address: str = Field(default="127.0.0.1", validation_alias="SRE_BIND_ADDRESS")
    display_timezone: str = Field(default="UTC", validation_alias="SRE_DISPLAY_TIMEZONE")


class ApiSettings(BaseSettings):
    """The API process: its port, its limits, the Azure Monitor webhook's token and the pipelines' bearer token."""

    model_config = _section("SRE_API_")

    # SRE_WEBHOOK_PORT is the port's name from when the worker served the Azure Monitor webhook
    port: int = Field(default=8502, validation_alias=AliasChoices("SRE_API_PORT", "SRE_WEBHOOK_PORT"))
    max_body_kb: int = Field(default=1024, validation_alias="SRE_API_MAX_BODY_KB")
    max_concurrency: int = Field(default=500, validation_alias="SRE_API_MAX_CONCURRENCY")
    webhook_token: SecretStr | None = Field(default=None, validation_alias="SRE_WEBHOOK_TOKEN")
    # the bearer token of the pipeline-facing endpoints (GET /api/releases/{version}/gate)
    token: SecretStr | None = Field(default=None, validation_alias="SRE_API_TOKEN")


class StubSettings(BaseSettings):
    """A running WireMock whose request journal the WireMock stubs page shows (unset: the page says how to set it)."""

    model_config = _section("SRE_WIREMOCK_")

    admin_url: str | None = Field(default=None, validation_alias="SRE_WIREMOCK_ADMIN_URL")


class WorkerSettings(BaseSettings):
    """The worker's cycle, how long a claimed notification stays its own, and how often it tends the local store."""

    model_config = _section("SRE_WORKER_")

    interval_s: float = Field(default=10.0, validation_alias="SRE_WORKER_INTERVAL_S")
    lease_s: float = Field(default=60.0, validation_alias="SRE_WORKER_LEASE_S")
    # minutes between the worker's passes over the local store (compaction of small files, retention); 0: none
    maintenance_min: float = Field(default=10.0, validation_alias="SRE_WORKER_MAINTENANCE_MIN")


class BoardSettings(BaseSettings):
    """Where incidents get board issues."""

    model_config = _section("SRE_BOARD_")

    kind: Literal["none", "azure-devops", "github"] = Field(default="none", validation_alias="SRE_BOARD")
    timeout_s: float = Field(default=10.0, validation_alias="SRE_BOARD_TIMEOUT_S")
    azure_devops_org_url: str | None = Field(default=None, validation_alias="SRE_AZURE_DEVOPS_ORG_URL")
    azure_devops_project: str | None = Field(default=None, validation_alias="SRE_AZURE_DEVOPS_PROJECT")
    azure_devops_pat: SecretStr | None = Field(default=None, validation_alias="SRE_AZURE_DEVOPS_PAT")
    github_repo: str | None = Field(default=None, validation_alias="SRE_GITHUB_REPO")
    github_token: SecretStr | None = Field(default=None, validation_alias="SRE_GITHUB_TOKEN")
    github_api_url: str = Field(default="https://api.github.com", validation_alias="SRE_GITHUB_API_URL")


class NotifySettings(BaseSettings):
    """The notification channels, and the targets of the seeded rules."""

    model_config = _section("SRE_NOTIFY_")

    timeout_s: float = Field(default=10.0, validation_alias="SRE_NOTIFY_TIMEOUT_S")
    smtp_host: str | None = Field(default=None, validation_alias="SRE_SMTP_HOST")
    smtp_port: int = Field(default=587, validation_alias="SRE_SMTP_PORT")
    smtp_sender: str | None = Field(default=None, validation_alias="SRE_SMTP_SENDER")
    smtp_username: str | None = Field(default=None, validation_alias="SRE_SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(default=None, validation_alias="SRE_SMTP_PASSWORD")
    smtp_starttls: bool = Field(default=True, validation_alias="SRE_SMTP_STARTTLS")
    webhook_secret: SecretStr | None = Field(default=None, validation_alias="SRE_WEBHOOK_SECRET")
    telegram_bot_token: SecretStr | None = Field(default=None, validation_alias="SRE_TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(default="https://api.telegram.org", validation_alias="SRE_TELEGRAM_API_URL")
    graph_api_url: str = Field(default="https://graph.microsoft.com", validation_alias="SRE_GRAPH_API_URL")
    graph_access_token: SecretStr | None = Field(default=None, validation_alias="SRE_GRAPH_ACCESS_TOKEN")
    alert_email_to: str = Field(default="sre-operators@mana.example", validation_alias="SRE_ALERT_EMAIL_TO")
    account_lock_webhook_url: str = Field(
        default="http://127.0.0.1:8600/account-lock", validation_alias="SRE_ACCOUNT_LOCK_WEBHOOK_URL"
    )


class UploadSettings(BaseSettings):
    """Limits on every uploaded k6 or CLEF file."""

    model_config = _section("SRE_UPLOAD_")

    max_decompressed_mb: int = Field(default=1024, validation_alias="SRE_UPLOAD_MAX_DECOMPRESSED_MB")
    max_line_kb: int = Field(default=1024, validation_alias="SRE_UPLOAD_MAX_LINE_KB")
    # Streamlit holds a page upload in memory whole: 64 MB keeps the app process under 600 MB
    max_page_mb: int = Field(default=64, validation_alias="SRE_UPLOAD_MAX_PAGE_MB")


class LoadtestSettings(BaseSettings):
    """Where load-test runs keep their raw points, and the largest k6 file accepted."""

    model_config = _section("SRE_LOADTEST_")

    dir: Path = Field(default=DATA_DIR / "loadtests", validation_alias="SRE_LOADTEST_DIR")
    max_upload_mb: int = Field(default=1024, validation_alias="SRE_LOADTEST_MAX_UPLOAD_MB")


class TestrunSettings(BaseSettings):
    """Where test runs keep their results, one Parquet file per run."""

    model_config = _section("SRE_TESTRUN_")

    dir: Path = Field(default=DATA_DIR / "testruns", validation_alias="SRE_TESTRUN_DIR")


class DemoSettings(BaseSettings):
    """The demo traffic generator."""

    model_config = _section("SRE_DEMO_")

    live_interval_s: float = Field(default=5.0, validation_alias="SRE_DEMO_LIVE_INTERVAL_S")
    # mean requests a minute of the live traffic before its daily curve (the seeded history's is 60)
    live_rate_per_minute: float = Field(default=60.0, gt=0, validation_alias="SRE_DEMO_LIVE_RATE_PER_MINUTE")


class IngestSettings(BaseSettings):
    """Telemetry sent straight to the API process (Application Insights track calls): who may send, the spool
    that holds an accepted batch until it is in the store's Parquet files, and the body limits."""

    model_config = _section("SRE_INGEST_")

    # environment=key pairs: dev=00000000-0000-0000-0000-000000000001,staging=...
    keys: str = Field(default="", validation_alias="SRE_INGEST_KEYS")
    spool_dir: Path = Field(default=DATA_DIR / "ingest-spool", validation_alias="SRE_INGEST_SPOOL_DIR")
    flush_s: float = Field(default=1.0, validation_alias="SRE_INGEST_FLUSH_S")
    flush_rows: int = Field(default=20_000, ge=100, validation_alias="SRE_INGEST_FLUSH_ROWS")
    # rows accepted but not yet in the store past which a track or export call is answered 503 with Retry-After
    max_backlog_rows: int = Field(default=400_000, ge=0, validation_alias="SRE_INGEST_MAX_BACKLOG_ROWS")
    max_body_mb: int = Field(default=20, validation_alias="SRE_INGEST_MAX_BODY_MB")
    max_decompressed_mb: int = Field(default=64, validation_alias="SRE_INGEST_MAX_DECOMPRESSED_MB")
    # items a second each key may send to this API process (a token bucket holding one second's worth); 0: no limit
    rate_per_key: int = Field(default=50_000, ge=0, validation_alias="SRE_INGEST_RATE_PER_KEY")
    # an item timed further ahead of the server's clock than this is refused (as is one before 2000)
    max_future_min: int = Field(default=1440, ge=0, validation_alias="SRE_INGEST_MAX_FUTURE_MIN")

    def key_environments(self) -> dict[str, str]:
        """Instrumentation key (lower case) → the environment it belongs to."""
        out: dict[str, str] = {}
        for part in self.keys.split(","):
            env, sep, key = part.strip().partition("=")
            if part.strip() and (not sep or not env.strip() or not key.strip()):
                raise ValueError(f"SRE_INGEST_KEYS entry {part.strip()!r} is not environment=key")
            if sep:
                out[key.strip().lower()] = env.strip()
        return out


class Settings(BaseModel):
    """Every setting of the backoffice, by section; see README's Settings table."""

    # a plain model: the sections read the environment, so SRE_BOARD is never taken for the board section
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    azure: AzureSettings = Field(default_factory=AzureSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    board: BoardSettings = Field(default_factory=BoardSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    uploads: UploadSettings = Field(default_factory=UploadSettings)
    loadtests: LoadtestSettings = Field(default_factory=LoadtestSettings)
    testruns: TestrunSettings = Field(default_factory=TestrunSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    stubs: StubSettings = Field(default_factory=StubSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call get_settings.cache_clear() after changing the env."""
    return Settings()
