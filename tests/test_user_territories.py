"""User-defined territories: formats, validation by code and line, atomic concurrent saves."""
from __future__ import annotations

import threading

import pytest
import yaml

from atlas.errors import InputError
from atlas.userdata.territories import (UserTerritory, load_user_territories, parse_code_list, read_user_territory,
                                  save_user_territory)

VALID = {"01001", "01002", "01004", "2A004", "69259"}


def test_csv_one_code_a_line_and_code_column(tmp_path):
    a = tmp_path / "mon-territoire.csv"
    a.write_text("01001\n01002\n\n1004\n", encoding="utf-8")
    t = read_user_territory(a, VALID)
    assert (t.id, t.communes) == ("mon-territoire", ["01001", "01002", "01004"])
    b = tmp_path / "b.csv"
    b.write_text("nom;code\nAlpha;01001\nCorse;2a004\n", encoding="utf-8")
    assert read_user_territory(b, VALID).communes == ["01001", "2A004"]


def test_unknown_and_duplicate_codes_listed_with_lines(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("code\n01001\n99999\n01001\nabc\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_user_territory(p, VALID)
    msg = str(exc.value)
    assert "ligne 3 : code commune inconnu « 99999 »" in msg
    assert "ligne 4 : code 01001 en double (déjà ligne 2)" in msg
    assert "ligne 5" in msg and "abc" in msg


def test_yaml_format_and_errors(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text(yaml.safe_dump({"id": "est-lyonnais", "name": "Est lyonnais", "communes": ["69259", "01001"]}),
                 encoding="utf-8")
    t = read_user_territory(p, VALID)
    assert (t.id, t.name, t.communes) == ("est-lyonnais", "Est lyonnais", ["69259", "01001"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ncommunes: [01001,\n", encoding="utf-8")
    with pytest.raises(InputError, match="YAML invalide") as exc:
        read_user_territory(bad, VALID)
    assert exc.value.line is not None


def test_empty_and_latin1_files(tmp_path):
    e = tmp_path / "e.csv"
    e.write_text("\n\n")
    with pytest.raises(InputError, match="vide"):
        parse_code_list(e)
    l1 = tmp_path / "l.csv"
    l1.write_bytes("code\n01001 Végé\n".encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        read_user_territory(l1, VALID)


def test_save_then_load_and_reserved_ids(user_dir):
    path = save_user_territory(UserTerritory("sud-ouest", "Sud-Ouest", ["01001", "01002"]), VALID)
    assert path.parent == user_dir / "territories"
    found, errors = load_user_territories(VALID)
    assert [t.id for t in found] == ["sud-ouest"] and errors == []
    with pytest.raises(InputError, match="réservé"):
        save_user_territory(UserTerritory("aunis-sud", "X", ["01001"]), VALID, reserved_ids={"aunis-sud"})
    with pytest.raises(InputError, match="inconnu"):
        save_user_territory(UserTerritory("autre", "X", ["99999"]), VALID)
    assert not (user_dir / "territories" / "autre.yaml").exists()


def test_bad_file_does_not_hide_the_others(user_dir):
    d = user_dir / "territories"
    d.mkdir(parents=True)
    (d / "ok.csv").write_text("01001\n", encoding="utf-8")
    (d / "ko.csv").write_text("77777\n", encoding="utf-8")
    found, errors = load_user_territories(VALID)
    assert [t.id for t in found] == ["ok"] and len(errors) == 1 and "77777" in errors[0]


def test_concurrent_saves_never_corrupt(user_dir):
    codes_a, codes_b = ["01001", "01002"], ["01004", "69259", "2A004"]

    def worker(codes):
        for _ in range(30):
            save_user_territory(UserTerritory("partage", "Partagé", codes), VALID)

    threads = [threading.Thread(target=worker, args=(c,)) for c in (codes_a, codes_b) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    data = yaml.safe_load((user_dir / "territories" / "partage.yaml").read_text(encoding="utf-8"))
    assert data["communes"] in (codes_a, codes_b)
    assert not list((user_dir / "territories").glob("*.tmp"))


def test_yaml_unquoted_codes_stay_codes(tmp_path):
    p = tmp_path / "y.yaml"
    p.write_text("id: t\nname: T\ncommunes:\n  - 01001\n  - 01002\n", encoding="utf-8")
    assert read_user_territory(p, VALID).communes == ["01001", "01002"]
