"""`api.asgi:app_from_env`: the app factory uvicorn imports in each worker process
(`poctix run --workers N`). The parent process resolved the database and the secret key and
passed them down in the environment."""

from __future__ import annotations

from litestar import Litestar

from api.app import create_app
from api.settings import Settings
from api.web.observability import configure_logging


def app_from_env() -> Litestar:
    settings = Settings.from_env().with_secret_key()
    configure_logging(settings.log_level)
    return create_app(settings)
