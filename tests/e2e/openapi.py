"""Validate JSON responses against the Mastodon OpenAPI 3.1 schema (shared/mastodon-openapi).

Usage:
    spec = OpenAPISpec.load()                      # finds $TOPI_SHARED/mastodon-openapi/schema.json
    spec.validate("GET", "/api/v1/accounts/123", 200, body)   # raises SchemaViolation

Path matching prefers literal segments over templated ones, so
`/api/v1/accounts/verify_credentials` matches that literal path and never `/api/v1/accounts/{id}`.
When the spec has no schema for a (path, method, status) the response is not validated; that case
is recorded in `spec.unchecked` so the suite can report what it could not check.

Formats: JSON Schema 2020-12 treats `format` as an annotation. We assert the two formats whose
violation breaks real clients: `date-time` (RFC 3339) and `uri` (an absolute URI, RFC 3986).
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:topi:mastodon-openapi"
REPO_ROOT = Path(__file__).resolve().parents[2]


def default_spec_path() -> Path:
    shared = os.environ.get("TOPI_SHARED") or str(REPO_ROOT.parent / "shared")
    return Path(shared) / "mastodon-openapi" / "schema.json"


class SchemaViolation(AssertionError):
    """A response body does not match its OpenAPI response schema."""


@dataclass(frozen=True)
class Unchecked:
    method: str
    path: str
    status: int
    reason: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}: {self.reason}"


# RFC 3339 date-time (section 5.6), e.g. 2024-01-02T03:04:05.678Z or +02:00 offsets.
_DATE_TIME = re.compile(
    r"^\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:(\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)$"
)
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
# RFC 3986 absolute URI: a scheme, a colon, and no whitespace or control characters.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f]*$")

format_checker = FormatChecker(formats=())


@format_checker.checks("date-time")
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    m = _DATE_TIME.match(value)
    return bool(m) and int(m.group(1)) <= 60


@format_checker.checks("date")
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(_DATE.match(value))


@format_checker.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def json_pointer(parts) -> str:
    return "".join("/" + _escape_pointer(str(p)) for p in parts) or "/"


def _template_regex(template: str) -> tuple[re.Pattern, tuple[int, ...]]:
    """Regex for one path template plus its specificity key (1 per literal segment)."""
    segments = template.strip("/").split("/") if template != "/" else []
    parts, key = [], []
    for seg in segments:
        if "{" in seg:
            # `{id}` or mixed like `{date}.json`: a parameter never spans a slash
            pieces = re.split(r"(\{[^}]+\})", seg)
            parts.append(
                "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in pieces if p)
            )
            key.append(0)
        else:
            parts.append(re.escape(seg))
            key.append(1)
    return re.compile("^/" + "/".join(parts) + "$"), tuple(key)


class OpenAPISpec:
    def __init__(self, document: dict[str, Any], source: str = "<memory>"):
        self.document = document
        self.source = source
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(SPEC_URI, resource)
        self._templates = [
            (template, *_template_regex(template)) for template in document.get("paths", {})
        ]
        self._validators: dict[str, Draft202012Validator] = {}
        self._lock = threading.Lock()
        self.unchecked: list[Unchecked] = []
        self.checked_count = 0

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "OpenAPISpec":
        path = Path(path) if path else default_spec_path()
        if not path.is_file():
            raise FileNotFoundError(
                f"OpenAPI schema not found at {path}; set TOPI_SHARED to the shared/ directory"
            )
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh), source=str(path))

    # -- lookup -------------------------------------------------------------------------------

    def match_path(self, path: str) -> str | None:
        """The path template for a concrete path ('/api/v1/accounts/1' -> '/api/v1/accounts/{id}').

        The query string and a trailing slash are ignored. Among matching templates the one with
        literal segments earliest wins (segment-by-segment comparison).
        """
        path = path.split("?", 1)[0].split("#", 1)[0]
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        best: tuple[tuple[int, ...], str] | None = None
        for template, regex, key in self._templates:
            if regex.match(path) and (best is None or key > best[0]):
                best = (key, template)
        return best[1] if best else None

    def response_schema_pointer(self, method: str, path: str, status: int) -> tuple[str | None, str]:
        """JSON pointer (inside the spec) of the response schema, or (None, reason)."""
        template = self.match_path(path)
        if template is None:
            return None, "path not in the OpenAPI spec"
        operation = self.document["paths"][template].get(method.lower())
        if operation is None:
            return None, f"{method.upper()} not defined for {template}"
        responses = operation.get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in responses:
                break
        else:
            return None, f"no response {status} (nor default) for {method.upper()} {template}"
        response = responses[key]
        if "$ref" in response:  # components/responses indirection
            response = self._resolve_local(response["$ref"])
        content = response.get("content") or {}
        media = next((m for m in content if m.split(";")[0].strip() == "application/json"), None)
        if media is None or "schema" not in content[media]:
            return None, f"spec has no JSON schema for {method.upper()} {template} {key}"
        pointer = json_pointer(["paths", template, method.lower(), "responses", key, "content", media, "schema"])
        return pointer, template

    def _resolve_local(self, ref: str) -> Any:
        node: Any = self.document
        for token in ref.lstrip("#/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node

    def validator_for_pointer(self, pointer: str) -> Draft202012Validator:
        with self._lock:
            validator = self._validators.get(pointer)
            if validator is None:
                schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                          "$ref": f"{SPEC_URI}#{pointer}"}
                validator = Draft202012Validator(
                    schema, registry=self.registry, format_checker=format_checker
                )
                self._validators[pointer] = validator
            return validator

    def validator_for_component(self, name: str) -> Draft202012Validator:
        return self.validator_for_pointer(json_pointer(["components", "schemas", name]))

    # -- validation ---------------------------------------------------------------------------

    def errors(self, method: str, path: str, status: int, body: Any) -> list[str] | None:
        """Readable violations (empty list when valid), or None when the spec has no schema."""
        pointer, info = self.response_schema_pointer(method, path, status)
        if pointer is None:
            with self._lock:
                self.unchecked.append(Unchecked(method.upper(), path.split("?")[0], status, info))
            return None
        with self._lock:
            self.checked_count += 1
        return format_errors(self.validator_for_pointer(pointer), body)

    def validate(self, method: str, path: str, status: int, body: Any) -> bool:
        """Raise SchemaViolation if `body` violates the response schema. False if unchecked."""
        problems = self.errors(method, path, status, body)
        if problems is None:
            return False
        if problems:
            template = self.match_path(path)
            raise SchemaViolation(
                f"{method.upper()} {path} -> {status} does not match the OpenAPI schema "
                f"of {template} ({len(problems)} violation(s)):\n  "
                + "\n  ".join(problems)
                + "\nbody: " + _short_json(body)
            )
        return True

    def validate_component(self, name: str, instance: Any) -> None:
        problems = format_errors(self.validator_for_component(name), instance)
        if problems:
            raise SchemaViolation(f"not a valid {name}:\n  " + "\n  ".join(problems))


def format_errors(validator: Draft202012Validator, instance: Any, limit: int = 25) -> list[str]:
    out: list[str] = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        out.extend(_describe(error))
        if len(out) >= limit:
            out.append("...")
            break
    return out


def _describe(error, depth: int = 0) -> list[str]:
    where = json_pointer(error.absolute_path)
    schema_at = json_pointer(list(error.absolute_schema_path)[-4:])
    lines = [f"{'  ' * depth}at {where}: {error.message}  [schema …{schema_at}]"]
    # oneOf/anyOf: show why each branch failed, one level deep
    if error.context and depth == 0:
        for sub in sorted(error.context, key=lambda e: list(map(str, e.absolute_path)))[:6]:
            lines.extend(_describe(sub, depth + 1))
    return lines


def _short_json(body: Any, limit: int = 1500) -> str:
    text = json.dumps(body, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"
