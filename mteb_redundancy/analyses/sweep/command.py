"""``mteb-redundancy sweep``: score every embedding dimension d from one full-dimension encoding.

    mteb-redundancy sweep -m sentence-transformers/all-MiniLM-L6-v2 --prompt none \\
        --dims 2,4,8,16,32,64,128,full --reduction first --reduction random \\
        -t WikiTopicClassification WikiTopicClustering WikiRetrieval STSBenchmarkOffline

Each (model, prompt, reduction, d) variant is evaluated by MTEB's own evaluators and written as an
ordinary MTEB result file under the variant's registered name (``<output-folder>/results/...``, as
``mteb run -m "<variant>" --output-folder <output-folder>`` would write it). Results already there are
kept and not recomputed, so an interrupted sweep continues where it stopped. The figure (mean score
per task type against d, one line per model/prompt/reduction) goes to ``--plot`` as PNG and SVG,
with the same numbers as Markdown and CSV beside it.
"""

from __future__ import annotations

import argparse
import sys

from mteb_redundancy.analyses.options import add_run_options, split_list


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "sweep",
        help="evaluate every embedding dimension d from one encoding, and plot score against d",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-m", "--model", dest="models", action="append", required=True, metavar="MODEL_ID",
                        help="a registered base model id (repeat for several models: one figure)")
    parser.add_argument("--prompt", dest="prompts", action="append", metavar="STYLE",
                        help="prompt style(s): any the model registered, a plugin's included (`mteb-redundancy "
                             "models` lists them; repeatable or comma-separated; default: none)")
    parser.add_argument("--dims", default="2,4,8,16,32,64,128,full",
                        help="comma-separated dimensions; 'full' is the model's own (default: %(default)s)")
    parser.add_argument("--reduction", dest="reductions", action="append", metavar="METHOD",
                        help="first, random or pca (repeatable or comma-separated; default: first)")
    parser.add_argument("--quantization", dest="quantizations", action="append", metavar="Q",
                        help="float32, int8 or binary (repeatable or comma-separated; default: float32)")
    parser.add_argument("-t", "--tasks", nargs="+", required=True, metavar="TASK",
                        help="MTEB task names (the project's offline tasks or MTEB's own)")
    add_run_options(parser, figure="sweep")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, rest: list[str]) -> int:
    from mteb_redundancy.analyses.sweep.engine import SweepError, run_sweep
    from mteb_redundancy.analyses.sweep.plots import checked_report_path, write_sweep_report
    from mteb_redundancy.models.variants import UnknownModelError

    try:  # every output path before any encoding
        plot = checked_report_path(args.output_folder, args.plot, "sweep.png")
    except ValueError as error:
        print(f"mteb-redundancy sweep: error: {error}", file=sys.stderr)
        return 2
    try:
        result = run_sweep(
            models=args.models,
            prompts=split_list(args.prompts) or ["none"],
            dims=split_list([args.dims]),
            reductions=split_list(args.reductions) or ["first"],
            quantizations=split_list(args.quantizations) or ["float32"],
            tasks=split_list(args.tasks),
            output_folder=args.output_folder,
            device=args.device,
            batch_size=args.batch_size,
            show_progress=not args.no_progress,
            precision=args.precision,
        )
    except (SweepError, UnknownModelError) as error:
        print(f"mteb-redundancy sweep: error: {error}", file=sys.stderr)
        return 2
    written = write_sweep_report(result, plot, title="Score against embedding dimension")
    print(result.to_markdown())
    evaluated = {(row.variant, row.task): row.status for row in result.rows}
    computed = sum(status == "computed" for status in evaluated.values())
    print(
        f"\n{computed} results computed, {len(evaluated) - computed} found in {args.output_folder}; "
        f"{result.texts_encoded} texts encoded.",
        file=sys.stderr,
    )
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0
