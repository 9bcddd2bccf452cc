"""Task types MTEB does not have (intrinsic measures rather than scores to maximize); one module each."""
