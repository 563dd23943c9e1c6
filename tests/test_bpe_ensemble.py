"""INSEE BPE count files (« ensemble » and « dénombrement » layouts): parser and build step.

Fixtures are tiny files in the official layouts, written by the tests; the tiny world of
tests/factories.py gives the communes (01001 absorbed 01003; 01005 is a commune déléguée of 01002).
"""
from __future__ import annotations

import zipfile

import duckdb
import pytest

import factories as f
from atlas.errors import InputError
from etl.build import BuildOptions, run_build
from etl.parsers.bpe_ensemble import read_bpe_ensemble
from etl.steps.bpe import BPE_INDICATORS, indicator_of

HEADER = "REG;DEP;DEPCOM;DCIRIS;AN;TYPEQU;NB_EQUIP"
REKEY = {"01001": "01001", "01003": "01001", "01002": "01002", "01005": "01002", "01004": "01004",
         "01006": "01006", "02001": "02001"}


def ensemble_lines(year: int, rows) -> list[str]:
    """rows: (DEPCOM, TYPEQU, NB_EQUIP); one IRIS row each, as INSEE writes them."""
    return [HEADER] + [f"84;{c[:2]};{c};{c}0101;{year};{t};{n}" for c, t, n in rows]


def write(path, lines, *, crlf=False):
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode("utf-8") + b"\n")
    return path


def write_zip(path, member, lines):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(member, "\n".join(lines) + "\n")
        z.writestr("varmod_" + member, "COD_VAR;LIB_VAR\nAN;Année\n")      # smaller member: not the data
    return path


def as_dict(res):
    return {(r.code, r.supply, r.year): r.count for r in res.counts.itertuples(index=False)}


# Both nomenclatures: the same supply under its pre-2021 and its 2021+ code.
OLD = [("01001", "D201", 2), ("01003", "D201", 1), ("01002", "D232", 3), ("01005", "D232", 2),
       ("01002", "D221", 1), ("01002", "D231", 1), ("01004", "D233", 4), ("01004", "D301", 1),
       ("01004", "D113", 1), ("01004", "D108", 2), ("01004", "B207", 5),        # a bakery: not health
       ("01001", "D265", 7)]                                                    # 2021+ code in a 2019 file: not health
NEW = [("01001", "D265", 2), ("01003", "D265", 1), ("01002", "D281", 5), ("01002", "D277", 1),
       ("01002", "D278", 1), ("01004", "D279", 4), ("01004", "D307", 1), ("01004", "D113", 1),
       ("01004", "D108", 2), ("01001", "D201", 9)]                              # pre-2021 code in a 2022 file: not health


@pytest.mark.parametrize("year, rows", [(2019, OLD), (2022, NEW)])
def test_both_nomenclatures_rekeyed_and_summed(tmp_path, year, rows):
    res = read_bpe_ensemble(write(tmp_path / f"bpe{year}.csv", ensemble_lines(year, rows)), rekey=REKEY)
    got = as_dict(res)
    assert got == {("01001", "mg", year): 3,                   # 01001 + 01003 (absorbed): summed
                   ("01002", "inf", year): 5 if year == 2022 else 3 + 2,   # 01005 (déléguée) -> 01002
                   ("01002", "dent", year): 1, ("01002", "sf", year): 1, ("01004", "mk", year): 4,
                   ("01004", "pharmacy", year): 1, ("01004", "msp", year): 1, ("01004", "cds", year): 2}
    st = res.stats
    assert st["rows"] == len(rows) and st["years"] == [year] and st["layout"] == "fichier « ensemble »"
    assert st["totals_read"] == st["totals_rekeyed"] and st["unknown_communes"] == {}
    assert sum(st["totals_read"][year].values()) == sum(got.values())


