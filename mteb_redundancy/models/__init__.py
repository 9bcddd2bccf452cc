"""Models: what a plugin says about a model (``ModelSpec``), variant names, prompt styles, dimension reduction, the embedding cache and the MTEB encoder that combines them."""
