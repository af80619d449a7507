"""scoreline.features."""
