"""Prompt styles by name: the registered :class:`~mteb_redundancy.models.styles.PromptStyle` called
``name``, and the prompt it gives a task's texts or a displacement condition.

``models.styles`` defines the styles and the papers' tables and imports nothing of the project, so
that ``ModelSpec`` and the plugin manager can use them; the styles a plugin adds are in the plugin
registry, which this module reads.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from mteb_redundancy.models.styles import INSTRUCTION_TEMPLATE, INSTRUCTOR_TEMPLATE, Prompt, PromptStyle, PromptTables
from mteb_redundancy.plugins import get_registry


def registered_styles() -> dict[str, PromptStyle]:
    """Every style the plugins registered (the built-in ones through the same hook)."""
    return get_registry().styles


def get_style(name: str) -> PromptStyle:
    """The registered style called ``name``; an unknown name is a ``ValueError`` naming the close ones."""
    styles = registered_styles()
    if name not in styles:
        close = difflib.get_close_matches(str(name), list(styles), n=2)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"Unknown prompt style {name!r};{hint} choose one of {', '.join(styles)}.")
    return styles[name]


def resolve_prompt(
    style: str,
    *,
    task_name: str,
    task_type: str,
    side: str | None,
    prefixes: Mapping[str, str] | None = None,
    instructions: Mapping[str, str] | None = None,
    instruction_template: str = INSTRUCTION_TEMPLATE,
    instructor_template: str = INSTRUCTOR_TEMPLATE,
    demonstrations: Sequence[Sequence[str]] | None = None,
    task_prompt: str | None = None,
) -> Prompt:
    """The prompt a text gets under ``style`` for a task of ``task_type`` on ``side`` (``"query"``,
    ``"document"`` or ``None``); the tables override the papers' defaults (see :class:`PromptTables`)."""
    tables = PromptTables(prefixes or {}, instructions or {}, instruction_template, instructor_template, demonstrations)
    return get_style(style).prompt(tables, task_name=task_name, task_type=task_type, side=side, task_prompt=task_prompt)


def condition_prompt(
    style: str,
    instruction: str | None,
    *,
    kind: str | None = None,
    prefixes: Mapping[str, str] | None = None,
    instruction_template: str = INSTRUCTION_TEMPLATE,
    instructor_template: str = INSTRUCTOR_TEMPLATE,
    demonstrations: Sequence[Sequence[str]] | None = None,
) -> Prompt:
    """The prompt a query gets under one displacement condition (see :meth:`PromptStyle.condition_prompt`)."""
    tables = PromptTables(prefixes or {}, {}, instruction_template, instructor_template, demonstrations)
    return get_style(style).condition_prompt(tables, instruction, kind)
