"""Forms of the case list's tools: saving a filter under a name, and the coordinators'
bulk actions (``cases.services.bulk``). They validate and shape input; they save nothing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import QueryDict

from cases.models import TRANSITION_LABELS, TRANSITIONS, Case, Organisation, ParticipantRole
from cases.services.bulk import MAX_CASES
from cases.types import User
from cases.widgets import FastSelect


class SaveFilterForm(forms.Form):
    name = forms.CharField(label="Save these filters as", max_length=80)


BULK_ACTIONS = [
    ("add_organisation", "Add a participant organisation"),
    ("set_coordinator", "Set the coordinator"),
    ("move_state", "Move to another state"),
]


class BulkActionForm(forms.Form):
    """The selected cases (references, among those the user sees) and one action."""

    action = forms.ChoiceField(choices=BULK_ACTIONS, widget=FastSelect)
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.exclude(kind=Organisation.Kind.SIRT),
        required=False,
        empty_label="— organisation —",
        widget=FastSelect,
    )
    role = forms.ChoiceField(
        required=False,
        choices=[("", "— role —")]
        + [c for c in ParticipantRole.choices if c[0] != ParticipantRole.COORDINATOR],
        widget=FastSelect,
    )
    coordinator = forms.ModelChoiceField(
        queryset=get_user_model()
        .objects.filter(is_active=True, memberships__organisation__kind=Organisation.Kind.SIRT)
        .distinct()
        .order_by("username"),
        required=False,
        empty_label="— coordinator —",
        widget=FastSelect,
    )
    transition = forms.ChoiceField(
        required=False,
        choices=[("", "— transition —")] + [(n, TRANSITION_LABELS[n]) for n in TRANSITIONS],
        widget=FastSelect,
    )
    reason = forms.CharField(
        required=False, max_length=2000, help_text="Needed to reject; shown in the timeline."
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def _selected_cases(self) -> list[Case]:
        """The ticked ``cases`` (references), each one the user sees. Not a field with
        choices: the list holds thousands of cases; each value is checked instead."""
        raw = self.data.getlist("cases") if isinstance(self.data, QueryDict) else []
        references = list(dict.fromkeys(r.strip().upper() for r in raw if r.strip()))
        if not references:
            raise ValidationError("Select at least one case.")
        if len(references) > MAX_CASES:
            raise ValidationError(f"Select at most {MAX_CASES} cases at once.")
        found = list(Case.objects.visible_to(self.user).filter(reference__in=references))
        missing = sorted(set(references) - {c.reference for c in found})
        if missing:
            raise ValidationError(f"No such case: {', '.join(missing)}.")
        return found

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        try:
            data["cases"] = self._selected_cases()
        except ValidationError as exc:
            self.add_error(None, exc)
        action = data.get("action")
        needed = {
            "add_organisation": ("organisation", "role"),
            "set_coordinator": ("coordinator",),
            "move_state": ("transition",),
        }.get(action or "", ())
        for name in needed:
            if not data.get(name):
                self.add_error(name, "Choose one for this action.")
        return data
