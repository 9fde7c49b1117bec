"""Small helpers for the words and numbers nnlab shows: explorers' titles, captions and tables, and
models' messages ("1 epoch", "3 epochs", never "-0")."""
from __future__ import annotations

# Words whose plural is not the word + "s".
IRREGULAR = {"axis": "axes", "matrix": "matrices"}


def plural(n, word: str, many: str | None = None) -> str:
    """``n`` and ``word`` in the right number: ``plural(1, "epoch") == "1 epoch"``, ``plural(3, "epoch") ==
    "3 epochs"``. ``many``: the plural when it is not ``word`` + "s" (and not in ``IRREGULAR``). A number
    that is not a whole one (``1.5``) takes the plural, as in "1.5 times"."""
    return f"{number(n)} {noun(n, word, many)}"


def noun(n, word: str, many: str | None = None) -> str:
    """``word`` in the number ``n`` asks for, without the number."""
    return word if n == 1 else (many or IRREGULAR.get(word, word + "s"))


def number(value, fmt: str = "g") -> str:
    """``value`` formatted with ``fmt``, never as "-0" (a zero that came out of a negation prints as 0)."""
    text = format(value, fmt)
    try:
        if float(text) == 0:
            return format(0.0 if isinstance(value, float) else 0, fmt)
    except ValueError:
        pass
    return text
