"""``/healthz`` and ``/readyz`` for load balancers and monitoring.

``/healthz``: the process is up and answering (no database or Redis call), always 200.
``/readyz``: the database answers ``SELECT 1`` and, in scale mode, Redis answers PING; 200
when both do, 503 naming the part that failed otherwise. It also says whether the
moderation engine has its semantic model loaded or runs on rules only, when that package
is installed. Read-only: changes nothing, audits and emits nothing. Failure details (host
names, passwords in URLs) stay in the log, never in the answer.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


def _check_database() -> bool:
    engine: Engine = current_app.extensions["db_engine"]
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        log.warning("readiness: database check failed (%s)", type(exc).__name__)
        return False
    return True


def _redis_client() -> Any:
    client = current_app.extensions.get("forum_health_redis")
    if client is None:
        import redis

        client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=1,
                                      socket_timeout=1)
        current_app.extensions["forum_health_redis"] = client
    return client


def _check_redis() -> bool:
    try:
        return bool(_redis_client().ping())
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        log.warning("readiness: Redis check failed (%s)", type(exc).__name__)
        return False


def _moderation_engine() -> dict[str, Any] | None:
    try:
        from moderation.checks import engine_status
    except ImportError:
        return None
    try:
        status = engine_status()
    except Exception as exc:  # noqa: BLE001 - moderation trouble is reported, not fatal
        log.warning("readiness: moderation engine status failed (%s)", type(exc).__name__)
        return {"semantic": "unknown", "rules": "unknown"}
    semantic = status.get("semantic")
    return {"semantic": semantic, "rules": status.get("rules"),
            "mode": "semantic" if semantic == "loaded" else "rules only"}


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    checks: dict[str, str] = {"database": "ok" if _check_database() else "failed"}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = "ok" if _check_redis() else "failed"
    else:
        checks["redis"] = "not used"
    failed = sorted(name for name, result in checks.items() if result == "failed")
    body: dict[str, Any] = {"status": "unavailable" if failed else "ready",
                            "checks": checks, "failed": failed}
    engine = _moderation_engine()
    if engine is not None:
        body["moderation"] = engine
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    if failed:
        response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    return response


def init_health(app: Flask) -> None:
    app.register_blueprint(bp)
