"""RPPS Personne_activite and BPE parsers, density indicators, locations layer."""
from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from atlas import paths
from atlas.errors import InputError
from etl.parsers.bpe import read_bpe_health
from etl.parsers.rpps import RPPS_HEADER, format_rpps_line, read_personne_activite


def rpps_row(pp, prof, mode="L", com="01001", cp="", sf="", section="", site="S1"):
    return {"Type d'identifiant PP": "8", "Identifiant PP": pp, "Code profession": prof, "Code savoir-faire": sf,
            "Code mode exercice": mode, "Code commune (coord. structure)": com, "Code postal (coord. structure)": cp,
            "Code section tableau pharmaciens": section, "Identifiant technique de la structure": site}


def write_rpps(path, rows, *, bom=True, encoding="utf-8", header=None, raw_lines=()):
    header = header or RPPS_HEADER
    text = "|".join(header) + "|\n" + "".join(format_rpps_line(r) for r in rows) + "".join(raw_lines)
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


REKEY = {"01001": "01001", "01002": "01002", "01003": "01001", "01004": "01004"}
POSTAL = {"01100": ["01001"], "01200": ["01002", "01004"]}
POP = {"01001": 1000, "01002": 500, "01004": 2000}


def counts(res):
    return {(r.code, r.profession, r.mode): r.count for r in res.counts.itertuples(index=False)}


def test_distinct_counting_gp_pharma_postal_rekey(tmp_path):
    rows = [
        rpps_row("1", "10", sf="SM54"), rpps_row("1", "10", sf="SM54", site="S2"),      # 2 sites, same commune
        rpps_row("1", "10", mode="S", sf="SM54", site="H"),                              # mixed practice
        rpps_row("2", "10", sf="SM53", com="01003"),                                     # old code -> 01001
        rpps_row("3", "10", sf="SM26", com="01002"),
        rpps_row("4", "10", sf="SM04"),                                                  # cardiologist: not a GP
        rpps_row("5", "21", section="A"), rpps_row("6", "21", mode="S", section="D"),
        rpps_row("7", "21", mode="S", section="H"),                                      # hospital pharmacist: out
        rpps_row("8", "60", com="", cp="01100"),                                         # postal fallback (unique)
        rpps_row("9", "60", com="", cp="01200"),                                         # shared -> most populous
        rpps_row("10", "70"), rpps_row("10", "70"),                                      # duplicate row
        rpps_row("11", "91"),                                                            # orthophonist: out
        rpps_row("12", "50", com="", cp=""),                                             # no location
        rpps_row("13", "40", com="99999"),                                               # unknown commune
    ]
    res = read_personne_activite(write_rpps(tmp_path / "PS_LibreAcces_Personne_activite_202401010000.txt", rows),
                                 rekey=REKEY, postal=POSTAL, population=POP)
    c = counts(res)
    assert c[("01001", "mg", "liberal")] == 2          # pp 1 (two sites) + pp 2 (re-keyed)
    assert c[("01001", "mg", "salarie")] == 1
    assert c[("01001", "mg", "all")] == 2              # pp 1 counted once over both modes
    assert c[("01002", "mg", "all")] == 1
    assert c[("01001", "pharma", "liberal")] == 1 and c[("01001", "pharma", "salarie")] == 1
    assert c[("01001", "pharma", "all")] == 2
    assert c[("01001", "inf", "liberal")] == 1 and c[("01004", "inf", "liberal")] == 1
    assert c[("01001", "mk", "all")] == 1
    assert not any(k[1] == "sf" for k in c) and not any(k[1] == "dent" for k in c)
    assert res.year == 2024
    assert res.stats["postal_fallback"] == 2 and res.stats["postal_ambiguous"] == 1
    assert res.stats["no_location"] == 1 and res.stats["unknown_commune"] == 1
    assert res.stats["unknown_commune_codes"] == ["99999"] and res.stats["bom"] is True


def test_bom_and_no_bom_parse_the_same(tmp_path):
    rows = [rpps_row(str(i), "60") for i in range(5)]
    a = read_personne_activite(write_rpps(tmp_path / "a.txt", rows, bom=True))
    b = read_personne_activite(write_rpps(tmp_path / "b.txt", rows, bom=False))
    assert a.counts.equals(b.counts) and a.stats["bom"] and not b.stats["bom"]


@pytest.mark.parametrize("case, expected, line", [
    ("truncated", "ligne tronquée", 3),
    ("extra", "séparateur « | » en trop", 3),
    ("latin1", "UTF-8", 3),
    ("bad_profession", "code profession invalide", 3),
])
def test_bad_rpps_lines(tmp_path, case, expected, line):
    good = format_rpps_line(rpps_row("1", "60"))
    if case == "truncated":
        bad = "|".join(good.split("|")[:20]) + "\n"
    elif case == "extra":
        bad = good.replace("|60|", "|60||", 1)
    elif case == "latin1":
        bad = format_rpps_line({**rpps_row("2", "60"), "Nom d'exercice": "Hélène"})
    else:
        bad = format_rpps_line(rpps_row("2", "XX"))
    path = tmp_path / "f.txt"
    data = ("|".join(RPPS_HEADER) + "|\n" + good + bad + good).encode("utf-8")
    if case == "latin1":
        data = data.replace("Hélène".encode("utf-8"), "Hélène".encode("latin-1"))
    path.write_bytes(data)
    with pytest.raises(InputError) as e:
        read_personne_activite(path)
    assert expected in str(e.value) and e.value.line == line


