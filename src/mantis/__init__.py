"""Mantis: run browser work with AI models behind one HTTP endpoint."""

__version__ = "0.1.0"
