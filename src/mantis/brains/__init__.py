"""brains."""
