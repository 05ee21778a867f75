"""HTTP plumbing of the service: body size limit, bearer tokens, error bodies."""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oms_plan.service.core import ServiceError


def error_body(field: str, message: str) -> dict[str, Any]:
    """``{"errors": [{"field", "message"}]}`` with one entry."""
    return {"errors": [{"field": field, "message": message}]}


class BodyLimit:
    """Pure ASGI middleware: bodies over ``limit`` bytes get 413 and are never read whole.

    A declared ``Content-Length`` over the limit is refused before anything is read;
    a chunked body is counted as it arrives and refused when it passes the limit.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.limit or declared < 0:
                    await _refuse(send, self.limit)
                    return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # FastAPI re-raises HTTPException from body reading; the handler below
                    # turns it into our error body.
                    raise HTTPException(413, _too_large(self.limit))
            return message

        await self.app(scope, counted, send)


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(error_body("body", _too_large(limit))).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class JsonBodies:
    """Pure ASGI middleware: every request body is JSON, whatever ``Content-Type`` says.

    ``curl -d '{...}'`` sends ``application/x-www-form-urlencoded``; the service takes no
    forms, so such a body (or one without a type, or ``text/plain``) is read as JSON.
    Browsers can send those types across sites without asking: see :class:`BearerCheck`.
    """

    _AS_JSON = (b"", b"application/x-www-form-urlencoded", b"text/plain")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] == "http":
            headers = [h for h in scope.get("headers", ()) if h[0] != b"content-type"]
            types = [v for k, v in scope.get("headers", ()) if k == b"content-type"]
            kind = types[0].split(b";")[0].strip().lower() if types else b""
            if kind in self._AS_JSON:
                scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}
        await self.app(scope, receive, send)


class BearerCheck:
    """Checks ``Authorization: Bearer <token>`` in constant time (no token: everyone passes)."""

    def __init__(self, token: str | None) -> None:
        self._token = None if token is None else token.encode()

    def __call__(self, request: Request) -> None:
        """Raise 401 unless the request carries the token (a FastAPI dependency).

        Without a token, a browser request from a web page of another origin is refused
        too: a page must not reserve through a service on the visitor's machine.
        """
        if self._token is None:
            origin = request.headers.get("origin")
            host = request.headers.get("host", "")
            if origin is not None and origin.split("://", 1)[-1] != host:
                raise HTTPException(
                    401,
                    f"requests from web pages of another origin ({origin}) are refused; "
                    "start the service with --token-file to allow them with a token",
                )
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        # compare_digest on bytes of any length: the time does not depend on where they differ.
        ok = scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self._token)
        if not ok:
            raise HTTPException(
                401,
                "missing or wrong bearer token (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": "Bearer"},
            )


async def service_error(request: Request, exc: Exception) -> JSONResponse:
    """A :class:`ServiceError` as its status and body."""
    assert isinstance(exc, ServiceError)
    return JSONResponse(exc.body(), status_code=exc.status)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's and FastAPI's HTTP errors (401, 404 of unknown paths, 405, 413) in our shape."""
    assert isinstance(exc, StarletteHTTPException)
    field = {401: "Authorization", 413: "body"}.get(exc.status_code, "path")
    return JSONResponse(
        error_body(field, str(exc.detail)),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 ``{"errors": [{"field", "message"}]}``: one entry per problem of the request."""
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "header", "path")]
        field = ".".join(loc) or "body"
        if err.get("type") == "json_invalid":
            field = "body"
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        errors.append({"field": field, "message": message})
    return JSONResponse({"errors": errors}, status_code=422)
