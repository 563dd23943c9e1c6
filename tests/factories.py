"""Small fixtures in the official formats, written by the tests themselves into tmp dirs.

A tiny world of four current communes in département 01 (région 84):
  01001 Alpha  (absorbed 01003 Gamma-ancienne on 1 January of a recent year: ``anciensCodes``)
  01002 Beta   (has a commune déléguée 01005 Beta-Déléguée, ``chefLieu`` 01002)
  01004 Delta
  01006 Epsilon (no polygon in the geometry file)
and one commune in département 02 (région 32): 02001 Zeta.
"""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import geopandas as gpd
import openpyxl
from shapely.geometry import MultiPolygon, box

COMMUNES = [
    {"code": "01001", "nom": "Alpha", "departement": "01", "region": "84", "type": "commune-actuelle",
     "zone": "metro", "population": 1000, "anciensCodes": ["01003"]},
    {"code": "01002", "nom": "Beta", "departement": "01", "region": "84", "type": "commune-actuelle",
     "zone": "metro", "population": 500},
    {"code": "01004", "nom": "Delta", "departement": "01", "region": "84", "type": "commune-actuelle",
     "zone": "metro", "population": 250},
    {"code": "01006", "nom": "Epsilon", "departement": "01", "region": "84", "type": "commune-actuelle",
     "zone": "metro", "population": 40},
    {"code": "02001", "nom": "Zeta", "departement": "02", "region": "32", "type": "commune-actuelle",
     "zone": "metro", "population": 2000},
    {"code": "01005", "nom": "Beta-Déléguée", "departement": "01", "region": "84", "type": "commune-deleguee",
     "zone": "metro", "chefLieu": "01002"},
    {"code": "98411", "nom": "Hors champ (COM)", "departement": "984", "region": "984", "type": "commune-actuelle",
     "zone": "com"},
]
EPCI = [{"code": "200000001", "nom": "CC Test", "type": "CC",
         "membres": [{"code": "01001"}, {"code": "01002"}, {"code": "01004"}, {"code": "01006"}]},
        {"code": "200000002", "nom": "CA Zeta", "type": "CA", "membres": [{"code": "02001"}]}]
DEPARTEMENTS = [{"code": "01", "nom": "Ain", "region": "84"}, {"code": "02", "nom": "Aisne", "region": "32"}]
REGIONS = [{"code": "84", "nom": "Auvergne-Rhône-Alpes"}, {"code": "32", "nom": "Hauts-de-France"}]


