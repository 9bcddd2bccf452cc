"""Registers the project's tasks through the ``register_tasks`` hook, as any plugin would."""

from mteb_redundancy.hookspecs import hookimpl


@hookimpl
def register_tasks(register):
    # Imported here, not at the top: task modules import mteb, and registration may run while mteb
    # itself is being imported.
    from mteb_redundancy_tasks import (
        bbc_news,
        classification,
        clustering,
        corpora,
        displacement,
        redundancy,
        retrieval,
        sts,
    )

    for module in (classification, redundancy, corpora, displacement, clustering, retrieval, sts, bbc_news):
        for task_class in module.TASKS:
            register(task_class)
