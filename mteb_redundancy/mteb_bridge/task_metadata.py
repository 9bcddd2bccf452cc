"""``ExtendedTaskMetadata``: MTEB's ``TaskMetadata`` with task types of the project's own, and with
descriptive statistics shipped in the task's own package.

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
from pathlib import Path
from typing import ClassVar, get_args

from mteb.abstasks.task_metadata import SimplifiedTaskType, TaskMetadata, TaskType
from pydantic import PrivateAttr, field_validator


class ExtendedTaskMetadata(TaskMetadata):
    """A ``TaskMetadata`` whose ``type`` may also be one of the subclass's ``extra_types``."""

    extra_types: ClassVar[Mapping[str, SimplifiedTaskType]] = {}

    type: str  # type: ignore[assignment]  # MTEB's TaskType, widened by extra_types
    _statistics_folder: Path | None = PrivateAttr(default=None)

    def with_statistics_folder(self, folder: str | Path):
        """Read (and write) the descriptive statistics as ``<folder>/<type>/<name>.json``, a file of
        the task's own package, instead of in MTEB's ``mteb/descriptive_stats``. MTEB requires them of
        every registered task (its ``test_all_metadata_is_filled_and_valid``);
        ``task.calculate_descriptive_statistics()`` writes them there. Returns the metadata."""
        self._statistics_folder = Path(folder)
        return self

    @property
    def descriptive_stat_path(self) -> Path:
        if self._statistics_folder is None:
            return super().descriptive_stat_path
        return self._statistics_folder / str(self.type) / f"{self.name}.json"

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
