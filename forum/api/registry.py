"""Routing for the JSON API, and the OpenAPI 3.1 document generated from that routing.

Every API view is declared with :meth:`ApiRegistry.route`, which names its request body,
query parameters and responses as pydantic models. The same declaration is used twice:
at request time to check input (wrong content type → 415, unreadable JSON → 400, invalid
fields → 422 with a plain-English message per field) and to shape output (the view's data
is validated against the declared response model, so the document cannot drift from what
is sent); and by :meth:`ApiRegistry.openapi` to describe every route. A route that is not
declared here does not exist in the API, so it cannot be missing from the document.

We wrote this small registry rather than adopt spectree or flask-smorest: those bring
their own error shapes, blueprints and (for smorest) marshmallow, and we need our one
error shape, our auth and CSRF rules, and pydantic v2 throughout.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema
from werkzeug.exceptions import UnsupportedMediaType

from forum.auth import current_viewer
from forum.errors import DomainError, Invalid, NotFound
from forum.permissions import require_user

REF_TEMPLATE = "#/components/schemas/{model}"
# Ids past a 32-bit integer are refused before they reach the database, where they would
# overflow the column type (a 500 on PostgreSQL and SQLite alike) rather than not match.
MAX_ID = 2**31 - 1

STATUS_TEXT = {
    200: "OK", 201: "Created", 202: "Accepted: waiting for a facilitator to check it",
    204: "Done; nothing to return",
    400: "The request could not be read (malformed JSON, or a failed CSRF check)",
    401: "Not signed in, or the token is not valid",
    403: "Signed in, but not allowed to do this",
    404: "Not found, or not visible to you",
    409: "That has changed, or was already done",
    413: "The request body is too large",
    415: "The request body is not JSON",
    422: "Some fields need changing; `fields` says which and why",
    429: "Too many requests; wait the number of seconds in `Retry-After`",
}
# Every API operation is rate limited (forum/security/limits.py), so each may answer 429.
RETRY_AFTER = {"Retry-After": {
    "description": "Seconds to wait before trying again", "required": True,
    "schema": {"type": "integer", "minimum": 0}}}


class MalformedJson(DomainError):
    status = 400
    code = "invalid_json"
    default_message = "We could not read that JSON. Please check it is well formed."


class ApiInput(BaseModel):
    """Base for request bodies: unknown fields are refused so a typo is not silently lost."""

    model_config = {"extra": "forbid"}
    # Words for "Enter …" messages, by field name (e.g. {"title": "a title"}).
    labels: ClassVar[dict[str, str]] = {}


ResponseSpec = type[BaseModel] | dict[str, Any] | None
Result = Any  # data | (data, status) | (data, status, headers)


@dataclass
class ApiRoute:
    """One declared operation (a rule and one method)."""

    rule: str
    method: str
    endpoint: str
    summary: str
    description: str
    body: type[ApiInput] | None
    query: type[BaseModel] | None
    responses: dict[int, ResponseSpec]
    auth: bool
    csrf: bool
    tags: list[str] = field(default_factory=list)
    errors: frozenset[int] = frozenset()


# ---- input --------------------------------------------------------------------------------

def _message(err: Any, labels: dict[str, str]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    name = str(err["loc"][-1]) if err["loc"] else ""
    label = labels.get(name)
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return f"Enter {label}." if label else "This is required."
    if kind == "string_too_long":
        return f"This must be {ctx['max_length']:,} characters or fewer."
    if kind == "string_too_short":
        return f"This must be at least {ctx['min_length']:,} characters."
    if kind == "string_type":
        return "This must be text."
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "This must be a whole number."
    if kind in ("bool_type", "bool_parsing"):
        return "This must be true or false."
    if kind == "greater_than_equal":
        return f"This must be {ctx['ge']:,} or more."
    if kind == "less_than_equal":
        return f"This must be {ctx['le']:,} or less."
    if kind in ("enum", "literal_error"):
        return f"Choose one of: {ctx.get('expected', '')}."
    if kind.startswith("datetime_") or kind == "timezone_aware":
        return "Enter a date and time like 2026-03-01T09:00 (UTC unless it has an offset)."
    if kind.startswith("date_"):
        return "Enter a date like 2026-03-01."
    if kind == "list_type":
        return "This must be a list."
    if kind == "too_long" and "max_length" in ctx:
        return f"This can have at most {ctx['max_length']:,} items."
    if kind == "extra_forbidden":
        return "We do not recognise this field. Please check its name."
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return "This value is not valid."


def validation_fields(exc: ValidationError, labels: dict[str, str]) -> dict[str, str]:
    """Per-field plain-English messages from a pydantic error (first problem per field)."""
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        key = ".".join(str(part) for part in err["loc"])
        fields.setdefault(key, _message(err, labels))
    return fields


def parse_model(model: type[BaseModel], data: Any, *, what: str) -> BaseModel:
    """Validate ``data`` against ``model`` or raise Invalid (422) naming each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        if any(not err["loc"] for err in exc.errors(include_url=False, include_input=False)):
            raise Invalid(f"The {what} must be a JSON object.") from None
        raise Invalid(fields=validation_fields(exc, getattr(model, "labels", {}))) from None


