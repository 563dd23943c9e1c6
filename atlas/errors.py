"""Errors the ETL reports to people: each names the file and, where it can, line and column."""
from __future__ import annotations


class AtlasError(Exception):
    """Base class: the message is meant to be read by a user, not a developer."""


class InputError(AtlasError):
    """A malformed input file. ``line`` is 1-based as an editor shows it; ``column`` is a name or a number."""

    def __init__(self, file: str, problem: str, line: int | None = None, column: str | int | None = None,
                 value: object = None):
        self.file, self.problem, self.line, self.column, self.value = file, problem, line, column, value
        where = str(file)
        if line is not None:
            where += f", ligne {line}"
        if column is not None:
            where += f", colonne {column}"
        detail = f" (valeur : {value!r})" if value is not None else ""
        super().__init__(f"{where} : {problem}{detail}")


class SourceUnavailable(AtlasError):
    """A dataset could be had neither from a file, the mirror, the official URL nor a registry."""


class UnknownTerritory(AtlasError):
    pass


class UnknownCommune(AtlasError):
    pass


class UnknownIndicator(AtlasError):
    pass


class BuildChanged(AtlasError):
    """The build this reader was opened on has been replaced and its connection closed: read again."""

    def __init__(self, message: str = "Les données ont été reconstruites pendant la requête : rechargez la page."):
        super().__init__(message)
