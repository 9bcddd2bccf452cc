"""``ExtendedTaskMetadata``: MTEB's ``TaskMetadata`` with task types of the project's own.

``TaskMetadata.type`` is a closed ``Literal`` and ``simplified_task_type`` looks the type up in a
fixed table (docs/methods.md: MTEB). A task type module subclasses this class and lists its types with
the simplified type MTEB should see for them (which decides, e.g., whether a wrapper may return
sparse vectors)::

    class InstructionDisplacementMetadata(ExtendedTaskMetadata):
        extra_types = {"InstructionDisplacement": "semantic-similarity"}
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import ClassVar, get_args

from mteb.abstasks.task_metadata import SimplifiedTaskType, TaskMetadata, TaskType
from pydantic import field_validator


class ExtendedTaskMetadata(TaskMetadata):
    """A ``TaskMetadata`` whose ``type`` may also be one of the subclass's ``extra_types``."""

    extra_types: ClassVar[Mapping[str, SimplifiedTaskType]] = {}

    type: str  # type: ignore[assignment]  # MTEB's TaskType, widened by extra_types

    @field_validator("type")
    @classmethod
    def _check_type(cls, value: str) -> str:
        known = (*get_args(TaskType), *cls.extra_types)
        if value not in known:
            close = difflib.get_close_matches(value, known, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValueError(
                f"Unknown task type {value!r} for {cls.__name__}.{hint} Use an MTEB task type or one of "
                f"{', '.join(map(repr, cls.extra_types)) or '(none)'}."
            )
        return value

    @property
    def simplified_task_type(self) -> SimplifiedTaskType:
        if self.type in self.extra_types:
            return self.extra_types[self.type]
        return super().simplified_task_type
