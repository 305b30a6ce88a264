"""The status workflow and the protocol routing, as pure rules."""

import pytest

from services.errors import Conflict, InvalidInput
from services.incidents.workflow import TRANSITIONS, check_transition, protocol_for


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("new", "acknowledged"),
        ("acknowledged", "mitigating"),
        ("mitigating", "resolved"),
        ("resolved", "closed"),
        ("new", "resolved"),
        ("resolved", "new"),
        ("closed", "new"),
    ],
)
def test_allowed_moves(current: str, target: str) -> None:
    check_transition(current, target)


def test_an_illegal_move_says_which_moves_are_allowed() -> None:
    with pytest.raises(Conflict) as exc:
        check_transition("closed", "mitigating")
    assert str(exc.value) == (
        "An incident that is closed cannot move to mitigating; from closed it can go to: reopen (new)."
    )
    with pytest.raises(Conflict, match="from mitigating it can go to: resolved"):
        check_transition("mitigating", "acknowledged")
    with pytest.raises(InvalidInput, match="Unknown status 'done'"):
        check_transition("new", "done")


def test_every_status_can_reach_closed_and_nothing_moves_to_itself() -> None:
    for status, targets in TRANSITIONS.items():
        assert status not in targets
        seen, todo = set(), [status]
        while todo:
            s = todo.pop()
            seen.add(s)
            todo += [t for t in TRANSITIONS[s] if t not in seen]
        assert "closed" in seen


def test_an_unknown_classification_names_the_valid_ones() -> None:
    # what each classification asks for (board issue, tags, priority, hotfix) is tested by classifying, in
    # test_board_issues.py and test_service.py
    assert "discuss" in protocol_for("unknown").summary
    with pytest.raises(InvalidInput, match="use one of: protocol, non-critical, critical, unknown"):
        protocol_for("severe")
