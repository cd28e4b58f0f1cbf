"""The in-memory limiter: rate per key, lock-out after refused credentials, bounded memory."""

from __future__ import annotations

import threading

import pytest

from matchgate.server.errors import TooManyRequestsError
from matchgate.server.limits import Limiter, LimitRules, address_key, token_key


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ten_failures_in_a_minute_lock_out_for_fifteen_minutes() -> None:
    clock = FakeClock()
    limiter = Limiter(LimitRules(max_failures=10, failure_window=60, lockout=900), clock=clock)
    key = address_key("10.0.0.7")
    for _ in range(9):
        limiter.record_failure(key)
        clock.now += 5
    limiter.check(key)  # nine are not enough
    limiter.record_failure(key)
    with pytest.raises(TooManyRequestsError) as caught:
        limiter.check(key)
    assert caught.value.retry_after == 900
    clock.now += 899.5
    with pytest.raises(TooManyRequestsError) as caught:
        limiter.check(key, count=False)
    assert caught.value.retry_after == 1  # rounded up, never 0
    clock.now += 0.5
    limiter.check(key)  # the lock-out is over
    assert limiter.locked_until(key) is None
    other = address_key("10.0.0.8")
    limiter.check(other)  # another address was never locked


def test_failures_spread_wider_than_the_window_do_not_lock() -> None:
    clock = FakeClock()
    limiter = Limiter(LimitRules(max_failures=10, failure_window=60), clock=clock)
    for _ in range(30):
        limiter.record_failure("k")
        clock.now += 7  # at most 9 in any 60 s
    limiter.check("k")


def test_rate_limit_is_a_sliding_window() -> None:
    clock = FakeClock()
    limiter = Limiter(LimitRules(max_requests=3, request_window=10), clock=clock)
    for _ in range(3):
        limiter.check("k")
        clock.now += 1
    with pytest.raises(TooManyRequestsError) as caught:
        limiter.check("k")
    assert caught.value.retry_after == 7  # the first (at t) leaves the window at t+10
    limiter.check("k", count=False)  # a lock-out check alone is not a request
    clock.now += 6.5
    with pytest.raises(TooManyRequestsError):
        limiter.check("k")
    clock.now += 0.5
    limiter.check("k")


def test_zero_switches_a_rule_off() -> None:
    limiter = Limiter(LimitRules(max_requests=0, max_failures=0), clock=FakeClock())
    for _ in range(1000):
        limiter.check("k")
        limiter.record_failure("k")
    assert len(limiter) == 0


def test_memory_is_bounded_and_idle_keys_are_dropped() -> None:
    clock = FakeClock()
    limiter = Limiter(LimitRules(max_requests=5, request_window=10, max_keys=100), clock=clock)
    for n in range(1000):  # random tokens cannot grow the table
        limiter.check(_key(_token(n)))
    assert len(limiter) == 100
    clock.now += 11
    limiter.check("fresh")
    limiter.check(_key(_token(999)))  # expired: dropped once looked at again
    assert len(limiter) <= 100


def _token(n: int, secret: str = "s3cret-part-of-the-token") -> str:
    return f"mg_{n:016x}_{secret}"


def _key(token: str) -> str:
    key = token_key(token)
    assert key is not None
    return key


def test_token_keys_are_the_token_id_never_the_secret() -> None:
    token = _token(7)
    assert _key(token) == "token:0000000000000007"
    assert "s3cret" not in _key(token)
    # Another secret for the same id is the same key: guesses at one id count together.
    assert _key(_token(7, "another-guess-of-the-secret")) == _key(token)
    assert _key(_token(8)) != _key(token)
    # A malformed token has no id: only the client's address counts it.
    assert token_key("guess") is None
    assert token_key("mg_nothex_" + "x" * 24) is None


def test_threads_count_every_request_once() -> None:
    limiter = Limiter(LimitRules(max_requests=1000, request_window=60))
    refused: list[int] = []

    def hammer() -> None:
        for _ in range(250):
            try:
                limiter.check("shared")
            except TooManyRequestsError:
                refused.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 8 * 250 - 1000  # exactly the limit got through


@pytest.mark.parametrize(
    "rules",
    [{"max_requests": -1}, {"request_window": 0}, {"lockout": -5}, {"max_keys": -1}],
)
def test_rules_refuse_nonsense(rules: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        LimitRules(**rules)  # type: ignore[arg-type]