def read_json_body() -> Any:
    """The request's JSON, refusing other content types (415) and unreadable JSON (400)."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            "Send the request body as JSON, with the header Content-Type: application/json.")
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        # ValueError covers bad JSON and bad UTF-8; RecursionError absurdly deep nesting.
        raise MalformedJson() from None


# ---- output -------------------------------------------------------------------------------

def _normalise(result: Result) -> tuple[Any, int, dict[str, str]]:
    if isinstance(result, tuple):
        if len(result) == 3:
            return result[0], result[1], dict(result[2])
        return result[0], result[1], {}
    return result, 200, {}


def render(result: Result, responses: dict[int, ResponseSpec]) -> Response:
    data, status, headers = _normalise(result)
    if status not in responses:
        raise RuntimeError(f"status {status} is not declared for this API route")
    spec = responses[status]
    if spec is None:
        resp = Response(status=status)
    else:
        if isinstance(spec, type) and issubclass(spec, BaseModel):
            model = data if isinstance(data, spec) else spec.model_validate(data)
            data = model.model_dump(mode="json")
        resp = jsonify(data)
        resp.status_code = status
    for key, value in headers.items():
        resp.headers[key] = value
    return resp


# ---- the registry -------------------------------------------------------------------------

_RULE_PARAM = re.compile(r"<(?:(?P<conv>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def openapi_path(rule: str) -> str:
    """``/threads/<int:thread_id>`` → ``/threads/{thread_id}``."""
    return _RULE_PARAM.sub(lambda m: "{" + m.group("name") + "}", rule)


def path_parameters(rule: str) -> list[dict[str, Any]]:
    params = []
    for match in _RULE_PARAM.finditer(rule):
        conv = match.group("conv") or "string"
        schema: dict[str, Any] = ({"type": "integer", "minimum": 0, "maximum": MAX_ID}
                                  if conv == "int" else {"type": "string"})
        params.append({"name": match.group("name"), "in": "path", "required": True,
                       "schema": schema})
    return params


class ApiRegistry:
    """Declared API routes on one blueprint, and the OpenAPI document describing them."""

    def __init__(self, bp: Blueprint) -> None:
        self.bp = bp
        self.routes: list[ApiRoute] = []
        self.csrf_exempt_endpoints: set[str] = set()

    def route(self, rule: str, *, methods: Iterable[str], responses: dict[int, ResponseSpec],
              body: type[ApiInput] | None = None, query: type[BaseModel] | None = None,
              auth: bool = False, csrf: bool = True, tags: Iterable[str] = (),
              errors: Iterable[int] = ()
              ) -> Callable[[Callable[..., Result]], Callable[..., Response]]:
        """Declare a view. It is called with its path values, plus ``body=`` (a validated
        ``body`` model) and ``query=`` when declared, and returns data, ``(data, status)``
        or ``(data, status, headers)``. ``auth`` requires a signed-in, active member (401
        otherwise); ``csrf=False`` is only for routes that carry their own credentials.
        ``errors`` documents error statuses the route's shape does not imply (e.g. 404 for
        an id given in the body)."""
        methods = [m.upper() for m in methods]

        def decorator(view: Callable[..., Result]) -> Callable[..., Response]:
            endpoint = view.__name__

            @functools.wraps(view)
            def wrapper(**values: Any) -> Response:
                for value in values.values():
                    if isinstance(value, int) and value > MAX_ID:
                        raise NotFound()
                if auth:
                    require_user(current_viewer())
                if query is not None:
                    values["query"] = parse_model(query, request.args.to_dict(),
                                                  what="query string")
                if body is not None:
                    values["body"] = parse_model(body, read_json_body(), what="request body")
                return render(view(**values), responses)

            self.bp.add_url_rule(rule, endpoint, wrapper, methods=methods)
            if not csrf:
                self.csrf_exempt_endpoints.add(f"{self.bp.name}.{endpoint}")
            doc = (view.__doc__ or "").strip()
            summary, _, description = doc.partition("\n")
            for method in methods:
                self.routes.append(ApiRoute(
                    rule=rule, method=method, endpoint=endpoint, summary=summary.strip(),
                    description=" ".join(description.split()), body=body, query=query,
                    responses=responses, auth=auth, csrf=csrf, tags=list(tags),
                    errors=frozenset(errors)))
            return wrapper

        return decorator

    # ---- OpenAPI ----

    def _schemas(self, error_model: type[BaseModel]) -> tuple[dict[Any, Any], dict[str, Any]]:
        keyed: list[tuple[type[BaseModel], Any]] = []
        for route in self.routes:
            if route.body is not None:
                keyed.append((route.body, "validation"))
            for spec in route.responses.values():
                if isinstance(spec, type) and issubclass(spec, BaseModel):
                    keyed.append((spec, "serialization"))
        keyed.append((error_model, "serialization"))
        keyed = list(dict.fromkeys(keyed))
        refs, defs = models_json_schema(keyed, ref_template=REF_TEMPLATE)
        return refs, defs.get("$defs", {})

    def openapi(self, *, title: str, version: str, description: str, server_url: str,
                error_model: type[BaseModel]) -> dict[str, Any]:
        """The OpenAPI 3.1 document for every declared route."""
        refs, schemas = self._schemas(error_model)
        error_ref = refs[(error_model, "serialization")]
        prefix = (self.bp.url_prefix or "").rstrip("/")
        paths: dict[str, dict[str, Any]] = {}
        for route in self.routes:
            op = self._operation(route, refs, error_ref)
            paths.setdefault(openapi_path(prefix + route.rule), {})[route.method.lower()] = op
        return {
            "openapi": "3.1.0",
            "info": {"title": title, "version": version, "description": description},
            "servers": [{"url": server_url}],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer",
                                   "description": "A personal access token from POST "
                                                  "/api/v1/tokens."},
                    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                                   "description": "The website's sign-in cookie. Writes "
                                                  "also need the X-CSRFToken header."},
                },
            },
        }

    def _operation(self, route: ApiRoute, refs: dict[Any, Any], error_ref: dict[str, Any]
                   ) -> dict[str, Any]:
        op: dict[str, Any] = {
            "operationId": f"{route.endpoint}_{route.method.lower()}"
            if sum(r.endpoint == route.endpoint for r in self.routes) > 1 else route.endpoint,
            "summary": route.summary,
            "tags": route.tags,
        }
        if route.description:
            op["description"] = route.description
        params = path_parameters(route.rule)
        if route.query is not None:
            schema = route.query.model_json_schema(ref_template=REF_TEMPLATE)
            required = set(schema.get("required", []))
            for name, prop in schema.get("properties", {}).items():
                param: dict[str, Any] = {"name": name, "in": "query",
                                         "required": name in required, "schema": prop}
                if "description" in prop:
                    param["description"] = prop["description"]
                params.append(param)
        if params:
            op["parameters"] = params
        if route.body is not None:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": refs[(route.body, "validation")]}}}
        responses: dict[str, Any] = {}
        for status, spec in sorted(route.responses.items()):
            entry: dict[str, Any] = {"description": STATUS_TEXT.get(status, "OK")}
            if isinstance(spec, type) and issubclass(spec, BaseModel):
                entry["content"] = {"application/json": {
                    "schema": refs[(spec, "serialization")]}}
            elif isinstance(spec, dict):
                entry["content"] = {"application/json": {"schema": spec}}
            responses[str(status)] = entry
        errors = {401, 429, *route.errors}
        if route.auth:
            errors.add(403)
        if "<" in route.rule:
            errors.add(404)
        if route.body is not None:
            errors.update({400, 413, 415, 422})
        elif route.method not in ("GET", "HEAD") and route.csrf:
            errors.add(400)  # the CSRF check for cookie-authenticated writes
        if route.query is not None:
            errors.add(422)
        for status in sorted(errors):
            responses[str(status)] = {"description": STATUS_TEXT[status], "content": {
                "application/json": {"schema": error_ref}}}
            if status == 429:
                responses[str(status)]["headers"] = RETRY_AFTER
        op["responses"] = responses
        if route.auth:
            op["security"] = [{"bearerAuth": []}, {"cookieAuth": []}]
        else:
            op["security"] = [{}, {"bearerAuth": []}, {"cookieAuth": []}]
        return op
