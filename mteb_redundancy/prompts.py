"""Prompt styles: how a text reaches the model, for a given task and side (spec section 2).

Prefixes and instructions are data. ``DEFAULT_INSTRUCTIONS`` and ``TASK_TYPE_INSTRUCTIONS`` are
the seed tables; a ``ModelSpec`` overrides them per model and per task. No MTEB import here: the
caller passes the task's name and type as plain strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PROMPT_STYLES = ("none", "prefix", "instruction", "instructor", "prompteol")

INSTRUCTION_TEMPLATE = "Instruct: {instruction}\nQuery: "
INSTRUCTOR_TEMPLATE = "{instruction}: "
PROMPTEOL_TEMPLATE = 'This sentence : "{text}" means in one word:"'

# Seed 000, Table 3: the instruction each MTEB task was run with.
DEFAULT_INSTRUCTIONS: dict[str, str] = {
    "AmazonCounterfactualClassification": "Classify a given Amazon customer review text as either counterfactual or not-counterfactual",
    "AmazonPolarityClassification": "Classify Amazon reviews into positive or negative sentiment",
    "AmazonReviewsClassification": "Classify the given Amazon review into its appropriate rating category",
    "ImdbClassification": "Classify the sentiment expressed in the given movie review text from the IMDB dataset",
    "ToxicConversationsClassification": "Classify the given comments as either toxic or not toxic",
    "ArxivClusteringS2S": "Identify the main and secondary category of Arxiv papers based on the titles",
    "RedditClustering": "Identify the topic or theme of Reddit posts based on the titles",
    "StackExchangeClustering": "Identify the topic or theme of StackExchange posts based on the titles",
    "MIRACLRetrievalHardNegatives": "Given a question, retrieve Wikipedia passages that answer the question",
    "QuoraRetrievalHardNegatives": "Given a question, retrieve questions that are semantically equivalent to the given question",
    "HotpotQAHardNegatives": "Given a multi-hop question, retrieve documents that can help answer the question",
    "DBPediaHardNegatives": "Given a query, retrieve relevant entity descriptions from DBPedia",
    "NQHardNegatives": "Given a question, retrieve Wikipedia passages that answer the question",
    "MSMARCOHardNegatives": "Given a web search query, retrieve relevant passages that answer the query",
    # The project's offline tasks
    "WikiTopicClassification": "Classify the given Wikipedia article into its topic category",
    "WikiTopicClustering": "Identify the topic of the given Wikipedia article",
    "WikiRetrieval": "Given a short description of an entity, retrieve the Wikipedia article about it",
    "STSBenchmarkOffline": "Retrieve semantically similar text",
    "BBCNewsClassification": "Classify the given news article into its section",
    "BBCNewsClustering": "Identify the section of the given news article",
}

# Seed 001, Table 2, for tasks with no instruction of their own: one per task kind.
TASK_TYPE_INSTRUCTIONS: dict[str, str] = {
    "retrieval": "Given a query, retrieve passages that can answer the query",
    "reranking": "Given a query, retrieve passages relevant to the query",
    "sts": "Given a query, find the passage whose meaning is most similar to it",
    "classification": "Classify the given query into the appropriate category",
    "clustering": "Identify the topic of the given query",
}

# E5's convention: "query: " everywhere except retrieval documents.
DEFAULT_PREFIXES: dict[str, str] = {
    "query": "query: ",
    "document": "passage: ",
    "classification": "query: ",
    "clustering": "query: ",
    "sts": "query: ",
}

# MTEB task types, folded into the five kinds that decide a prompt.
_TASK_KIND_BY_TYPE = {
    "Retrieval": "retrieval",
    "InstructionRetrieval": "retrieval",
    "Reranking": "reranking",
    "InstructionReranking": "reranking",
    "STS": "sts",
    "PairClassification": "sts",
    "Summarization": "sts",
    "BitextMining": "sts",
    "Classification": "classification",
    "MultilabelClassification": "classification",
    "Regression": "classification",
    "Clustering": "clustering",
}

QUERY = "query"
DOCUMENT = "document"


def task_kind(task_type: str) -> str:
    """The prompt-deciding kind of an MTEB task type (``"Classification"`` -> ``"classification"``)."""
    return _TASK_KIND_BY_TYPE.get(task_type, task_type.lower())


def is_asymmetric(kind: str) -> bool:
    return kind in ("retrieval", "reranking")


@dataclass(frozen=True)
class Prompt:
    """What surrounds a text on its way into the model.

    ``prefix + text + suffix`` is the model input; under ``prompteol`` the text is first prepared as
    PromptEOL's code prepares it (``prompteol_text``), a rule the style name pins in ``key``. With
    ``pool_text_only`` (INSTRUCTOR), the prefix's tokens are left out of mean pooling. ``key`` is
    what an embedding cache must key on.
    """

    style: str
    prefix: str = ""
    suffix: str = ""
    pool_text_only: bool = False

    def apply(self, text: str) -> str:
        if self.style == "prompteol":
            text = prompteol_text(text)
        return f"{self.prefix}{text}{self.suffix}"

    @property
    def key(self) -> str:
        return f"{self.style}\x1f{self.prefix}\x1f{self.suffix}\x1f{int(self.pool_text_only)}"


NO_PROMPT = Prompt(style="none")


def prompteol_text(text: str) -> str:
    """A text as PromptEOL's code prepares it before templating (kongds/scaling_sentemb,
    ``evaluation.py``): a final period when it ends in none of ``. ? " '``, double quotes made single
    (they would close the template's quote), and a final question mark made a period. Surrounding
    whitespace is stripped first (SentEval's sentences had none; a trailing newline would otherwise
    get the period)."""
    text = text.strip()
    if text and text[-1] not in ".?\"'":
        text += "."
    text = text.replace('"', "'")
    if text and text[-1] == "?":
        text = text[:-1] + "."
    return text


def prompteol_prompt(demonstrations: Sequence[Sequence[str]] | None = None) -> Prompt:
    """The PromptEOL prompt, with optional in-context demonstrations (seed 004).

    Each demonstration is a ``(sentence, word)`` pair written in the same template and closed as in
    PromptEOL's ICL templates, ``This sentence : "A man is smoking." means in one word:"Smoking".``,
    all of them before the text's own template, with no separator. Demonstrations are used as given
    except that double quotes become single. They are part of the prefix, so of the cache key.
    """
    head, tail = PROMPTEOL_TEMPLATE.split("{text}")
    shown = []
    for number, pair in enumerate(demonstrations or (), start=1):
        if isinstance(pair, str) or len(pair) != 2 or not all(isinstance(part, str) and part.strip() for part in pair):
            raise ValueError(
                f"PromptEOL demonstration {number} must be a [sentence, word] pair of non-empty strings, "
                f"got {pair!r}; e.g. [\"A man is playing a guitar.\", \"Music\"]."
            )
        sentence, word = (part.strip().replace('"', "'") for part in pair)
        shown.append(f'{head}{sentence}{tail}{word}".')
    return Prompt(style="prompteol", prefix="".join(shown) + head, suffix=tail)


def resolve_instruction(
    task_name: str,
    task_type: str,
    instructions: Mapping[str, str] | None = None,
) -> str:
    """The instruction for a task: the model's override, else the seed table, else one per task kind."""
    for table in (instructions or {}, DEFAULT_INSTRUCTIONS):
        if task_name in table:
            return table[task_name]
    kind = task_kind(task_type)
    for table in (instructions or {}, TASK_TYPE_INSTRUCTIONS):
        if kind in table:
            return table[kind]
    return TASK_TYPE_INSTRUCTIONS["classification"]


def resolve_prompt(
    style: str,
    *,
    task_name: str,
    task_type: str,
    side: str | None,
    prefixes: Mapping[str, str] | None = None,
    instructions: Mapping[str, str] | None = None,
    instruction_template: str = INSTRUCTION_TEMPLATE,
    instructor_template: str = INSTRUCTOR_TEMPLATE,
    demonstrations: Sequence[Sequence[str]] | None = None,
) -> Prompt:
    """The prompt a text gets under ``style`` for a task of ``task_type`` on ``side``.

    ``side`` is ``"query"``, ``"document"`` or ``None``. MTEB passes ``None`` for classification and
    clustering, so the task kind, not the side, decides there. Retrieval and reranking documents
    get no instruction (seed 000, appendix B) but do get a document prefix. ``demonstrations``
    (``prompteol`` only) are PromptEOL's in-context examples, see ``prompteol_prompt``.
    """
    if style not in PROMPT_STYLES:
        raise ValueError(f"Unknown prompt style {style!r}; choose one of {', '.join(PROMPT_STYLES)}.")
    kind = task_kind(task_type)
    is_document = side == DOCUMENT and is_asymmetric(kind)
    if style == "none":
        return NO_PROMPT
    if style == "prefix":
        table = {**DEFAULT_PREFIXES, **(prefixes or {})}
        slot = task_name if task_name in table else (DOCUMENT if is_document else (QUERY if is_asymmetric(kind) else kind))
        return Prompt(style="prefix", prefix=table.get(slot, table.get(QUERY, "")))
    if style == "prompteol":
        return prompteol_prompt(demonstrations)
    if is_document:
        return Prompt(style=style)
    instruction = resolve_instruction(task_name, task_type, instructions)
    if style == "instruction":
        return Prompt(style="instruction", prefix=instruction_template.format(instruction=instruction))
    return Prompt(
        style="instructor",
        prefix=instructor_template.format(instruction=instruction),
        pool_text_only=True,
    )


# Seed 001, Table 2 (English rendering): the conditions of the instruction-displacement analysis,
# in order, each with its instruction; ``None`` marks the base condition (the text as is).
# A task or a user file may replace this table (see ``mteb_redundancy_tasks.displacement``).
DISPLACEMENT_CONDITIONS: dict[str, str | None] = {
    "Base": None,
    "Retrieval": "Given a query, retrieve passages that can answer the query",
    "Reranking": "Given a query, retrieve passages relevant to the query",
    "STS": "Given a query, find the passage whose meaning is most similar to it",
    "Classification": "Classify the given query into the appropriate category",
    "Clustering": "Identify the topic of the given query",
}

# Styles whose input has a slot an instruction fills; under the others every condition of the
# displacement analysis is the same input (prefix styles get the condition's task-kind prefix).
INSTRUCTION_SLOT_STYLES = ("instruction", "instructor")


def condition_prompt(
    style: str,
    instruction: str | None,
    *,
    kind: str | None = None,
    prefixes: Mapping[str, str] | None = None,
    instruction_template: str = INSTRUCTION_TEMPLATE,
    instructor_template: str = INSTRUCTOR_TEMPLATE,
    demonstrations: Sequence[Sequence[str]] | None = None,
) -> Prompt:
    """The prompt a query gets under one displacement condition (spec section 7).

    ``instruction`` is the condition's instruction, ``None`` for the base condition, which is the
    text as is under every style except ``prompteol`` (whose template is the model's input format,
    not an instruction). ``kind`` is the condition's task kind (``retrieval``, ``sts``, ...), used by
    the ``prefix`` style only: a prefix model has no instruction slot, so an instructed condition
    gets the prefix the model uses for that kind of task on the query side (E5: ``query: `` for all;
    nomic: ``search_query: ``, ``classification: ``, ``clustering: ``), and an unknown kind gets
    the query prefix. Under ``none`` and ``prompteol`` every condition is the same prompt
    (``demonstrations``: PromptEOL's in-context examples, see ``prompteol_prompt``).
    """
    if style not in PROMPT_STYLES:
        raise ValueError(f"Unknown prompt style {style!r}; choose one of {', '.join(PROMPT_STYLES)}.")
    if style == "none":
        return NO_PROMPT
    if style == "prompteol":
        return prompteol_prompt(demonstrations)
    if instruction is None:
        # Same prompt as a retrieval document under this style, so the cache shares the vectors.
        return Prompt(style=style)
    if style == "prefix":
        table = {**DEFAULT_PREFIXES, **(prefixes or {})}
        slot = QUERY if kind is None or is_asymmetric(kind) else kind
        return Prompt(style="prefix", prefix=table.get(slot, table.get(QUERY, "")))
    if style == "instruction":
        return Prompt(style="instruction", prefix=instruction_template.format(instruction=instruction))
    return Prompt(style="instructor", prefix=instructor_template.format(instruction=instruction), pool_text_only=True)
