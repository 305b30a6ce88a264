"""Roles, permissions and the acting user: one role table, checked in the service layer."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from services.errors import InvalidInput, PermissionDenied

ROLES: tuple[str, ...] = ("viewer", "developer", "operator", "lead", "admin")

# permission -> the lowest role that holds it
PERMISSIONS: dict[str, str] = {
    "slo.read": "viewer",
    "telemetry.query": "viewer",
    "query.read": "viewer",
    "query.save": "viewer",
    "preference.read": "viewer",
    "preference.save": "viewer",
    "telemetry.import": "developer",
    "audit.read": "viewer",
    "audit.export": "lead",
    "telemetry.compact": "operator",
    "demo.live": "admin",
    "slo.create": "lead",
    "slo.update": "lead",
    "slo.delete": "lead",
    "demo.seed": "admin",
    "loadtest.read": "viewer",
    "loadtest.import": "developer",
    "loadtest.delete": "lead",
    "incident.read": "viewer",
    "incident.create": "operator",
    "incident.triage": "operator",
    "severity.edit": "lead",
    "runbook.edit": "lead",
    "postmortem.edit": "operator",
    "postmortem.publish": "lead",
    "alert.read": "viewer",
    "alert.edit": "lead",
    "notification.read": "operator",
    "feature.read": "viewer",
    "feature.create": "developer",
    "feature.edit": "developer",
    "feature.move": "developer",
    "gate.sign_off": "developer",  # the item's phase may ask for more: services.features.phases.SIGN_OFF_ROLE
    "gate.waive": "lead",
    "gate.template_edit": "lead",
    "release.read": "viewer",
    "testrun.read": "viewer",
    "testrun.import": "developer",
    "testrun.delete": "lead",
    "stub.read": "viewer",
    "stub.write": "developer",
    "stub.delete": "lead",
}

# permission -> what it allows, as the subject of a refusal: "<Exporting the audit log> needs the lead role; ..."
DOING: dict[str, str] = {
    "slo.read": "Reading SLOs",
    "telemetry.query": "Querying telemetry",
    "query.read": "Reading saved queries",
    "query.save": "Saving a query",
    "preference.read": "Reading your preferences",
    "preference.save": "Saving your preferences",
    "telemetry.import": "Importing telemetry",
    "audit.read": "Reading the audit log",
    "audit.export": "Exporting the audit log",
    "telemetry.compact": "Compacting the telemetry store",
    "demo.live": "Running live demo traffic",
    "slo.create": "Creating an SLO",
    "slo.update": "Editing an SLO",
    "slo.delete": "Deleting an SLO",
    "demo.seed": "Seeding the demo data",
    "loadtest.read": "Reading load-test runs",
    "loadtest.import": "Importing a load-test run",
    "loadtest.delete": "Deleting a load-test run",
    "incident.read": "Reading incidents",
    "incident.create": "Opening an incident",
    "incident.triage": "Triaging an incident",
    "severity.edit": "Editing a severity definition",
    "runbook.edit": "Editing a runbook",
    "postmortem.edit": "Editing a postmortem",
    "postmortem.publish": "Publishing a postmortem",
    "alert.read": "Reading alert rules",
    "alert.edit": "Editing an alert rule",
    "notification.read": "Reading notifications",
    "feature.read": "Reading features",
    "feature.create": "Creating a feature",
    "feature.edit": "Editing a feature",
    "feature.move": "Moving a feature between phases",
    "gate.sign_off": "Signing off a gate",
    "gate.waive": "Waiving a gate",
    "gate.template_edit": "Editing the gate template",
    "release.read": "Reading releases",
    "testrun.read": "Reading test runs",
    "testrun.import": "Importing a test run",
    "testrun.delete": "Deleting a test run",
    "stub.read": "Reading stub sets",
    "stub.write": "Building or uploading a stub set",
    "stub.delete": "Deleting a stub set",
}


@dataclass(frozen=True)
class Actor:
    """Who acts: a plain value handed into every service call that changes something."""

    name: str
    role: str
    os_user: str | None = None  # who ran the command, beside the identity it acts as (the CLI sets it)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InvalidInput(f"Unknown role {self.role!r} for {self.name!r}; use one of {', '.join(ROLES)}.")


def role_rank(role: str) -> int:
    """Position of a role in viewer < developer < operator < lead < admin."""
    return ROLES.index(role)


def can(actor: Actor, permission: str) -> bool:
    """Whether the actor's role holds the permission."""
    needed = PERMISSIONS[permission]
    return role_rank(actor.role) >= role_rank(needed)


def refusal(actor: Actor, permission: str, doing: str | None = None) -> str:
    """Why the actor may not: what it is, who may do it, and the actor's own role."""
    what = doing or DOING.get(permission) or permission.replace(".", " ").capitalize()
    return f"{what} needs the {PERMISSIONS[permission]} role; you are {actor.role}."


def require(actor: Actor, permission: str, *, doing: str | None = None) -> None:
    """Raise PermissionDenied unless the actor holds the permission; `doing` names the action more exactly than
    the permission's own phrase ("Classifying an incident" rather than "Triaging an incident")."""
    if not can(actor, permission):
        raise PermissionDenied(refusal(actor, permission, doing))


def local_actor(name: str | None = None) -> Actor:
    """A configured local identity (embedded mode); the default user when no name is given."""
    from services.config import get_settings

    settings = get_settings()
    users = settings.auth.local_identities()
    name = name or settings.auth.default_user
    if name not in users:
        raise InvalidInput(f"Unknown user {name!r}; configured users: {', '.join(users)} (SRE_LOCAL_USERS).")
    return Actor(name=name, role=users[name])


def cli_actor(name: str | None = None) -> Actor:
    """The configured identity a command acts as, with the operating-system user who ran it."""
    try:
        os_user = getpass.getuser()
    except OSError:  # no login name and no passwd entry (some containers): say so rather than guess
        os_user = "unknown"
    return replace(local_actor(name), os_user=os_user)


def actor_from_claims(claims: Mapping[str, Any], *, role_map: Mapping[str, str], default_role: str) -> Actor:
    """The actor an Entra ID sign-in stands for: the highest backoffice role among the token's app roles.

    A user without a mapped app role gets `default_role`; with none configured, access is refused.
    """
    name = next((str(claims[k]) for k in ("preferred_username", "email", "name", "sub") if claims.get(k)), "")
    if not name:
        raise PermissionDenied("The sign-in carried no user name; sign in again.")
    granted = [role_map[r] for r in claims.get("roles") or [] if r in role_map]
    if not granted:
        if not default_role:
            raise PermissionDenied(
                f"{name} has none of the backoffice's app roles ({', '.join(role_map)}); ask an admin to assign one."
            )
        granted = [default_role]
    return Actor(name=name, role=max(granted, key=role_rank))
