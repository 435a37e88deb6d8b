"""Replay: what a run learned from a model, so the next run of the same step needs no model call."""
