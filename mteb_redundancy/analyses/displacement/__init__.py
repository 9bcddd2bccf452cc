"""Instruction displacement: how far task instructions move embeddings (Ogawa et al.)."""
