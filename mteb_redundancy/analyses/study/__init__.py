"""The whole of Tsukagoshi & Sasano (2025) for one model: redundancy per prompt type, dimension
sweeps on each task type, and instruction displacement, in one report folder."""
