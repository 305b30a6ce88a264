"""One Settings object (prefix SRE_), read through a cached getter that tests can override."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path(".data")


class Settings(BaseSettings):
    """Every setting of the backoffice; see README's Settings table."""

    model_config = SettingsConfigDict(env_prefix="SRE_", env_file=".env", extra="ignore", validate_by_name=True)

    database_url: str = Field(default=f"sqlite:///{DATA_DIR / 'backoffice.db'}")
    telemetry_source: Literal["local", "azure"] = "local"
    telemetry_dir: Path = DATA_DIR / "telemetry"
    azure_workspace_id: str | None = None
    azure_resource_id: str | None = None
    azure_logs_endpoint: str = "https://api.loganalytics.io"
    azure_access_token: SecretStr | None = None
    azure_server_timeout_s: int = 60
    azure_connection_verify: str | None = None
    query_row_cap: int = 50_000
    service_name: str = "mana"
    display_timezone: str = "UTC"
    auth_mode: Literal["local", "entra"] = "local"
    entra_role_map: str = (
        "SRE.Admin:admin,SRE.Lead:lead,SRE.Operator:operator,SRE.Developer:developer,SRE.Viewer:viewer"
    )
    entra_default_role: str = ""  # no mapped app role: refused
    local_users: str = "admin:admin,lead:lead,operator:operator,developer:developer,viewer:viewer"
    default_user: str = "admin"
    demo_live_interval_s: float = 5.0
    loadtest_dir: Path = DATA_DIR / "loadtests"
    loadtest_max_upload_mb: int = 1024
    upload_max_decompressed_mb: int = 1024
    upload_max_line_kb: int = 1024
    upload_max_page_mb: int = 64  # Streamlit holds a page upload in memory whole: 64 MB keeps the app under 600 MB
    public_url: str = "http://localhost:8501"
    bind_address: str = "127.0.0.1"
    allow_local_auth_on_network: bool = False
    # the API's port; SRE_WEBHOOK_PORT is its name from when the worker served the Azure Monitor webhook
    api_port: int = Field(default=8502, validation_alias=AliasChoices("SRE_API_PORT", "SRE_WEBHOOK_PORT"))
    api_max_body_kb: int = 1024
    api_max_concurrency: int = 500
    webhook_token: SecretStr | None = None
    worker_interval_s: float = 10.0
    worker_lease_s: float = 60.0  # how long a claimed notification stays the sending worker's own
    alert_email_to: str = "sre-operators@mana.example"
    account_lock_webhook_url: str = "http://127.0.0.1:8600/account-lock"
    board: Literal["none", "azure-devops", "github"] = "none"
    board_timeout_s: float = 10.0
    azure_devops_org_url: str | None = None
    azure_devops_project: str | None = None
    azure_devops_pat: SecretStr | None = None
    github_repo: str | None = None
    github_token: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_sender: str | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    webhook_secret: SecretStr | None = None
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    graph_api_url: str = "https://graph.microsoft.com"
    graph_access_token: SecretStr | None = None
    notify_timeout_s: float = 10.0

    @field_validator("azure_workspace_id", "azure_resource_id", "azure_connection_verify", mode="before")
    @classmethod
    def _blank_is_none(cls, v: object) -> object:
        return None if v == "" else v

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call get_settings.cache_clear() after changing the env."""
    return Settings()
