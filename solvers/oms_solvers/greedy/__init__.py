"""Deterministic heuristics: warm starts, fallbacks, baselines and test oracles."""
