"""The policy file: one TOML file, one table per stage (``[review]``, ``[match]``).

Each stage validates its own table strictly; reading the file and finding the table is
done here once, so a missing file, bad TOML or a table that is not a table gives the same
clear error whichever stage reads it first.

Some settings are safeguards. For those a stage declares a :class:`Bound` (a floor, a
ceiling or a fixed value) that no policy file can pass: a policy may make the gate stricter,
never switch it off. The bounds are constants in the stage's module, each with its reason;
``matchgate policy show`` prints them beside the settings and the README lists them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from matchgate.errors import PolicyError

__all__ = ["Bound", "read_policy_table"]


@dataclass(frozen=True)
class Bound:
    """A limit on one policy setting that no policy file may pass.

    ``kind`` is ``"floor"`` (the value must be at least ``limit``), ``"ceiling"`` (at most
    ``limit``) or ``"fixed"`` (exactly ``limit``: a safeguard that cannot be switched off).
    """

    key: str  # "table.setting", as in error messages: "match.disclose_threshold"
    kind: Literal["floor", "ceiling", "fixed"]
    limit: float | int | bool
    why: str

    def admits(self, value: Any) -> bool:
        if self.kind == "floor":
            return bool(value >= self.limit)
        if self.kind == "ceiling":
            return bool(value <= self.limit)
        return bool(value == self.limit)

    def describe(self) -> str:
        """``at least 0.99``, ``at most 100_000``, ``always true``."""
        shown = _shown(self.limit)
        if self.kind == "floor":
            return f"at least {shown}"
        if self.kind == "ceiling":
            return f"at most {shown}"
        return f"always {shown}"

    def check(self, value: Any, path: Path | str | None) -> None:
        """Raise :class:`PolicyError` naming the key, the value and the bound if not admitted."""
        if self.admits(value):
            return
        if self.kind == "floor":
            verdict = f"{_shown(value)} is below the floor of {_shown(self.limit)}"
        elif self.kind == "ceiling":
            verdict = f"{_shown(value)} is above the ceiling of {_shown(self.limit)}"
        else:
            verdict = f"{_shown(value)} is not allowed; it must be {_shown(self.limit)}"
        raise PolicyError(
            f"{verdict}, which no policy may pass ({self.why})",
            path=path or None,
            field=self.key,
        )


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:_}" if value >= 10_000 else str(value)
    return repr(value)


def read_policy_table(path: Path | None, table: str) -> dict[str, Any]:
    """The ``[table]`` of the policy file at ``path`` ({} when there is no file or table)."""
    if path is None:
        return {}
    try:
        with Path(path).open("rb") as stream:
            data = tomllib.load(stream)
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file: {exc}", path=path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"not valid TOML: {exc}", path=path) from exc
    value = data.get(table, {})
    if not isinstance(value, dict):
        raise PolicyError(f"[{table}] must be a table", path=path, field=table)
    return value
