"""``mteb-redundancy encode``: fill the embedding cache for variants and tasks ahead of ``mteb run``,
in this process (``--engine local``, the default) or on a Ray cluster (``--engine ray``)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from mteb_redundancy.analyses.options import add_model_options


def _tasks(names: list[str], texts_files: list[str], text_field: str):
    import mteb

    from mteb_redundancy.registration import register_all

    register_all()
    tasks = []
    for path in texts_files:
        from mteb_redundancy_tasks.redundancy import redundancy_task_from_file

        tasks.append(redundancy_task_from_file(path, text_field=text_field)())
    if names:
        tasks += list(mteb.get_tasks(tasks=names))
    return tasks


def _encode(args: argparse.Namespace, rest: list[str]) -> int:
    from mteb_redundancy.engines.plan import PlanError, plan_jobs
    from mteb_redundancy.models.cache import EmbeddingCache, cache_disabled
    from mteb_redundancy.models.variants import get_encoder

    if not args.task and not args.texts:
        print("mteb-redundancy encode: error: give a task (-t) or a file of texts (--texts).", file=sys.stderr)
        return 2
    if cache_disabled() and not args.cache:
        print("mteb-redundancy encode: error: the embedding cache is off (MTEB_REDUNDANCY_CACHE); there is nowhere to write.", file=sys.stderr)
        return 2
    if args.json:
        from mteb_redundancy._io import check_output_file

        try:  # before the encoding, not after it
            check_output_file(args.json, "--json file")
        except ValueError as error:
            print(f"mteb-redundancy encode: error: {error}", file=sys.stderr)
            return 2
    cache = EmbeddingCache(args.cache)
    cache.check_writable()
    if cache.writes_off is not None:  # a read-only cache serves runs, but there is nothing to encode into it
        print(f"mteb-redundancy encode: error: the cache {cache.root} cannot be written ({cache.writes_off}).", file=sys.stderr)
        return 2
    try:
        tasks = _tasks(args.task or [], args.texts or [], args.text_field)
    except (KeyError, ValueError, FileNotFoundError) as error:
        print(f"mteb-redundancy encode: error: {error.args[0] if error.args else error}", file=sys.stderr)
        return 2
    summary = []
    for variant in args.model:
        started = time.perf_counter()
        encoder = get_encoder(
            variant, device=args.device, cache=cache, show_progress=not args.no_progress, precision=args.precision
        )
        try:
            jobs = plan_jobs(encoder, tasks, cache)
        except PlanError as error:
            print(f"mteb-redundancy encode: error: {error}", file=sys.stderr)
            return 2
        planned = time.perf_counter() - started
        missing = sum(len(job.missing) for job in jobs)
        total = sum(job.n_texts for job in jobs)
        print(f"{variant}: {len(jobs)} prompt(s) x texts = {total} embeddings, {total - missing} already cached, {missing} to encode")
        record = {"variant": variant, "jobs": len(jobs), "embeddings": total, "to_encode": missing, "plan_seconds": planned, "engine": args.engine}
        if args.engine == "ray":
            from mteb_redundancy.engines.ray_engine import encode_ray

            stats = encode_ray(
                encoder, jobs, cache_root=cache.root, device=args.device, address=args.address,
                actors=args.actors, cpus_per_actor=args.cpus_per_actor, gpus_per_actor=args.gpus_per_actor,
                batch_size=args.shard_size, model_batch_size=args.batch_size, num_cpus=args.num_cpus,
                progress=not args.no_progress,
            )
            record.update(vars(stats))
            encoded = stats.texts_encoded
        else:
            from mteb_redundancy.engines.local import encode_local

            encoded = encode_local(encoder, jobs, batch_size=args.batch_size)
            record["texts_encoded"] = encoded
        record["seconds"] = time.perf_counter() - started
        if cache.writes_off is not None:
            print(f"mteb-redundancy encode: error: the cache {cache.root} cannot be written ({cache.writes_off}); "
                  "the vectors encoded after that were not stored. Free space, or give another --cache.", file=sys.stderr)
            return 1
        print(f"{variant}: encoded {encoded} text(s) in {record['seconds']:.1f} s ({args.engine}) into {cache.root}")
        summary.append(record)
    if args.json:
        from mteb_redundancy._io import atomic_write_text

        atomic_write_text(args.json, json.dumps(summary, indent=1))
    return 0


def add_parser(commands) -> None:
    encode = commands.add_parser(
        "encode",
        help="encode every text a task needs, under every prompt it asks for, into the cache (locally or on Ray)",
    )
    encode.add_argument("-m", "--model", action="append", required=True, help="a variant name (repeatable)")
    encode.add_argument("-t", "--task", action="append", help="a Redundancy task name (repeatable)")
    encode.add_argument("--texts", action="append", help="a file of texts (.txt, one per line, or .jsonl): a file-backed Redundancy task")
    encode.add_argument("--text-field", default="text", help="the field holding the text in a .jsonl file (default: text)")
    encode.add_argument("--engine", choices=("local", "ray"), default="local")
    encode.add_argument("--address", help="Ray cluster to join ('auto', 'ray://host:port'); default: start a local one")
    encode.add_argument("--num-cpus", type=int, help="CPUs of the local Ray cluster (default: all)")
    encode.add_argument("--actors", type=int, help="actors in the pool (default: one per GPU, else one per --cpus-per-actor CPUs)")
    encode.add_argument("--cpus-per-actor", type=float, default=1)
    encode.add_argument("--gpus-per-actor", type=float)
    encode.add_argument("--shard-size", type=int, default=256, help="texts per Ray batch, i.e. per cache shard (default 256)")
    encode.add_argument("--cache", help="the cache folder (default: MTEB_REDUNDANCY_CACHE or ~/.cache/mteb-redundancy/embeddings)")
    encode.add_argument("--json", help="also write what was done, with timings, to this JSON file")
    add_model_options(encode)
    encode.set_defaults(handler=_encode)