def test_zip_and_plain_csv_read_the_same(tmp_path):
    lines = ensemble_lines(2019, OLD)
    plain = read_bpe_ensemble(write(tmp_path / "bpe19_ensemble.csv", lines, crlf=True), rekey=REKEY)
    zipped = read_bpe_ensemble(write_zip(tmp_path / "bpe19_ensemble_csv.zip", "bpe19_ensemble.csv", lines),
                               rekey=REKEY, extract_dir=tmp_path / "x")
    assert plain.counts.equals(zipped.counts)
    assert zipped.stats["file"] == "bpe19_ensemble_csv.zip:bpe19_ensemble.csv"
    assert (tmp_path / "x" / "bpe19_ensemble.csv").is_file()          # extracted where the step asks


def test_unknown_codes_are_dropped_and_reported(tmp_path):
    lines = ensemble_lines(2019, [("01001", "D201", 2), ("99999", "D201", 3), ("99999", "D232", 1)])
    res = read_bpe_ensemble(write(tmp_path / "b.csv", lines), rekey=REKEY)
    assert as_dict(res) == {("01001", "mg", 2019): 2}
    assert res.stats["unknown_communes"] == {"99999": 4}
    assert res.stats["totals_read"][2019] == {"D201": 5, "D232": 1}
    assert res.stats["totals_rekeyed"][2019] == {"D201": 2, "D232": 0}


def test_denombrement_layout(tmp_path):
    """The successor layout (DS_BPE_<year>_data.csv): commune rows of the count measure only."""
    header = "GEO;GEO_OBJECT;FACILITY_DOM;FACILITY_SDOM;FACILITY_TYPE;BPE_MEASURE;TIME_PERIOD;OBS_VALUE"
    lines = [header,
             "01001;COM;D;D2;D265;FACILITIES;2025;4",
             "01;DEP;D;D2;D265;FACILITIES;2025;400",                  # département total: not a commune row
             "69381;ARM;D;D2;D265;FACILITIES;2025;30",                # arrondissement: inside its COM row
             "01001;COM;D;D2;D265;OTHER_MEASURE;2025;99",
             "01002;COM;D;D3;D307;FACILITIES;2025;1"]
    quoted = [";".join(f'"{v}"' for v in line.split(";")) for line in lines]
    for name, content in (("plain", lines), ("quoted", quoted)):
        path = write_zip(tmp_path / f"DS_BPE_CSV_FR_{name}.zip", "DS_BPE_2025_data.csv", content)
        res = read_bpe_ensemble(path, rekey=REKEY)
        assert as_dict(res) == {("01001", "mg", 2025): 4, ("01002", "pharmacy", 2025): 1}, name
        assert res.stats["layout"] == "fichier de dénombrement (DS_BPE)"


@pytest.mark.parametrize("bad_line, line, column, value, message", [
    ("84;01;01001;01001;2019;D201;abc", 3, "NB_EQUIP", "abc", "non numérique"),
    ("84;01;01001;01001;2019;D201;-2", 3, "NB_EQUIP", "-2", "négatif"),
    ("84;01;01001;01001;2019;D201;1,5", 3, "NB_EQUIP", "1,5", "non entier"),
    ("84;01;1001;01001;2019;D201;1", 3, "DEPCOM", "1001", "code commune mal formé"),
    ("84;01;01001;01001;2019;D201", 3, None, None, "6 champs au lieu de 7"),
    ("84;01;01001;01001;2019;D201;1;x", 3, None, None, "8 champs au lieu de 7"),
    ("84;01;01001;01001;19;D201;1", 3, "AN", "19", "année invalide"),
])
def test_bad_rows_name_line_column_value(tmp_path, bad_line, line, column, value, message):
    lines = [HEADER, "84;01;01002;01002;2019;D232;2", bad_line, "84;01;01004;01004;2019;D233;1"]
    with pytest.raises(InputError) as e:
        read_bpe_ensemble(write(tmp_path / "bad.csv", lines), rekey=REKEY)
    err = e.value
    assert message in err.problem and err.line == line and err.column == column
    if value is not None:
        assert err.value == value
    assert err.file == "bad.csv"


