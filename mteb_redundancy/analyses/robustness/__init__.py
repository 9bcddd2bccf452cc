"""Robustness of Tsukagoshi & Sasano's (2025) redundancy finding: size curves and verdicts per corpus, estimator and m."""
