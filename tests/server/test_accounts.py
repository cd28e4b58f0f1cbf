"""The account store on SQLite and on a real PostgreSQL: users, hashed tokens, sessions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from matchgate.accounts import AccountStore, Role
from matchgate.errors import InputError

from .conftest import CHEAP_HASHER


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.slow])]
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    base = request.getfixturevalue("postgres_url")
    schema = f"a_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    yield (
        make_url(base)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


@pytest.fixture
def store(store_url: str | None, tmp_path: Path, clock: Clock) -> Iterator[AccountStore]:
    with AccountStore.open(
        tmp_path / "ws", url=store_url, clock=clock, hasher=CHEAP_HASHER
    ) as opened:
        yield opened


def _raw(store: AccountStore, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(store.url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_a_token_is_shown_once_and_stored_only_as_an_argon2_hash(store: AccountStore) -> None:
    issued = store.add_user("Rita Requester", role="requester", agency_code="dhs", actor="office")
    prefix, token_id, secret = issued.token.split("_", 2)
    assert prefix == "mg" and token_id == issued.token_id and len(secret) >= 40
    assert issued.user.role is Role.REQUESTER and issued.user.agency_code == "DHS"
    [(stored_id, stored_hash)] = _raw(store, "SELECT token_id, secret_hash FROM account_tokens")
    assert stored_id == token_id
    assert str(stored_hash).startswith("$argon2id$")
    assert secret not in str(stored_hash)
    found = store.authenticate(issued.token)
    assert found is not None and found[0].name == "Rita Requester" and found[1] == token_id


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # a wrong secret
        lambda t: "mg_" + "0" * 16 + t[19:],  # an unknown id
        lambda t: t.replace("mg_", "xx_"),  # not a matchgate token
        lambda t: "",
        lambda t: "mg_zz_short",
    ],
)
def test_wrong_tokens_authenticate_nobody(store: AccountStore, mangle: object) -> None:
    issued = store.add_user("Rev Reviewer", role="reviewer", actor="office")
    assert callable(mangle)
    assert store.authenticate(mangle(issued.token)) is None


def test_tokens_expire(store: AccountStore, clock: Clock) -> None:
    issued = store.add_user("Aud Auditor", role="auditor", expires_days=2, actor="office")
    assert issued.expires_at == clock.now + timedelta(days=2)
    clock.now += timedelta(days=1, hours=23)
    assert store.authenticate(issued.token) is not None
    clock.now += timedelta(hours=1)
    assert store.authenticate(issued.token) is None


def test_revoking_a_user_ends_its_tokens_and_sessions(store: AccountStore) -> None:
    issued = store.add_user("Sue Supervisor", role="supervisor", actor="office")
    second = store.issue_token("Sue Supervisor", expires_days=None, actor="office")
    found = store.authenticate(second.token)
    assert found is not None
    session = store.start_session(*found)
    assert store.session_user(session.cookie) is not None
    store.revoke_user("Sue Supervisor", actor="office")
    assert store.authenticate(issued.token) is None
    assert store.authenticate(second.token) is None
    assert store.session_user(session.cookie) is None
    [user] = store.users()
    assert not user.active
    with pytest.raises(InputError, match="was revoked"):
        store.revoke_user("Sue Supervisor", actor="office")
    actions = [event.action for event in store.events()]
    assert actions == ["user_added", "token_issued", "user_revoked"]


def test_sessions_end_at_sign_out_and_after_hours(store: AccountStore, clock: Clock) -> None:
    issued = store.add_user("Rev Reviewer", role="reviewer", actor="office")
    found = store.authenticate(issued.token)
    assert found is not None
    first = store.start_session(*found)
    assert store.session_user(first.cookie) == (found[0], first.csrf_token)
    [(stored,)] = _raw(store, "SELECT session_sha256 FROM account_sessions")
    assert first.cookie not in str(stored)  # only the cookie's hash is kept
    store.end_session(first.cookie)
    assert store.session_user(first.cookie) is None
    second = store.start_session(*found)
    clock.now += timedelta(hours=8)
    assert store.session_user(second.cookie) is None
    assert store.session_user("not-a-session") is None


def test_a_session_ends_no_later_than_its_token(store: AccountStore, clock: Clock) -> None:
    issued = store.add_user("Adam Admin", role="admin", expires_days=1, actor="office")
    clock.now += timedelta(hours=20)
    found = store.authenticate(issued.token)
    assert found is not None
    session = store.start_session(*found)
    assert session.expires_at == issued.expires_at


@pytest.mark.parametrize(
    ("name", "role", "agency", "message"),
    [
        ("Rita", "requester", None, "bound to one agency"),
        ("Rev", "reviewer", "DHS", "only a requester has an agency"),
        ("Rita", "requester", "NOPE", "no agency 'NOPE'"),
        ("Rita", "chief", None, "unknown role 'chief'"),
        ("", "reviewer", None, "a user name is"),
        ("<script>", "reviewer", None, "a user name is"),
    ],
)
def test_bad_users_are_refused(
    store: AccountStore, name: str, role: str, agency: str | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        store.add_user(
            name, role=role, agency_code=agency, actor="office", known_agencies={"DHS", "DOJ"}
        )
    assert store.users() == []


def test_names_are_unique(store: AccountStore) -> None:
    store.add_user("Rev Reviewer", role="reviewer", actor="office")
    with pytest.raises(InputError, match="exists already"):
        store.add_user("Rev  Reviewer", role="auditor", actor="office")
    assert [user.role for user in store.users()] == [Role.REVIEWER]


def test_authenticate_with_a_name_refuses_someone_elses_token(store: AccountStore) -> None:
    issued = store.add_user("Rev Reviewer", role="reviewer", actor="office")
    store.add_user("Aud Auditor", role="auditor", actor="office")
    assert store.authenticate(issued.token, name="Rev Reviewer") is not None
    assert store.authenticate(issued.token, name="Aud Auditor") is None


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        self.verified += 1
        return super().verify(hash, password)


def test_a_verified_token_is_not_hashed_again_but_still_checked(
    store_url: str | None, tmp_path: Path, clock: Clock
) -> None:
    hasher = CountingHasher()
    with AccountStore.open(tmp_path / "ws", url=store_url, clock=clock, hasher=hasher) as store:
        issued = store.add_user("Rev Reviewer", role="reviewer", expires_days=1, actor="office")
        assert store.authenticate(issued.token) is not None
        assert store.authenticate(issued.token) is not None
        assert hasher.verified == 1  # the second call compared a SHA-256 only
        # A wrong secret under the same token id is still refused.
        wrong = issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B")
        assert store.authenticate(wrong) is None
        clock.now += timedelta(days=1)  # expiry is read from the database every time
        assert store.authenticate(issued.token) is None
        clock.now -= timedelta(days=1)
        # So is revocation, by another process as much as by this one.
        with AccountStore.open(tmp_path / "ws", url=store_url, hasher=hasher) as other:
            other.revoke_user("Rev Reviewer", actor="office")
        assert store.authenticate(issued.token) is None
