"""scoreline.staging."""
