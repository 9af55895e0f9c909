"""``{% case_fragment "name" %}...{% endcase_fragment %}``: a part of the case page
served from ``cases.page_cache`` when it is there, rendered and kept otherwise."""

from __future__ import annotations

from django import template
from django.template.base import NodeList, Parser, Token
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


class CaseFragmentNode(template.Node):
    def __init__(self, name: str, nodelist: NodeList) -> None:
        self.name = name
        self.nodelist = nodelist

    def render(self, context: template.Context) -> SafeString:
        page_cache = context.get("page_cache")
        if page_cache is None:
            return self.nodelist.render(context)
        html = page_cache.get(self.name)
        if html is None:
            html = self.nodelist.render(context)
            page_cache.put(self.name, str(html))
        # Rendered by this template from escaped values, as the nodelist would return.
        return mark_safe(html)  # noqa: S308


@register.tag("case_fragment")
def case_fragment(parser: Parser, token: Token) -> CaseFragmentNode:
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('{% case_fragment "name" %} takes one quoted name')
    nodelist = parser.parse(("endcase_fragment",))
    parser.delete_first_token()
    return CaseFragmentNode(bits[1][1:-1], nodelist)


DEACTIVATED = mark_safe(' <span class="muted">(deactivated)</span>')  # noqa: S308 - constant


@register.simple_tag
def member_list(members: list[tuple[str, bool]]) -> SafeString:
    """An organisation's people on the need-to-know panel (``AccessRow.members``), built
    in Python: a 200-organisation case lists ~2,000 of them, each a loop of template
    nodes otherwise."""
    if not members:
        return mark_safe('<ul><li class="muted">no members</li></ul>')  # noqa: S308 - constant
    items = format_html_join(
        "", "<li>{}{}</li>", ((name, "" if active else DEACTIVATED) for name, active in members)
    )
    return format_html("<ul>{}</ul>", items)
