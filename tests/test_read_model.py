"""The read model (atlas/read): reader lifetime across builds, years, territories, secrecy, search."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import factories
from atlas import paths
from atlas.errors import BuildChanged, UnknownTerritory
from atlas.read import Atlas, current
from atlas.read.userdata import UserData
from atlas.userdata.imports import import_indicator_table
from atlas.userdata.territories import UserTerritory, save_user_territory


def _open_db_files(under: Path) -> list[str]:
    """Database files of ``under`` this process holds open (deleted ones included)."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(under)) and paths.DATABASE_FILE in target:
            out.append(target)
    return out


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    return factories.build_tiny_geodata(tmp_path_factory.mktemp("tiny-read"))


@pytest.fixture
def reader(tiny_data, tmp_path):
    ud = UserData(tmp_path / "imports", tmp_path / "territories")
    a = Atlas(tiny_data, userdata=ud)
    yield a
    a.close()


def _import(tmp_path, reader, rows: list[str], name="cpam.csv"):
    f = tmp_path / name
    f.write_text("code_commune;indicateur;annee;numerateur;denominateur\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = import_indicator_table(f, set(reader.communes.position), reader.userdata.imports_dir)
    assert report.ok, report.text()


def test_a_worker_that_sees_a_new_build_drops_the_old_reader(tmp_path):
    from etl.build import BuildOptions, run_build
    root = tmp_path / "w"
    data = factories.build_tiny_geodata(root)
    first = current(data)
    assert current(data) is first                       # same build: same reader
    assert len(_open_db_files(data)) == 1
    run_build(BuildOptions(data_dir=data, mirror=root / "mirror", allow_download=False, cache_dir=root / "cache"))
    second = current(data)
    assert second is not first and first.closed
    assert len(_open_db_files(data)) == 1, _open_db_files(data)
    with pytest.raises(BuildChanged):
        first.db.query("SELECT 1")
    second.close()


def test_a_year_asked_for_is_never_replaced(reader):
    e = reader.entry("apl_mg", codes=["01001"], year=2019)
    assert e["value"] is None and e["available"] is False and e["year"] == 2019
    assert "2019" in e["reason"] and "2022, 2023" in e["reason"]
    assert reader.entry("apl_mg", codes=["01001"])["year"] == 2023          # its own latest
    assert reader.entry("apl_mg", codes=["01001"], year=2022)["year"] == 2022


def test_each_territory_takes_its_own_latest_year(reader, tmp_path):
    _import(tmp_path, reader, ["01001;sans_mt_17;2025;20;200", "01004;sans_mt_17;2024;10;100"])
    assert reader.entry("sans_mt_17", codes=["01001"])["year"] == 2025
    assert reader.entry("sans_mt_17", codes=["01004"])["year"] == 2024       # not 2025: it has no 2025 data
    e = reader.entry("sans_mt_17", codes=["01002"])
    assert e["value"] is None and e["available"] is False and "CPAM" in e["reason"]


def test_complementary_secrecy_protects_a_hidden_commune(reader, tmp_path):
    _import(tmp_path, reader, ["01001;sans_mt_17;2024;10;100", "01002;sans_mt_17;2024;1;5",
                               "01004;sans_mt_17;2024;5;50"])
    assert reader.entry("sans_mt_17", codes=["01002"])["secret"]                 # 5 patients: secret
    pair = reader.entry("sans_mt_17", codes=["01001", "01002"])
    # 105 patients would be enough, but 105 - 100 (01001, shown) would give back 01002: hidden too
    assert pair["secret"] and pair["value"] is None and "masquées" in pair["reason"]
    shown = reader.entry("sans_mt_17", codes=["01001", "01004"])
    assert not shown["secret"] and shown["value"] == pytest.approx(15 / 150 * 100)
    vals = reader.commune_values("sans_mt_17", ["01001", "01002"])
    assert list(vals["status"]) == ["ok", "secret"] and vals["value"].isna().tolist() == [False, True]


def test_territories_of_every_kind(reader, tmp_path):
    ids = {t.id: t for t in reader.territories()}
    assert ids["dep-01"].codes == ("01001", "01002", "01004", "01006") and ids["dep-01"].kind == "departement"
    assert ids["reg-84"].region == "84" and ids["epci-200000002"].codes == ("02001",)
    assert ids["aunis-sud"].kind == "cpts"
    with pytest.raises(UnknownTerritory):
        reader.territory("nope")
    before = reader.version
    save_user_territory(UserTerritory("mon-territoire", "Mon territoire", ["01001", "01004"]),
                        set(reader.communes.position), reader.userdata.territories_dir)
    assert reader.version != before
    t = reader.territory("mon-territoire")
    assert t.kind == "user" and t.codes == ("01001", "01004") and t.departement == "01"
    e = reader.entry("population", t)
    assert e["value"] == 1250


def test_figures_are_ratios_of_sums(reader):
    t = reader.territory("dep-01")
    e = reader.entry("apl_mg", t, year=2023)
    assert e["value"] == pytest.approx((3.2 * 1000 + 2.2 * 500 + 4.8 * 250) / 1750)
    # the département's own figure equals its reference, computed by the build with the same rule
    assert e["reference"]["departement"] == pytest.approx(e["value"])


def test_commune_search(reader):
    assert reader.search_communes("alpha")[0]["code"] == "01001"
    assert reader.search_communes("01002")[0]["nom"] == "Beta"
    assert reader.search_communes("ÉPSILON")[0]["code"] == "01006"
    assert reader.search_communes("") == []


def test_presence_is_the_has_of_every_year_with_imports_over_the_build(tmp_path, reader):
    """``ValueStore.presence`` (one query for all years, used by ``years_for``) says exactly what the
    per-year arrays say, before and after an import that adds a year and replaces built rows."""
    import numpy as np

    from atlas.catalog import CATALOG

    def check():
        for iid in CATALOG:
            years, has = reader.values.presence(iid)
            assert list(years) == reader.values.years(iid)
            for k, y in enumerate(years):
                assert np.array_equal(has[k], reader.values.arrays(iid, y).has), (iid, y)

    check()
    built = reader.years_for("sans_mt_17", ["01001"])
    _import(tmp_path, reader, ["01001;sans_mt_17;2031;20;200", "01004;sans_mt_17;2024;10;100"])
    check()
    assert reader.years_for("sans_mt_17", ["01001"]) == sorted(set(built) | {2031})
    assert 2031 not in reader.years_for("sans_mt_17", ["01002"])


def test_geometry_of_a_pruned_build_says_rebuilt_not_a_crash(tmp_path):
    """A request still holding a build that a newer one has pruned reads no geometry file: it gets the
    same French message as the database's (was a FileNotFoundError, a 500)."""
    from atlas.read.geometry import Geometry
    gone = Geometry(tmp_path / "builds" / "pruned")
    with pytest.raises(BuildChanged, match="reconstruites"):
        gone.area(["01001"])
    with pytest.raises(BuildChanged):
        gone.area_file(["01001"])


def test_value_arrays_are_the_same_from_duckdb_columns_or_a_dataframe():
    """The reader builds its arrays from DuckDB's numpy columns (NULLs come as masked arrays) and
    positions found by binary search; the same rows as a DataFrame give the same arrays."""
    import duckdb
    import numpy as np
    import pandas as pd

    from atlas.read.communes import CommuneIndex
    from atlas.read.values import build_arrays

    class Communes:
        table = pd.DataFrame(index=pd.Index(["01001", "01002", "01004", "2A004"], name="code"))
        locate = CommuneIndex.locate

        def __len__(self):
            return len(self.table)

    sql = ("SELECT * FROM (VALUES ('2A004', 3.5, 7.0, 20000.0, 'bpe', false), ('01001', NULL, 1.0, 10.0, 'cpam', "
           "NULL), ('99999', 1.0, 1.0, 1.0, 'bpe', false), ('01002', 0.0, 0.0, 500.0, 'bpe', true)) "
           "t(code, value, numerator, denominator, source_id, synthetic)")
    con = duckdb.connect()
    cols, frame = con.execute(sql).fetchnumpy(), con.execute(sql).df()
    imported = pd.DataFrame({"code": ["01004"], "value": [2.0], "numerator": [1.0], "denominator": [5000.0],
                             "source_id": ["import-x"], "synthetic": [False]})
    assert list(Communes().locate(cols["code"])) == [3, 0, -1, 1]
    a = build_arrays("x", 2019, cols, imported, Communes())
    b = build_arrays("x", 2019, frame, imported, Communes())
    for f in ("value", "numerator", "denominator", "has", "synthetic", "source"):
        assert np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True), f
    assert a.sources == b.sources == ("bpe", "cpam", "import-x")
    assert list(a.has) == [True, True, True, True] and a.value[3] == 3.5 and np.isnan(a.value[0])
    assert a.synthetic[1] and not a.synthetic[0]


def test_warm_reads_ahead_and_stops_on_a_swapped_build(reader, tmp_path):
    """A server's worker reads ahead the latest year of every indicator (so that a first change of
    indicator does not pay the read); on a closed reader it stops without an error."""
    from atlas.catalog import CATALOG
    with_values = [i for i in CATALOG if reader.values.years(i)]
    assert len(with_values) >= 2 and reader.warm() == len(with_values)
    from atlas.read import Atlas
    other = Atlas(reader.data_dir)
    other.close()
    assert other.warm() == 0
