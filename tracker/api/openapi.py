"""The OpenAPI 3.0 description of /api/v1, served at /api/v1/openapi.json.

Written by hand next to the views; tests/test_api.py checks that every route of the blueprint
appears here with its methods, so a new endpoint cannot ship undocumented.
"""
from copy import deepcopy

from tracker.auth.models import Role
from tracker.enterprises.reference import ECONOMIC_TYPES, CreditRegime
from tracker.needs.models import (
    ExtensionStatus,
    FollowUpChannel,
    NeedEntryKind,
    NeedSource,
    NeedStatus,
    Satisfaction,
)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _nullable(type_: str, **extra) -> dict:
    return {"type": type_, "nullable": True, **extra}


UNAUTHORIZED = _error("No valid bearer token: missing, unknown, expired, revoked, or its user is deactivated.")
FORBIDDEN = _error("The caller's role may not use this endpoint.")

ENTERPRISE_ITEM = {
    "type": "object",
    "required": ["id", "name", "name_en", "uscc", "customs_code", "office", "district", "address", "industry",
                 "economic_type", "is_key", "credit_level", "trade_modes", "assigned_officer", "archived"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string", "description": "Registered Chinese name."},
        "name_en": _nullable("string"),
        "uscc": {"type": "string", "description": "Unified social credit code (统一社会信用代码), 18 characters."},
        "customs_code": _nullable("string", description="Customs registration code (海关注册编码), 10 digits."),
        "office": {"type": "string", "description": "Code of the customs office the firm belongs to, e.g. 0930."},
        "district": _nullable("string"),
        "address": _nullable("string"),
        "industry": _nullable("string"),
        "economic_type": _nullable("string", enum=[*sorted(ECONOMIC_TYPES), None],
                                   description="Digit 6 of a customs registration code: 1 state-owned … 9 other."),
        "is_key": {"type": "boolean", "description": "A key firm (重点企业)."},
        "credit_level": _nullable("string", description="Current customs credit level, e.g. advanced_certified."),
        "trade_modes": {"type": "array", "items": {"type": "string"},
                        "description": "Codes of the firm's trade modes (监管方式), e.g. 0110."},
        "assigned_officer": _nullable("string", description="Username of the officer responsible for the firm."),
        "archived": {"type": "boolean"},
    },
}

ENTERPRISE_DETAIL = {
    "allOf": [
        _ref("EnterpriseItem"),
        {
            "type": "object",
            "required": ["contacts", "credit_history", "declarations"],
            "properties": {
                "contacts": {"type": "array", "items": _ref("EnterpriseContact")},
                "credit_history": {"type": "array", "items": _ref("CreditRating"),
                                   "description": "Newest first."},
                "declarations": {
                    "type": "object",
                    "additionalProperties": {"type": "integer", "minimum": 0},
                    "description": "Declarations (报关单) filed per year, keyed by the year, e.g. {\"2019\": 120}.",
                },
                "notes": _nullable("string", description="The office's notes; present for staff only."),
            },
        },
    ]
}

ENTERPRISE_INPUT = {
    "type": "object",
    "required": ["name", "uscc", "office"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "name_en": {"type": "string", "maxLength": 300},
        "uscc": {"type": "string", "description": "Full-width characters, spaces and lower case are normalised."},
        "uscc_override_reason": {
            "type": "string",
            "description": "Accept a USCC whose check character fails (early pilot codes), giving the reason.",
        },
        "customs_code": {"type": "string", "description": "10 digits."},
        "office": {"type": "string", "description": "Office code; the caller's office or one below it (admins any)."},
        "district": {"type": "string", "maxLength": 100},
        "address": {"type": "string", "maxLength": 300},
        "industry": {"type": "string", "maxLength": 100},
        "economic_type": {"type": "string", "enum": sorted(ECONOMIC_TYPES)},
        "is_key": {"type": "boolean"},
        "notes": {"type": "string", "maxLength": 5000},
        "trade_modes": {"type": "array", "items": {"type": "string"}, "description": "Trade mode codes."},
        "assigned_officer": {"type": "string", "description": "Username of an active officer or manager."},
    },
}

