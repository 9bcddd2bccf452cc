"""Prompt styles: how a text reaches the model, for a given task and side, or displacement condition.

One :class:`PromptStyle` object per style (``none``, ``prefix``, ``instruction``, ``instructor``,
``prompteol``), registered through the ``register_prompt_styles`` hook, so a plugin adds a style in
one place and every command (``mteb run``, sweep, recommend, study, displacement) takes it: they look
styles up among the registered ones (``models.prompts.get_style``), never in a list. Prefixes and instructions are data:
``DEFAULT_INSTRUCTIONS`` (Tsukagoshi & Sasano 2025, Table 3), ``TASK_TYPE_INSTRUCTIONS`` (Ogawa et al.
2025, Table 2; also the displacement conditions) and INSTRUCTOR's ``Represent the ...`` instructions
(Su et al. 2023) are the papers' tables, and a ``ModelSpec`` overrides them per model and per task
(:class:`PromptTables`). No MTEB import here: callers pass the task's name and type as plain strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

INSTRUCTION_TEMPLATE = "Instruct: {instruction}\nQuery: "
INSTRUCTOR_TEMPLATE = "{instruction}: "
PROMPTEOL_TEMPLATE = 'This sentence : "{text}" means in one word:"'

# Tsukagoshi & Sasano (2025), Table 3: the instruction each MTEB task was run with.
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

# Ogawa et al. (2025), Table 2: one instruction per task kind, for tasks with no instruction of their
# own; the instructed conditions of the displacement analysis are the same table.
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

# INSTRUCTOR (Su et al. 2023, section 2.3) reads one template on every side: "Represent the (domain)
# text type (for task objective): ". Queries and symmetric tasks: per task, else per task kind. The
# retrieval tasks' instructions are those of INSTRUCTOR's own MTEB evaluation (instructor-large; MIRACL
# takes NQ's); the offline tasks' and the kinds' are written in the same template here.
INSTRUCTOR_INSTRUCTIONS: dict[str, str] = {
    "retrieval": "Represent the question for retrieving supporting documents",
    "reranking": "Represent the query for retrieving relevant documents",
    "sts": "Represent the sentence for retrieving semantically similar sentences",
    "classification": "Represent the text for classifying its category",
    "clustering": "Represent the text for clustering by topic",
    "MIRACLRetrievalHardNegatives": "Represent the Wikipedia question for retrieving supporting documents",
    "QuoraRetrievalHardNegatives": "Represent the Quora question for retrieving duplicate questions",
    "HotpotQAHardNegatives": "Represent the Wikipedia question for retrieving supporting documents",
    "DBPediaHardNegatives": "Represent the Wikipedia sentence for retrieving supporting documents",
    "NQHardNegatives": "Represent the Wikipedia question for retrieving supporting documents",
    "MSMARCOHardNegatives": "Represent the question for retrieving supporting documents",
    # The project's offline tasks
    "WikiTopicClassification": "Represent the Wikipedia article for classifying its topic",
    "WikiTopicClustering": "Represent the Wikipedia article for clustering by topic",
    "WikiRetrieval": "Represent the entity description for retrieving its Wikipedia article",
    "STSBenchmarkOffline": "Represent the sentence for retrieving semantically similar sentences",
    "BBCNewsClassification": "Represent the news article for classifying its section",
    "BBCNewsClustering": "Represent the news article for clustering by section",
}

# INSTRUCTOR (Su et al. 2023) gives documents an instruction too, e.g. "Represent the Wikipedia
# document for retrieval: "; per task, else the default.
INSTRUCTOR_DOCUMENT_INSTRUCTIONS: dict[str, str] = {
    "default": "Represent the document for retrieval",
    "WikiRetrieval": "Represent the Wikipedia document for retrieval",
    "NQHardNegatives": "Represent the Wikipedia document for retrieval",
    "MIRACLRetrievalHardNegatives": "Represent the Wikipedia document for retrieval",
    "HotpotQAHardNegatives": "Represent the Wikipedia document for retrieval",
    "DBPediaHardNegatives": "Represent the Wikipedia document for retrieval",
    "QuoraRetrievalHardNegatives": "Represent the Quora question for retrieving duplicate questions",
}

# Where an instruction came from, as results record it.
SOURCE_MODEL = "the model's own table"
SOURCE_PAPER = "Tsukagoshi & Sasano (2025), Table 3"
SOURCE_MTEB = "the MTEB task's prompt"
SOURCE_KIND = "one per task kind (Ogawa et al. 2025, Table 2)"
SOURCE_INSTRUCTOR = "INSTRUCTOR's template (Su et al. 2023)"

# MTEB task types, folded into the five kinds that decide a prompt.
_TASK_KIND_BY_TYPE = {
    "Retrieval": "retrieval",
    "InstructionRetrieval": "retrieval",
    "Any2AnyRetrieval": "retrieval",
    "Any2AnyMultilingualRetrieval": "retrieval",
    "Reranking": "reranking",
    "InstructionReranking": "reranking",
    "Any2AnyReranking": "reranking",
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

    ``prefix + prepare(text) + suffix`` is the model input (:meth:`apply`, which every backend calls);
    ``prepare`` is the style's own preparation of the text, if it has one (PromptEOL's
    ``prompteol_text``). The style's name pins that rule in ``key``: a style that prepares texts in
    two ways registers two names. With ``pool_text_only`` (INSTRUCTOR), the prefix's tokens are left
    out of mean pooling. ``key`` is what an embedding cache must key on.
    """

    style: str
    prefix: str = ""
    suffix: str = ""
    pool_text_only: bool = False
    #: Where the instruction in the prefix came from (recorded in results; not part of the key).
    source: str = field(default="", compare=False)
    #: The style's preparation of the text before the prefix and suffix surround it.
    prepare: Callable[[str], str] | None = field(default=None, compare=False)

    def apply(self, text: str) -> str:
        if self.prepare is not None:
            text = self.prepare(text)
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
    """The PromptEOL prompt (Jiang et al. 2023), with optional in-context demonstrations.

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
    return Prompt(style=PromptEOLStyle.name, prefix="".join(shown) + head, suffix=tail, prepare=prompteol_text)


@dataclass(frozen=True)
class PromptTables:
    """A model's prompt data: prefix and instruction tables (keys: task names, or the kinds
    ``query``/``document``/``classification``/``clustering``/``sts``/``retrieval``/``reranking``),
    the instruction templates, and PromptEOL's in-context demonstrations."""

    prefixes: Mapping[str, str] = field(default_factory=dict)
    instructions: Mapping[str, str] = field(default_factory=dict)
    instruction_template: str = INSTRUCTION_TEMPLATE
    instructor_template: str = INSTRUCTOR_TEMPLATE
    demonstrations: Sequence[Sequence[str]] | None = None
    #: Instructions for retrieval documents (INSTRUCTOR style only): per task name, or "default".
    document_instructions: Mapping[str, str] = field(default_factory=dict)

    def prefix_for(self, slot: str) -> str:
        table = {**DEFAULT_PREFIXES, **self.prefixes}
        return table.get(slot, table.get(QUERY, ""))


