"""What a reader sees of a Dash component tree, for tests that check the text of server-made layouts."""
from __future__ import annotations


def text_of(component) -> str:
    """The strings and numbers of a component and its children, in order, joined by spaces."""
    out = []

    def walk(c):
        if isinstance(c, (str, int, float)):
            out.append(str(c))
        elif isinstance(c, (list, tuple)):
            for x in c:
                walk(x)
        elif c is not None and hasattr(c, "children"):
            walk(c.children)
    walk(component)
    return " ".join(out)
