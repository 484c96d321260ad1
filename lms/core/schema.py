"""The API schema's error responses: every operation documents the errors it can answer.

Every API error has one shape (lms.core.api.exception_handler), and some statuses follow from
the operation itself: any request can carry a bad token (403), a path with ids can name
nothing (404), a paginated list can be asked for a page past its end (404), a body can be
invalid (400), too large (413) or of another type (415). A view documents its own further
statuses (409, 429, ...) with `extend_schema`; this hook adds only what an operation leaves out.
"""

from typing import Any

ERROR_COMPONENT = {
    "type": "object",
    "description": "Every API error (lms.core.api.exception_handler).",
    "properties": {
        "message": {"type": "string", "description": "For a person, in their language."},
        "code": {"type": "string", "description": "Stable, for programs."},
        "extra": {"type": "object", "additionalProperties": {}},
    },
    "required": ["message", "code", "extra"],
}

_DESCRIPTIONS = {
    "400": "Invalid request; nothing was changed.",
    "403": "Not signed in, a bad token, or not allowed.",
    "404": "Not found, or not visible to this member.",
    "413": "Body too large.",
    "415": "Body of a type this operation does not take.",
}


def _statuses(operation: dict[str, Any]) -> list[str]:
    parameters = operation.get("parameters", [])
    statuses = ["403"]
    if any(p["in"] == "path" for p in parameters) or any(p["name"] == "page" for p in parameters):
        statuses.append("404")
    if "requestBody" in operation:
        statuses += ["400", "413", "415"]
    elif any(p["in"] == "query" for p in parameters):
        statuses.append("400")
    return statuses


def document_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_COMPONENT
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            for status in _statuses(operation):
                responses.setdefault(
                    status, {"description": _DESCRIPTIONS[status], "content": error}
                )
    return result
