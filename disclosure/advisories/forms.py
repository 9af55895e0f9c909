"""Forms of the coordinators' advisory pages. They only parse input; the rules
(state, second coordinator, stale versions, field checks) live in the model."""

from __future__ import annotations

from typing import Any

from django import forms

from disclosure.models import Advisory


def references_as_text(references: list[dict[str, str]]) -> str:
    return "\n".join(f"{r['url']} {r['label']}".strip() for r in references)


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
        required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text="Markdown."
    )
    references = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line: the URL, a space, then a label (fix commit, release notes…).",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    @classmethod
    def for_advisory(cls, advisory: Advisory, **kwargs: Any) -> AdvisoryForm:
        return cls(
            initial={
                "title": advisory.title,
                "summary": advisory.summary,
                "details": advisory.details,
                "workarounds": advisory.workarounds,
                "references": references_as_text(advisory.references),
                "version": advisory.version,
            },
            **kwargs,
        )

    def content(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in ("title", "summary", "details", "workarounds", "references")
        }


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
