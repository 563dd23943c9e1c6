"""The read model: the only way anything reads a build (see :mod:`atlas.read.reader`)."""
from .current import close_all, configure, current
from .reader import MISSING, OK, SECRET, Atlas
from .territories import KINDS, Territory

open_build = Atlas

__all__ = ["Atlas", "Territory", "KINDS", "OK", "SECRET", "MISSING", "current", "configure", "close_all",
           "open_build"]
