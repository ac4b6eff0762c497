from flask import Flask

from webapp.auth import gates
from webapp.auth.routes import make_blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    gates.install(app)
