"""Text as a person reads it: the French typography's no-break spaces (U+00A0, U+202F) as spaces."""


def norm(text: str | None) -> str:
    return " ".join((text or "").replace("\u00a0", " ").replace("\u202f", " ").split())
