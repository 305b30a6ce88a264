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


def require(actor: Actor, permission: str) -> None:
    """Raise PermissionDenied unless the actor holds the permission."""
    if not can(actor, permission):
        needed = PERMISSIONS[permission]
        raise PermissionDenied(
            f"{actor.name} ({actor.role}) may not {permission.replace('.', ' ')}: it needs the {needed} role."
        )


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
