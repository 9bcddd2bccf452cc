"""Registers the project's tasks through the ``register_tasks`` hook, as any plugin would."""

import importlib

from mteb_redundancy.hookspecs import hookimpl

# Each module lists its task classes in ``TASKS``.
TASK_MODULES = (
    "mteb_redundancy_tasks.classification",
    "mteb_redundancy_tasks.redundancy",
    "mteb_redundancy_tasks.displacement",
    "mteb_redundancy_tasks.clustering",
    "mteb_redundancy_tasks.retrieval",
    "mteb_redundancy_tasks.sts",
    "mteb_redundancy_tasks.bbc_news",
)


@hookimpl
def register_tasks(register):
    for module_name in TASK_MODULES:
        for task_class in importlib.import_module(module_name).TASKS:
            register(task_class)