ENTERPRISE_ID = {"name": "enterprise_id", "in": "path", "required": True,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}

NEED_ID = {"name": "need_id", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}

NEED_ITEM = {
    "type": "object",
    "required": ["id", "enterprise_id", "source", "category", "content", "department", "raised_on", "deadline",
                 "status", "overdue", "explanation", "resolved_at", "closed_at"],
    "properties": {
        "id": {"type": "integer"},
        "enterprise_id": {"type": "integer"},
        "source": {"type": "string", "enum": [s.value for s in NeedSource],
                   "description": "How the need was raised."},
        "category": {"type": "string", "description": "Need category (通关时效, 原产地证 …)."},
        "content": {"type": "string"},
        "department": _nullable("string", description="Responsible department (责任科室)."),
        "raised_on": {"type": "string", "format": "date"},
        "deadline": {"type": "string", "format": "date",
                     "description": "办理时限, counted in Chinese working days; moved only by an approved extension."},
        "status": {"type": "string", "enum": [s.value for s in NeedStatus],
                   "description": "pending 待受理, in_progress 办理中, resolved 已办结, closed 已销号, "
                                  "unresolvable 无法解决（已说明）."},
        "overdue": {"type": "boolean", "description": "Open and past its deadline (Asia/Shanghai date)."},
        "explanation": _nullable("string", description="Why it cannot be resolved, as told to the firm."),
        "resolved_at": _nullable("string", format="date-time"),
        "closed_at": _nullable("string", format="date-time"),
        "assigned_officer": _nullable("string", description="Username of the officer; present for staff only."),
    },
}

NEED_DETAIL = {
    "allOf": [
        _ref("NeedItem"),
        {
            "type": "object",
            "required": ["entries", "follow_ups"],
            "properties": {
                "entries": {
                    "type": "array",
                    "description": "Progress, the firm's comments and (for staff only) internal notes, oldest first.",
                    "items": {"type": "object", "required": ["kind", "text", "created_at"],
                              "properties": {"kind": {"type": "string", "enum": [k.value for k in NeedEntryKind]},
                                             "text": {"type": "string"},
                                             "created_at": {"type": "string", "format": "date-time"}}},
                },
                "follow_ups": {
                    "type": "array",
                    "items": {"type": "object", "required": ["channel", "held_on", "satisfaction", "note"],
                              "properties": {
                                  "channel": {"type": "string", "enum": [c.value for c in FollowUpChannel]},
                                  "held_on": {"type": "string", "format": "date"},
                                  "satisfaction": {"type": "string", "enum": [s.value for s in Satisfaction]},
                                  "note": _nullable("string")}},
                },
                "extensions": {
                    "type": "array", "description": "Deadline extensions; present for staff only.",
                    "items": {"type": "object", "required": ["old_deadline", "new_deadline", "reason", "status"],
                              "properties": {
                                  "old_deadline": {"type": "string", "format": "date"},
                                  "new_deadline": {"type": "string", "format": "date"},
                                  "reason": {"type": "string"},
                                  "status": {"type": "string", "enum": [x.value for x in ExtensionStatus]}}},
                },
            },
        },
    ]
}

