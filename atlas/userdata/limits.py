"""Bounds on everything users hand the atlas: CPAM imports (CSV/XLSX) and territory files (CSV/YAML).

One place for every bound, and the small helpers that apply them. The command line
(``python -m etl import-indicators``, files in the user folder) and the browser (import page,
territory editor) call the same readers, so the same bounds apply everywhere; the dashboard's
``ATLAS_MAX_UPLOAD_MB`` is an extra, lower limit on what a browser may send.

Why these values (measured on the project's 2-core machine, see the README):

* Imports are CPAM tables for one CPTS, one département or one région: a région is ~4,000 communes x
  5 indicators x 5 years = 100,000 rows. ``MAX_IMPORT_ROWS`` is that. openpyxl (read-only, streaming)
  reads ~5,000 rows/s of the import format on a loaded 2-core machine, so the worst XLSX accepted costs
  ~20 s, under the web worker's timeout; a CSV of that size is read in ~1 s.
* An XLSX is a zip of XML. Its members' *uncompressed* sizes are read from the zip directory before
  openpyxl opens the file, so a decompression bomb never reaches the parser (Python's ``zipfile``, which
  openpyxl uses, never inflates a member past the size its directory declares). A worksheet is
  streamed (its size costs time, not memory): 64 MiB holds 100,000 rows written by openpyxl with inline
  strings (~360 bytes a row). ``sharedStrings.xml`` is loaded whole by openpyxl: 16 MiB.
* A cell is a code, a number, a year or a source label: 1,000 characters is far above any of them and
  keeps every message short.
* A territory has at most the communes of France (34,875 in the COG 2025, rounded up to 35,000); its
  file (one code a line, or YAML) is then at most ~420 KB: 1 MiB.
* Problem lists show the first ``MAX_PROBLEMS`` problems then "… et N autre(s) problème(s)"; a value
  quoted in a message is cut at ``MAX_VALUE_SHOWN`` characters, so no message repeats unbounded input.
"""
from __future__ import annotations

import re

from .. import fmt

MIB = 1024 * 1024

# -- imports (CSV / XLSX) ---------------------------------------------------------------------------
MAX_IMPORT_BYTES = 16 * MIB          # the file as given (CSV, or the compressed XLSX)
MAX_IMPORT_ROWS = 100_000            # lines after the header, empty ones included
MAX_COLUMNS = 50                     # the import format has 8
MAX_CELL_CHARS = 1_000               # any cell, once read
MAX_XLSX_SHEETS = 50                 # worksheets in the workbook (only the first is read)
MAX_XLSX_MEMBERS = 1_000             # files inside the zip
MAX_XLSX_MEMBER_BYTES = 64 * MIB     # uncompressed size of any one member (a worksheet is streamed)
MAX_XLSX_SHARED_STRINGS_BYTES = 16 * MIB   # uncompressed xl/sharedStrings.xml (openpyxl loads it whole)
MAX_XLSX_TOTAL_BYTES = 96 * MIB      # uncompressed size of all members together
MAX_LABEL_CHARS = 200                # a source label (column ``source`` or ``--source-label``)

# -- territories (CSV / YAML, user folder or upload) ---------------------------------------------------
MAX_TERRITORY_FILE_BYTES = 1 * MIB
MAX_TERRITORY_COMMUNES = 35_000      # communes of France (34,875 in the COG 2025), rounded up
MAX_TERRITORY_NAME_CHARS = 120
MAX_NOTE_CHARS = 2_000
MAX_YAML_DEPTH = 10                  # nesting of YAML collections (a territory file needs 2)

# -- messages ---------------------------------------------------------------------------------------
MAX_PROBLEMS = 100                   # problems listed before "… et N autre(s) problème(s)"
MAX_VALUE_SHOWN = 60                 # characters of a value quoted in a message

# C0 controls, DEL and C1 controls (NUL included). Tab, LF and CR are allowed only where a text may
# span lines (notes).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def shorten(value, limit: int = MAX_VALUE_SHOWN) -> str:
    """``value`` as text, cut to ``limit`` characters (``…`` and the full length when cut)."""
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({fmt.integer(len(text))} caractères)"


def size_text(n_bytes: int) -> str:
    """``16777216`` -> ``16 Mo``; below 1 Mo in Ko (French units of the user interface)."""
    if n_bytes >= MIB:
        return f"{fmt.number(n_bytes / MIB, 0 if n_bytes % MIB == 0 else 1)} Mo"
    return f"{fmt.number(n_bytes / 1024, 0)} Ko"


def control_character(text: str, *, multiline: bool = False) -> str | None:
    """The first control character of ``text`` as ``U+0000``, or None. ``multiline`` allows tab/LF/CR."""
    m = (_CONTROL_IN_TEXT if multiline else _CONTROL).search(text)
    return f"U+{ord(m.group()):04X}" if m else None


def label_problem(text: str, max_chars: int, *, multiline: bool = False) -> str | None:
    """Why a name or label is refused (too long, control character), or None when it is fine."""
    if len(text) > max_chars:
        return f"{fmt.integer(len(text))} caractères, limite {fmt.integer(max_chars)}"
    bad = control_character(text, multiline=multiline)
    if bad:
        return f"caractère de contrôle {bad} refusé"
    return None


class ProblemCounter:
    """Keeps the first ``MAX_PROBLEMS`` items and counts the others (for "… et N autre(s) problème(s)")."""

    def __init__(self, limit: int | None = None):
        self.limit = MAX_PROBLEMS if limit is None else limit
        self.items: list = []
        self.overflow = 0

    def add(self, item) -> None:
        if len(self.items) < self.limit:
            self.items.append(item)
        else:
            self.overflow += 1

    def __len__(self) -> int:
        return len(self.items) + self.overflow

    def overflow_text(self) -> str | None:
        return f"… et {fmt.integer(self.overflow)} autre(s) problème(s)" if self.overflow else None
