"""Uploads from the browser (CPAM tables, territory lists): one limit, on the *file's* size, stated
on the page, checked in the browser before sending (``assets/atlas_upload.js``) and again on the
server after decoding. The request limit leaves room for the base64 encoding of the browser
(4/3 of the file) so that a file just under the limit is never cut by a bare 413."""
from __future__ import annotations

import base64
import binascii
import math
from pathlib import PurePath

from flask import current_app, has_app_context

from atlas import fmt

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
REQUEST_SLACK = 256 * 1024          # the JSON around the base64 data URL


def max_upload_bytes() -> int:
    if has_app_context():
        settings = current_app.config.get("ATLAS_SETTINGS")
        if settings is not None:
            return int(settings.max_upload_bytes)
    return DEFAULT_MAX_BYTES


def request_limit(max_bytes: int) -> int:
    """Largest request body to accept for files of ``max_bytes``: base64 (4/3) plus slack."""
    return math.ceil(max_bytes * 4 / 3) + REQUEST_SLACK


def limit_text(max_bytes: int | None = None) -> str:
    mb = (max_bytes or max_upload_bytes()) / (1024 * 1024)
    return f"{fmt.number(mb, 0 if float(mb).is_integer() else 1)}\u00a0Mo"


class UploadRefused(ValueError):
    """The upload cannot be read: the message says why, in French."""


def decode_upload(contents, filename: str | None, suffixes: tuple[str, ...]) -> tuple[bytes, str]:
    """(bytes, a safe display name) of a ``dcc.Upload`` data URL, or :class:`UploadRefused`."""
    name = PurePath(str(filename or "fichier")).name
    name = "".join(ch for ch in name if ch >= " ")[:120] or "fichier"
    suffix = PurePath(name).suffix.lower()
    if suffix not in suffixes:
        raise UploadRefused(f"Type de fichier non accepté ({suffix or 'sans extension'}) : "
                            f"{', '.join(s.lstrip('.').upper() for s in suffixes)} attendu.")
    limit = max_upload_bytes()
    if not isinstance(contents, str) or "," not in contents:
        raise UploadRefused("Contenu du fichier illisible ; rien n'a été modifié.")
    b64 = contents.split(",", 1)[1]
    if len(b64) * 3 // 4 > limit + 4:
        raise UploadRefused(f"Fichier trop gros : la limite est de {limit_text(limit)} ; rien n'a été modifié.")
    try:
        data = base64.b64decode(b64, validate=True)
    except (ValueError, binascii.Error):
        raise UploadRefused("Contenu du fichier illisible ; rien n'a été modifié.") from None
    if len(data) > limit:
        raise UploadRefused(f"Fichier trop gros : la limite est de {limit_text(limit)} ; rien n'a été modifié.")
    return data, name
