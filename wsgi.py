"""WSGI entry point: `wsgi:app` for any WSGI server; `flask --app wsgi ...` for the CLI."""
import sys

from webapp import create_app
from webapp.config import ConfigError

try:
    app = create_app()
except ConfigError as wrong:  # one line, as `portal` says it, instead of a stack trace
    print(f"portal: configuration error: {wrong}", file=sys.stderr)
    raise SystemExit(2) from None
