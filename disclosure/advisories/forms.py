"""Forms of the coordinators' advisory pages. They only parse input; the rules
(state, second coordinator, stale versions, field checks) live in the model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from disclosure.models import Advisory


def references_as_text(references: list[dict[str, str]]) -> str:
    return "\n".join(f"{r.get('type') or ''} {r['url']} {r['label']}".strip() for r in references)


class AdvisoryForm(forms.Form):
    title = forms.CharField(max_length=300)
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Plain text, a few sentences: what is affected and what to do.",
    )
    details = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 10}), help_text="Markdown."
    )
    workarounds = forms.CharField(
        label="Workarounds for every vulnerability",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown. Attached to each vulnerability in CSAF, OSV and CVE; a "
        "workaround for one vulnerability goes in its own field below.",
    )
    references = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line: its type, the URL, then a label, e.g. "
        "“fix https://github.com/org/lib/commit/1a2b3c Fix commit”. Types: fix, report, "
        "advisory, article, package, discussion, detection, evidence, introduced, web "
        "(without one: a commit or pull request is the fix, an issue the report, "
        "anything else web). OSV and CVE records carry the type.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, vulnerabilities: Sequence[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # One field per vulnerability of the case: the workaround that concerns it only.
        self.vulnerability_ids = [pk for pk, _ in vulnerabilities]
        for pk, title in vulnerabilities:
            self.fields[f"workaround_{pk}"] = forms.CharField(
                label=f"Workaround for “{title}” only",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Markdown. Attached to this vulnerability alone.",
            )

    @property
    def workaround_fields(self) -> list[forms.BoundField]:
        return [self[f"workaround_{pk}"] for pk in self.vulnerability_ids]

    @classmethod
    def for_advisory(cls, advisory: Advisory, **kwargs: Any) -> AdvisoryForm:
        per_vulnerability = advisory.vulnerability_workarounds or {}
        return cls(
            initial={
                "title": advisory.title,
                "summary": advisory.summary,
                "details": advisory.details,
                "workarounds": advisory.workarounds,
                "references": references_as_text(advisory.references),
                "version": advisory.version,
                **{f"workaround_{pk}": text for pk, text in per_vulnerability.items()},
            },
            vulnerabilities=advisory_vulnerabilities(advisory),
            **kwargs,
        )

    def content(self) -> dict[str, Any]:
        content = {
            name: self.cleaned_data[name]
            for name in ("title", "summary", "details", "workarounds", "references")
        }
        content["vulnerability_workarounds"] = {
            str(pk): self.cleaned_data.get(f"workaround_{pk}", "") for pk in self.vulnerability_ids
        }
        return content


def advisory_vulnerabilities(advisory: Advisory) -> list[tuple[int, str]]:
    """(id, title) of the case's vulnerabilities, for the per-vulnerability fields
    (the editor is for coordinators, who read every title)."""
    return list(
        advisory.case.vulnerabilities.order_by("created_at", "id").values_list("id", "title")
    )


class RevisionForm(AdvisoryForm):
    revision_summary = forms.CharField(
        label="What changed",
        max_length=300,
        help_text="Shown in the revision history of the page and of the CSAF document.",
    )


class TransitionForm(forms.Form):
    # The version the clicker saw: a step taken from an outdated page is refused.
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)
