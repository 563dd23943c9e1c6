"""A huge file dropped into the saved-territories folder is refused by its size before it is read,
and the folder is parsed once per change, not on every request (``atlas/read/userdata.py``): what the
test campaign found (a 20 MB file re-parsed on each request) is checked here."""
from __future__ import annotations

import time

from atlas.read import userdata as ud
from atlas.userdata import limits


def test_a_20_mb_territory_file_is_refused_by_size_and_parsed_once(tmp_path, monkeypatch):
    folder = tmp_path / "territories"
    folder.mkdir()
    with open(folder / "enorme.yaml", "wb") as f:
        f.truncate(20 * 1024 * 1024)                        # sparse: 20 MB by its size, nothing written
    (folder / "petit.csv").write_text("code\n01001\n", encoding="utf-8")
    calls = []
    real = ud.load_user_territories
    monkeypatch.setattr(ud, "load_user_territories", lambda *a, **k: calls.append(1) or real(*a, **k))
    data = ud.UserData(territories_directory=folder)

    t0 = time.perf_counter()
    found, errors = data.territories({"01001"})
    assert time.perf_counter() - t0 < 2
    assert [t.id for t in found] == ["petit"]
    assert len(errors) == 1 and "enorme.yaml" in errors[0]
    assert limits.size_text(limits.MAX_TERRITORY_FILE_BYTES) in errors[0]
    for _ in range(5):                                       # later requests: the cached result
        assert data.territories({"01001"}) == (found, errors)
    assert len(calls) == 1
    (folder / "enorme.yaml").unlink()                        # a change in the folder: read again
    assert data.territories({"01001"})[1] == [] and len(calls) == 2
