"""scoreline.sources."""
