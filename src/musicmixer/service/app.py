"""The web app: API, progress stream and the player page (jobs run in worker
processes: its own, or with `QUEUE_URL` those of `musicmixer worker`).

`create_app(settings, runner=None)` builds it; tests pass their own settings
and a runner (or just `job_fn`, a fast fake mix). Errors a person can cause
come back as `{"detail": "<a sentence>"}` with a 4xx status.
"""

from __future__ import annotations

import importlib.util
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from musicmixer import __version__
from musicmixer.config import Settings
from musicmixer.errors import MusicMixerError

from .client_text import strip_paths
from .job_stores import store_for
from .remixes import ApiError
from .routes import STATIC, router
from .runner import AtCapacity, LowOnDisk, Runner
from .security import RateLimited, RateLimiter, SecurityMiddleware
from .uploads import UploadError

HEARTBEAT_S = 15.0


def swagger_assets() -> Path | None:
    """Swagger UI's files, served by this server: FastAPI's default page loads
    them from a CDN (blank offline). They come from the `fastapi-offline`
    package (Swagger UI 5, which reads the OpenAPI 3.1 FastAPI writes; the
    `swagger-ui-bundle` package ships 4.15, which refuses 3.1)."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def create_app(settings: Settings | None = None, runner: Runner | None = None, *, job_fn=None,
               heartbeat_s: float = HEARTBEAT_S, sweep_interval_s: float = 30.0) -> FastAPI:
    if settings is None:
        from musicmixer.config import get_settings

        settings = get_settings()
    if runner is None and settings.queue_url:
        from .queue_broker import QueueRunner

        runner = QueueRunner(settings, store_for(settings),
                             sweep_interval_s=sweep_interval_s)
    elif runner is None:
        runner = Runner(settings, store_for(settings), job_fn,
                        sweep_interval_s=sweep_interval_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runner.start()
        try:
            yield
        finally:
            runner.stop()

    app = FastAPI(title="musicmixer", version=__version__, lifespan=lifespan,
                  description="Two songs and a sentence in, an on-beat, in-key mashup out.",
                  docs_url=None, redoc_url=None)  # /docs is served from local assets below
    app.state.settings, app.state.runner, app.state.store = settings, runner, runner.store
    app.state.heartbeat_s = heartbeat_s
    app.state.limiter = RateLimiter(settings.web_rate_limit, settings.web_rate_window_s)
    app.add_middleware(SecurityMiddleware, allowed_origins=tuple(settings.web_allowed_origins))
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    assets = swagger_assets()
    if assets is not None:
        app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")
    _error_handlers(app)
    if settings.queue_url:
        _store_down_handler(app)
    return app


def _store_down_handler(app: FastAPI) -> None:
    """Cluster mode: while Redis restarts every request that needs a job record
    gets a clear 503 (the API process itself keeps answering)."""
    import redis

    from .queue_broker import QUEUE_DOWN

    @app.exception_handler(redis.RedisError)
    async def _down(_: Request, exc: redis.RedisError):
        return JSONResponse({"detail": QUEUE_DOWN}, status_code=503, headers={"Retry-After": "30"})


def _error_handlers(app: FastAPI) -> None:
    def answer(status: int, message: str) -> JSONResponse:
        return JSONResponse({"detail": message}, status_code=status)

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError):
        return answer(exc.status, exc.message)

    @app.exception_handler(UploadError)
    async def _upload(_: Request, exc: UploadError):
        return answer(exc.status, str(exc))

    @app.exception_handler(AtCapacity)
    async def _capacity(_: Request, exc: AtCapacity):
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "60"})

    @app.exception_handler(LowOnDisk)
    async def _disk(_: Request, exc: LowOnDisk):
        return JSONResponse({"detail": str(exc)}, status_code=507, headers={"Retry-After": "600"})

    @app.exception_handler(RateLimited)
    async def _limited(_: Request, exc: RateLimited):
        return JSONResponse({"detail": str(exc)}, status_code=429,
                            headers={"Retry-After": str(exc.retry_after_s)})

    @app.exception_handler(MusicMixerError)
    async def _user(_: Request, exc: MusicMixerError):
        return answer(422, strip_paths(str(exc)))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return answer(422, "Invalid request: " + "; ".join(parts))
