"""WSGI entry point: `wsgi:app` for any WSGI server; `flask --app wsgi ...` for the CLI."""
from webapp import create_app

app = create_app()
