"""scoreline.insights."""
