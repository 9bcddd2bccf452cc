"""The conditions of the instruction-displacement analysis (Ogawa et al. 2025, Table 2) and the checks on
conditions and queries. No MTEB import."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mteb_redundancy.models.prompts import get_style, registered_styles
from mteb_redundancy.models.styles import (
    INSTRUCTION_TEMPLATE,
    INSTRUCTOR_TEMPLATE,
    TASK_TYPE_INSTRUCTIONS,
    Prompt,
    PromptTables,
)

DEFAULT_TASK = "InstructionDisplacementWiki"
TASK_TYPE = "InstructionDisplacement"

# The conditions of the instruction-displacement analysis, in order, each with its instruction:
# Ogawa et al. (2025), Table 2 (English rendering; ``TASK_TYPE_INSTRUCTIONS``, the one copy of it),
# after the base condition (``None``: the text as is). A task or a user file may replace this table
# (see ``mteb_redundancy_tasks.displacement``).
DISPLACEMENT_CONDITIONS: dict[str, str | None] = {
    "Base": None,
    **{("STS" if kind == "sts" else kind.capitalize()): instruction for kind, instruction in TASK_TYPE_INSTRUCTIONS.items()},
}


# --------------------------------------------------------------------------------------------
# conditions and prompts
# --------------------------------------------------------------------------------------------
def validate_conditions(conditions: Mapping[str, str | None] | None) -> dict[str, str | None]:
    """An ordered copy of a condition table (name -> instruction, ``None`` = the base condition),
    checked: at least one instructed condition, exactly one base, names and instructions non-empty."""
    table = dict(DISPLACEMENT_CONDITIONS if conditions is None else conditions)
    if len(table) < 2:
        raise ValueError(
            f"A displacement analysis needs a base condition and at least one instructed condition; got "
            f"{list(table)}. Example: {{'Base': None, 'STS': 'Retrieve semantically similar text'}}."
        )
    for name, instruction in table.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"Condition names must be non-empty strings; got {name!r}.")
        if instruction is not None and (not isinstance(instruction, str) or not instruction.strip()):
            raise ValueError(
                f"Condition {name!r} has instruction {instruction!r}; give a non-empty string, or null/None "
                f"for the base condition (the text as is)."
            )
    base_condition_of(table)
    return table


def base_condition_of(conditions: Mapping[str, str | None]) -> str:
    """The one condition whose instruction is ``None``."""
    bases = [name for name, instruction in conditions.items() if instruction is None]
    if len(bases) != 1:
        raise ValueError(
            f"Exactly one condition must have no instruction (None/null): it is the base the others are "
            f"measured from. Found {len(bases)}: {bases or 'none'} among {list(conditions)}."
        )
    return bases[0]


def condition_kind(condition: str) -> str | None:
    """The task kind a condition is named after (``"STS"`` -> ``"sts"``), for prefix models."""
    kind = condition.strip().lower()
    return kind if kind in TASK_TYPE_INSTRUCTIONS else None


def condition_prompts(encoder, conditions: Mapping[str, str | None]) -> dict[str, object]:
    """The prompt of every condition for a prompt-aware encoder (``encoder.condition_prompt``)."""
    return {name: encoder.condition_prompt(instruction, condition_kind(name)) for name, instruction in conditions.items()}


def prompts_for_style(
    style: str,
    conditions: Mapping[str, str | None],
    *,
    prefixes: Mapping[str, str] | None = None,
    instruction_template: str | None = None,
    instructor_template: str | None = None,
    demonstrations=None,
) -> dict[str, Prompt]:
    """The prompt of every condition under one prompt style (see ``PromptStyle.condition_prompt``)."""
    tables = PromptTables(
        prefixes or {}, {}, instruction_template or INSTRUCTION_TEMPLATE, instructor_template or INSTRUCTOR_TEMPLATE, demonstrations
    )
    chosen = get_style(style)
    return {name: chosen.condition_prompt(tables, instruction, condition_kind(name)) for name, instruction in conditions.items()}


def instruction_slot(style: str) -> bool:
    """Whether ``style`` has a slot an instruction fills (False for a style no plugin registered)."""
    found = registered_styles().get(style)
    return bool(found and found.instruction_slot)


# --------------------------------------------------------------------------------------------
# embedding
# --------------------------------------------------------------------------------------------
def check_queries(queries: Sequence[str]) -> list[str]:
    """Queries as a list of distinct, non-empty strings, or a ValueError saying what to fix."""
    queries = list(queries)
    if len(queries) < 2:
        raise ValueError(f"A displacement analysis needs at least 2 queries; got {len(queries)}.")
    bad = [i for i, q in enumerate(queries) if not isinstance(q, str) or not q.strip()]
    if bad:
        raise ValueError(f"Queries must be non-empty strings; entries {bad[:10]} are not. Remove them.")
    seen: dict[str, int] = {}
    duplicates = []
    for i, query in enumerate(queries):
        if query in seen:
            duplicates.append(f"{query!r} (entries {seen[query]} and {i})")
        seen.setdefault(query, i)
    if duplicates:
        raise ValueError(
            f"{len(duplicates)} duplicate queries: {'; '.join(duplicates[:5])}. Each query must occur once, "
            f"or it would count twice in every displacement."
        )
    return queries


