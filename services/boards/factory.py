"""Pick the board client from the settings (SRE_BOARD)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from services.boards.azure_devops import AzureDevOpsBoard
from services.boards.base import BoardClient
from services.boards.github import DEFAULT_API_URL, GitHubBoard
from services.errors import InvalidInput

if TYPE_CHECKING:
    from services.config import Settings


def build_board(settings: Settings) -> BoardClient | None:
    """The board client SRE_BOARD names, or None for SRE_BOARD=none; raises InvalidInput on missing settings."""
    if settings.board.kind == "azure-devops":
        org_url, project = settings.board.azure_devops_org_url or "", settings.board.azure_devops_project or ""
        pat = _secret(settings.board.azure_devops_pat)
        _require(
            "azure-devops",
            {"SRE_AZURE_DEVOPS_ORG_URL": org_url, "SRE_AZURE_DEVOPS_PROJECT": project, "SRE_AZURE_DEVOPS_PAT": pat},
        )
        return AzureDevOpsBoard(org_url=org_url, project=project, pat=pat, timeout_s=settings.board.timeout_s)
    if settings.board.kind == "github":
        repo, token = settings.board.github_repo or "", _secret(settings.board.github_token)
        _require("github", {"SRE_GITHUB_REPO": repo, "SRE_GITHUB_TOKEN": token})
        return GitHubBoard(
            repo=repo,
            token=token,
            api_url=settings.board.github_api_url or DEFAULT_API_URL,
            timeout_s=settings.board.timeout_s,
        )
    return None


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value().strip() if value is not None else ""


def _require(board: str, values: dict[str, str]) -> None:
    missing = [name for name, value in values.items() if not value.strip()]
    if missing:
        raise InvalidInput(f"SRE_BOARD={board} needs {', '.join(missing)}; set them, or SRE_BOARD=none.")