DOCUMENT = {
    "openapi": "3.0.3",
    "info": {
        "title": "Customs enterprise-outreach tracker API",
        "version": "1",
        "description": (
            "Trade a username and password (HTTP Basic) for a bearer token at POST /tokens, then send "
            "`Authorization: Bearer <token>`. Tokens are valid 24 hours and can be revoked. The session "
            "cookie of the web interface never authenticates an API call. Errors are JSON "
            "`{\"error\": ..., \"status\": ...}`, with `fields` on 422. Messages follow the user's language."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}],
    "paths": {
        "/tokens": {
            "post": {
                "operationId": "createToken",
                "summary": "Issue a bearer token",
                "description": "Failed attempts are throttled per username and per client address, as at sign-in.",
                "security": [{"basicAuth": []}],
                "responses": {
                    "201": _json(_ref("Token"), "A new token. It is shown once; only its hash is stored."),
                    "401": _error("Missing or wrong username or password, or a deactivated account."),
                    "429": _error("Too many failed attempts; see Retry-After."),
                },
            }
        },
        "/tokens/current": {
            "delete": {
                "operationId": "revokeCurrentToken",
                "summary": "Revoke the token used for this request",
                "responses": {"204": {"description": "Revoked."}, "401": UNAUTHORIZED},
            }
        },
        "/me": {
            "get": {
                "operationId": "getMe",
                "summary": "The caller's account",
                "responses": {"200": _json(_ref("Me"), "The caller."), "401": UNAUTHORIZED},
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI 3 document.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }
        },
        "/enterprises": {
            "get": {
                "operationId": "listEnterprises",
                "summary": "Search the firms the caller may see",
                "description": (
                    "Staff see the firms of their office and the offices below it (admins all); an enterprise "
                    "contact sees only his own firm. Ordered by name."
                ),
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"},
                     "description": "Name substring, pinyin initials or syllables (e.g. ylsf), USCC or customs "
                                    "code (or a part of four characters or more)."},
                    {"name": "campaign", "in": "query", "schema": {"type": "integer", "minimum": 1},
                     "description": "Only firms on this campaign's roster. 404 if the campaign does not exist or "
                                    "the caller cannot see it."},
                    {"name": "archived", "in": "query",
                     "schema": {"type": "string", "enum": ["0", "1", "false", "true"], "default": "0"},
                     "description": "1 (or true) includes archived firms, which are left out by default."},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                    {"name": "per_page", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}},
                ],
                "responses": {
                    "200": _json(_ref("EnterprisePage"), "A page of firms."),
                    "400": _error("An invalid page, per_page, campaign or archived value."),
                    "401": UNAUTHORIZED,
                    "404": _error("No such campaign, or one the caller cannot see."),
                },
            },
            "post": {
                "operationId": "createEnterprise",
                "summary": "Register a firm (officers, managers and admins)",
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": _ref("EnterpriseInput")}}},
                "responses": {
                    "201": {**_json(_ref("EnterpriseDetail"), "The new firm."),
                            "headers": {"Location": {"schema": {"type": "string"},
                                                     "description": "The firm's URL in this API."}}},
                    "400": _error("The body is not a JSON object."),
                    "401": UNAUTHORIZED,
                    "403": FORBIDDEN,
                    "415": _error("The body is not sent as application/json."),
                    "422": _json(_ref("ValidationError"), "Invalid fields; every problem is listed."),
                },
            },
        },
        "/enterprises/{enterprise_id}": {
            "get": {
                "operationId": "getEnterprise",
                "summary": "One firm with its contacts, credit history and declaration counts",
                "parameters": [ENTERPRISE_ID],
                "responses": {
                    "200": _json(_ref("EnterpriseDetail"), "The firm."),
                    "401": UNAUTHORIZED,
                    "404": _error("No such firm, or one the caller may not see (the two are not told apart)."),
                },
            }
        },
        "/enterprises/{enterprise_id}/needs": {
            "get": {
                "operationId": "listEnterpriseNeeds",
                "summary": "A firm's business needs (业务需求), overdue first, then by deadline",
                "description": "Staff see the needs of the firms of their subtree; a contact only his own firm's.",
                "parameters": [
                    ENTERPRISE_ID,
                    {"name": "status", "in": "query",
                     "schema": {"type": "string", "enum": [s.value for s in NeedStatus]}},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                    {"name": "per_page", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}},
                ],
                "responses": {
                    "200": _json(_ref("NeedPage"), "A page of the firm's needs."),
                    "400": _error("An invalid status, page or per_page."),
                    "401": UNAUTHORIZED,
                    "404": _error("No such firm, or one the caller may not see (the two are not told apart)."),
                },
            }
        },
        "/needs/{need_id}": {
            "get": {
                "operationId": "getNeed",
                "summary": "One need with its history and follow-ups (contacts never get internal notes)",
                "parameters": [NEED_ID],
                "responses": {
                    "200": _json(_ref("NeedDetail"), "The need."),
                    "401": UNAUTHORIZED,
                    "404": _error("No such need, or another firm's (the two are not told apart)."),
                },
            }
        },
    },
    "components": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "A token from POST /tokens, valid 24 hours."},
            "basicAuth": {"type": "http", "scheme": "basic",
                          "description": "Username and password; only for POST /tokens."},
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "status"],
                "properties": {"error": {"type": "string", "description": "A message for people."},
                               "status": {"type": "integer"}},
            },
            "ValidationError": {
                "allOf": [
                    _ref("Error"),
                    {
                        "type": "object",
                        "required": ["fields"],
                        "properties": {
                            "fields": {
                                "type": "object",
                                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                                "description": "Messages per input field, e.g. {\"uscc\": [\"...\"]}.",
                            }
                        },
                    },
                ]
            },
            "Token": {
                "type": "object",
                "required": ["token", "expires_at"],
                "properties": {"token": {"type": "string"},
                               "expires_at": {"type": "string", "format": "date-time",
                                              "description": "UTC, e.g. 2026-05-01T08:00:00Z."}},
            },
            "Me": {
                "type": "object",
                "required": ["id", "username", "display_name", "role", "office", "enterprise_id"],
                "properties": {
                    "id": {"type": "integer"},
                    "username": {"type": "string"},
                    "display_name": {"type": "string"},
                    "role": {"type": "string", "enum": [r.value for r in Role]},
                    "office": {"type": "string", "description": "Office code."},
                    "enterprise_id": _nullable("integer", description="The contact's firm; null for staff."),
                },
            },
            "EnterpriseItem": ENTERPRISE_ITEM,
            "EnterpriseDetail": ENTERPRISE_DETAIL,
            "EnterpriseInput": ENTERPRISE_INPUT,
            "EnterpriseContact": {
                "type": "object",
                "required": ["id", "name", "title", "phone", "email"],
                "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "title": _nullable("string"),
                               "phone": _nullable("string"), "email": _nullable("string")},
            },
            "CreditRating": {
                "type": "object",
                "required": ["regime", "level", "valid_from", "valid_to"],
                "properties": {
                    "regime": {"type": "string", "enum": [r.value for r in CreditRegime]},
                    "level": {"type": "string"},
                    "valid_from": {"type": "string", "format": "date"},
                    "valid_to": _nullable("string", format="date", description="null while the level holds."),
                },
            },
            "NeedItem": NEED_ITEM,
            "NeedDetail": NEED_DETAIL,
            "NeedPage": {
                "type": "object",
                "required": ["items", "page", "per_page", "pages", "total"],
                "properties": {
                    "items": {"type": "array", "items": _ref("NeedItem")},
                    "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "pages": {"type": "integer", "description": "0 when the firm has no needs."},
                    "total": {"type": "integer"},
                },
            },
            "EnterprisePage": {
                "type": "object",
                "required": ["items", "page", "per_page", "pages", "total"],
                "properties": {
                    "items": {"type": "array", "items": _ref("EnterpriseItem")},
                    "page": {"type": "integer"},
                    "per_page": {"type": "integer"},
                    "pages": {"type": "integer", "description": "0 when nothing matches."},
                    "total": {"type": "integer"},
                },
            },
        },
    },
}


def openapi_document() -> dict:
    """A copy, so that no caller can alter the module's document."""
    return deepcopy(DOCUMENT)
