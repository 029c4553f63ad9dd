"""Run Alembic from the app's own settings (``forum db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(app: Flask) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url",
                        app.extensions["db_engine"].url.render_as_string(hide_password=False)
                        .replace("%", "%%"))
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    engine = app.extensions["db_engine"]
    cfg = alembic_config(app)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def revision(app: Flask, message: str) -> None:
    engine = app.extensions["db_engine"]
    cfg = alembic_config(app)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)
