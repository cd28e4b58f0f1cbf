"""The policy file: one TOML file, one table per stage (``[review]``, ``[match]``).

Each stage validates its own table strictly; reading the file and finding the table is
done here once, so a missing file, bad TOML or a table that is not a table gives the same
clear error whichever stage reads it first.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from matchgate.errors import PolicyError

__all__ = ["read_policy_table"]


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
