"""Sentences cut from the English Wikipedia leads by one deterministic rule (docs/methods.md:
robustness corpora).

Tsukagoshi & Sasano (2025) embed "10,000 texts randomly drawn from English Wikipedia" without saying
the unit; sentences are the common choice in this literature, so the robustness corpora have them
beside the leads. The rule uses no model and no library tokenizer, so it gives the same sentences on
every machine:

1. **Paragraphs.** A lead is split at its line breaks; inside a paragraph every run of whitespace
   becomes one space.
2. **Boundaries.** A sentence ends at ``.``, ``!`` or ``?`` (with any closing quotes or brackets right
   after it) followed by a space and then an upper-case letter, a digit or an opening quote or
   bracket. A ``.`` does not end a sentence when the word it closes is an abbreviation: a single
   letter (an initial, "J. R. R."), a word with a full stop inside ("U.S.", "e.g."), or one of
   :data:`ABBREVIATIONS` (case-insensitive: "Dr.", "St.", "No.", "c.", "Inc.").
3. **Keep** a sentence when it starts with an upper-case letter, a digit or an opening quote or
   bracket; ends with ``.``, ``!`` or ``?`` (closing quotes or brackets allowed after it); has
   :data:`MIN_WORDS` to :data:`MAX_WORDS` words (runs of non-space characters); and has no space
   right before a comma, full stop, semicolon or colon (the trace of a formula or pronunciation the
   summary API removed: "Thus is a field that contains and ...").

The kept sentences, in lead (title) order and order within each lead, then go through the corpora's
de-duplication and seeded sampling (:mod:`mteb_redundancy_tasks.corpora`).
"""

from __future__ import annotations

import re

MIN_WORDS = 5
MAX_WORDS = 60
ABBREVIATIONS = frozenset(
    "approx c ca capt cf ch co col corp dept dr ed eds est etc fig ft gen inc jr lt ltd mr mrs ms mt no nos "
    "op pp prof rev sgt sr spp ssp st univ var vol vs".split()
)
_OPENERS = "\"'“‘(["
_CLOSERS = "\"'”’)]"
_ENDS = re.compile(rf"[.!?][{re.escape(_CLOSERS)}]*\Z")
_BOUNDARY = re.compile(rf"[.!?][{re.escape(_CLOSERS)}]* (?=\S)")
_SPACE_BEFORE_PUNCTUATION = re.compile(r" [,.;:]")


def _starts_sentence(char: str) -> bool:
    return char.isupper() or char.isdigit() or char in _OPENERS


def _is_abbreviation(before: str) -> bool:
    """Whether the word that ends ``before`` (the text up to a full stop) is an abbreviation."""
    word = before.rsplit(" ", 1)[-1].lstrip(_OPENERS)
    return len(word) <= 1 or "." in word or word.lower() in ABBREVIATIONS


def split_sentences(text: str) -> list[str]:
    """Steps 1 and 2 of the rule: every sentence of ``text``, kept or not."""
    sentences = []
    for paragraph in text.split("\n"):
        paragraph = " ".join(paragraph.split())
        start = 0
        for boundary in _BOUNDARY.finditer(paragraph):
            if not _starts_sentence(paragraph[boundary.end()]):
                continue
            if paragraph[boundary.start()] == "." and _is_abbreviation(paragraph[start : boundary.start()]):
                continue
            sentences.append(paragraph[start : boundary.end() - 1])
            start = boundary.end()
        if paragraph[start:]:
            sentences.append(paragraph[start:])
    return sentences


def keep_sentence(sentence: str) -> bool:
    """Step 3 of the rule."""
    words = len(sentence.split())
    return (
        MIN_WORDS <= words <= MAX_WORDS
        and _starts_sentence(sentence[0])
        and _ENDS.search(sentence) is not None
        and _SPACE_BEFORE_PUNCTUATION.search(sentence) is None
    )


def lead_sentences(text: str) -> list[str]:
    """The sentences of one lead that the rule keeps, in order."""
    return [s for s in split_sentences(text) if keep_sentence(s)]
