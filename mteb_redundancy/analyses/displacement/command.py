"""``mteb-redundancy displacement-map``: Ogawa et al.'s cross-model map of instruction displacement.

    mteb-redundancy displacement-map -m "<model A>" -m "<model B>" --plot map.png [--reference NAME]
        [--k 200] [--table out.md|out.csv] [--task InstructionDisplacementWiki] [--points configuration|centroid]

Embeds the task's queries under its conditions with every model (from the embedding cache where
``mteb run -t <task>`` already put them), aligns the models (``mteb_redundancy.analyses.displacement.map``) and
writes the MDS map to ``--plot``, the model-pair distance heatmap next to it
(``<stem>-distances<suffix>``) and, with ``--table``, the distances and points as Markdown or CSV.
"""

from __future__ import annotations

import argparse
import sys

from mteb_redundancy.analyses.options import add_model_options, add_output_options


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "displacement-map",
        help="map how instructions move several models' embeddings (Ogawa et al. Figure 1)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-m", "--model", dest="models", action="append", required=True, metavar="NAME",
                        help="a registered variant name (repeat for each model)")
    add_output_options(parser, folder=None, figure="the map figure: .png, .svg or .pdf", figure_required=True,
                       table="also write the distances and points: .md or .csv")
    parser.add_argument("--reference", help="the model to align onto (default: least mean distance to the others)")
    parser.add_argument("--k", type=int, default=None, help="PCA dimension per model (default: the task's, 200)")
    parser.add_argument("--task", default=None, help="the InstructionDisplacement task whose queries and conditions to use "
                        "(default: InstructionDisplacementWiki)")
    parser.add_argument("--points", choices=("configuration", "centroid"), default="configuration",
                        help="a map point is a model's whole query configuration under a condition (default), or its centroid")
    parser.add_argument("--pca-fit", choices=("base", "all"), default="base",
                        help="fit each model's PCA on its base condition (default, as Ogawa et al.) or on all conditions")
    add_model_options(parser)
    parser.set_defaults(handler=run)


def _fail(message: str) -> int:
    print(f"mteb-redundancy displacement-map: error: {message}", file=sys.stderr)
    return 2


def _check_models(names: list[str]) -> tuple[list[str], str | None]:
    """The registered (canonical) names of the models, and ``None`` if every name is a variant (in
    any spelling), else the error to show (with close names)."""
    import mteb

    from mteb_redundancy.models.variants import (
        UnknownModelError,
        load_variant,
        result_variant_name,
        suggest_names,
    )

    problems, canonical = [], []
    for name in names:
        try:
            meta = mteb.get_model_meta(name)
        except UnknownModelError as error:
            problems.append(f"-m {name!r}: {error}")
            continue
        except (KeyError, ValueError) as error:
            message = error.args[0] if error.args else str(error)
            problems.append(f"-m {name!r}: {message} {suggest_names(name)}".strip())
            continue
        if meta.loader is not load_variant:
            problems.append(f"-m {name!r} is an MTEB model, not an mteb-redundancy variant. {suggest_names(name)}")
            continue
        canonical.append(result_variant_name(meta.name, meta))
    if len(set(canonical)) != len(canonical):
        problems.append(f"a model is named twice: {names}.")
    return canonical, "\n".join(problems) or None


def run(args: argparse.Namespace, rest: list[str]) -> int:
    from pathlib import Path

    from mteb_redundancy.analyses.displacement.conditions import DEFAULT_TASK
    from mteb_redundancy.analyses.displacement.map import (
        build_displacement_map,
        collect_embeddings,
        task_inputs,
        write_map_table,
    )
    from mteb_redundancy.analyses.displacement.plots import (
        check_figure_path,
        heatmap_path,
        plot_distance_heatmap,
        plot_map,
    )

    try:
        out = check_figure_path(args.plot)
        if args.table and Path(args.table).suffix.lower() not in (".md", ".csv"):
            return _fail(f"--table must end in .md or .csv; got {args.table!r}.")
        if args.k is not None and args.k < 1:
            return _fail(f"--k must be a positive whole number; got {args.k}.")
    except ValueError as error:
        return _fail(str(error))
    models, problem = _check_models(args.models)
    if problem:
        return _fail(problem)
    reference = args.reference
    if reference is not None and reference not in args.models and reference not in models:
        import difflib

        spelled = _check_models([reference])[0]  # the reference in another spelling of a -m model
        if spelled and spelled[0] in models:
            reference = spelled[0]
        else:
            close = difflib.get_close_matches(reference, models, n=3, cutoff=0.3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            return _fail(f"--reference {reference!r} is not one of the -m models.{hint}")
    elif reference in args.models:
        reference = models[args.models.index(reference)]
    args.models = models
    try:
        inputs = task_inputs(args.task or DEFAULT_TASK)
    except (KeyError, ValueError) as error:
        return _fail(error.args[0] if error.args else str(error))

    embeddings = collect_embeddings(
        args.models, inputs, device=args.device, batch_size=args.batch_size, precision=args.precision,
        show_progress=not args.no_progress,
    )
    try:
        result = build_displacement_map(
            embeddings,
            base_condition=inputs.base_condition,
            k=args.k or inputs.pca_dim,
            reference=reference,
            points=args.points,
            pca_fit=args.pca_fit,
        )
    except ValueError as error:
        return _fail(str(error))
    written = [plot_map(result, out), plot_distance_heatmap(result, heatmap_path(out))]
    if args.table:
        written += write_map_table(result, args.table)
    print(f"Reference model: {result.reference} ({result.reference_chosen}); PCA k = {result.k_common}; "
          f"MDS stress-1 = {result.stress:.4f}")
    for path in written:
        print(f"wrote {path}")
    return 0
