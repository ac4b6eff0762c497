from flask import Flask

from webapp.errors.handlers import make_blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
