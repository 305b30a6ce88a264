"""A refusal says what was refused, the role it needs and the actor's own role, for every permission."""

from __future__ import annotations

import pytest

from services import auth
from services.auth import Actor, require
from services.errors import PermissionDenied


def test_every_permission_has_a_phrase() -> None:
    assert sorted(set(auth.PERMISSIONS) - set(auth.DOING)) == [], "add the permission's phrase to auth.DOING"
    assert sorted(set(auth.DOING) - set(auth.PERMISSIONS)) == [], "a phrase for a permission that is gone"
    assert all(p[0].isupper() and not p.endswith(".") for p in auth.DOING.values())


@pytest.mark.parametrize(
    ("role", "permission", "doing", "message"),
    [
        ("viewer", "audit.export", None, "Exporting the audit log needs the lead role; you are viewer."),
        ("operator", "slo.create", None, "Creating an SLO needs the lead role; you are operator."),
        (
            "viewer",
            "incident.triage",
            "Classifying an incident",
            "Classifying an incident needs the operator role; you are viewer.",
        ),
    ],
)
def test_the_refusal_names_the_needed_role_and_the_actors(
    role: str, permission: str, doing: str | None, message: str
) -> None:
    with pytest.raises(PermissionDenied) as refused:
        require(Actor("vic", role), permission, doing=doing)
    assert str(refused.value) == message


def test_a_role_that_holds_the_permission_passes() -> None:
    require(Actor("lena", "lead"), "incident.triage", doing="Classifying an incident")
