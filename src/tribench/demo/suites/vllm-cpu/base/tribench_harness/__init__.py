"""tribench's harness for the vllm-cpu suite: overlay setup, benchmark wrapper, greedy check."""
