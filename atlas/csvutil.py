"""Strict CSV reading shared by the parsers: UTF-8 (BOM tolerated), named columns, line numbers kept."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .errors import InputError


def read_text_utf8(path: Path) -> str:
    """Read a whole text file as UTF-8; a non-UTF-8 byte is reported with its line and column."""
    data = Path(path).read_bytes()
    if not data.strip():
        raise InputError(path, "fichier vide")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(path, "encodage non UTF-8 (enregistrer le fichier en UTF-8 ; Latin-1/Windows-1252 non accepté)",
                         line=line, column=col, value=data[exc.start:exc.start + 1]) from exc


def read_csv_records(path: Path, required: list[str], *, delimiter: str | None = None) -> list[tuple[int, dict]]:
    """Return ``(line_number, row)`` pairs. Checks the header has ``required`` columns and that every
    row has as many fields as the header (a truncated line or an extra delimiter is an error)."""
    text = read_text_utf8(path)
    if delimiter is None:
        first = text.splitlines()[0]
        delimiter = max((",", ";", "\t", "|"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(path, "fichier vide") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(path, f"colonne(s) absente(s) : {', '.join(missing)} (en-tête lu : {', '.join(header)} ; "
                               f"séparateur « {delimiter} »)", line=1)
    out = []
    for row in reader:
        line = reader.line_num
        if not row or all(not v.strip() for v in row):
            continue
        if len(row) != len(header):
            raise InputError(path, f"{len(row)} champs au lieu de {len(header)} (ligne tronquée ou séparateur en trop)",
                             line=line)
        out.append((line, dict(zip(header, (v.strip() for v in row)))))
    return out
