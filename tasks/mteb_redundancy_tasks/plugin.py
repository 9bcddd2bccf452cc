"""Registers the project's tasks through the ``register_tasks`` hook, as any plugin would."""

from mteb_redundancy.hookspecs import hookimpl


@hookimpl
def register_tasks(register):
    from mteb_redundancy_tasks.classification import WikiTopicClassification

    register(WikiTopicClassification)
