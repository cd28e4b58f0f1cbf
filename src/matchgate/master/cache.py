"""A folder of prepared masters shared by workspaces (``$MATCHGATE_MASTER_CACHE``).

For development and the test suite, where many fresh workspaces prepare the same small
generated master file; unset (the default) nothing is kept outside the workspace. The
cache holds what a prepared master holds (the master file's identity columns): keep it
where the workspaces are kept, never anywhere more open.

``$MATCHGATE_MASTER_CACHE/<key>/`` holds a prepared master's ``master.duckdb`` and
``manifest.json`` under exactly the key a workspace files it by (the master file's content
hash, the standardizer, features and storage versions: :func:`store.master_key`). A cached
master is *copied* into the workspace's scratch folder, never linked (``add-year`` and the
batch only read a prepared database, but a copy cannot be changed from the other side), and
it is used only if its manifest names this key and this content hash and it passes the
same check a workspace's own prepared master does (:func:`store.open_prepared`: versions,
readable database, every table holding the rows its manifest records). Anything else is
logged and the master is prepared as if there were no cache.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from matchgate.master.store import (
    DATABASE_NAME,
    MANIFEST_NAME,
    PreparedMaster,
    PreparedMasterError,
    folder_for,
    new_build_folder,
    open_prepared,
    remove_folder,
    set_current,
)

__all__ = ["MASTER_CACHE_ENV", "store_in_cache", "take_from_cache"]

logger = logging.getLogger(__name__)

MASTER_CACHE_ENV = "MATCHGATE_MASTER_CACHE"
_CACHED_FILES = (DATABASE_NAME, MANIFEST_NAME)


def cache_root() -> Path | None:
    folder = os.environ.get(MASTER_CACHE_ENV, "").strip()
    return Path(folder) if folder else None


def _check_cached_manifest(manifest: object, *, key: str, sha: str, path: Path) -> None:
    if not isinstance(manifest, dict):
        raise PreparedMasterError("the cached master's manifest is not one", path=path)
    if manifest.get("key") != key:
        raise PreparedMasterError(
            f"the cached master is filed under {key} but its manifest says {manifest.get('key')!r}",
            path=path,
        )
    sources = manifest.get("sources")
    if (
        manifest.get("content_sha256") != sha
        or manifest.get("parent") is not None
        or not isinstance(sources, list)
        or len(sources) != 1
        or not isinstance(sources[0], dict)
        or sources[0].get("sha256") != sha
    ):
        raise PreparedMasterError(
            "the cached master was not prepared from this master file's content", path=path
        )


def take_from_cache(
    workspace: Path, master_file: Path, *, sha: str, key: str
) -> PreparedMaster | None:
    """The master prepared from content ``sha`` under ``key``, copied from the cache into
    ``workspace`` and made its current one; None if there is no cache, no such entry, or
    the entry fails its checks (then the workspace holds nothing of it). Call under the
    workspace's preparation lock."""
    root = cache_root()
    if root is None:
        return None
    cached = root / key
    if not all((cached / name).is_file() for name in _CACHED_FILES):
        return None
    build = new_build_folder(workspace, key)
    try:
        for name in _CACHED_FILES:
            shutil.copyfile(cached / name, build / name)
        path = build / MANIFEST_NAME
        manifest = json.loads(path.read_text(encoding="utf-8"))
        _check_cached_manifest(manifest, key=key, sha=sha, path=cached / MANIFEST_NAME)
        # The same content under this workspace's own path for it.
        manifest["sources"][0]["path"] = str(master_file)
        path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        open_prepared(build)  # versions, database, row counts: as for the workspace's own
        target = folder_for(workspace, key)
        remove_folder(target)
        build.rename(target)
    except (OSError, ValueError, PreparedMasterError) as exc:
        shutil.rmtree(build, ignore_errors=True)
        logger.warning("the master cache's %s is not used: %s", cached, exc)
        return None
    set_current(workspace, key)
    logger.info("prepared master taken from the master cache: %s", cached)
    return open_prepared(target)


def store_in_cache(prepared: PreparedMaster) -> None:
    """Keep a freshly prepared master (of one file) in the cache, if there is one. Written
    to a scratch folder and renamed into place, so a reader sees a whole entry or none; if
    another process filed the same key first, its entry stays."""
    root = cache_root()
    if root is None or prepared.manifest.get("parent") is not None:
        return
    target = root / prepared.key
    if target.exists():
        return
    scratch = root / f".tmp-{prepared.key}-{os.getpid()}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()
        for name in _CACHED_FILES:
            shutil.copyfile(prepared.folder / name, scratch / name)
        scratch.rename(target)
    except OSError as exc:
        logger.info("the prepared master is not kept in the master cache: %s", exc)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
