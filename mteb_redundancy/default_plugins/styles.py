"""The built-in prompt styles, registered through the ``register_prompt_styles`` hook."""

from mteb_redundancy.hookspecs import hookimpl
from mteb_redundancy.models.styles import BUILT_IN_STYLES


@hookimpl
def register_prompt_styles(register):
    for style in BUILT_IN_STYLES:
        register(style)
