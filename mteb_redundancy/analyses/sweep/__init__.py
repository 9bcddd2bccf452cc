"""Dimension sweeps: encode once at full dimension, score every d with MTEB's evaluators (Tsukagoshi & Sasano 2025, section 2)."""
