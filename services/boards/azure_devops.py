"""Azure DevOps Boards: work items through the REST API (api-version 7.1) with a personal access token."""

from __future__ import annotations

import html
from typing import Any, NoReturn
from urllib.parse import quote, urlsplit

from services.boards.base import (
    BoardHttp,
    BoardIssue,
    BoardIssueRequest,
    basic_auth,
    check_label,
    check_request,
    server_message,
    unique,
)
from services.errors import InvalidInput
from services.http_client import HttpAnswer

API_VERSION = "7.1"
WORK_ITEM_TYPES = {"bug": "Bug", "task": "Task"}
# the team's Sev0..Sev4 onto the Severity field's allowed values (Sev0 has no stronger slot than Critical)
SEVERITIES = {
    "sev0": "1 - Critical",
    "sev1": "1 - Critical",
    "sev2": "2 - High",
    "sev3": "3 - Medium",
    "sev4": "4 - Low",
}
_FIND_LIMIT = 20  # work items fetched to confirm a marker tag; more than one means an earlier retry raced
_PROJECT_SETTINGS = "SRE_AZURE_DEVOPS_ORG_URL and SRE_AZURE_DEVOPS_PROJECT"
_SCOPES = "check SRE_AZURE_DEVOPS_PAT (not expired, this organisation) and its scope Work Items: Read & Write"


def severity_value(severity: str) -> str:
    """The Severity field value for a team severity ("Sev1" -> "1 - Critical"); raises InvalidInput."""
    text = severity.strip()
    if text in SEVERITIES.values():
        return text
    try:
        return SEVERITIES[text.lower().replace(" ", "")]
    except KeyError:
        raise InvalidInput(f"Severity {severity!r} has no Azure DevOps Severity; use Sev0 … Sev4.") from None


def description_html(request: BoardIssueRequest) -> str:
    """The description as HTML (escaped, newlines as <br>), then the incident link and the marker."""
    text = request.description.replace("\r\n", "\n").replace("\r", "\n").strip()
    footer = []
    if request.link_url:
        href = html.escape(request.link_url)
        footer.append(f'Incident: <a href="{href}">{href}</a>')
    footer.append(f"SRE Backoffice marker: {html.escape(request.marker.strip())}")
    parts = [html.escape(text).replace("\n", "<br>")] if text else []
    return "<br><br>".join([*parts, "<br>".join(footer)])


def work_item_patch(request: BoardIssueRequest) -> list[dict[str, Any]]:
    """The JSON-Patch document that creates the work item."""
    body = description_html(request)

    def field(name: str, value: object) -> dict[str, Any]:
        return {"op": "add", "path": f"/fields/{name}", "value": value}

    ops = [
        field("System.Title", request.title.strip()),
        field("System.Description", body),
        field("Microsoft.VSTS.Common.Priority", request.priority),
    ]
    if request.kind == "bug":
        # Agile, Scrum and CMMI show a Bug's Repro Steps on its form, not its Description
        ops.append(field("Microsoft.VSTS.TCM.ReproSteps", body))
        if request.severity:
            ops.append(field("Microsoft.VSTS.Common.Severity", severity_value(request.severity)))
    tags = unique([t.strip() for t in request.tags] + [request.marker.strip()])
    ops.append(field("System.Tags", "; ".join(tags)))
    if request.link_url:
        ops.append({"op": "add", "path": "/relations/-", "value": {"rel": "Hyperlink", "url": request.link_url}})
    return ops


