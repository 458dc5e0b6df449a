"""Markdown helpers of the generated reference pages."""

from __future__ import annotations

import re
from collections.abc import Sequence

GENERATED_NOTE = (
    "!!! note\n    This page is generated when the documentation is built, from {source}. "
    "Do not edit it by hand.\n"
)


def cell(text: str) -> str:
    """Text that is safe inside one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def code(text: str) -> str:
    """Inline code, with a longer fence when the text itself holds backticks."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table (its lines, then an empty line)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


_BOLD = re.compile(r"\[bold\](.*?)\[/(?:bold)?\]", re.DOTALL)
_MARKUP = re.compile(r"\[/?(?:bold|italic|dim|underline|red|green|yellow|blue|cyan|magenta)\]")


def plain_help(text: str | None) -> str:
    r"""Help text of a command or option as Markdown: rich markup removed, paragraphs kept.

    ``[bold]...[/]`` (used for example commands) becomes inline code; other rich tags go;
    click's ``\b`` no-rewrap markers go.
    """
    if not text:
        return ""
    text = _BOLD.sub(lambda m: code(" ".join(m.group(1).split())), text)
    text = _MARKUP.sub("", text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    kept = [
        " ".join(line.strip() for line in p.splitlines() if line.strip() != "\b")
        for p in paragraphs
    ]
    return "\n\n".join(p for p in kept if p)
