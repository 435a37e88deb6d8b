"""The ASGI application: routes, error contract, demo sites, and the lifespan that owns the workers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from mantis import __version__, console
from mantis.api import errors, openapi
from mantis.api.ratelimit import AUTH_FAILURE_BURST, RateLimiter
from mantis.api.routes import router
from mantis.config import Settings
from mantis.demo import router as demo_router
from mantis.services import Services
from mantis.viewer.routes import router as viewer_router
from mantis.webhooks import Dispatcher
from mantis.workers.factory import make_executor
from mantis.workers.pruner import Pruner


def create_app(settings: Settings, prefix: str = "") -> FastAPI:
    """The server; with a prefix (`/production/sync`) every route is served under it.

    Its executor (`MANTIS_EXECUTOR`) is in `app.state.executor`, for the signal handler that stops it
    claiming runs before open requests have drained.
    """
    api = FastAPIOffline(  # /docs and /redoc with their scripts from the package, never from a CDN
        title="Mantis",
        version=__version__,
        summary="Run browser work with AI models: submit a plan, poll the run, fetch its rows.",
    )
    errors.install(api)
    openapi.install(api)
    api.state.limiter = RateLimiter(settings.rate_limit_per_s)
    api.state.auth_failures = RateLimiter(settings.auth_failures_per_min / 60, AUTH_FAILURE_BURST)
    api.include_router(router)
    api.include_router(viewer_router)
    api.include_router(demo_router, prefix="/demo", include_in_schema=False)
    console.install(api)

    executor = make_executor(settings)

    @asynccontextmanager
    async def lifespan(_app: object) -> AsyncIterator[None]:
        services = Services(settings)
        services.executor = executor
        api.state.services = services
        await executor.start(services)
        webhooks = Dispatcher(services)
        await webhooks.start()
        pruner = Pruner(services)
        await pruner.start()
        try:
            yield
        finally:
            await pruner.stop()
            await executor.stop(settings.shutdown_grace_s)
            await webhooks.stop()
            await services.close()

    prefix = prefix.rstrip("/")
    if not prefix:
        api.router.lifespan_context = lifespan
        api.state.executor = executor
        return api
    outer = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    outer.mount(prefix, api)
    outer.state.executor = executor
    return outer