class AzureDevOpsBoard:
    """Work items in one Azure DevOps project; every failure is one ExternalServiceError."""

    provider = "azure-devops"

    def __init__(self, *, org_url: str, project: str, pat: str, timeout_s: float = 10.0) -> None:
        org_url = org_url.strip().rstrip("/")
        parts = urlsplit(org_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInput(
                f"SRE_AZURE_DEVOPS_ORG_URL must be the organisation URL, e.g. https://dev.azure.com/contoso, "
                f"not {org_url!r}."
            )
        if not project.strip():
            raise InvalidInput("SRE_AZURE_DEVOPS_PROJECT must name the Azure DevOps project that gets the work items.")
        if not pat:
            raise InvalidInput("SRE_AZURE_DEVOPS_PAT must hold a personal access token with Work Items: Read & Write.")
        self.org_url = org_url
        self.project = project.strip()
        self._base = f"{org_url}/{quote(self.project, safe='')}"
        auth = basic_auth(pat)
        self._http = BoardHttp(
            label=f"Azure DevOps ({org_url}, project {self.project})",
            authorization=auth,
            headers={"Accept": "application/json", "X-TFS-FedAuthRedirect": "Suppress"},
            secrets=(pat, auth.removeprefix("Basic ")),
            timeout_s=timeout_s,
            url_setting="SRE_AZURE_DEVOPS_ORG_URL",
            redirect_hint="usually the sign-in page, so check SRE_AZURE_DEVOPS_PAT and SRE_AZURE_DEVOPS_ORG_URL",
        )

    def __repr__(self) -> str:
        return f"AzureDevOpsBoard(org_url={self.org_url!r}, project={self.project!r})"

    def create_issue(self, request: BoardIssueRequest) -> BoardIssue:
        """Create a Bug or Task work item for the request."""
        check_request(request)
        kind = WORK_ITEM_TYPES[request.kind]
        what = f"create a {kind} work item"
        answer = self._http.send(
            "POST",
            f"{self._base}/_apis/wit/workitems/${kind}?api-version={API_VERSION}",
            what=what,
            body=work_item_patch(request),
            content_type="application/json-patch+json",
        )
        not_found = (
            f"the project or its {kind} work item type was not found{_detail(answer)}; check "
            f"{_PROJECT_SETTINGS} (projects on the Basic process have no Bug type)"
        )
        return self._parse(self._ok(answer, what=what, not_found=not_found), answer, what=what)[0]

    def find_issue(self, marker: str) -> BoardIssue | None:
        """The work item tagged with the marker (the oldest, if a retry made two), or None."""
        marker = check_label(marker, what="marker")
        what = f"search for the work item tagged {marker}"
        literal = marker.replace("'", "''")
        query = (
            "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
            f"AND [System.Tags] CONTAINS '{literal}' ORDER BY [System.Id]"
        )
        answer = self._http.send(
            "POST", f"{self._base}/_apis/wit/wiql?api-version={API_VERSION}", what=what, body={"query": query}
        )
        not_found = (
            f"the project was not found{_detail(answer)}; check SRE_AZURE_DEVOPS_ORG_URL and SRE_AZURE_DEVOPS_PROJECT"
        )
        data = self._ok(answer, what=what, not_found=not_found)
        try:
            ids = sorted(int(item["id"]) for item in data["workItems"])
        except (KeyError, TypeError, ValueError):
            raise self._http.not_the_api(answer, what=what) from None
        for work_item_id in ids[:_FIND_LIMIT]:
            issue, tags = self._fetch(str(work_item_id))
            if marker.lower() in tags:  # CONTAINS may match more loosely than one whole tag
                return issue
        return None

    def get_issue(self, key: str) -> BoardIssue:
        """The work item as it is now (state, title)."""
        return self._fetch(key)[0]

    def _fetch(self, key: str) -> tuple[BoardIssue, set[str]]:
        key = key.strip()
        if not key.isdigit():
            raise InvalidInput(f"An Azure DevOps work item id is a number, not {key!r}.")
        what = f"read work item {key}"
        answer = self._http.send("GET", f"{self._base}/_apis/wit/workitems/{key}?api-version={API_VERSION}", what=what)
        not_found = (
            f"work item {key} does not exist in the project{_detail(answer)}; it may have been deleted or moved, "
            "otherwise check SRE_AZURE_DEVOPS_PROJECT"
        )
        return self._parse(self._ok(answer, what=what, not_found=not_found), answer, what=what)

    def _ok(self, answer: HttpAnswer, *, what: str, not_found: str) -> Any:
        if answer.status in (200, 201):
            return self._http.json(answer, what=what)
        self._fail(answer, what=what, not_found=not_found)

    def _fail(self, answer: HttpAnswer, *, what: str, not_found: str) -> NoReturn:
        status = answer.status
        if status in (203, 401, 403):  # 203: the sign-in page served in place of the API
            raise self._http.error(what, f"the board refused the token (HTTP {status}); {_SCOPES}")
        if status == 404:
            raise self._http.error(what, not_found)
        if status == 400:
            message = server_message(answer.body)
            raise self._http.error(what, f"the board rejected the request (HTTP 400{': ' if message else ''}{message})")
        raise self._http.common_error(answer, what=what)

    def _parse(self, data: Any, answer: HttpAnswer, *, what: str) -> tuple[BoardIssue, set[str]]:
        try:
            key = str(int(data["id"]))
            fields = data["fields"]
            links = data.get("_links") or {}
            url = (links.get("html") or {}).get("href") or f"{self._base}/_workitems/edit/{key}"
            tags = {t.strip().lower() for t in str(fields.get("System.Tags") or "").split(";") if t.strip()}
            issue = BoardIssue(
                provider=self.provider,
                key=key,
                url=str(url),
                state=str(fields.get("System.State") or ""),
                title=str(fields.get("System.Title") or ""),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise self._http.not_the_api(answer, what=what) from None
        return issue, tags


def _detail(answer: HttpAnswer) -> str:
    message = server_message(answer.body)
    return f" ({message})" if message else ""
