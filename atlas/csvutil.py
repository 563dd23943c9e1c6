"""Strict CSV reading shared by the parsers: UTF-8 (BOM tolerated), named columns, line numbers kept.

Malformed CSV (a quote opened and never closed, a quote in the middle of a field, a field over the
``csv`` module's size limit, a NUL byte on interpreters that refuse it) raises ``csv.Error`` inside
the reader; :func:`iter_csv_rows` turns it into an :class:`InputError` naming the file and the line
where the faulty record starts, in French (:func:`csv_error_text`), never a traceback.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterator

from . import fmt
from .errors import InputError


def read_text_utf8(path: Path) -> str:
    """Read a whole text file as UTF-8; a non-UTF-8 byte is reported with its line and column."""
    return decode_utf8(Path(path).read_bytes(), path)


def decode_utf8(data: bytes, name) -> str:
    """``data`` as UTF-8 text (BOM dropped); empty or non-UTF-8 content is an :class:`InputError`."""
    if not data.strip():
        raise InputError(name, "fichier vide")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(name, "encodage non UTF-8 (enregistrer le fichier en UTF-8 ; Latin-1/Windows-1252 non accepté)",
                         line=line, column=col, value=data[exc.start:exc.start + 1]) from exc


def csv_error_text(exc: csv.Error) -> str:
    """The French reason for a ``csv.Error`` (the module's messages are English and terse)."""
    msg = str(exc)
    if "field larger than field limit" in msg:
        return (f"champ trop long (plus de {fmt.integer(csv.field_size_limit())} caractères) : "
                "guillemet ouvert jamais refermé ?")
    if "unexpected end of data" in msg or "EOF inside string" in msg or "newline inside string" in msg:
        return "guillemet ouvert jamais refermé : le champ court jusqu'à la fin du fichier"
    if "expected after" in msg:
        return "guillemet mal placé : un champ entre guillemets doit être suivi du séparateur"
    if "NUL" in msg:
        return "caractère NUL (fichier binaire ?)"
    return f"CSV mal formé ({msg[:80]})"


def iter_csv_rows(text: str, name, *, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, fields)`` for each record of ``text`` (header included); ``line`` is the 1-based line
    where the record starts. Strict quoting; any ``csv.Error`` becomes an :class:`InputError`."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InputError(name, csv_error_text(exc), line=start) from None
        yield start, row


def read_csv_records(path: Path, required: list[str], *, delimiter: str | None = None) -> list[tuple[int, dict]]:
    """Return ``(line_number, row)`` pairs. Checks the header has ``required`` columns and that every
    row has as many fields as the header (a truncated line or an extra delimiter is an error)."""
    text = read_text_utf8(path)
    if delimiter is None:
        first = text.splitlines()[0]
        delimiter = max((",", ";", "\t", "|"), key=first.count)
    rows = iter_csv_rows(text, path, delimiter=delimiter)
    try:
        _, header = next(rows)
    except StopIteration:
        raise InputError(path, "fichier vide") from None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        shown = ", ".join(h[:40] for h in header[:30])
        raise InputError(path, f"colonne(s) absente(s) : {', '.join(missing)} (en-tête lu : {shown}"
                               f"{' …' if len(header) > 30 else ''} ; séparateur « {delimiter} »)", line=1)
    out = []
    for line, row in rows:
        if not row or all(not v.strip() for v in row):
            continue
        if len(row) != len(header):
            raise InputError(path, f"{len(row)} champs au lieu de {len(header)} (ligne tronquée ou séparateur en trop)",
                             line=line)
        out.append((line, dict(zip(header, (v.strip() for v in row)))))
    return out
