"""Command-line exports (same implementation as the pages' download buttons).

    python -m dashboard.export --territory aunis-sud --format csv --out aunis.csv [--indicator apl_mg]
    python -m dashboard.export --territory dep-17 --format csv-intl --out 17.csv   # "," and decimal point
    python -m dashboard.export --territory aunis-sud --format png --out aunis.png --indicator density_mg
    python -m dashboard.export --territory aunis-sud --format png --out 17.png --extent departement
    python -m dashboard.export --territory aunis-sud --format pdf --out aunis.pdf

Reads the built data (``ATLAS_DATA_DIR`` or ``--data-dir``) and the user data directory (saved
territories, imported tables). Exit code 0 on success, 2 on bad input, 1 on other failures.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from atlas.argparse_fr import french_argparse
from atlas.errors import AtlasError

from .exports import FORMATS, export_bytes


def main(argv=None) -> int:
    french_argparse()
    ap = argparse.ArgumentParser(prog="python -m dashboard.export",
                                 description="Exporte un territoire en CSV (valeurs communales), PNG (carte) ou PDF "
                                             "(portrait).")
    ap.add_argument("--territory", required=True, help="identifiant du territoire (CPTS ou territoire enregistré)")
    ap.add_argument("--format", required=True, choices=FORMATS)
    ap.add_argument("--out", required=True, type=Path, help="fichier à écrire")
    ap.add_argument("--indicator", help="indicateur (CSV : un seul indicateur ; PNG/PDF : indicateur de la carte)")
    ap.add_argument("--extent", choices=("territoire", "departement", "region", "france"), default="territoire",
                    help="PNG : la carte du territoire seul, ou de son département, sa région, la France "
                         "(territoire entouré)")
    ap.add_argument("--year", type=int, help="année (défaut : la plus récente)")
    ap.add_argument("--data-dir", type=Path, help="dossier des données construites (défaut : ATLAS_DATA_DIR ou geodata/)")
    args = ap.parse_args(argv)
    from atlas.read import Atlas
    t0 = time.monotonic()
    try:
        atlas = Atlas(args.data_dir)
        try:
            data = export_bytes(atlas, args.territory, args.format, args.indicator, args.year, args.extent)
        finally:
            atlas.close()
    except AtlasError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(f".{args.out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(args.out)
    from atlas import fmt
    print(f"{args.out} : {fmt.plural(len(data), 'octet')} ({args.format}, "
          f"{fmt.number(time.monotonic() - t0, 1)} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
