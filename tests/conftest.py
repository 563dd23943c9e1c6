"""Shared fixtures.

* Tests never write into the source tree: the user data dir, the cache and every build go to
  pytest's temporary directories (set in ``pytest_configure`` before any test imports the code).
* ``mirror_dir`` is the real-data mirror (``ATLAS_MIRROR`` or ``../shared/data``); integration tests
  skip only when it is absent, and CI always has it (``.ci/run`` sets ATLAS_MIRROR).
* ``built_data_dir`` is one full build from the mirror (with demo data), shared by the session.
* ``atlas`` is the read model over that build; ``tiny_atlas`` a build of the tiny fixtures
  (tests/factories.py), one per test module; ``tiny_mirror`` those fixtures as a mirror directory.
* ``dash_app`` is the Dash app over that build, one per test process: the components register their
  callbacks once, when first imported, and the first app takes them (a second app would miss them).
  The browser tests serve it; the callback tests call it through Flask's test client.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SESSION_TMP = Path(tempfile.mkdtemp(prefix="atlas-tests-"))


def pytest_configure(config):
    os.environ["ATLAS_USER_DIR"] = str(_SESSION_TMP / "user")
    os.environ["ATLAS_CACHE"] = str(_SESSION_TMP / "cache")
    os.environ.pop("ATLAS_DATA_DIR", None)
    config.addinivalue_line("markers", "integration: needs the real-data mirror (../shared/data)")
    config.addinivalue_line("markers", "browser: drives headless Chromium")


def _mirror() -> Path | None:
    candidate = Path(os.environ.get("ATLAS_MIRROR") or ROOT.parent / "shared" / "data")
    return candidate if (candidate / "geo").is_dir() else None


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    m = _mirror()
    if m is None:
        if os.environ.get("CI"):
            pytest.fail("CI without the data mirror: set ATLAS_MIRROR")
        pytest.skip("data mirror not found (set ATLAS_MIRROR)")
    return m


@pytest.fixture(scope="session")
def built_data_dir(mirror_dir) -> Path:
    """A full build over France from the mirror, plus demo data, in a session temp dir."""
    from etl.build import BuildOptions, run_build

    data_dir = _SESSION_TMP / "geodata"
    if not (data_dir / "current").exists():
        run_build(BuildOptions(data_dir=data_dir, mirror=mirror_dir, demo=True, allow_download=False,
                               cache_dir=_SESSION_TMP / "cache"))
    return data_dir


@pytest.fixture(scope="session")
def dash_app(built_data_dir):
    from dashboard.app import create_app
    from dashboard.settings import Settings

    settings = Settings(data_dir=built_data_dir, host="127.0.0.1", port=0, debug=False,
                        max_upload_bytes=5 * 1024 * 1024)
    return create_app(settings)


@pytest.fixture(scope="session")
def atlas(built_data_dir):
    from atlas.read import Atlas

    a = Atlas(built_data_dir)
    yield a
    a.close()


@pytest.fixture
def tiny_mirror(tmp_path) -> Path:
    """A mirror directory holding the tiny sources of tests/factories.py, in their official formats."""
    import factories
    factories.write_tiny_sources(tmp_path / "mirror")
    return tmp_path / "mirror"


@pytest.fixture(scope="module")
def tiny_atlas(tmp_path_factory):
    """The read model over the tiny geodata/ of tests/factories.py, built once per test module, with
    its own user data directory (imports made by one module never show in another)."""
    import factories
    from atlas.read import Atlas
    from atlas.read.userdata import UserData

    root = tmp_path_factory.mktemp("tiny")
    a = Atlas(factories.build_tiny_geodata(root), userdata=UserData(root / "imports", root / "territories"))
    yield a
    a.close()


@pytest.fixture
def user_dir(tmp_path, monkeypatch) -> Path:
    """A fresh, empty user data directory for one test."""
    d = tmp_path / "user"
    monkeypatch.setenv("ATLAS_USER_DIR", str(d))
    return d
