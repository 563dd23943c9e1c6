"""Command-line interface (stable; documented in the README and DESIGN.md)."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from atlas.errors import AtlasError


def _json_default(o):
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(type(o))


def _clean_nans(obj):
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean_nans(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean_nans(v) for v in obj]
    return obj


def _print_json(obj) -> None:
    json.dump(_clean_nans(obj), sys.stdout, ensure_ascii=False, indent=2, default=_json_default)
    sys.stdout.write("\n")


def _print_text_summary(d: dict) -> None:
    from atlas import fmt
    from atlas.catalog import indicator
    from atlas.read.entries import in_words

    where = d.get("territory_id") or d.get("code")
    print(f"{d.get('name')} ({where}) : {fmt.plural(d['communes'], 'commune')}, "
          f"{fmt.plural(d['population'], 'habitant')}")
    for e in d["indicators"]:
        ind = indicator(e["id"])
        flag = " [DONNÉES FICTIVES]" if e["synthetic"] else ""
        ref = e["reference"]
        if e.get("reference_synthetic") and any(e["reference_synthetic"].values()) and not e["synthetic"]:
            flag += " [références fictives]"
        year = f" ({e['year']})" if e.get("year") else ""
        refs = " | ".join(f"{label} {fmt.value(ref[level], ind)}" for level, label in
                          (("departement", "dép."), ("region", "rég."), ("france", "France")) if ref[level] is not None)
        print(f"  {e['label']}{year} : {in_words(e, ind)}{flag}" + (f" | {refs}" if refs else ""))


def _parse_files(items: list[str]) -> dict[str, Path]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise AtlasError(f"--file attend ID=CHEMIN, reçu « {item} »")
        k, v = item.split("=", 1)
        out[k.strip()] = Path(v).expanduser()
    return out


def cmd_build(args) -> int:
    from atlas import paths
    from .build import BuildOptions, run_build
    mirror = args.mirror or os.environ.get("ATLAS_MIRROR")
    opts = BuildOptions(
        data_dir=Path(args.data_dir) if args.data_dir else paths.data_dir(),
        mirror=Path(mirror) if mirror else None, files=_parse_files(args.file), only=args.only,
        demo=args.demo, allow_download=not args.no_download)
    if opts.mirror is not None and not opts.mirror.is_dir():
        raise AtlasError(f"--mirror {opts.mirror} : dossier introuvable")
    run_build(opts)
    return 0


def _atlas(args):
    from atlas.read import Atlas
    return Atlas(Path(args.data_dir) if args.data_dir else None)


def cmd_summary(args) -> int:
    d = _atlas(args).territory_summary(args.territory, args.year)
    _print_json(d) if args.format == "json" else _print_text_summary(d)
    return 0


def cmd_commune(args) -> int:
    d = _atlas(args).commune_summary(args.code, args.year)
    _print_json(d) if args.format == "json" else _print_text_summary(d)
    return 0


def cmd_territories(args) -> int:
    from atlas import fmt
    atlas = _atlas(args)
    rows = []
    for t in atlas.territories(*(args.kind or [])):
        rows.append({"id": t.id, "name": t.name, "kind": t.kind, "communes": len(t.codes),
                     "population": atlas.communes.population_of(t.codes), "confidence": t.confidence,
                     "published_communes": t.published_communes, "published_population": t.published_population,
                     "published_as_of": t.published_as_of,
                     "published_figures": atlas.published_figures(t.id) if t.kind == "cpts" else [],
                     "candidates": list(t.candidates), "perimeter_note": t.perimeter_note})
    errors = atlas.rejected_user_files()
    if args.format == "json":
        _print_json({"territories": rows, "rejected_user_files": errors})
        return 0
    print(f"{'id':26} {'type':12} {'communes':>8} {'population':>12} {'publié':>20}  confiance")
    for r in rows:
        pub = (f"{r['published_communes'] if r['published_communes'] is not None else '—'} / "
               f"{fmt.integer(r['published_population'], missing='—')}") if r["kind"] == "cpts" else ""
        print(f"{r['id']:26} {r['kind']:12} {r['communes']:>8} {fmt.integer(r['population']):>12} {pub:>20}  "
              f"{r['confidence']}")
    for e in errors:
        print(f"fichier refusé : {e}", file=sys.stderr)
    return 0


def cmd_values(args) -> int:
    """One row per commune of the territory (or of France): code, nom, value, status, year, source."""
    import csv

    from atlas import fmt
    from atlas.catalog import indicator
    atlas = _atlas(args)
    ind = indicator(args.indicator)
    codes = atlas.territory(args.territory).codes if args.territory else None
    df = atlas.commune_values(ind.id, codes, args.year)
    names = atlas.communes.table["nom"]
    rows = [{"code": r.code, "nom": names.get(r.code, ""), "value": None if r.status != "ok" else float(r.value),
             "numerator": None if r.status != "ok" or r.numerator != r.numerator else float(r.numerator),
             "denominator": None if r.status != "ok" or r.denominator != r.denominator else float(r.denominator),
             "status": r.status, "year": None if r.year is None or r.year != r.year else int(r.year),
             "source_id": r.source_id, "synthetic": bool(r.synthetic)} for r in df.itertuples(index=False)]
    if args.year is not None and not any(r["status"] != "missing" for r in rows):
        years = atlas.years(ind.id)
        print(f"erreur : {ind.id} : pas de donnée communale en {args.year} (années disponibles : "
              f"{', '.join(map(str, years)) or 'aucune'})", file=sys.stderr)
        return 2
    if args.format == "json":
        _print_json({"indicator": ind.id, "label": ind.label, "unit": ind.unit,
                     "territory": args.territory, "rows": rows})
        return 0
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["code", "nom", "value", "numerator", "denominator", "status", "year", "source_id", "synthetic"])
    for r in rows:
        w.writerow([r["code"], r["nom"], "" if r["value"] is None else repr(r["value"]),
                    "" if r["numerator"] is None else repr(r["numerator"]),
                    "" if r["denominator"] is None else repr(r["denominator"]),
                    {"ok": "ok", "secret": fmt.SECRET, "missing": fmt.UNAVAILABLE}[r["status"]],
                    r["year"] or "", r["source_id"] or "", "true" if r["synthetic"] else "false"])
    return 0


def cmd_import_indicators(args) -> int:
    """Validate a CPAM commune table and store it in the user data directory (exit 1 when refused)."""
    from atlas.userdata.imports import import_indicator_table
    path = Path(args.file).expanduser()
    if not path.is_file():
        raise AtlasError(f"{path} : fichier introuvable")
    atlas = _atlas(args)
    try:
        report = import_indicator_table(path, set(atlas.communes.position), Path(args.dest) if args.dest else None,
                                        source_label=args.source_label)
    finally:
        atlas.close()
    if args.format == "json":
        _print_json(report.to_dict())
    else:
        print(report.text(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else 1


def cmd_imports(args) -> int:
    from atlas.userdata.imports import list_imports
    rows = list_imports(Path(args.dest) if args.dest else None)
    if args.format == "json":
        _print_json({"imports": rows})
        return 0
    if not rows:
        print("aucun tableau importé")
    for r in rows:
        flag = " [DONNÉES FICTIVES]" if r.get("synthetic") else ""
        print(f"{r.get('slug')}: {r.get('original_name')} importé le {r.get('imported_at')} - {r.get('rows')} lignes, "
              f"{', '.join(r.get('indicators', []))} {r.get('years')} - {r.get('source_label')}{flag}")
    return 0


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m etl", description="Atlas de l'accès aux soins des CPTS : ETL.")
    p.add_argument("--data-dir", help="dossier des données construites (défaut : ATLAS_DATA_DIR ou geodata/)")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="construit geodata/ (DuckDB + GeoParquet)")
    b.add_argument("--mirror", help="dossier miroir des sources (défaut : ATLAS_MIRROR)")
    b.add_argument("--file", action="append", metavar="ID=CHEMIN", help="fichier explicite pour une source")
    b.add_argument("--only", metavar="DATASET", help="ne reconstruit que ce jeu de données (sur une copie)")
    b.add_argument("--demo", action="store_true", help="ajoute les données de démonstration (fictives)")
    b.add_argument("--no-download", action="store_true", help="n'essaie aucun téléchargement")
    b.set_defaults(func=cmd_build)

    s = sub.add_parser("summary", help="chiffres d'un territoire")
    s.add_argument("--territory", required=True)
    s.add_argument("--year", type=int)
    s.add_argument("--format", choices=("json", "text"), default="text")
    s.set_defaults(func=cmd_summary)

    c = sub.add_parser("commune", help="chiffres d'une commune")
    c.add_argument("code")
    c.add_argument("--year", type=int)
    c.add_argument("--format", choices=("json", "text"), default="text")
    c.set_defaults(func=cmd_commune)

    i = sub.add_parser("import-indicators", help="valide et importe un tableau communal d'indicateurs (CPAM)")
    i.add_argument("file", help="fichier CSV (« ; » ou « , ») ou XLSX au format d'import (voir etl/imports.py)")
    i.add_argument("--source-label", help="libellé de la source (sinon la colonne « source » du fichier)")
    i.add_argument("--dest", help="dossier des imports (défaut : <dossier utilisateur>/imports)")
    i.add_argument("--format", choices=("json", "text"), default="text")
    i.set_defaults(func=cmd_import_indicators)

    li = sub.add_parser("imports", help="liste les tableaux importés")
    li.add_argument("--dest", help="dossier des imports (défaut : <dossier utilisateur>/imports)")
    li.add_argument("--format", choices=("json", "text"), default="text")
    li.set_defaults(func=cmd_imports)

    t = sub.add_parser("territories", help="liste des territoires (CPTS, départements, régions, EPCI, les vôtres)")
    t.add_argument("--kind", action="append", choices=("cpts", "departement", "region", "epci", "user"),
                   help="ne liste que ce type (répétable)")
    t.add_argument("--format", choices=("json", "text"), default="text")
    t.set_defaults(func=cmd_territories)

    v = sub.add_parser("values", help="valeurs communales d'un indicateur (une ligne par commune)")
    v.add_argument("--indicator", required=True)
    v.add_argument("--year", type=int)
    v.add_argument("--territory", help="territoire (défaut : toute la France)")
    v.add_argument("--format", choices=("csv", "json"), default="csv")
    v.set_defaults(func=cmd_values)
    return p


def main(argv=None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except AtlasError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrompu : la base précédente reste en place.", file=sys.stderr)
        return 130
