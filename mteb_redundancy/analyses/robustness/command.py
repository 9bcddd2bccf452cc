"""``mteb-redundancy robustness``: Tsukagoshi & Sasano's (2025) redundancy claims under every corpus, size and estimator.

    mteb-redundancy robustness -m nomic-ai/nomic-embed-text-v1.5 --prompt prefix --output-folder robustness/

For one model and prompt style: every registered estimator on every corpus at every number of texts m
(nested subsamples), with paired split-half intervals from one encoding per corpus and prompt. Writes
robustness.md, the verdict table (verdicts.csv), the size curves (size_curves.csv, size_curves.png), the
grid of verdicts (verdicts.png) and robustness.json. Each verdict (holds, reversed, undecided) holds for
its corpus, m and estimator only; each interval covers the expectation of the estimate at that m.
A second run encodes nothing (the embedding cache).
"""

from __future__ import annotations

import argparse
import sys

from mteb_redundancy.analyses.options import add_model_options, add_output_options, split_list


def add_parser(commands) -> None:
    from mteb_redundancy.analyses.robustness.engine import DEFAULT_SIZES

    parser = commands.add_parser(
        "robustness", help="the paper's claims per corpus, size and estimator: verdicts, size curves, figures",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-m", "--model", required=True, help="a registered base model id")
    parser.add_argument("--prompt", required=True, help="its prompt style (e.g. prefix, instruction)")
    parser.add_argument("--corpora", nargs="+", help="Redundancy tasks (default: the registered ...Small ones)")
    parser.add_argument("--texts", action="append", metavar="FILE",
                        help="a file of texts to measure as a corpus (one per line, or .jsonl with a 'text' field); "
                             "repeatable; without --corpora only the files are measured")
    parser.add_argument("--sizes", nargs="+",
                        help=f"numbers of texts m, or 'all' (default: {', '.join(map(str, DEFAULT_SIZES))} below each "
                             "corpus's size, and all its texts)")
    parser.add_argument("--prompt-types", nargs="+",
                        help="prompt types to measure, or 'all' (default: those the claims compare: retrieval_query, "
                             "classification, clustering)")
    parser.add_argument("--estimators", nargs="+", help="estimator names (default: every registered one)")
    add_output_options(parser, folder="the report folder", folder_default="robustness")
    parser.add_argument("--n-resamples", type=int, default=200, help="split-half resamples per interval (default: %(default)s)")
    add_model_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, rest: list[str]) -> int:
    from mteb_redundancy.analyses.robustness.engine import RobustnessError, run_robustness

    corpora = split_list(args.corpora)
    if args.texts:
        from mteb_redundancy_tasks.redundancy import redundancy_task_from_file

        try:
            corpora += [redundancy_task_from_file(path)() for path in args.texts]
        except (FileNotFoundError, ValueError) as error:
            return _fail(error)
    try:
        result = run_robustness(
            args.model,
            args.prompt,
            args.output_folder,
            corpora=corpora or None,
            sizes=split_list(args.sizes) or None,
            estimators=split_list(args.estimators) or None,
            prompt_types=split_list(args.prompt_types) or None,
            n_resamples=args.n_resamples,
            batch_size=args.batch_size,
            device=args.device,
            precision=args.precision,
            show_progress=not args.no_progress,
        )
    except RobustnessError as error:
        return _fail(error)
    for path in result.files:
        print(f"wrote {path}")
    print(f"{result.texts_encoded} texts encoded.", file=sys.stderr)
    return 0


def _fail(error: Exception) -> int:
    print(f"mteb-redundancy robustness: error: {error}", file=sys.stderr)
    return 2
