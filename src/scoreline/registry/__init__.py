"""scoreline.registry."""
