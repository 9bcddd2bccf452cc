"""The plain path: encode the planned jobs in this process, through the encoder's own ``embed`` (which
commits to the cache every CHUNK_SIZE texts). No Ray."""

from __future__ import annotations

from collections.abc import Sequence

from mteb_redundancy.engines.plan import EncodingJob


def encode_local(encoder, jobs: Sequence[EncodingJob], *, batch_size: int | None = None) -> int:
    """Encode every job's missing texts; returns the number of texts encoded."""
    before = encoder.texts_encoded
    for job in jobs:
        if job.missing:
            encoder.embed(job.missing, job.prompt, batch_size=batch_size)
    return encoder.texts_encoded - before
