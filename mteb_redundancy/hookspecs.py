"""The hooks through which mteb-redundancy and third-party plugins add models and tasks.

A plugin is a module (or object) with functions marked ``@hookimpl`` whose names are the hook
names below. Each hook receives a ``register`` callback; calling it adds one thing. A plugin
distributes itself with an entry point in the group ``mteb_redundancy``::

    [project.entry-points.mteb_redundancy]
    my_models = "my_package.plugin"
"""

import pluggy

PROJECT_NAME = "mteb_redundancy"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_models(register):
    """Add embedding models.

    Call ``register(spec)`` with a ``mteb_redundancy.ModelSpec`` for each base model. Every prompt
    style and reduced dimension the spec declares becomes its own MTEB model name, e.g.
    ``org/model (prompt=prefix, dim=64)``.
    """


@hookspec
def register_model_sources(register):
    """Say where a model's weights are, for machines without the model hub.

    Call ``register(model_id, path, revision=None, weights=None)``: loading ``model_id`` then reads
    ``path`` (a folder that ``SentenceTransformer(path)`` or ``AutoModel.from_pretrained(path)``
    accepts) instead of downloading. ``path`` may also be a callable returning that folder, called
    when the model is loaded, for weights that must be produced first (converted from GGUF, say);
    keep registration itself cheap. ``revision`` names the hub commit those files are, so that
    results and caches record the true revision; ``weights`` says how the files differ from that
    commit (``"gguf:model.Q4_1.gguf"``), which keeps their cached embeddings apart.
    """


@hookspec
def register_tasks(register):
    """Add MTEB tasks.

    Call ``register(task_class)`` with an ``mteb.AbsTask`` subclass that has a ``metadata``
    attribute; ``mteb run -t <metadata.name>`` then finds it.
    """
