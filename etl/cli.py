"""Command-line interface (stable; documented in the README and DESIGN.md)."""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import traceback
from pathlib import Path

from atlas.argparse_fr import french_argparse
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
    from atlas.read.territories import CONFIDENCE_LABELS

    where = d.get("territory_id") or d.get("code")
    pop_year = next((e["year"] for e in d["indicators"] if e["id"] == "population" and e.get("year")), None)
    print(f"{d.get('name')} ({where}) : {fmt.plural(d['communes'], 'commune')}, "
          f"{fmt.plural(d['population'], 'habitant')}" + (f" (population municipale {pop_year})" if pop_year else ""))
    per = d.get("perimeter") or {}
    if per.get("published_communes") is not None or per.get("published_population") is not None:
        vintage = per.get("published_scope")        # vintage of the published population ("INSEE 2019")
        published = [fmt.plural(per["published_communes"], "commune") if per.get("published_communes") is not None
                     else None,
                     fmt.plural(per["published_population"], "habitant") + (f" ({vintage})" if vintage else "")
                     if per.get("published_population") is not None else None]
        print(f"  {CONFIDENCE_LABELS.get(per.get('confidence'), per.get('confidence')).capitalize()} ; publié : "
              f"{', '.join(x for x in published if x)}" + (f" le {fmt.date(per['published_as_of'])}"
                                                          if per.get("published_as_of") else ""))
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
        demo=args.demo, allow_download=not args.no_download, wait=args.wait)
    if opts.mirror is not None and not opts.mirror.is_dir():
        raise AtlasError(f"--mirror {opts.mirror} : dossier introuvable")
    # A polite kill (SIGTERM, e.g. from a service manager) cleans up like Ctrl-C: the build removes its
    # staging folder and the previous build stays in place (SIGKILL leaves it to the next build).
    previous_handler = signal.signal(signal.SIGTERM, _interrupt)
    try:
        run_build(opts)
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


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
    from atlas.read.territories import CONFIDENCE_LABELS
    atlas = _atlas(args)
    rows = []
    for t in atlas.territories(*(args.kind or [])):
        rows.append({"id": t.id, "name": t.name, "kind": t.kind, "communes": len(t.codes),
                     "population": atlas.communes.population_of(t.codes), "confidence": t.confidence,
                     "published_communes": t.published_communes, "published_population": t.published_population,
                     "published_scope": t.published_scope, "published_as_of": t.published_as_of,
                     "published_figures": atlas.published_figures(t.id) if t.kind == "cpts" else [],
                     "candidates": list(t.candidates), "perimeter_note": t.perimeter_note})
    errors = atlas.rejected_user_files()
    if args.format == "json":
        _print_json({"territories": rows, "rejected_user_files": errors})
        return 0
    print(f"{'id':26} {'type':12} {'communes':>8} {'population':>12} {'publié':>32}  confiance")
    for r in rows:
        vintage = r["published_scope"] if r["kind"] == "cpts" else None
        pub = (f"{r['published_communes'] if r['published_communes'] is not None else '—'} / "
               f"{fmt.integer(r['published_population'], missing='—')}"
               + (f" ({vintage})" if vintage and r["published_population"] is not None else "")) \
            if r["kind"] == "cpts" else ""
        print(f"{r['id']:26} {r['kind']:12} {r['communes']:>8} {fmt.integer(r['population']):>12} {pub:>32}  "
              f"{CONFIDENCE_LABELS.get(r['confidence'], r['confidence'])}")
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


