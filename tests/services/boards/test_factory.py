"""build_board picks the client SRE_BOARD names and names any missing setting."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from services.boards import AzureDevOpsBoard, GitHubBoard, build_board
from services.config import BoardSettings, Settings, get_settings
from services.errors import InvalidInput

PAT = "azdoPat0123456789abcdefDONOTLEAK"
TOKEN = "ghp_0123456789abcdefDONOTLEAKxyz"


def _settings(**kw: Any) -> Settings:
    return Settings(board=BoardSettings(_env_file=None, **kw))  # type: ignore[call-arg]


def test_no_board_by_default() -> None:
    assert _settings().board.kind == "none"
    assert build_board(_settings()) is None
    assert build_board(_settings(kind="none", github_repo="contoso/mana")) is None


def test_azure_devops_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRE_BOARD", "azure-devops")
    monkeypatch.setenv("SRE_AZURE_DEVOPS_ORG_URL", "https://dev.azure.com/contoso/")
    monkeypatch.setenv("SRE_AZURE_DEVOPS_PROJECT", "SRE Platform")
    monkeypatch.setenv("SRE_AZURE_DEVOPS_PAT", PAT)
    monkeypatch.setenv("SRE_BOARD_TIMEOUT_S", "4.5")
    get_settings.cache_clear()

    board = build_board(get_settings())

    assert isinstance(board, AzureDevOpsBoard) and board.provider == "azure-devops"
    assert (board.org_url, board.project) == ("https://dev.azure.com/contoso", "SRE Platform")
    assert board._http.timeout_s == 4.5
    assert PAT not in repr(board) and PAT not in repr(get_settings())


@pytest.mark.parametrize(
    ("kw", "missing"),
    [
        ({}, "SRE_AZURE_DEVOPS_ORG_URL, SRE_AZURE_DEVOPS_PROJECT, SRE_AZURE_DEVOPS_PAT"),
        (
            {"azure_devops_org_url": "https://dev.azure.com/contoso", "azure_devops_project": "SRE"},
            "SRE_AZURE_DEVOPS_PAT",
        ),
        (
            {"azure_devops_org_url": "", "azure_devops_project": " ", "azure_devops_pat": SecretStr(PAT)},
            "SRE_AZURE_DEVOPS_ORG_URL, SRE_AZURE_DEVOPS_PROJECT",
        ),
    ],
)
def test_azure_devops_names_the_missing_settings(kw: dict[str, Any], missing: str) -> None:
    with pytest.raises(InvalidInput) as info:
        build_board(_settings(kind="azure-devops", **kw))
    assert str(info.value) == f"SRE_BOARD=azure-devops needs {missing}; set them, or SRE_BOARD=none."


def test_azure_devops_with_a_malformed_org_url() -> None:
    settings = _settings(
        kind="azure-devops", azure_devops_org_url="contoso", azure_devops_project="SRE", azure_devops_pat=PAT
    )
    with pytest.raises(InvalidInput, match="SRE_AZURE_DEVOPS_ORG_URL must be the organisation URL"):
        build_board(settings)


def test_github_with_defaults_and_with_an_enterprise_server() -> None:
    board = build_board(_settings(kind="github", github_repo="contoso/mana", github_token=SecretStr(TOKEN)))
    assert isinstance(board, GitHubBoard) and board.provider == "github"
    assert (board.repo, board.api_url) == ("contoso/mana", "https://api.github.com")
    assert board._http.timeout_s == 10.0

    ghes = build_board(
        _settings(
            kind="github",
            github_repo="contoso/mana",
            github_token=SecretStr(TOKEN),
            github_api_url="https://ghe.contoso.example/api/v3/",
            timeout_s=3,
        )
    )
    assert isinstance(ghes, GitHubBoard) and ghes.api_url == "https://ghe.contoso.example/api/v3"
    assert ghes._http.timeout_s == 3


@pytest.mark.parametrize(
    ("kw", "missing"),
    [
        ({}, "SRE_GITHUB_REPO, SRE_GITHUB_TOKEN"),
        ({"github_repo": "contoso/mana", "github_token": SecretStr("  ")}, "SRE_GITHUB_TOKEN"),
    ],
)
def test_github_names_the_missing_settings(kw: dict[str, Any], missing: str) -> None:
    with pytest.raises(InvalidInput) as info:
        build_board(_settings(kind="github", **kw))
    assert str(info.value) == f"SRE_BOARD=github needs {missing}; set them, or SRE_BOARD=none."


def test_github_with_a_malformed_repo() -> None:
    with pytest.raises(InvalidInput, match="SRE_GITHUB_REPO must be 'owner/repo'"):
        build_board(_settings(kind="github", github_repo="https://github.com/contoso/mana", github_token=TOKEN))


def test_an_unknown_board_is_refused_by_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRE_BOARD", "jira")
    with pytest.raises(ValidationError, match="SRE_BOARD"):
        Settings()
