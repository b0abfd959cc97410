"""flask-smorest wired to this application: the request parser, errors, and the OpenAPI document.

flask-smorest reads a request through webargs with the view's marshmallow schema and dumps the
answer with another, and apispec turns those same schemas into the document served at
``/api/v1/openapi.json``. What it would do differently from the API as it stood is set here:
errors keep this API's JSON shape and language (``tracker.errors``), a query parameter that fails
is a 400 and a body field a 422, and the document's paths stay relative to ``/api/v1``.
"""
import marshmallow as ma
from flask import Flask
from flask_babel import gettext as _
from apispec import BasePlugin
from flask_smorest import Api, Blueprint
from flask_smorest.spec.plugins import FlaskPlugin
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import MultiDict

from tracker.api.schemas import ErrorSchema, allow_empty_value

API_PREFIX = "/api/v1"
OPENAPI_VERSION = "3.0.3"
DESCRIPTION = (
    "Trade a username and password (HTTP Basic) for a bearer token at POST /tokens, then send "
    "`Authorization: Bearer <token>`. Tokens are valid 24 hours and can be revoked. The session cookie of "
    "the web interface never authenticates an API call. Errors are JSON `{\"error\": ..., \"status\": ...}`, "
    "with `fields` naming the fields at fault on 400 and 422. Messages follow the user's language."
)


class ApiError(Exception):
    """An answer other than success, with a message for the client (and per-field messages)."""

    def __init__(self, status: int, message: str, fields: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields
        self.headers = headers or {}


def _messages(messages) -> dict[str, list[str]]:
    """marshmallow's messages as {field: [text, ...]}; nested ones (a list item) under their field."""
    result: dict[str, list[str]] = {}
    if not isinstance(messages, dict):
        return {"_body": [str(m) for m in (messages if isinstance(messages, list) else [messages])]}
    for key, value in messages.items():
        listed = result.setdefault(str(key), [])
        if isinstance(value, dict):  # {index: [...]} for a list's item, {key: [...]} for a nested object
            for inner in _messages(value).values():
                listed.extend(inner)
        elif isinstance(value, list):
            listed.extend(str(m) for m in value)
        else:
            listed.append(str(value))
    return result


class ApiParser(FlaskParser):
    """webargs' Flask parser, answering as this API always has."""

    DEFAULT_VALIDATION_STATUS = 422

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[type, ma.Schema] = {}

    def _get_schema(self, argmap, req):
        """One instance per schema class, made at its first use rather than at every request (webargs'
        default): a schema keeps no state between loads, and making one costs more than most loads."""
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas.setdefault(argmap, argmap())
            return schema
        return super()._get_schema(argmap, req)

    def load_json(self, req, schema):
        # A body that is not a JSON object never reaches the schema: 415 or 400, not 422.
        if not req.is_json:
            raise ApiError(415, _("Send the data as JSON, with Content-Type: application/json."))
        payload = req.get_json(silent=True)
        if not isinstance(payload, dict):
            raise ApiError(400, _("The request body is not a valid JSON object."))
        return payload

    def load_querystring(self, req, schema):
        # ?page= (empty) means "the default", as it always has.
        present = MultiDict([(k, v) for k, v in req.args.items(multi=True) if v.strip()])
        return self._makeproxy(present, schema)

    def handle_error(self, error: ma.ValidationError, req, schema, *, error_status_code, error_headers):
        # webargs wraps the messages in their location: {"json": {...}} or {"query": {...}}.
        ((location, messages),) = error.messages.items() if len(error.messages) == 1 else (("json", error.messages),)
        fields = _messages(messages)
        if location == "query":
            message = " ".join(m for listed in fields.values() for m in listed)
            raise ApiError(error_status_code or 400, message, fields=fields)
        refusal = getattr(schema, "refusal", None) or _("The request was not accepted. Correct the fields listed.")
        raise ApiError(error_status_code or self.DEFAULT_VALIDATION_STATUS, str(refusal), fields=fields)


class RelativeFlaskPlugin(FlaskPlugin):
    """Paths relative to the document's server, /api/v1, as clients of this API have always read them."""

    def path_helper(self, rule, operations, parameters, **kwargs):
        return super().path_helper(rule, operations, parameters, **kwargs).removeprefix(API_PREFIX)


class JsonBodyRefusalsPlugin(BasePlugin):
    """The answers tracker.security gives before any view reads a JSON body, on every operation that takes
    one: 413 when it is larger than JSON_MAX_BYTES, 400 when it is nested too deeply or a string in it holds
    a NUL, another control character or an unpaired surrogate (and the parser's own 400 for a body that is
    not a JSON object). An operation that documents its own 400 keeps it."""

    REFUSED = "JSON_BODY_REFUSED"
    TOO_LARGE = "JSON_BODY_TOO_LARGE"

    def init_spec(self, spec):
        super().init_spec(spec)
        from tracker.security import JSON_MAX_BYTES

        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        spec.components.response(self.REFUSED, {
            "description": "The body is not a JSON object, is nested too deeply, or a string in it holds a NUL, "
                           "another control character (tab, line feed and carriage return are allowed) or an "
                           "unpaired surrogate.",
            "content": error})
        spec.components.response(self.TOO_LARGE, {
            "description": f"The body is larger than {JSON_MAX_BYTES} bytes.", "content": error})

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            content = (operation.get("requestBody") or {}).get("content") or {}
            if "application/json" in content:
                responses = operation.setdefault("responses", {})
                responses.setdefault("400", self.REFUSED)
                responses.setdefault("413", self.TOO_LARGE)


class TrackerApi(Api):
    """flask-smorest's Api; errors are answered by tracker.errors, so it registers no handler of its own."""

    ERROR_SCHEMA = ErrorSchema
    # Every status an operation can answer is listed with it; no catch-all "default".
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        pass


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ApiParser()


def init_api(app: Flask, bp: ApiBlueprint) -> TrackerApi:
    """One Api per application (tests make many): the document is built from the app's own routes."""
    app.config.update(
        API_TITLE="Customs enterprise-outreach tracker API",
        API_VERSION="1",
        OPENAPI_VERSION=OPENAPI_VERSION,
        # No OPENAPI_URL_PREFIX: smorest adds no endpoint; api.openapi serves the document.
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "servers": [{"url": API_PREFIX}],
            "security": [{"bearerAuth": []}],
        },
    )
    api = TrackerApi(app, spec_kwargs={"flask_plugin": RelativeFlaskPlugin(),
                                       "extra_plugins": [JsonBodyRefusalsPlugin()]})
    api.ma_plugin.converter.add_parameter_attribute_function(allow_empty_value)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "A token from POST /tokens, valid 24 hours."}
    )
    api.spec.components.security_scheme(
        "basicAuth", {"type": "http", "scheme": "basic", "description": "Username and password; only for POST /tokens."}
    )
    api.register_blueprint(bp, url_prefix=API_PREFIX)
    return api

