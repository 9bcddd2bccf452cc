"""Encoding engines: fill the prompt-aware embedding cache ahead of ``mteb run``.

``plan`` derives, for a variant and a task, every (prompt, texts) the task's evaluation encodes, with
the cache key it is stored under; ``local`` encodes them in this process (the plain path, no Ray);
``ray_engine`` spreads them over a Ray cluster with Ray Data (an actor pool, one model per actor),
each actor writing its batches into the same cache, shard by shard. ``command`` is
``mteb-redundancy encode``. Ray is imported only inside ``ray_engine``'s functions.
"""