def resolve_instruction(
    task_name: str,
    task_type: str,
    instructions: Mapping[str, str] | None = None,
    task_prompt: str | None = None,
) -> str:
    """The instruction for a task (see :func:`instruction_and_source`)."""
    return instruction_and_source(task_name, task_type, instructions, task_prompt)[0]


def instruction_and_source(
    task_name: str,
    task_type: str,
    instructions: Mapping[str, str] | None = None,
    task_prompt: str | None = None,
) -> tuple[str, str]:
    """The instruction for a task and where it came from: the model's own table (by task name), else
    Tsukagoshi & Sasano's Table 3, else the MTEB task's own prompt (``task_prompt``: what MTEB's
    instruction models use for that task), else the model's or Ogawa et al.'s instruction for the
    task's kind."""
    if task_name in (instructions or {}):
        return instructions[task_name], SOURCE_MODEL
    if task_name in DEFAULT_INSTRUCTIONS:
        return DEFAULT_INSTRUCTIONS[task_name], SOURCE_PAPER
    if isinstance(task_prompt, str) and task_prompt.strip():
        return task_prompt.strip(), SOURCE_MTEB
    kind = task_kind(task_type)
    if kind in (instructions or {}):
        return instructions[kind], SOURCE_MODEL
    return TASK_TYPE_INSTRUCTIONS.get(kind, TASK_TYPE_INSTRUCTIONS["classification"]), SOURCE_KIND


