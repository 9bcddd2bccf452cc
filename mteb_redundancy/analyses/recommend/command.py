"""``mteb-redundancy recommend``: the smallest embedding that keeps a task's score.

    mteb-redundancy recommend -m nomic-ai/nomic-embed-text-v1.5 --prompt prefix \\
        -t WikiTopicClassification WikiTopicClustering WikiRetrieval STSBenchmarkOffline --keep 0.99

Scores every (reduction, d, quantization) from one encoding per (model, prompt, task split) with
MTEB's own evaluators, writes each as an MTEB result (an experiment of the base model), and prints per
task and per task type the configuration with the fewest bytes per vector that keeps at least
``--keep`` of the full-dimension float32 score, with the saving. The figure (relative score against
bytes per vector, one line per method, the Pareto front marked) goes to ``--plot`` as PNG and SVG,
with Markdown and CSV tables beside it. It also reports whether a label-free redundancy measure
(TwoNN ID or IsoScore against d) predicts the d each task needs.
"""

from __future__ import annotations

import argparse
import sys

from mteb_redundancy.analyses.options import add_run_options, split_list


def _keep(value: str) -> float:
    from mteb_redundancy.analyses.recommend.selection import check_keep

    try:
        return check_keep(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "recommend",
        help="the smallest embedding (reduction, d, int8/binary) that keeps a fraction of each task's score",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-m", "--model", required=True, metavar="MODEL_ID", help="a registered base model id")
    parser.add_argument("--prompt", default="none", metavar="STYLE", help="prompt style (default: %(default)s)")
    parser.add_argument("-t", "--tasks", nargs="+", required=True, metavar="TASK", help="MTEB task names")
    parser.add_argument("--keep", type=_keep, default=0.99,
                        help="the fraction of the full float32 score to keep, in (0, 1] (default: %(default)s)")
    parser.add_argument("--dims", default="2,4,8,16,32,64,128,full",
                        help="comma-separated dimensions; 'full' is the model's own (default: %(default)s)")
    parser.add_argument("--reduction", dest="reductions", action="append", metavar="METHOD",
                        help="first, random, pca (repeatable or comma-separated; default: all three)")
    parser.add_argument("--quantization", dest="quantizations", action="append", metavar="Q",
                        help="float32, int8, binary (repeatable or comma-separated; default: all three)")
    parser.add_argument("--predictor", default="twonn",
                        help="the label-free measure whose curve against d is compared: any registered estimator "
                             "(twonn, isoscore, mle, lpca, or a plugin's; default: %(default)s)")
    parser.add_argument("--relative", choices=("plain", "chance"), default="plain",
                        help="relative score: score / full, or chance-corrected (score - chance) / (full - chance) "
                             "(default: %(default)s)")
    add_run_options(parser, figure="recommend")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, rest: list[str]) -> int:
    from mteb_redundancy.analyses.recommend.engine import RecommendError, run_recommend
    from mteb_redundancy.analyses.recommend.report import write_recommend_report
    from mteb_redundancy.analyses.sweep.plots import checked_report_path
    from mteb_redundancy.models.reduction import REDUCTIONS
    from mteb_redundancy.models.variants import UnknownModelError

    try:  # every output path before any encoding
        plot = checked_report_path(args.output_folder, args.plot, "recommend.png")
    except ValueError as error:
        print(f"mteb-redundancy recommend: error: {error}", file=sys.stderr)
        return 2
    try:
        result = run_recommend(
            args.model,
            args.prompt,
            split_list(args.tasks),
            args.keep,
            dims=split_list([args.dims]),
            reductions=split_list(args.reductions) or list(REDUCTIONS),
            quantizations=split_list(args.quantizations) or ["float32", "int8", "binary"],
            output_folder=args.output_folder,
            predictor=args.predictor,
            relative=args.relative,
            device=args.device,
            batch_size=args.batch_size,
            show_progress=not args.no_progress,
            precision=args.precision,
        )
    except (RecommendError, UnknownModelError) as error:
        print(f"mteb-redundancy recommend: error: {error}", file=sys.stderr)
        return 2
    written = write_recommend_report(result, plot)
    print(result.to_markdown())
    evaluated = {(row.variant, row.task): row.status for row in result.sweep.rows}
    computed = sum(status == "computed" for status in evaluated.values())
    print(
        f"\n{computed} results computed, {len(evaluated) - computed} found in {args.output_folder}; "
        f"{result.texts_encoded} texts encoded.",
        file=sys.stderr,
    )
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0
