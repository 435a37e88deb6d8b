"""One fence for every request a run's browser makes, on both planes (docs/operator/computer-plane.md)."""
