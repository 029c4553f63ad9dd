"""Logging: readable lines in development, one JSON object a line in production.

Log records name what happened and to which ids; never post content, emails, passwords or
tokens (health data is special-category data).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from flask import Flask, g, has_request_context


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Structured fields a caller passed with extra={"fields": {...}} (the access log).
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update({k: v for k, v in fields.items() if k not in data})
        if has_request_context() and g.get("request_id"):
            data["request_id"] = g.request_id
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data)


def init_logging(app: Flask) -> None:
    root = logging.getLogger()
    if app.config.get("LOG_FORMAT") == "json":
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.handlers = [handler]
    elif not root.handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root.setLevel(logging.INFO)
