"""Markdown for user text (comments, descriptions): rendered, then sanitised.

Raw HTML in the source is never interpreted: python-markdown's HTML passthrough is
switched off, so ``<script>`` shows up as text. The result then goes through nh3
with a small allow-list as a second line of defence: no images (a remote image is
a tracking beacon that tells an outsider who opened an embargoed case), links only
to http(s)/mailto and marked ``nofollow``.
"""

from __future__ import annotations

import threading

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "b", "i", "code", "pre", "blockquote", "del",
        "ul", "ol", "li", "a",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"


class _NoRawHtml(Extension):
    """Treat raw HTML as text instead of passing it through."""

    def extendMarkdown(self, md_instance: md.Markdown) -> None:  # noqa: N802 - API name
        md_instance.preprocessors.deregister("html_block")
        md_instance.inlinePatterns.deregister("html")


_local = threading.local()


def _converter() -> md.Markdown:
    """This thread's converter, reset: building one costs more than converting a comment
    (a page of 2,000 comments spent 60% of its markdown time in ``Markdown()``)."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = md.Markdown(
            extensions=["fenced_code", "tables", "sane_lists", _NoRawHtml()],
            extension_configs={"tables": {"use_align_attribute": True}},
            output_format="html",
        )
    # reset() clears what a conversion leaves behind (stashed HTML, references).
    return converter.reset()


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(text: str | None) -> SafeString:
    """Markdown to sanitised HTML, safe to put in a template as is."""
    if not text:
        return mark_safe("")  # noqa: S308 - constant
    html = _converter().convert(text)
    return mark_safe(sanitise_html(html))  # noqa: S308 - sanitised by nh3 just above