def cmd_scenario(args) -> int:
    """What-if on supply: the communes whose accessibility changes, the territory before/after."""
    from atlas import fmt
    from atlas.access.changes import read_changes
    from atlas.access.model import Change
    from atlas.catalog import access_id, indicator
    from atlas.read.access import scenario_report
    atlas = _atlas(args)
    territory = atlas.territory(args.territory) if args.territory else None
    if args.file:
        changes = read_changes(Path(args.file).expanduser())
        profs = sorted({p for p, _ in changes})
        if len(profs) > 1:
            raise AtlasError(f"{Path(args.file).name} : un scénario porte sur une seule profession (lu : {', '.join(profs)})")
        profession, changes = profs[0], [c for _, c in changes]
    else:
        if not (args.profession and args.commune and args.delta is not None):
            raise AtlasError("scénario : --profession, --commune et --delta (ou --file FICHIER)")
        if args.delta == 0:
            raise AtlasError("--delta : nombre de professionnels en plus (> 0) ou en moins (< 0), non nul")
        profession = args.profession
        changes = [Change(atlas.communes.get(args.commune)["code"], float(args.delta), args.activity)]
    report = scenario_report(atlas, profession, changes, territory)
    if args.format == "json":
        _print_json(report)
        return 0
    ind = indicator(access_id(profession))
    t, below = report["territory"], report["population_below_threshold"]
    for c in report["changes"]:
        sign = "+" if c["delta"] > 0 else ""
        print(f"{c['nom']} ({c['commune']}) : {sign}{fmt.number(c['delta'], 0)} ({fmt.number(c['activity'], 0)} "
              f"par professionnel)")
    print(f"{ind.label} ({ind.short_unit}), {t['name']} : {fmt.value(t['before'], ind)} -> {fmt.value(t['after'], ind)}")
    if below["threshold"] is not None:
        print(f"Population des communes sous {fmt.number(below['threshold'], 1)} : {fmt.integer(below['before'])} -> "
              f"{fmt.integer(below['after'])} habitants")
    print(f"{fmt.plural(len(report['communes']), 'commune')} dont l'accessibilité change :")
    for c in report["communes"][:args.limit]:
        print(f"  {c['nom']} ({c['code']}) : {fmt.value(c['before'], ind)} -> {fmt.value(c['after'], ind)}")
    if len(report["communes"]) > args.limit:
        print(f"  … et {len(report['communes']) - args.limit} autres (--format json pour toutes)")
    return 0


def cmd_import_indicators(args) -> int:
    """Validate a CPAM commune table and store it in the user data directory (exit 2 when refused)."""
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
    return 0 if report.ok else 2


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
    french_argparse()
    p = argparse.ArgumentParser(prog="python -m etl", description="Atlas de l'accès aux soins des CPTS : ETL.")
    p.add_argument("--data-dir", help="dossier des données construites (défaut : ATLAS_DATA_DIR ou geodata/)")
    p.add_argument("--debug", action="store_true",
                   help="en cas d'erreur, affiche aussi la trace Python (pour un rapport de bogue)")
    # --debug is also accepted after the command (python -m etl build --debug)
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", parents=[debug], help="construit geodata/ (DuckDB + GeoParquet)")
    b.add_argument("--mirror", help="dossier miroir des sources (défaut : ATLAS_MIRROR)")
    b.add_argument("--file", action="append", metavar="ID=CHEMIN", help="fichier explicite pour une source")
    b.add_argument("--only", metavar="DATASET", help="ne reconstruit que ce jeu de données (sur une copie)")
    b.add_argument("--demo", action="store_true", help="ajoute les données de démonstration (fictives)")
    b.add_argument("--no-download", action="store_true", help="n'essaie aucun téléchargement")
    b.add_argument("--wait", action="store_true",
                   help="si un autre build est en cours dans ce dossier, attendre sa fin (sinon : erreur)")
    b.set_defaults(func=cmd_build)

    s = sub.add_parser("summary", parents=[debug], help="chiffres d'un territoire")
    s.add_argument("--territory", required=True)
    s.add_argument("--year", type=int)
    s.add_argument("--format", choices=("json", "text"), default="text")
    s.set_defaults(func=cmd_summary)

    c = sub.add_parser("commune", parents=[debug], help="chiffres d'une commune")
    c.add_argument("code")
    c.add_argument("--year", type=int)
    c.add_argument("--format", choices=("json", "text"), default="text")
    c.set_defaults(func=cmd_commune)

    i = sub.add_parser("import-indicators", parents=[debug], help="valide et importe un tableau communal d'indicateurs (CPAM)")
    i.add_argument("file", help="fichier CSV (« ; » ou « , ») ou XLSX au format d'import (voir etl/imports.py)")
    i.add_argument("--source-label", help="libellé de la source (sinon la colonne « source » du fichier)")
    i.add_argument("--dest", help="dossier des imports (défaut : <dossier utilisateur>/imports)")
    i.add_argument("--format", choices=("json", "text"), default="text")
    i.set_defaults(func=cmd_import_indicators)

    li = sub.add_parser("imports", parents=[debug], help="liste les tableaux importés")
    li.add_argument("--dest", help="dossier des imports (défaut : <dossier utilisateur>/imports)")
    li.add_argument("--format", choices=("json", "text"), default="text")
    li.set_defaults(func=cmd_imports)

    t = sub.add_parser("territories", parents=[debug],
                       help="liste des territoires (CPTS, départements, régions, EPCI, les vôtres)")
    t.add_argument("--kind", action="append", choices=("cpts", "departement", "region", "epci", "user"),
                   help="ne liste que ce type (répétable)")
    t.add_argument("--format", choices=("json", "text"), default="text")
    t.set_defaults(func=cmd_territories)

    v = sub.add_parser("values", parents=[debug], help="valeurs communales d'un indicateur (une ligne par commune)")
    v.add_argument("--indicator", required=True)
    v.add_argument("--year", type=int)
    v.add_argument("--territory", help="territoire (défaut : toute la France)")
    v.add_argument("--format", choices=("csv", "json"), default="csv")
    v.set_defaults(func=cmd_values)

    sc = sub.add_parser("scenario", parents=[debug],
                        help="simulation : accessibilité calculée avant / après un changement de l'offre")
    sc.add_argument("--profession", choices=("mg", "inf", "mk", "sf", "dent", "pharmacy"))
    sc.add_argument("--commune", help="code INSEE de la commune où l'offre change")
    sc.add_argument("--delta", type=float, help="professionnels en plus (> 0) ou en moins (< 0)")
    sc.add_argument("--activity", type=float, help="activité par professionnel (consultations par an pour un "
                                                   "médecin ; défaut : 5 400 pour un ajout, 4 100 pour un retrait)")
    sc.add_argument("--file", help="fichier de scénario (CSV ou YAML : commune, profession, delta[, activite])")
    sc.add_argument("--territory", help="territoire dont donner le chiffre avant/après (défaut : France)")
    sc.add_argument("--limit", type=int, default=30, help="texte : nombre de communes listées")
    sc.add_argument("--format", choices=("json", "text"), default="text")
    sc.set_defaults(func=cmd_scenario)
    return p


