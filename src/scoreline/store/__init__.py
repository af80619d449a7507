"""scoreline.store."""
