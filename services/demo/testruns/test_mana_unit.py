import os

FLAKY = os.environ.get("FLAKY_FAILS") == "1"


def test_order_total_includes_vat() -> None:
    assert round(100 * 1.07, 2) == 107.0


def test_order_rejects_empty_cart() -> None:
    assert [] == []


def test_shop_search_filters_by_province() -> None:
    assert "Bangkok".lower() == "bangkok"


def test_login_locks_after_ten_failures() -> None:
    assert 10 >= 10


def test_payment_callback_is_idempotent() -> None:
    # waits on a clock in the real suite: fails now and then
    assert not FLAKY, "callback processed twice: expected 1 ledger entry, found 2"