class PromptStyle:
    """How a text reaches a model under one prompt style.

    A style answers two questions: the prompt for a task of a given type on a given side
    (:meth:`prompt`; MTEB passes no side for classification and clustering, so the task kind
    decides there), and the prompt for a condition of the instruction-displacement analysis
    (:meth:`condition_prompt`). Subclass it, set ``name``, and register an instance through the
    ``register_prompt_styles`` hook.
    """

    name: ClassVar[str] = ""
    #: The style has a slot an instruction fills, so displacement conditions differ in their input.
    instruction_slot: ClassVar[bool] = False
    #: The model reads task instructions (MTEB's ``ModelMeta.use_instructions``).
    uses_instructions: ClassVar[bool] = False

    def prompt(
        self, tables: PromptTables, *, task_name: str, task_type: str, side: str | None, task_prompt: str | None = None
    ) -> Prompt:
        """``task_prompt`` is the MTEB task's own prompt for this side, if it has one."""
        raise NotImplementedError

    def condition_prompt(self, tables: PromptTables, instruction: str | None, kind: str | None) -> Prompt:
        """The prompt of a displacement condition: ``instruction`` is ``None`` for the base condition;
        ``kind`` is the task kind the condition is named after (``"sts"``), if any."""
        raise NotImplementedError

    def displacement_note(self, prompts: Mapping[str, Prompt] | None = None) -> str:
        """What the displacement conditions mean under this style, for the result file."""
        if prompts and len({p.key for p in prompts.values()}) == 1:
            return "All conditions resolved to the same prompt, so every displacement is 0 by construction."
        return f"Each condition's instruction fills the {self.name!r} template of the model; the base condition is the text as is."

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class NoPromptStyle(PromptStyle):
    """The text as is (Unsup-SimCSE, all-MiniLM)."""

    name = "none"

    def prompt(self, tables, *, task_name, task_type, side, task_prompt=None):
        return NO_PROMPT

    def condition_prompt(self, tables, instruction, kind):
        return NO_PROMPT

    def displacement_note(self, prompts=None):
        return (
            f"Prompt style {self.name!r} has no instruction slot: every condition is the same input, so every "
            f"displacement is 0 by construction, not a measurement of the model."
        )


class PrefixStyle(PromptStyle):
    """``prefix + text``, the prefix chosen by task kind and side (E5, nomic)."""

    name = "prefix"

    def prompt(self, tables, *, task_name, task_type, side, task_prompt=None):
        kind = task_kind(task_type)
        if task_name in tables.prefixes or task_name in DEFAULT_PREFIXES:
            slot = task_name
        elif is_asymmetric(kind) and kind in tables.prefixes:
            slot = kind  # one prefix for both sides (nomic on reranking, as MTEB's nomic wrapper does)
        elif is_asymmetric(kind):
            slot = DOCUMENT if side == DOCUMENT else QUERY
        else:
            slot = kind
        return Prompt(style=self.name, prefix=tables.prefix_for(slot))

    def condition_prompt(self, tables, instruction, kind):
        if instruction is None:
            # The same prompt as a retrieval document of no prefix, so the cache shares the vectors.
            return Prompt(style=self.name)
        if kind is None or (is_asymmetric(kind) and kind not in tables.prefixes):
            slot = QUERY
        else:
            slot = kind
        return Prompt(style=self.name, prefix=tables.prefix_for(slot))

    def displacement_note(self, prompts=None):
        return (
            "Prompt style 'prefix' has no instruction slot: each instructed condition gets the model's prefix "
            "for that kind of task on the query side (the instruction text is not used); the base condition "
            "is the text without a prefix."
        )


