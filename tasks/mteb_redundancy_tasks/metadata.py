"""Where the tasks' descriptive statistics are: ``descriptive_stats/<type>/<name>.json`` in this
package (MTEB asks them of every registered task). After changing a task's data, write them again with
``mteb.get_task(name).calculate_descriptive_statistics(overwrite_results=True)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mteb_redundancy.mteb_bridge.task_metadata import ExtendedTaskMetadata

STATISTICS_FOLDER = Path(__file__).parent / "descriptive_stats"


def offline_metadata(metadata_class: type[ExtendedTaskMetadata] = ExtendedTaskMetadata, **fields: Any) -> ExtendedTaskMetadata:
    """A task's metadata (``metadata_class``, MTEB's task types or the project's), whose descriptive
    statistics are this package's."""
    return metadata_class(**fields).with_statistics_folder(STATISTICS_FOLDER)
