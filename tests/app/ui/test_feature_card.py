"""A board card names at most three open items and counts the rest; the feature page lists them all."""

from __future__ import annotations

from app.ui.feature_board import waiting_for


def test_a_card_names_three_open_items_and_counts_the_rest() -> None:
    assert waiting_for(("A", "B", "C", "D", "E")) == "waiting for: A; B; C; and 2 more"
    assert waiting_for(("A", "B", "C")) == "waiting for: A; B; C"
    assert waiting_for(("Unit tests passed",)) == "waiting for: Unit tests passed"
