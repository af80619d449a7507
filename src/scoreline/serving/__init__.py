"""scoreline.serving."""
