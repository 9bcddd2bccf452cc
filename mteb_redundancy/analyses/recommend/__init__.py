"""How small can an embedding be: the smallest (reduction, d, quantization) that keeps a fraction of each task's score, and whether redundancy predicts it."""
