"""The built-in sub-commands of ``mteb-redundancy``, registered through the ``register_commands``
hook as a plugin's would be: ``run``, ``models``, ``plugins``, ``tasks``, ``add-model``, and each
analysis's own commands."""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict

from mteb_redundancy.hookspecs import hookimpl


def _registered():
    import mteb  # noqa: F401  (importing mteb registers the plugins through the import hook)

    from mteb_redundancy.registration import register_all

    register_all()
    from mteb_redundancy.plugins import get_registry

    return get_registry()


def _cmd_run(args: argparse.Namespace, rest: list[str]) -> int:
    _registered()
    from mteb.cli import main as mteb_main

    sys.argv = ["mteb", "run", *rest]
    mteb_main()
    return 0


def _cmd_models(args: argparse.Namespace, rest: list[str]) -> int:
    registry = _registered()
    from mteb_redundancy.models.variants import load_variant
    from mteb_redundancy.mteb_bridge.registries import metas_loaded_by

    variants: dict[str, list[str]] = defaultdict(list)
    for name, meta in metas_loaded_by(load_variant).items():
        # A variant's meta carries its base model's name; the options are its experiment_kwargs.
        variants[meta.name].append(name)
    for model_id, spec in sorted(registry.models.items()):
        if args.filter and args.filter.lower() not in model_id.lower():
            continue
        source = registry.source_for(model_id)
        where = f"weights: {source.path} (plugin {source.plugin})" if source else "weights: Hugging Face hub"
        print(f"{model_id}  [plugin {registry.model_plugins[model_id]}; {where}]")
        print(f"    prompt styles: {', '.join(spec.prompt_styles)}; {len(variants[model_id])} registered variants")
        if args.all:
            for name in sorted(variants[model_id]):
                print(f"    {name}")
    return 0


def _cmd_plugins(args: argparse.Namespace, rest: list[str]) -> int:
    registry = _registered()
    if args.check is not None:
        return _check_plugins(args.check or None)
    for name in registry.plugins:
        print(name)
    for error in registry.errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if registry.errors else 0


def _check_plugins(plugin: str | None) -> int:
    from mteb_redundancy.registration import check_plugins

    try:
        report = check_plugins(plugin)
    except ValueError as error:
        print(f"mteb-redundancy plugins: error: {error}", file=sys.stderr)
        return 2
    for failure in report.failures:
        print(f"FAIL {failure}")
    checked = f"{len(report.tasks)} tasks and {len(report.models)} model variants of {f'plugin {plugin!r}' if plugin else 'every plugin'}"
    if report.failures:
        print(f"{len(report.failures)} of MTEB's checks failed on {checked}.")
        return 1
    print(f"{checked.capitalize()} pass MTEB's offline metadata checks.")
    return 0


def _cmd_tasks(args: argparse.Namespace, rest: list[str]) -> int:
    registry = _registered()
    for name, task in sorted(registry.tasks.items()):
        print(f"{name}  [{task.metadata.type}; plugin {registry.task_plugins[name]}]")
    return 0


def _cmd_add_model(args: argparse.Namespace, rest: list[str]) -> int:
    from mteb_redundancy.default_plugins.user_models import add_entry

    entry = {
        "id": args.model_id,
        "path": args.path,
        "revision": args.revision,
        "prompt_styles": args.prompt or ["none"],
        "dims": args.dims or None,
        "embed_dim": args.embed_dim,
        "trust_remote_code": True if args.trust_remote_code else None,
    }
    try:
        path = add_entry({k: v for k, v in entry.items() if v is not None})
    except ValueError as error:
        print(f"mteb-redundancy add-model: error: {error}", file=sys.stderr)
        return 2
    print(f"Added {args.model_id} to {path}. `mteb-redundancy models --filter {args.model_id}` lists its variants.")
    return 0


def _dims(value: str) -> list[int]:
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--dims takes whole numbers separated by commas, got {value!r}") from None



@hookimpl
def register_commands(commands):
    from mteb_redundancy.analyses.displacement import command as displacement
    from mteb_redundancy.analyses.recommend import command as recommend
    from mteb_redundancy.analyses.redundancy import command as redundancy
    from mteb_redundancy.analyses.robustness import command as robustness
    from mteb_redundancy.analyses.study import command as study
    from mteb_redundancy.analyses.sweep import command as sweep
    from mteb_redundancy.engines import command as encode

    for module in (redundancy, displacement, sweep, study, robustness, recommend, encode):
        module.add_parser(commands)

    run = commands.add_parser("run", help="`mteb run` with mteb-redundancy's models and tasks", add_help=False)
    run.set_defaults(handler=_cmd_run)

    models = commands.add_parser("models", help="list registered models and their variants")
    models.add_argument("--filter", help="only model ids containing this text")
    models.add_argument("--all", action="store_true", help="list every variant name")
    models.set_defaults(handler=_cmd_models)

    plugins = commands.add_parser("plugins", help="list loaded plugins and the errors of broken ones")
    plugins.add_argument(
        "--check", nargs="?", const="", default=None, metavar="NAME",
        help="run MTEB's offline task-metadata and model-meta checks over everything one plugin (or, "
        "without NAME, every plugin) registers; exit code 1 if any fails",
    )
    plugins.set_defaults(handler=_cmd_plugins)

    tasks = commands.add_parser("tasks", help="list the tasks plugins registered")
    tasks.set_defaults(handler=_cmd_tasks)

    add = commands.add_parser("add-model", help="make a hub id or local folder reachable as variants")
    add.add_argument("model_id", help="the name to use, 'org/name'")
    add.add_argument("--path", help="a local folder with the weights")
    add.add_argument("--revision")
    add.add_argument("--prompt", action="append", help="a prompt style to expose (repeatable)")
    add.add_argument("--dims", type=_dims, help="extra dimensions, e.g. 48,96")
    add.add_argument("--embed-dim", type=int, help="full dimension, to pre-register reduced variants")
    add.add_argument("--trust-remote-code", action="store_true", help="run the model's own code (only if you trust it)")
    add.set_defaults(handler=_cmd_add_model)
