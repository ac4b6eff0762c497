from flask import Flask

from webapp.mail.routes import make_blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
