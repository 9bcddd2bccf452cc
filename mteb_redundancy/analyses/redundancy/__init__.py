"""Redundancy per prompt type: TwoNN intrinsic dimension and IsoScore (Tsukagoshi & Sasano 2025, section 3)."""