def write_decoupage_tarball(path: Path, communes=None, *, raw_members: dict[str, bytes] | None = None,
                            omit: tuple[str, ...] = ()) -> Path:
    members = {
        "communes.json": json.dumps(communes if communes is not None else COMMUNES).encode(),
        "epci.json": json.dumps(EPCI).encode(),
        "departements.json": json.dumps(DEPARTEMENTS).encode(),
        "regions.json": json.dumps(REGIONS).encode(),
    }
    members.update(raw_members or {})
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            if name in omit:
                continue
            info = tarfile.TarInfo(f"package/data/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def square(x: float, y: float, size: float = 0.1) -> MultiPolygon:
    return MultiPolygon([box(x, y, x + size, y + size)])


def write_geometry_parquet(path: Path, *, old_vintage: bool = True) -> Path:
    """Polygons keyed with an older vintage: 01001 and 01003 still separate (to be dissolved)."""
    rows = [("01001", square(5.0, 46.0)), ("01002", square(5.1, 46.0)), ("01004", square(5.2, 46.0)),
            ("02001", square(3.0, 49.5))]
    if old_vintage:
        rows.append(("01003", square(5.0, 46.1)))
    gdf = gpd.GeoDataFrame({"code": [r[0] for r in rows]}, geometry=[r[1] for r in rows], crs=4326)
    gdf.to_parquet(path)
    return path


APL_HEADER = ["Code commune INSEE", "Commune", "APL aux médecins généralistes",
              "APL aux médecins généralistes de moins de 65 ans",
              "Population standardisée {y} pour la médecine générale", "Population totale {y}"]
APL_UNITS = [None, None, "En nombre de consultations/visites accessibles par habitant standardisé",
             "En nombre de consultations/visites accessibles par habitant standardisé",
             "En nombre d'habitants standardisés", "En nombre d'habitants"]

# (code, nom, apl, apl65, pop_std, pop_total) per year. 01003 is the pre-merger code of part of 01001.
APL_ROWS = {
    2022: [("01001", "Alpha", 3.0, 2.5, 800.0, 790), ("01003", "Gamma-ancienne", 1.0, 1.0, 200.0, 210),
           ("01002", "Beta", 2.0, 1.5, 500.0, 500), ("01004", "Delta", 5.0, 4.0, 250.0, 250),
           ("02001", "Zeta", 4.0, 3.0, 2000.0, 2000)],
    2023: [("01001", "Alpha", 3.2, 2.6, 1000.0, 1000), ("01002", "Beta", 2.2, 1.6, 500.0, 500),
           ("01004", "Delta", 4.8, 3.9, 250.0, 250), ("02001", "Zeta", 4.1, 3.1, 2000.0, 2000)],
}


def write_apl_workbook(path: Path, rows=None, *, notes: int = 8, header=None, units=True,
                       extra_sheets: dict | None = None) -> Path:
    rows = rows if rows is not None else APL_ROWS
    wb = openpyxl.Workbook()
    params = wb.active
    params.title = "Paramètres"
    params.append(["Paramètres de l'indicateur d'APL aux médecins généralistes"])
    for year, data in rows.items():
        ws = wb.create_sheet(f"APL {year}")
        ws.append([f"Indicateur d'accessibilité potentielle localisée (APL) {year} aux médecins généralistes"])
        for i in range(notes - 1):
            ws.append([f"Note {i}"] if i % 2 else [None])
        ws.append([h.format(y=year - 2) for h in (header or APL_HEADER)])
        if units:
            ws.append(APL_UNITS)
        for r in data:
            ws.append(list(r))
    for name, data in (extra_sheets or {}).items():
        ws = wb.create_sheet(name)
        for r in data:
            ws.append(list(r))
    wb.save(path)
    return path


PERIMETERS_HEADER = "cpts_id,cpts_name,code_insee,nom,dep,epci_siren,epci_nom,population_municipale_2023,confidence,note\n"


def write_perimeters(path: Path, lines: list[str] | None = None) -> Path:
    lines = lines if lines is not None else [
        "CPTS_AUNIS_SUD,CPTS Aunis Sud,01001,Alpha,01,200000001,CC Test,1000,medium,EPCI core",
        "CPTS_AUNIS_SUD,CPTS Aunis Sud,01002,Beta,01,200000001,CC Test,500,low,western extension",
        "CPTS_VENISSIEUX,CPTS de Vénissieux,01004,Delta,01,200000001,CC Test,250,high,single commune",
        "CPTS_ENTRE_LOIRE_ET_SUCS,CPTS Entre Loire et Sucs,01006,Epsilon,01,200000001,CC Test,40,low,EPCI",
        "CPTS_ENTRE_LOIRE_ET_SUCS_CANDIDATE_EXTRA,CPTS Entre Loire et Sucs,02001,Zeta,02,200000002,CA Zeta,2000,very_low,candidate",
    ]
    path.write_text(PERIMETERS_HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_published_figures(path: Path) -> Path:
    path.write_text(
        "territory_id,figure,value,unit,as_of,scope,source\n"
        "aunis-sud,communes,3,communes,2022-11-07,CPTS perimeter,test release\n"
        "aunis-sud,population,1400,inhabitants,2022-11-07,CPTS perimeter,test release\n",
        encoding="utf-8")
    return path


def write_tiny_sources(directory: Path) -> dict[str, Path]:
    """All the sources of the foundation build, laid out as a mirror directory."""
    (directory / "etalab").mkdir(parents=True, exist_ok=True)
    (directory / "geo").mkdir(exist_ok=True)
    (directory / "drees").mkdir(exist_ok=True)
    (directory / "territories").mkdir(exist_ok=True)
    return {
        "communes_admin": write_decoupage_tarball(directory / "etalab/etalab-decoupage-administratif-6.0.0.tgz"),
        "communes_geometry": write_geometry_parquet(directory / "geo/communes_cog2025_france.parquet"),
        "drees_apl_mg": write_apl_workbook(directory / "drees/apl_generalistes_2022_2023.xlsx"),
        "cpts_perimeters": write_perimeters(directory / "territories/cpts_seed_perimeters.csv"),
        "cpts_published_figures": write_published_figures(directory / "territories/cpts_published_figures.csv"),
    }


def build_tiny_geodata(root: Path) -> Path:
    """Write the tiny sources under ``root/mirror`` and build them into ``root/geodata`` (offline)."""
    from etl.build import BuildOptions, run_build
    write_tiny_sources(root / "mirror")
    run_build(BuildOptions(data_dir=root / "geodata", mirror=root / "mirror", allow_download=False,
                           cache_dir=root / "cache"))
    return root / "geodata"


# -- raw XLSX (written with zipfile: hostile workbooks that openpyxl would take minutes to write) ------
_XLSX_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_XLSX_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XLSX_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def xlsx_inline_row(index: int, values) -> str:
    """One ``<row>`` of inline strings (column letters A-Z, enough for these fixtures)."""
    cells = "".join(f'<c r="{chr(65 + i)}{index}" t="inlineStr"><is><t>{v}</t></is></c>'
                    for i, v in enumerate(values))
    return f'<row r="{index}">{cells}</row>'


def write_raw_xlsx(path: Path, rows, *, shared_strings: list[str] | None = None, sheets: int = 1) -> Path:
    """A minimal valid XLSX whose first sheet's ``<sheetData>`` is the concatenation of ``rows`` (an
    iterable of XML strings, streamed into the archive), optional ``sharedStrings.xml`` entries, and
    ``sheets`` worksheets in all (the others empty)."""
    import zipfile
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, sheets + 1))
    if shared_strings is not None:
        overrides += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f'{overrides}</Types>')
    root_rels = (f'<Relationships xmlns="{_XLSX_PKG}"><Relationship Id="rId1" '
                 f'Type="{_XLSX_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    sheet_list = "".join(f'<sheet name="Feuille{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, sheets + 1))
    workbook = f'<workbook xmlns="{_XLSX_NS}" xmlns:r="{_XLSX_REL}"><sheets>{sheet_list}</sheets></workbook>'
    rels = "".join(f'<Relationship Id="rId{i}" Type="{_XLSX_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, sheets + 1))
    if shared_strings is not None:
        rels += f'<Relationship Id="rIdS" Type="{_XLSX_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", root_rels)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{_XLSX_PKG}">{rels}</Relationships>')
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(f'<worksheet xmlns="{_XLSX_NS}"><sheetData>'.encode())
            buf = []
            for r in rows:
                buf.append(r)
                if len(buf) >= 10_000:
                    out.write("".join(buf).encode())
                    buf = []
            out.write(("".join(buf) + "</sheetData></worksheet>").encode())
        for i in range(2, sheets + 1):
            zf.writestr(f"xl/worksheets/sheet{i}.xml", f'<worksheet xmlns="{_XLSX_NS}"><sheetData/></worksheet>')
        if shared_strings is not None:
            with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
                out.write(f'<sst xmlns="{_XLSX_NS}" count="{len(shared_strings)}">'.encode())
                for s in shared_strings:
                    out.write(b"<si><t>")
                    out.write(s.encode())
                    out.write(b"</t></si>")
                out.write(b"</sst>")
    return path
