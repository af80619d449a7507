"""scoreline.models."""
