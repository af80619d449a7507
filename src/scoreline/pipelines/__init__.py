"""scoreline.pipelines."""
