"""The FastAPI application of the promise service (SCHEMA.md, "The promise service")."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Header, Path, Query, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

import oms_plan.service.http as http
from oms_plan.service.config import ServiceConfig
from oms_plan.service.core import PromiseService, ServiceError
from oms_plan.service.ledger import LedgerError
from oms_plan.service.models import (
    AtpRow,
    ConflictAnswer,
    ErrorAnswer,
    HealthAnswer,
    PromiseAnswer,
    PromiseRequest,
    ReleaseAnswer,
    ReloadAnswer,
    ReloadRequest,
    ReservationAnswer,
    ReservationInfo,
    ReservationRequest,
    ShortAnswer,
)

log = logging.getLogger("oms_plan.service")

_Responses = dict[int | str, dict[str, Any]]
_ERR: dict[str, Any] = {"model": ErrorAnswer}
_BAD: _Responses = {
    413: {**_ERR, "description": "Body over 1 MiB"},
    422: {**_ERR, "description": "Bad input"},
}
_AUTH: _Responses = {401: {**_ERR, "description": "Missing or wrong bearer token"}}
_BUSY: _Responses = {503: {**_ERR, "description": "The ledger cannot be reached"}}
_BEARER = HTTPBearer(auto_error=False, description="The token of --token-file.")
_ID = Annotated[str, Path(min_length=1, max_length=200, description="Reservation id.")]


def _ledger_errors() -> tuple[type[Exception], ...]:
    """Database errors that mean "the ledger is unavailable" (503), not a bug."""
    errors: list[type[Exception]] = [sqlite3.OperationalError, LedgerError]
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the service extra installs it
        return tuple(errors)
    return (*errors, psycopg.OperationalError)


def create_app(service: PromiseService) -> FastAPI:
    """The HTTP application over a started :class:`PromiseService`.

    Parameters
    ----------
    service
        The service (dataset + ledger); the application follows the ledger while it runs
        and closes the service when it shuts down.

    Returns
    -------
    fastapi.FastAPI
        The ASGI application (OpenAPI at ``/docs`` and ``/openapi.json``).

    """
    config = service.config

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start_following()
        try:
            yield
        finally:
            service.close()

    app = FastAPI(
        title="oms_plan promise service",
        version="1",
        description="Delivery promises and durable reservations over one dataset "
        "(docs/service.md).",
        lifespan=lifespan,
    )
    app.add_middleware(http.JsonBodies)
    app.add_middleware(http.BodyLimit, limit=config.max_body_bytes)
    app.add_exception_handler(ServiceError, http.service_error)
    app.add_exception_handler(StarletteHTTPException, http.http_error)
    from fastapi.exceptions import RequestValidationError

    app.add_exception_handler(RequestValidationError, http.validation_error)

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.error("ledger unavailable: %s", exc)
        return JSONResponse(http.error_body("ledger", f"the ledger is unavailable: {exc}"), 503)

    for error in _ledger_errors():
        app.add_exception_handler(error, unavailable)

    check = http.BearerCheck(config.token)

    def authenticated(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
    ) -> None:
        # ``credentials`` puts the scheme in the OpenAPI schema; the check reads the header
        # itself (constant-time comparison).
        check(request)

    auth: list[Any] = [Depends(authenticated)]
    _routes(app, service, auth)
    return app


def _routes(app: FastAPI, service: PromiseService, auth: list[Any]) -> None:
    @app.get("/health", response_model=HealthAnswer, responses={503: {"model": HealthAnswer}})
    def health() -> JSONResponse:
        """Liveness and the number of reservations held."""
        try:
            answer = service.health()
        except ServiceError:  # could not follow another process's reload: say so, as health
            answer = {"status": "error", "reservations": service.held()}
        if service.error is not None:
            return JSONResponse({**answer, "status": "error", "error": service.error}, 503)
        return JSONResponse(answer)

    @app.post("/v1/promise", response_model=PromiseAnswer, responses=_BAD)
    async def promise(request: PromiseRequest) -> JSONResponse:
        """Quote a line: shipments, short quantity and what bound the date. Nothing is held."""
        return JSONResponse(service.promise(request.model_dump()))

    @app.post(
        "/v1/reservations",
        status_code=201,
        response_model=ReservationAnswer,
        dependencies=auth,
        responses={
            200: {"model": ReservationAnswer, "description": "The same Idempotency-Key again"},
            409: {"model": ShortAnswer, "description": "Nothing can be promised"},
            **_AUTH,
            **_BAD,
            **_BUSY,
        },
    )
    def reserve(
        request: ReservationRequest,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                min_length=1,
                max_length=255,
                pattern=r"^[\x21-\x7e]+$",
                description="Retries with the same key get the first answer.",
            ),
        ] = None,
    ) -> JSONResponse:
        """Promise and hold a line atomically; 201 only once the ledger has committed it."""
        status, answer = service.reserve(request.body(), idempotency_key)
        return JSONResponse(answer, status_code=status)

    @app.get(
        "/v1/reservations/{reservation_id}",
        response_model=ReservationInfo,
        responses={404: _ERR, 422: _ERR, **_BUSY},
    )
    def get_reservation(reservation_id: _ID) -> JSONResponse:
        """A reservation held (or in conflict, or committed by a reloaded dataset)."""
        return JSONResponse(service.get(reservation_id))

    @app.delete(
        "/v1/reservations/{reservation_id}",
        response_model=ReleaseAnswer,
        dependencies=auth,
        responses={404: _ERR, **_AUTH, 422: _ERR, **_BUSY},
    )
    def release(reservation_id: _ID) -> JSONResponse:
        """Give the reservation's quantities back."""
        return JSONResponse(service.release(reservation_id))

    @app.get("/v1/atp", response_model=list[AtpRow], responses={422: _ERR, **_BUSY})
    def atp(
        item: Annotated[str, Query(min_length=1, max_length=500, description="Item id.")],
        location: Annotated[str, Query(min_length=1, max_length=500, description="Location id.")],
    ) -> JSONResponse:
        """Projected stock and cumulative ATP per horizon day (reservations count)."""
        return JSONResponse(service.atp(item, location))

    @app.post(
        "/v1/reload",
        response_model=ReloadAnswer,
        dependencies=auth,
        responses={**_AUTH, **_BAD, **_BUSY},
    )
    def reload(request: Annotated[ReloadRequest | None, Body()] = None) -> JSONResponse:
        """Promise from a new dataset; reservations its orders hold are dropped as committed."""
        return JSONResponse(service.reload(None if request is None else request.dataset))

    @app.get("/v1/conflicts", response_model=list[ConflictAnswer], responses=_BUSY)
    def conflicts() -> JSONResponse:
        """Reservations that no longer fit after a reload, with the reason."""
        return JSONResponse(service.conflicts())


def app_from_env() -> FastAPI:
    """Application factory for uvicorn workers (``oms-plan serve --workers N``)."""
    return create_app(PromiseService(ServiceConfig.from_env()))
