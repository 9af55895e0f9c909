"""Forms of the case page's small editing blocks (projects, credits).

The views re-render the case page with the bound form when input is refused; these
tags hand a template that form, or a fresh one, without the case page's view having
to know each block.
"""

from __future__ import annotations

from typing import Any

from django import template

from cases.forms import CaseProjectForm, CreditConsentForm, CreditForm, case_people
from cases.models import Case, Credit, Vulnerability
from cases.types import User

register = template.Library()


@register.simple_tag(takes_context=True)
def case_project_form(context: template.Context, case: Case) -> CaseProjectForm:
    # The project is typed by name (cases/forms.py); the form refuses one the case has.
    return context.get("project_form") or CaseProjectForm(case=case, auto_id="id_project_%s")


@register.simple_tag(takes_context=True)
def credit_form(context: template.Context, case: Case, vulnerability: Vulnerability) -> CreditForm:
    bound = context.get("credit_form")
    if bound is not None and context.get("credit_form_for") == vulnerability.pk:
        form = bound
    else:
        form = CreditForm(case=case)
    # One form per vulnerability on the page: ids must stay unique.
    form.auto_id = f"id_credit_{vulnerability.pk}_%s"
    # The same people for every vulnerability of the case: one query per page (kept on
    # the case object, as each include renders with its own render context; the model
    # declares no such attribute, hence the ignore).
    choices = getattr(case, "_credit_people_choices", None)
    if choices is None:
        choices = [("", "— no account —")] + [(u.pk, _person(u)) for u in case_people(case)]
        case._credit_people_choices = choices  # type: ignore[attr-defined]
    form.fields["user"].choices = choices
    return form


def _person(user: User) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


@register.simple_tag(takes_context=True)
def consent_errors(context: template.Context, credit: Credit) -> Any:
    form: CreditConsentForm | None = context.get("consent_form")
    if form is not None and context.get("consent_form_for") == credit.pk:
        return form.errors.get("consent", [])
    return []
