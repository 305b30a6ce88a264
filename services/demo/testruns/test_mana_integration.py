import os

REGRESSED = os.environ.get("REGRESSED") == "1"


def test_dopa_verify_accepts_valid_citizen_id() -> None:
    assert True


def test_dopa_timeout_falls_back_to_queue() -> None:
    assert not REGRESSED, "expected HTTP 202 (queued) when DOPA times out, got 500"


def test_orders_api_creates_order() -> None:
    assert True
