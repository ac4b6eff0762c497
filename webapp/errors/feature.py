from flask import Flask

from webapp.errors.handlers import make_blueprint, refuse_when_the_session_is_unreadable


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_when_the_session_is_unreadable)
