"""``BoundedMemo``: each key made once; full, it is emptied whole and makes values again."""

from __future__ import annotations

from matchgate.batch.memo import BoundedMemo


def test_a_key_is_made_once_and_a_full_memo_starts_again() -> None:
    made: list[str] = []

    def make(key: str) -> str:
        made.append(key)
        return key.upper()

    memo = BoundedMemo(make, size=2)
    assert [memo("a"), memo("a"), memo("b"), memo("a")] == ["A", "A", "B", "A"]
    assert made == ["a", "b"]
    assert memo("c") == "C"  # holds 2 keys: emptied, then c kept
    assert memo("a") == "A"
    assert made == ["a", "b", "c", "a"]


def test_a_falsy_value_is_kept_like_any_other() -> None:
    made: list[str] = []
    memo = BoundedMemo(lambda key: made.append(key) or "", size=4)
    assert memo("x") == "" and memo("x") == ""
    assert made == ["x"]
