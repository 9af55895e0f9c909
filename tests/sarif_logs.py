"""Small SARIF 2.1.0 logs for the batch intake tests, shaped like a CodeQL run."""

from __future__ import annotations

import copy
from typing import Any

RULES = [
    {
        "id": "py/sql-injection",
        "name": "SqlInjection",
        "shortDescription": {"text": "SQL query built from user-controlled sources"},
        "fullDescription": {"text": "Building a SQL query from user input allows injection."},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security", "external/cwe/cwe-089"]},
    },
    {
        "id": "py/reflective-xss",
        "shortDescription": {"text": "Reflected server-side cross-site scripting"},
        "properties": {"tags": ["security", "CWE-79"]},
    },
]


def result(i: int, *, rule: int = 0, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": RULES[rule]["id"],
        "ruleIndex": rule,
        "level": "error",
        "message": {"text": f"This query depends on a user-provided value (finding {i})."},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": f"src/libexample/module{i}.py"},
                    "region": {"startLine": 40 + i, "startColumn": 5},
                }
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": f"{i:016x}:1"},
    }
    out.update(extra)
    return out


def log(
    results: int | list[dict[str, Any]] = 3,
    *,
    purl: str | None = "pkg:pypi/libexample@1.2.0",
    version: str = "2.15.0",
) -> dict[str, Any]:
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "CodeQL",
                "semanticVersion": version,
                "rules": copy.deepcopy(RULES),
            }
        },
        "results": [result(i) for i in range(results)] if isinstance(results, int) else results,
    }
    if purl is not None:
        run["properties"] = {"purl": purl}
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }
