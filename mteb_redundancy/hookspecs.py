"""The hooks through which mteb-redundancy and third-party plugins add models, tasks, prompt styles,
backends, estimators and commands.

A plugin is a module (or object) with functions marked ``@hookimpl`` whose names are the hook
names below. Each ``register_*`` hook but ``register_commands`` receives a ``register`` callback;
calling it adds one thing. The project's own models, styles, backends, tasks and commands are
registered through these same hooks (``mteb_redundancy.default_plugins``). A plugin
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


@hookspec
def register_prompt_styles(register):
    """Add prompt styles: how a text reaches a model.

    Call ``register(style)`` with a ``mteb_redundancy.PromptStyle`` instance. Its ``name`` becomes a
    ``prompt=<name>`` option of variant names and a value of ``ModelSpec.prompt_styles``; its
    ``prompt(...)`` gives the prompt for a task and side, its ``condition_prompt(...)`` the prompt of
    an instruction-displacement condition.
    """


@hookspec
def register_backends(register):
    """Add backends: what runs a model and turns prompted texts into vectors.

    Call ``register(name, factory)``. ``factory(spec, location, device)`` returns a backend with
    ``load()``, ``embed_dim`` and ``encode(texts, prompt, batch_size) -> numpy array``;
    ``ModelSpec(backend=name)`` selects it. Import heavy libraries inside the factory, not at the
    plugin's top, so that registration stays cheap.
    """


@hookspec
def register_estimators(register):
    """Add estimators: statistics of a point cloud (intrinsic dimension, isotropy).

    Call ``register(estimator)`` with a ``mteb_redundancy.estimators.registry.Estimator``: its
    ``name`` (lower case; result columns are ``<name>_<prompt type>``), ``label`` (for tables),
    ``family`` (``"intrinsic_dimension"`` or ``"isotropy"``), ``compute(X, neighbours=None) -> float``,
    ``n_neighbors`` (nearest neighbours it needs from the shared core; 0: none), ``scale_free``,
    ``reference`` (the implementation it equals, with its settings) and ``digits``. Every Redundancy
    result then reports it per prompt type with its interval and paired differences, along the
    ``by_dimension`` curves, and ``recommend --predictor <name>`` can use it. A later plugin's
    estimator replaces an earlier one of the same name. Keep ``compute`` pure numpy where you can.
    """


@hookspec
def register_commands(commands):
    """Add sub-commands to the ``mteb-redundancy`` command line.

    ``commands`` is the ``argparse`` sub-parsers object: call ``commands.add_parser(name, ...)``,
    add the command's arguments, and ``set_defaults(handler=function)``; ``function(args, rest)``
    returns the exit code.
    """
