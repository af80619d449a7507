"""``python -m scoreline`` runs the command line."""

from scoreline.cli.main import app

app()
