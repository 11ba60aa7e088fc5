"""Admission: synchronous calls past the bound are refused at once (503), never queued."""

import pytest

from service.admission import Admission
from service.contract import ApiError
from tagger.engine.runtime import MAX_PENDING_ENV, max_pending_from_env


def test_calls_past_the_bound_are_refused_and_released_ones_make_room():
    gate = Admission(limit=10)
    with gate.hold(64):  # an idle server takes any call, even one over the bound
        with pytest.raises(ApiError) as refused:
            with gate.hold(1):
                pass
        assert refused.value.error_code == 503 and "64 pending articles of other calls" in str(refused.value)
    with gate.hold(6), gate.hold(4):
        assert gate.pending == 10
        with pytest.raises(ApiError):
            with gate.hold(1):
                pass
    with pytest.raises(RuntimeError), gate.hold(3):  # a failed call gives its room back too
        raise RuntimeError("model failed")
    assert gate.pending == 0


def test_bound_from_the_environment(monkeypatch):
    monkeypatch.setenv(MAX_PENDING_ENV, "32")
    assert max_pending_from_env() == 32
    for bad in ("0", "-3", "many"):
        monkeypatch.setenv(MAX_PENDING_ENV, bad)
        with pytest.raises(ValueError, match=f"{MAX_PENDING_ENV}="):
            max_pending_from_env()
