"""``/api/docs``: the JSON API's reference, rendered on the server from the
app's own OpenAPI schema.

FastAPI's Swagger UI loads its script and style from a CDN, which the app's
Content-Security-Policy (and an offline machine) refuses; this page needs
nothing but the app. The machine-readable schema stays at
``/api/v1/openapi.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Field:
    """One parameter or body property."""

    name: str
    where: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Operation:
    """One route of the API as the page lists it."""

    method: str
    path: str
    anchor: str
    summary: str
    description: str
    tags: list[str]
    fields: list[Field] = field(default_factory=list)
    body: str | None = None
    responses: list[tuple[str, str, str | None]] = field(default_factory=list)


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return str(ref).rsplit("/", 1)[-1] if ref else None


def type_label(schema: dict[str, Any]) -> str:
    """A short readable type of a JSON Schema node.

    >>> type_label({"type": "array", "items": {"type": "string"}})
    'array of string'
    >>> type_label({"anyOf": [{"type": "integer"}, {"type": "null"}]})
    'integer or null'
    >>> type_label({"$ref": "#/components/schemas/AnswersIn"})
    'AnswersIn'
    """
    name = _ref_name(schema)
    if name:
        return name
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(type_label(s) for s in schema[key])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {type_label(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return "object of " + (type_label(extra) if isinstance(extra, dict) else "any")
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    return str(kind or "any")


def operations(schema: dict[str, Any]) -> list[Operation]:
    """Every operation of an OpenAPI document, in path order.

    >>> doc = {"paths": {"/x/{id}": {"get": {"summary": "Get x", "parameters": [
    ...     {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
    ...     "responses": {"200": {"description": "OK"}}}}}}
    >>> op = operations(doc)[0]
    >>> (op.method, op.path, op.fields[0].name, op.responses[0][0])
    ('GET', '/x/{id}', 'id', '200')
    """
    out: list[Operation] = []
    for path, item in sorted(schema.get("paths", {}).items()):
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            fields = [
                Field(
                    name=p["name"],
                    where=p.get("in", ""),
                    type=type_label(p.get("schema", {})),
                    required=bool(p.get("required")),
                    description=p.get("description", ""),
                )
                for p in op.get("parameters", [])
            ]
            body = None
            content = op.get("requestBody", {}).get("content", {})
            for media in content.values():
                body = type_label(media.get("schema", {}))
                break
            responses = []
            for code, resp in sorted(op.get("responses", {}).items()):
                model = None
                for media in resp.get("content", {}).values():
                    model = type_label(media.get("schema", {}))
                    break
                responses.append((str(code), str(resp.get("description", "")), model))
            out.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    anchor=f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    summary=op.get("summary", ""),
                    description=op.get("description", ""),
                    tags=list(op.get("tags", [])),
                    fields=fields,
                    body=body,
                    responses=responses,
                )
            )
    return out


def models(schema: dict[str, Any]) -> list[tuple[str, str, list[Field]]]:
    """(name, description, properties) of every named schema."""
    out = []
    for name, node in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(node.get("required", []))
        props = [
            Field(
                name=key,
                where="",
                type=type_label(prop),
                required=key in required,
                description=prop.get("description", ""),
            )
            for key, prop in node.get("properties", {}).items()
        ]
        out.append((name, node.get("description", ""), props))
    return out


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The API reference page."""
    schema = request.app.openapi()
    return request.app.state.templates.TemplateResponse(
        request,
        "api_docs.html",
        {
            "title": f"{schema['info']['title']} API {schema['info']['version']}",
            "brand": "cxgap API",
            "description": schema["info"].get("description", ""),
            "operations": operations(schema),
            "models": models(schema),
        },
    )
