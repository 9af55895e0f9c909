"""The markdown converter is reused per thread; nothing of one text reaches the next."""

from __future__ import annotations

import threading

from cases.markdown import _converter, render_markdown


def test_a_link_reference_defined_in_one_comment_does_not_resolve_in_the_next() -> None:
    render_markdown("[advisory]: https://attacker.example/track")

    html = render_markdown("See [advisory] for details.")

    assert "attacker.example" not in html
    assert "[advisory]" in html


def test_raw_html_stays_text_after_many_conversions() -> None:
    for _ in range(3):
        render_markdown("*warm*")

    assert "<script>" not in render_markdown("<script>alert(1)</script>")


def test_each_thread_has_its_own_converter() -> None:
    mine = _converter()
    theirs: list[object] = []
    thread = threading.Thread(target=lambda: theirs.append(_converter()))
    thread.start()
    thread.join()

    assert theirs[0] is not mine
    assert _converter() is mine
