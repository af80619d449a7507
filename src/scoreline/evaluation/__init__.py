"""scoreline.evaluation."""
