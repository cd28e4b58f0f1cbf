"""Shared fixtures. The PostgreSQL fixture lives in conftest_postgres (a plugin module)."""

from __future__ import annotations

pytest_plugins = ["conftest_postgres"]