class InstructionStyle(PromptStyle):
    """``Instruct: {instruction}\\nQuery: {text}`` for queries and symmetric tasks; retrieval documents
    get the bare text (Tsukagoshi & Sasano 2025, appendix B)."""

    name = "instruction"
    instruction_slot = True
    uses_instructions = True

    def _instructed(self, tables: PromptTables, instruction: str, source: str = "") -> Prompt:
        return Prompt(style=self.name, prefix=tables.instruction_template.format(instruction=instruction), source=source)

    def document_prompt(self, tables: PromptTables, task_name: str) -> Prompt:
        """Retrieval documents: the bare text (Tsukagoshi & Sasano 2025, appendix B, after Wang et al.)."""
        return Prompt(style=self.name)

    def instruction(self, tables: PromptTables, task_name: str, task_type: str, task_prompt: str | None) -> tuple[str, str]:
        """The instruction for a query or a symmetric task, and where it came from."""
        return instruction_and_source(task_name, task_type, tables.instructions, task_prompt)

    def prompt(self, tables, *, task_name, task_type, side, task_prompt=None):
        if side == DOCUMENT and is_asymmetric(task_kind(task_type)):
            return self.document_prompt(tables, task_name)
        return self._instructed(tables, *self.instruction(tables, task_name, task_type, task_prompt))

    def condition_prompt(self, tables, instruction, kind):
        if instruction is None:
            return Prompt(style=self.name)
        return self._instructed(tables, instruction)


class InstructorStyle(InstructionStyle):
    """INSTRUCTOR (Su et al. 2023): the pair ``[instruction, text]``; the instruction's tokens are
    left out of mean pooling. Its instructions are INSTRUCTOR's own form, ``Represent the ... for
    ...: `` (``INSTRUCTOR_INSTRUCTIONS``), not another model's."""

    name = "instructor"

    def instruction(self, tables, task_name, task_type, task_prompt):
        """The model's own table, then ``INSTRUCTOR_INSTRUCTIONS``, each by task name, then by task
        kind. An MTEB task's own prompt is written for E5-style instructions, so it is not used."""
        kind = task_kind(task_type)
        for key in (task_name, kind):
            if key in tables.instructions:
                return tables.instructions[key], SOURCE_MODEL
            if key in INSTRUCTOR_INSTRUCTIONS:
                return INSTRUCTOR_INSTRUCTIONS[key], SOURCE_INSTRUCTOR
        return INSTRUCTOR_INSTRUCTIONS["classification"], SOURCE_INSTRUCTOR

    def _instructed(self, tables: PromptTables, instruction: str, source: str = "") -> Prompt:
        return Prompt(
            style=self.name,
            prefix=tables.instructor_template.format(instruction=instruction),
            pool_text_only=True,
            source=source,
        )

    def document_prompt(self, tables: PromptTables, task_name: str) -> Prompt:
        """INSTRUCTOR gives documents an instruction too ("Represent the Wikipedia document for
        retrieval: "): the model's table, else INSTRUCTOR_DOCUMENT_INSTRUCTIONS, per task or default."""
        for table, source in ((tables.document_instructions, SOURCE_MODEL), (INSTRUCTOR_DOCUMENT_INSTRUCTIONS, "Su et al. (2023)")):
            for key in (task_name, "default"):
                if key in table:
                    return self._instructed(tables, table[key], source)
        return Prompt(style=self.name)


class PromptEOLStyle(PromptStyle):
    """PromptEOL (Jiang et al. 2023): ``This sentence : "{text}" means in one word:"``, optionally after
    in-context demonstrations, the text prepared first as PromptEOL's code prepares it (the prompt's
    ``prepare``, :func:`prompteol_text`); the template is the model's input format, not an
    instruction, so every displacement condition is the same input."""

    name = "prompteol"
    uses_instructions = True

    def prompt(self, tables, *, task_name, task_type, side, task_prompt=None):
        return prompteol_prompt(tables.demonstrations)

    def condition_prompt(self, tables, instruction, kind):
        return prompteol_prompt(tables.demonstrations)

    displacement_note = NoPromptStyle.displacement_note


BUILT_IN_STYLES: tuple[PromptStyle, ...] = (NoPromptStyle(), PrefixStyle(), InstructionStyle(), InstructorStyle(), PromptEOLStyle())
