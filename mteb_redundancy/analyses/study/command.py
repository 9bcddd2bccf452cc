"""``mteb-redundancy study``: the whole of Tsukagoshi & Sasano (2025) for one model, one report folder.

    mteb-redundancy study -m nomic-ai/nomic-embed-text-v1.5 --prompt prefix --output-folder study/

Redundancy per prompt type (with intervals and the paper's figures beside), the dimension sweep
(first d and random d) on the offline classification, clustering, retrieval and STS tasks, and
instruction displacement; ``study/report.md`` with PNG and SVG figures and CSV tables. Results are
ordinary MTEB result files under ``study/results``; a second run encodes nothing.
"""

from __future__ import annotations

import argparse
import sys

from mteb_redundancy.analyses.options import add_model_options, add_output_options, split_list


def add_parser(commands) -> None:
    from mteb_redundancy.analyses.study.engine import (
        DEFAULT_DISPLACEMENT_TASK,
        DEFAULT_REDUNDANCY_TASK,
        DEFAULT_SWEEP_TASKS,
    )

    parser = commands.add_parser(
        "study", help="redundancy, dimension sweeps and displacement for one model, in one report",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-m", "--model", required=True, help="a registered base model id")
    parser.add_argument("--prompt", required=True, help="its prompt style (e.g. prefix, instruction)")
    add_output_options(parser, folder="the report folder (created if missing), with MTEB's result files under results/",
                       folder_default=None)
    parser.add_argument("-t", "--tasks", nargs="+", default=list(DEFAULT_SWEEP_TASKS), help="the sweep's tasks")
    parser.add_argument("--dims", default=None, help="comma-separated dimensions (default: 2, 4, ..., full)")
    parser.add_argument("--reduction", dest="reductions", action="append", help="first, random, pca (default: first and random)")
    parser.add_argument("--redundancy-task", default=DEFAULT_REDUNDANCY_TASK, help="default: %(default)s; 'none' to skip")
    parser.add_argument("--displacement-task", default=DEFAULT_DISPLACEMENT_TASK, help="default: %(default)s; 'none' to skip")
    parser.add_argument("--robustness", action="store_true", help="add the robustness section (`robustness`'s default corpora and sizes)")
    add_model_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, rest: list[str]) -> int:
    from pathlib import Path

    from mteb_redundancy.analyses.study.engine import (
        DEFAULT_DIMS,
        DEFAULT_REDUCTIONS,
        StudyError,
        run_study,
    )
    from mteb_redundancy.analyses.robustness.engine import RobustnessError
    from mteb_redundancy.analyses.sweep.engine import SweepError

    def optional(name):
        return None if name.strip().lower() == "none" else name

    try:
        result = run_study(
            args.model,
            args.prompt,
            Path(args.output_folder),
            tasks=split_list(args.tasks),
            dims=split_list([args.dims]) if args.dims else DEFAULT_DIMS,
            reductions=split_list(args.reductions) or list(DEFAULT_REDUCTIONS),
            redundancy_task=optional(args.redundancy_task),
            displacement_task=optional(args.displacement_task),
            device=args.device,
            batch_size=args.batch_size,
            precision=args.precision,
            show_progress=not args.no_progress,
            robustness=True if args.robustness else None,
        )
    except (StudyError, SweepError, RobustnessError) as error:
        print(f"mteb-redundancy study: error: {error}", file=sys.stderr)
        return 2
    for path in result.files:
        print(f"wrote {path}")
    print(f"{result.texts_encoded} texts encoded.", file=sys.stderr)
    return 0