def test_bad_value_in_a_row_the_atlas_does_not_use_is_not_an_error(tmp_path):
    lines = ensemble_lines(2019, [("01001", "D201", 2)]) + ["84;01;01001;01001;2019;B207;n/a"]
    assert as_dict(read_bpe_ensemble(write(tmp_path / "b.csv", lines))) == {("01001", "mg", 2019): 2}


def test_bad_row_inside_a_zip_names_the_member(tmp_path):
    lines = ensemble_lines(2019, [("01001", "D201", 2)]) + ["84;01;01001;01001;2019;D201;x"]
    with pytest.raises(InputError) as e:
        read_bpe_ensemble(write_zip(tmp_path / "bpe19_ensemble_csv.zip", "bpe19_ensemble.csv", lines))
    assert e.value.file == "bpe19_ensemble_csv.zip:bpe19_ensemble.csv" and e.value.line == 3


def test_year_outside_the_nomenclatures_is_refused(tmp_path):
    for year in (2015, 2031):
        with pytest.raises(InputError) as e:
            read_bpe_ensemble(write(tmp_path / f"b{year}.csv", ensemble_lines(year, [("01001", "D201", 1)])))
        assert "hors des nomenclatures connues" in e.value.problem and e.value.column == "AN"
        assert e.value.value == str(year) and e.value.line == 2


def test_missing_columns_wrong_delimiter_latin1_empty(tmp_path):
    with pytest.raises(InputError, match="NB_EQUIP"):
        read_bpe_ensemble(write(tmp_path / "a.csv", ["REG;DEP;DEPCOM;DCIRIS;AN;TYPEQU", "84;01;01001;01001;2019;D201"]))
    with pytest.raises(InputError, match="séparateur"):
        read_bpe_ensemble(write(tmp_path / "b.csv", [HEADER.replace(";", ","), "84,01,01001,01001,2019,D201,1"]))
    (tmp_path / "c.csv").write_bytes((HEADER + "\n84;01;01001;01001;2019;D201;1\n84;01;01001;Hôpital;2019;D201;1\n")
                                     .encode("latin-1"))
    with pytest.raises(InputError) as e:
        read_bpe_ensemble(tmp_path / "c.csv")
    assert "UTF-8" in e.value.problem and e.value.line == 3
    with pytest.raises(InputError, match="aucune ligne de données"):
        read_bpe_ensemble(write(tmp_path / "d.csv", [HEADER]))
    with pytest.raises(InputError, match="aucun équipement de santé"):
        read_bpe_ensemble(write(tmp_path / "e.csv", ensemble_lines(2019, [("01001", "B207", 1)])))
    (tmp_path / "f.zip").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="archive illisible"):
        read_bpe_ensemble(tmp_path / "f.zip")


def test_indicator_ids():
    assert [indicator_of(s) for s in ("mg", "pharmacy", "msp", "cds")] == \
        ["density_mg_liberal", "density_pharmacy", "count_msp", "count_cds"]
    assert set(BPE_INDICATORS) == {"density_mg_liberal", "density_inf_liberal", "density_mk_liberal",
                                   "density_sf_liberal", "density_dent_liberal", "density_pharmacy",
                                   "count_msp", "count_cds"}


# --- the build step, on the tiny world ---------------------------------------------------------------

