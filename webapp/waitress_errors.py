"""waitress answers some malformed requests itself, before the application sees them (a bad
Content-Length, oversized headers, an unknown Transfer-Encoding): those answers carry the
portal's security headers too."""
from __future__ import annotations

from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask


def add_headers_to_errors(socket_map: dict[Any, Any], headers: list[tuple[str, str]]) -> None:
    """For every listening server that create_server registered in `socket_map`."""

    class HeaderedErrorTask(ErrorTask):
        def execute(self) -> None:
            self.response_headers.extend(headers)
            super().execute()

    class HeaderedChannel(HTTPChannel):
        error_task_class = HeaderedErrorTask

    for listener in list(socket_map.values()):
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = HeaderedChannel  # type: ignore[misc]
