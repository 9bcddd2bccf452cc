"""What a variant encodes for a task: the (prompt, texts) pairs of the task's evaluation, their cache
keys, and which texts the cache does not hold yet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mteb_redundancy.models.cache import CacheKey, EmbeddingCache, text_key


class PlanError(ValueError):
    """A task or variant the encode command cannot plan for, with what to do."""


@dataclass
class EncodingJob:
    """One prompt of one task for one variant: the texts still missing from the cache, longest first."""

    task: str
    prompt: Any  # models.styles.Prompt
    key: CacheKey
    n_texts: int
    missing: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        shown = self.prompt.apply("{text}")
        return f"{self.task} [{shown[:60]!r}]"


def task_prompts(task, encoder) -> list[tuple[Any, list[str]]]:
    """The task's (prompt, texts) pairs, through the task's own ``encoding_plan`` (the same code path
    its evaluation uses)."""
    plan = getattr(task, "encoding_plan", None)
    if plan is None:
        raise PlanError(
            f"{task.metadata.name} ({task.metadata.type}) does not say what it encodes ahead of a run; the encode "
            "command fills the cache for Redundancy tasks (built in, or from a file: redundancy_task_from_file, "
            "`--texts FILE`). Other tasks encode as usual during `mteb run`."
        )
    return plan(encoder)


def plan_jobs(encoder, tasks: Sequence, cache: EmbeddingCache) -> list[EncodingJob]:
    """Every job of ``tasks`` for ``encoder``, each with its missing texts (distinct, longest first).

    A text that two jobs share under the same cache key (two tasks, one prompt) is missing in the
    first only; the cache is read key by key (manifests only), so this is cheap for millions of
    cached texts."""
    jobs: list[EncodingJob] = []
    cached: dict[CacheKey, set[str]] = {}
    for task in tasks:
        for prompt, texts in task_prompts(task, encoder):
            key = encoder.cache_key(prompt)
            if key not in cached:
                cached[key] = cache.cached_keys(key)
            have = cached[key]
            missing = [t for t in dict.fromkeys(texts) if text_key(t) not in have]
            have.update(text_key(t) for t in missing)  # a later job with the same key skips them
            jobs.append(EncodingJob(task.metadata.name, prompt, key, len(texts), sorted(missing, key=len, reverse=True)))
    return jobs