def _values(data_dir, sql, params=()):
    con = duckdb.connect(str(data_dir / "current" / "atlas.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_build_writes_every_commune_and_only_rereads_its_vintage(tmp_path):
    mirror = tmp_path / "mirror"
    f.write_tiny_sources(mirror)
    (mirror / "insee").mkdir()
    write_zip(mirror / "insee/bpe19_ensemble_csv.zip", "bpe19_ensemble.csv",
              ensemble_lines(2019, [("01001", "D201", 2), ("01003", "D201", 1), ("01005", "D113", 1),
                                    ("99999", "D201", 4)]))
    b18 = write(tmp_path / "bpe18_ensemble.csv", ensemble_lines(2018, [("01002", "D201", 1)]))
    opts = dict(data_dir=tmp_path / "geodata", mirror=mirror, allow_download=False, cache_dir=tmp_path / "cache")
    run_build(BuildOptions(files={"insee_bpe_ensemble_2018": b18}, **opts))
    d = tmp_path / "geodata"
    mg = dict(((c, y), (v, n, p)) for c, y, v, n, p in _values(
        d, "SELECT code, year, value, numerator, denominator FROM commune_values WHERE indicator_id = 'density_mg_liberal'"))
    # every commune with a population, 0 where the BPE counts none; value = count / population x 10,000
    assert mg[("01001", 2019)] == (pytest.approx(3 / 1000 * 10_000), 3, 1000)
    assert mg[("01002", 2019)][1] == 0 and mg[("02001", 2019)][1] == 0 and mg[("01006", 2019)][1] == 0
    assert mg[("01002", 2018)][1] == 1 and len(mg) == 2 * 5
    assert _values(d, "SELECT code, value, numerator, denominator FROM commune_values "
                      "WHERE indicator_id = 'count_msp' AND year = 2019 AND numerator > 0") == [("01002", 1, 1, None)]
    src = dict(_values(d, "SELECT id, message FROM sources WHERE id LIKE 'insee_bpe_ensemble%'"))
    assert "BPE 2019 ; population municipale 2023" in src["insee_bpe_ensemble_2019"]
    assert "99999 (4)" in src["insee_bpe_ensemble_2019"]
    assert "D201 7 (dont 4 ignorés)" in src["insee_bpe_ensemble_2019"]
    assert all(not s for (s,) in _values(d, "SELECT DISTINCT synthetic FROM commune_values WHERE list_contains(?, indicator_id)",
                                         [BPE_INDICATORS]))
    # references: ratio of sums over the communes of the département
    ref = _values(d, "SELECT value, numerator, denominator, source_id FROM reference_values WHERE indicator_id = "
                     "'density_mg_liberal' AND level = 'departement' AND code = '01' AND year = 2019")
    assert ref == [(pytest.approx(3 / 1790 * 10_000), 3, 1790, "insee_bpe_ensemble_2019")]

    # --only one vintage: re-read alone, the other vintage's rows kept
    write_zip(mirror / "insee/bpe19_ensemble_csv.zip", "bpe19_ensemble.csv",
              ensemble_lines(2019, [("01004", "D201", 5)]))
    run_build(BuildOptions(only="insee_bpe_ensemble_2019", **opts))
    after = dict(((c, y), n) for c, y, n in _values(
        d, "SELECT code, year, numerator FROM commune_values WHERE indicator_id = 'density_mg_liberal' AND numerator > 0"))
    assert after == {("01004", 2019): 5, ("01002", 2018): 1}


def test_same_vintage_from_two_sources_is_read_once(tmp_path):
    mirror = tmp_path / "mirror"
    f.write_tiny_sources(mirror)
    (mirror / "insee").mkdir()
    lines = ensemble_lines(2019, [("01001", "D201", 2)])
    write_zip(mirror / "insee/bpe19_ensemble_csv.zip", "bpe19_ensemble.csv", lines)
    again = write(tmp_path / "DS_BPE_copy.csv", lines)
    run_build(BuildOptions(data_dir=tmp_path / "geodata", mirror=mirror, allow_download=False,
                           cache_dir=tmp_path / "cache", files={"insee_bpe_denombrement": again}))
    d = tmp_path / "geodata"
    assert _values(d, "SELECT source_id, numerator FROM commune_values WHERE indicator_id = 'density_mg_liberal' "
                      "AND numerator > 0") == [("insee_bpe_ensemble_2019", 2)]
    warnings = dict(_values(d, "SELECT key, value FROM build_info"))["warnings"]
    assert "insee_bpe_denombrement : millésime(s) 2019 déjà lu(s) dans insee_bpe_ensemble_2019" in warnings