def _kept(args) -> str:
    """What a failed or interrupted build leaves in use: the previous build, or none yet."""
    from atlas import paths
    data = Path(args.data_dir) if getattr(args, "data_dir", None) else paths.data_dir()
    if (paths.current_build(data) / paths.DATABASE_FILE).is_file():
        return "la base précédente reste en place"
    return "aucune base n'a encore été construite dans ce dossier"


def error_message(exc: BaseException, args) -> str:
    """What a user reads for a failure: ``erreur : …``, French, its first line self-contained.

    An :class:`AtlasError` says it itself (multi-line ones, such as a missing essential dataset with
    its URL and options, keep their detail lines); system and DuckDB errors are translated to one line;
    anything else is an unexpected error, with the hint to rerun with ``--debug``. A failed build adds
    what stays in use (the previous build is never touched: see etl/build.py)."""
    if isinstance(exc, AtlasError):
        text = str(exc)
    else:
        from .build import describe_failure
        text = describe_failure(exc)
        if not isinstance(exc, OSError) and type(exc).__module__.split(".")[0] != "duckdb":
            text += " ; relancez avec --debug pour la trace"
    if args.command == "build":
        first, _, rest = text.partition("\n")
        text = f"{first.rstrip('. ')} — build annulé, {_kept(args)}." + (f"\n{rest}" if rest else "")
    return f"erreur : {text}"


def main(argv=None) -> int:
    """Run a command. Exit codes: 0 success, 2 any failure (bad input, missing essential source, another
    build running, disk full or any system / DuckDB error…), 130 interrupted (Ctrl-C, SIGTERM).
    No traceback unless ``--debug``."""
    args = make_parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    try:
        return args.func(args)
    except BrokenPipeError:                  # output piped into `head`: stop quietly, like any Unix tool
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        print(f"build interrompu : {_kept(args)}." if args.command == "build" else "interrompu.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message and exit 2
        if debug:
            traceback.print_exc()
        print(error_message(exc, args), file=sys.stderr)
        return 2
