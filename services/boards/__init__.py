"""Board clients: issues on Azure DevOps Boards or GitHub Issues, linked from incidents."""

from services.boards.azure_devops import AzureDevOpsBoard
from services.boards.base import BoardClient, BoardIssue, BoardIssueRequest
from services.boards.factory import build_board
from services.boards.github import GitHubBoard

__all__ = ["AzureDevOpsBoard", "BoardClient", "BoardIssue", "BoardIssueRequest", "GitHubBoard", "build_board"]
