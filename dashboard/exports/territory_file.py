"""Territory files uploaded in the editor: a list of commune codes (CSV/TXT: one code a line or a column
``code``) or a territory file (YAML, as exported by the editor). Read by the one bounded territory
reader of :mod:`atlas.userdata.territories` (the same as the user folder's): every unknown or
duplicated code is reported with its line."""
from atlas.userdata.territories import parse_uploaded_territory

__all__ = ["parse_uploaded_territory"]
