"""Territory editor logic: uploaded lists (codes and lines reported), YAML round trip, concurrent saves."""
from __future__ import annotations

import multiprocessing as mp

import pytest
import yaml

from atlas.errors import InputError

pytestmark = pytest.mark.integration


def test_uploaded_list_reports_unknown_and_duplicate_codes_by_line(atlas):
    from dashboard.exports.territory_file import parse_uploaded_territory
    data = "code\n69259\n99999\n69259\nABCDE\n".encode()
    with pytest.raises(InputError) as exc:
        parse_uploaded_territory("liste.csv", data, atlas.valid_codes)
    msg = str(exc.value)
    assert "ligne 3" in msg and "99999" in msg
    assert "ligne 4" in msg and "69259 en double" in msg
    assert "ligne 5" in msg and "ABCDE" in msg
    assert "rien n'a été enregistré" in msg


def test_uploaded_plain_list_and_yaml(atlas):
    from dashboard.exports.territory_file import parse_uploaded_territory
    codes, name = parse_uploaded_territory("l.txt", b"69259\n69264\n", atlas.valid_codes)
    assert codes == ["69259", "69264"] and name is None
    doc = yaml.safe_dump({"id": "x", "name": "Mon territoire", "communes": ["69259", "69264"]}).encode()
    codes, name = parse_uploaded_territory("x.yaml", doc, atlas.valid_codes)
    assert codes == ["69259", "69264"] and name == "Mon territoire"
    bad = yaml.safe_dump({"name": "X", "communes": ["69259", "00000"]}).encode()
    with pytest.raises(InputError, match="00000"):
        parse_uploaded_territory("x.yaml", bad, atlas.valid_codes)


def _save_many(args):
    user_dir, worker, codes = args
    import os
    os.environ["ATLAS_USER_DIR"] = user_dir
    from atlas.userdata.territories import UserTerritory, save_user_territory
    for i in range(15):
        save_user_territory(UserTerritory("partage", f"Partagé {worker}-{i}", codes[worker % len(codes):]),
                            set(codes))
    return worker


def test_concurrent_saves_never_corrupt(user_dir, atlas):
    codes = sorted(atlas.territory("aunis-sud").codes)
    ctx = mp.get_context("fork")
    with ctx.Pool(4) as pool:
        assert sorted(pool.map(_save_many, [(str(user_dir), w, codes) for w in range(4)])) == [0, 1, 2, 3]
    from atlas.userdata.territories import load_user_territories
    found, errors = load_user_territories(atlas.valid_codes)
    assert errors == []
    assert [t.id for t in found] == ["partage"]
    assert not [p for p in (user_dir / "territories").iterdir() if p.name.endswith(".tmp")]
