"""Markdown is rendered, then sanitised: nothing a user types runs in another's browser."""

import re

import pytest
from django.template import Context, Template

from cases.markdown import render_markdown


def test_markdown_renders_emphasis_lists_tables_and_code():
    html = render_markdown(
        "**bold**\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nx < y\n```"
    )
    assert "<strong>bold</strong>" in html
    assert "<li>one</li>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<pre><code>x &lt; y" in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert('x')</script>",
        "hello <script>alert(1)</script> world",
        "<div>\n<script>alert(1)</script>\n</div>",
    ],
)
def test_script_tags_never_survive(source):
    html = render_markdown(source)
    assert "<script" not in html
    assert "</script>" not in html


def test_raw_html_is_shown_as_text_not_interpreted():
    html = render_markdown('<b>bold</b> <a href="https://x.test" onclick="evil()">link</a>')
    assert "<b>" not in html and "<a " not in html
    assert "&lt;b&gt;" in html


def test_event_handler_attributes_are_removed():
    html = render_markdown('<img src=x onerror="alert(1)">\n\n[a](https://ok.test "t")')
    assert "<img" not in html
    # At most escaped text; never an attribute of a real tag.
    assert not re.search(r"<[^>]*\bon\w+=", html)
    assert not re.search(r"<[^>]*\bon\w+=", str(render_markdown("[x](https://a.test){onclick=1}")))


def test_javascript_links_lose_their_href():
    html = render_markdown("[click](javascript:alert(1)) and [data](data:text/html,hi)")
    assert "javascript:" not in html
    assert "data:text" not in html
    assert ">click</a>" in html


def test_links_get_nofollow_and_noopener():
    html = render_markdown("[site](https://example.org)")
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_images_are_dropped_so_remote_hosts_never_learn_who_read_a_case():
    html = render_markdown("![tracker](https://evil.test/pixel.png) text")
    assert "<img" not in html
    assert "evil.test" not in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


def test_template_filter_renders_and_sanitises():
    out = Template("{% load markdown %}{{ text|markdown }}").render(
        Context({"text": "*hi* <script>x</script>"})
    )
    assert "<em>hi</em>" in out
    assert "<script" not in out