def test_missing_column_and_wrong_delimiter(tmp_path):
    header = [h for h in RPPS_HEADER if h != "Code mode exercice"]
    with pytest.raises(InputError, match="Code mode exercice"):
        read_personne_activite(write_rpps(tmp_path / "a.txt", [], header=header))
    (tmp_path / "b.txt").write_text(";".join(RPPS_HEADER) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="séparateur"):
        read_personne_activite(tmp_path / "b.txt")
    (tmp_path / "c.txt").write_bytes(("|".join(RPPS_HEADER) + "|\n").encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        read_personne_activite(tmp_path / "c.txt")


def write_bpe(path, rows, year=2024):
    lines = ["AN;NOMRS;DEPCOM;TYPEQU;LAMBERT_X;LAMBERT_Y;QUALITE_XY;EPSG"]
    lines += [f"{year};{n};{c};{t};{x};{y};Bonne;2154" for n, c, t, x, y in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bpe_health_codes_and_lambert93(tmp_path):
    rows = [("Cabinet A", "01003", "D265", "700000", "6600000"), ("Pharmacie B", "01002", "D307", "700100.5", "6600000"),
            ("Boulangerie", "01002", "B207", "1", "1"), ("Maison de santé", "01004", "D113", "", "")]
    locs, stats = read_bpe_health(write_bpe(tmp_path / "bpe.csv", rows), rekey=REKEY)
    assert list(locs["profession"]) == ["mg", "pharma", "msp"]          # the bakery is not a health equipment
    a = locs.iloc[0]
    assert a["code"] == "01001" and a["lon"] == pytest.approx(3.0, abs=1e-6) and a["lat"] == pytest.approx(46.5, abs=1e-6)
    assert stats["without_coordinates"] == 1 and stats["year"] == 2024


def test_bpe_refuses_unknown_nomenclature_and_missing_columns(tmp_path):
    with pytest.raises(InputError, match="nomenclature"):
        read_bpe_health(write_bpe(tmp_path / "old.csv", [("x", "01001", "D201", "1", "1")], year=2019))
    with pytest.raises(InputError, match="aucun équipement de santé"):
        read_bpe_health(write_bpe(tmp_path / "none.csv", [("x", "01001", "B207", "1", "1")]))
    (tmp_path / "m.csv").write_text("AN;DEPCOM;TYPEQU\n2024;01001;D265\n", encoding="utf-8")
    with pytest.raises(InputError, match="LAMBERT_X"):
        read_bpe_health(tmp_path / "m.csv")


@pytest.mark.integration
def test_territory_density_is_sum_of_counts_over_sum_of_population(atlas):
    """On the mirror's real populations: density = Σ professionals / Σ population × 10,000."""
    t = atlas.territory("aunis-sud")
    codes = list(t.codes)
    pop = atlas.communes.table.loc[codes, "population"].astype(float)
    for prof in ("mg", "inf", "pharma"):
        for mode, suffix in (("all", ""), ("liberal", "_liberal")):
            fig = atlas.entry(f"density_{prof}{suffix}", t)
            rows = atlas.commune_values(f"density_{prof}{suffix}", codes, fig["year"])
            assert fig["numerator"] == rows["numerator"].sum()
            assert fig["denominator"] == pop.sum()
            assert fig["value"] == pytest.approx(rows["numerator"].sum() / pop.sum() * 10_000)
            # not the mean of commune densities
            assert fig["value"] != pytest.approx(rows["value"].mean(), rel=1e-9)


@pytest.mark.integration
def test_locations_layer_schema(built_data_dir, atlas):
    path = built_data_dir / "current" / paths.LOCATIONS_FILE
    table = pq.read_table(path)
    assert table.schema.names == ["id", "profession", "type_code", "label", "code", "lon", "lat", "year",
                                  "source_id", "synthetic"]
    df = table.to_pandas()
    assert set(df["profession"]) == {"mg", "inf", "mk", "sf", "pharma", "dent", "msp", "cds"}
    assert df["synthetic"].all() and df["id"].is_unique
    # coordinates fall in the bounding box of their commune's département (Lambert 93 -> WGS84 went right)
    c = atlas.communes.table.set_index("code")
    venissieux = df[df["code"] == "69259"]
    assert not venissieux.empty
    assert venissieux["lon"].between(c.loc["69259", "xmin"] - 0.05, c.loc["69259", "xmax"] + 0.05).all()
    assert len(atlas.locations(codes=["69259"], professions=["mg"])) == (venissieux["profession"] == "mg").sum()


@pytest.mark.integration
def test_professionals_counted_by_the_rpps(atlas):
    t = atlas.territory("venissieux")
    df = atlas.supply.rpps_counts(t.codes)
    got = {(r.profession, r.mode): r.count for r in df.itertuples(index=False)}
    assert got[("inf", "liberal")] == 52
    assert df["synthetic"].all()
    assert all(got[(p, "all")] <= got.get((p, "liberal"), 0) + got.get((p, "salarie"), 0)
               for p in ("mg", "inf", "mk", "pharma", "dent"))
