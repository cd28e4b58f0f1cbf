"""Rate limits and lock-outs, in memory, per key (a client address or an API token's id).

Two rules, both per key:

* **Rate**: at most ``max_requests`` requests in any ``request_window`` seconds (a sliding
  window); the next one answers 429 with ``Retry-After``.
* **Lock-out**: ``max_failures`` authentication failures within ``failure_window`` seconds
  lock the key out for ``lockout`` seconds: every request answers 429 until then, the right
  token included (a guesser learns nothing from trying on).

The interface is two calls, so whatever authenticates only reports its failures:
:meth:`Limiter.record_failure` where a credential is refused (a bearer token, a sign-in
form's token: ``matchgate.server.deps``), :meth:`Limiter.check` before work is done.
Thread-safe (one lock; the work under it is a few deque operations); the clock is
injectable so tests need not sleep. Memory is
bounded: a key's state is dropped once it holds nothing in force, and at most ``max_keys``
keys are kept (the stalest first go), so random tokens cannot grow the table without end.
State is per process: behind several workers each has its own counts.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from matchgate.accounts import parse_token
from matchgate.server.errors import TooManyRequestsError

__all__ = ["Limiter", "LimitRules", "address_key", "token_key"]

Clock = Callable[[], float]


def address_key(host: str | None) -> str:
    return f"address:{host or 'unknown'}"


def token_key(token: str) -> str | None:
    """The key of an API token ``mg_<id>_<secret>``: its id, never its secret (nor a digest
    of it, which a leaked table would let one test guesses against). None for a malformed
    token, which has no id: only the address counts it."""
    parsed = parse_token(token)
    return None if parsed is None else f"token:{parsed[0]}"


@dataclass(frozen=True, slots=True)
class LimitRules:
    """The limits in force; 0 for ``max_requests`` or ``max_failures`` switches that rule off."""

    max_requests: int = 600
    request_window: float = 60.0
    max_failures: int = 10
    failure_window: float = 60.0
    lockout: float = 900.0
    max_keys: int = 100_000

    def __post_init__(self) -> None:
        for name in ("max_requests", "max_failures", "max_keys"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("request_window", "failure_window", "lockout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds")


@dataclass(slots=True)
class _KeyState:
    requests: deque[float] = field(default_factory=deque)
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class Limiter:
    """Counts requests and failures per key; :meth:`check` raises :class:`TooManyRequestsError`."""

    def __init__(self, rules: LimitRules | None = None, *, clock: Clock = time.monotonic) -> None:
        self.rules = rules or LimitRules()
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: OrderedDict[str, _KeyState] = OrderedDict()

    def _state(self, key: str) -> _KeyState:
        state = self._keys.get(key)
        if state is None:
            state = self._keys[key] = _KeyState()
            while len(self._keys) > self.rules.max_keys:
                self._keys.popitem(last=False)
        else:
            self._keys.move_to_end(key)
        return state

    def _expire(self, state: _KeyState, now: float) -> None:
        while state.requests and state.requests[0] <= now - self.rules.request_window:
            state.requests.popleft()
        while state.failures and state.failures[0] <= now - self.rules.failure_window:
            state.failures.popleft()

    def _forget_if_idle(self, key: str, state: _KeyState, now: float) -> None:
        if not state.requests and not state.failures and state.locked_until <= now:
            self._keys.pop(key, None)

    def check(self, key: str, *, count: bool = True) -> None:
        """Raise :class:`TooManyRequestsError` if the key is locked out or over its rate;
        otherwise count this request against the rate. With ``count`` false only the
        lock-out is checked (for a request already counted)."""
        with self._lock:
            now = self._clock()
            state = self._state(key)
            self._expire(state, now)
            if state.locked_until > now:
                raise TooManyRequestsError(
                    "too many failed sign-in attempts from this client; try again later",
                    retry_after=_seconds(state.locked_until - now),
                )
            limit = self.rules.max_requests if count else 0
            if limit and len(state.requests) >= limit:
                wait = state.requests[0] + self.rules.request_window - now
                raise TooManyRequestsError(
                    f"more than {limit} requests in {self.rules.request_window:g} s;"
                    " slow down and try again later",
                    retry_after=_seconds(wait),
                )
            if limit:
                state.requests.append(now)
            self._forget_if_idle(key, state, now)

    def record_failure(self, key: str) -> None:
        """One refused credential; the ``max_failures``-th within the window locks the key."""
        with self._lock:
            now = self._clock()
            state = self._state(key)
            self._expire(state, now)
            if not self.rules.max_failures:
                self._forget_if_idle(key, state, now)
                return
            state.failures.append(now)
            if len(state.failures) >= self.rules.max_failures:
                state.locked_until = now + self.rules.lockout
                state.failures.clear()

    def locked_until(self, key: str) -> float | None:
        """When the key's lock-out ends (on the limiter's clock), or None."""
        with self._lock:
            state = self._keys.get(key)
            if state is None or state.locked_until <= self._clock():
                return None
            return state.locked_until

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))
