"""Security tests: error pages are read in Japanese."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """Error pages are checked in Japanese: the .mo files must match the .po files."""
    from tests.security.catalogs import compile_stale_catalogs

    compile_stale_catalogs()
