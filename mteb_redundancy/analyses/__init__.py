"""The analyses, a folder each: redundancy (intrinsic dimension and IsoScore per prompt type), instruction displacement, and dimension sweeps."""
