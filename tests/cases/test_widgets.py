"""FastSelect renders what Django's template-based Select renders."""

from __future__ import annotations

import re

from django import forms

from cases.widgets import FastSelect

CHOICES = [
    ("", "— none —"),
    ("1", "Acme <Labs> & Co"),
    ("2", 'Quote "Corp"'),
    ("Group", [("3", "Inner one"), ("4", "Inner two")]),
]


def _normalise(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def test_fast_select_renders_the_same_html_as_django() -> None:
    attrs = {"id": "id_org", "required": True, "disabled": False, "aria-describedby": "help"}
    for value in ("", "2", "4", None):
        slow = forms.Select(choices=CHOICES).render("org", value, attrs=attrs)
        fast = FastSelect(choices=CHOICES).render("org", value, attrs=attrs)
        assert _normalise(fast) == _normalise(slow)


def test_fast_select_escapes_labels_and_values() -> None:
    html = FastSelect(choices=[('"><script>', "<b>x</b>")]).render("n", None)

    assert "<script>" not in html
    assert "<b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_a_model_choice_field_with_fast_select_keeps_its_validation() -> None:
    class Form(forms.Form):
        colour = forms.ChoiceField(choices=[("r", "Red"), ("g", "Green")], widget=FastSelect)

    assert Form({"colour": "g"}).is_valid()
    assert not Form({"colour": "x"}).is_valid()
    assert 'value="g" selected' in str(Form({"colour": "g"})["colour"])
