"""The command line reference, generated from the typer app ``stacsync.cli:app``.

The app is turned into its click command tree (``typer.main.get_command``) and every command
and sub-command is rendered with its help, usage, arguments and options.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import typer
from ref_markdown import GENERATED_NOTE, code, plain_help, table

from stacsync.cli import app as stacsync_app


@dataclass(frozen=True, slots=True)
class ParamDoc:
    """One argument or option of a command, as the reference shows it."""

    kind: Literal["argument", "option"]
    names: tuple[str, ...]
    type: str
    default: str
    required: bool
    repeatable: bool
    help: str


@dataclass(frozen=True, slots=True)
class CommandDoc:
    """One command (or group) of the CLI."""

    path: str
    usage: str
    help: str
    epilog: str
    params: tuple[ParamDoc, ...]
    subcommands: tuple[str, ...]


def _param_type(param: Any, ctx: Any) -> str:
    if getattr(param, "count", False):
        return "count"
    if getattr(param, "is_flag", False):
        return "flag"
    display = getattr(param, "display_type", None)
    if callable(display):  # typer >= 0.20 (its own click)
        label = str(display(ctx)).strip("<>")
    else:  # click
        kind = getattr(param, "type", None)
        label = str(getattr(kind, "name", kind) or "text")
    label = re.sub(r"^list\[(.*)\]$", r"\1", label)
    return {"str": "text", "float": "number", "int": "integer"}.get(label, label)


def _default(param: Any) -> str:
    value = getattr(param, "default", None)
    if getattr(param, "required", False) or value is None or callable(value):
        return ""
    if getattr(param, "is_flag", False) and value is False:
        return ""
    if getattr(param, "count", False) and value == 0:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value.value if hasattr(value, "value") and not isinstance(value, str) else value)


def _param_doc(param: Any, ctx: Any) -> ParamDoc | None:
    if getattr(param, "hidden", False):
        return None
    kind: Literal["argument", "option"] = (
        "argument" if param.param_type_name == "argument" else "option"
    )
    if kind == "argument":
        names: tuple[str, ...] = (str(param.name).upper(),)
    else:
        names = tuple(param.opts) + tuple(getattr(param, "secondary_opts", ()) or ())
    return ParamDoc(
        kind=kind,
        names=names,
        type=_param_type(param, ctx),
        default=_default(param),
        required=bool(param.required),
        repeatable=bool(getattr(param, "multiple", False)),
        help=plain_help(getattr(param, "help", None)),
    )


def _is_group(command: Any) -> bool:
    return callable(getattr(command, "list_commands", None))


def walk_commands(command: Any, ctx: Any) -> Iterator[CommandDoc]:
    """Every command of a click (or typer's click) command tree, depth first, in order."""
    params = [p for p in (_param_doc(x, ctx) for x in command.get_params(ctx)) if p is not None]
    names: list[str] = []
    children: list[tuple[Any, Any]] = []
    if _is_group(command):
        for name in command.list_commands(ctx):
            child = command.get_command(ctx, name)
            if child is None or getattr(child, "hidden", False):
                continue
            names.append(name)
            child_ctx = type(ctx)(child, parent=ctx, info_name=name, **child.context_settings)
            children.append((child, child_ctx))
    yield CommandDoc(
        path=ctx.command_path,
        usage=" ".join([ctx.command_path, *command.collect_usage_pieces(ctx)]),
        help=plain_help(command.help),
        epilog=command.epilog or "",
        params=tuple(params),
        subcommands=tuple(names),
    )
    for child, child_ctx in children:
        yield from walk_commands(child, child_ctx)


def cli_commands(app: typer.Typer | None = None, *, prog: str = "stacsync") -> list[CommandDoc]:
    """The documented form of every command of ``app`` (default: ``stacsync.cli:app``)."""
    command: Any = typer.main.get_command(app or stacsync_app)
    ctx = command.context_class(command, info_name=prog, **command.context_settings)
    return list(walk_commands(command, ctx))


def _anchor(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def _epilog(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    title, examples = (lines[0], lines[1:]) if lines[0].endswith(":") else ("", lines)
    out = [f"**{title.rstrip(':')}:**", ""] if title else []
    out += ["```bash", *[re.sub(r"\s{3,}", "   # ", e) for e in examples], "```", ""]
    return out


def _command_markdown(doc: CommandDoc, level: int) -> list[str]:
    lines = [f"{'#' * level} `{doc.path}` {{#{_anchor(doc.path)}}}", ""]
    if doc.help:
        lines += [doc.help, ""]
    lines += ["```text", doc.usage, "```", ""]
    arguments = [p for p in doc.params if p.kind == "argument"]
    options = [p for p in doc.params if p.kind == "option"]
    if arguments:
        lines += ["**Arguments**", ""]
        lines += table(
            ("argument", "type", "required", "description"),
            [(code(p.names[0]), p.type, "yes" if p.required else "no", p.help) for p in arguments],
        )
    if options:
        lines += ["**Options**", ""]
        rows = []
        for p in options:
            names = ", ".join(code(n) for n in p.names)
            kind = p.type + (", repeatable" if p.repeatable else "")
            default = code(p.default) if p.default else ""
            rows.append((names, kind, default, p.help))
        lines += table(("option", "type", "default", "description"), rows)
    if doc.subcommands:
        lines += ["**Commands**", ""]
        lines += [
            f"- [`{doc.path} {name}`](#{_anchor(f'{doc.path} {name}')})" for name in doc.subcommands
        ]
        lines += [""]
    lines += _epilog(doc.epilog)
    return lines


def cli_reference(app: typer.Typer | None = None) -> str:
    """The CLI reference page (Markdown) of ``app`` (default: ``stacsync.cli:app``)."""
    commands = cli_commands(app)
    lines = [
        "# Command line reference",
        "",
        GENERATED_NOTE.format(source="the typer application `stacsync.cli:app`"),
        "Results go to stdout (text, or JSON with `--json`); progress, logs and errors go to "
        "stderr. Exit codes: `0` ok, `1` finished with failures, `2` usage or configuration "
        "error, `3` a provider refused the credentials. Every command also reads the "
        "[settings and environment variables](configuration.md).",
        "",
    ]
    for doc in commands:
        lines += _command_markdown(doc, level=2 if doc.path.count(" ") <= 1 else 3)
    return "\n".join(lines).rstrip() + "\n"
