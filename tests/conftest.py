"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

# shared/ sits beside the checkout (/work/main -> /work/shared); CI clones main next to it too.
FIXTURES_DIR = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
DATA_DIR = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """shared/fixtures (read-only). Missing is a failure, never a skip: the golden tests need it."""
    if not (FIXTURES_DIR / "bench-outputs").is_dir():
        raise FileNotFoundError(f"{FIXTURES_DIR} is missing: the golden tests read the real tool "
                                "outputs there (shared/fixtures beside the checkout)")
    return FIXTURES_DIR


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """tests/data: the few outputs recorded or constructed for the tests (see its README)."""
    return DATA_DIR


@pytest.fixture(scope="session")
def isobench_dir(fixtures_dir: Path) -> Path:
    """shared/fixtures/isobench: the seed system's real results tree (legacy ingest). Missing fails."""
    path = fixtures_dir / "isobench"
    if not (path / "omniperf_results_3way_claude_code").is_dir():
        raise FileNotFoundError(f"{path} is missing: the legacy-ingest tests read the seed's results tree there")
    return path
