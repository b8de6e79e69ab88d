"""The CPU demo of the paper's effect on a synthetic task (`python -m efficient_reasoning.demo`)."""
