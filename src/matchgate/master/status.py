"""``matchgate master status``: what is prepared in a workspace."""

from __future__ import annotations

from pathlib import Path

from matchgate.master.store import PreparedMaster, current_key, prepared_masters

__all__ = ["master_status"]


def master_status(workspace: Path) -> list[dict[str, object]]:
    """One entry per prepared master folder: its manifest's figures and size, or why it
    cannot be used (corrupt, another standardizer version)."""
    current = current_key(workspace)
    entries: list[dict[str, object]] = []
    for folder, prepared in prepared_masters(workspace):
        if not isinstance(prepared, PreparedMaster):
            entries.append({"folder": str(folder), "usable": False, "problem": prepared})
            continue
        m = prepared.manifest
        entries.append(
            {
                "folder": str(folder),
                "usable": True,
                "current": prepared.key == current,
                "key": prepared.key,
                "content_sha256": m["content_sha256"],
                "sources": m["sources"],
                "rows": m["rows"],
                "taxpayers": m["taxpayers"],
                "distinct_names": m["distinct_names"],
                "distinct_addresses": m["distinct_addresses"],
                "tax_years": m["tax_years"],
                "problems": m["problems"],
                "standardizer_version": m["standardizer_version"],
                "created_at": m["created_at"],
                "parent": m["parent"],
                "model_trained": prepared.model_path.exists(),
                "size_bytes": prepared.size_on_disk(),
            }
        )
    return entries
