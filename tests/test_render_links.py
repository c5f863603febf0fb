"""What the chat, Copy and Export show of an answer: plain dates stay plain, and each entry's
links lead with the paper's own page, once each and without tracking parameters."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from rag.app.links import clean_url, entry_links, own_link
from rag.app.render import answer_markdown, escape
from rag.model import Citation, Entry, Source

PAPER = "https://arxiv.org/abs/2505.12629"
OTHER = "https://arxiv.org/abs/2505.10518"
BLOG = "https://example.org/post?utm_source=feed&utm_medium=x&id=7&fbclid=IwAR0abc"


def entry(**changes: object) -> Entry:
    base = Entry(
        id="2025-05-20/reasoning-by-superposition", day=date(2025, 5, 20), title="Reasoning by Superposition",
        authors=("Hanlin Zhu",), abstract=None,
        comment_ko=f"연속 사고 연구가 많네요 ({OTHER}). 중첩 관점의 분석입니다. ({PAPER})",
        comment_en=f"Many studies ({OTHER}, {BLOG}). An analysis from superposition ({PAPER})",
        tags=("reasoning",), links=(OTHER, BLOG, PAPER, PAPER.replace("/abs/", "/pdf/") + ".pdf"),
        source=Source("day.txt", 2),
    )
    return replace(base, **changes)


def test_a_date_starting_a_line_is_not_escaped_as_a_list_marker():
    assert escape("2024-10-03의 논문") == "2024-10-03의 논문"
    assert answer_markdown("2024-10-03의 논문은 [1]입니다.") == "2024-10-03의 논문은 [1]입니다."
    # Real block starts are still made inert.
    assert escape("- item") == "\\- item" and escape("3. item") == "3\\. item" and escape("# x") == "\\# x"


def test_tracking_parameters_are_dropped_and_the_rest_kept():
    assert clean_url(BLOG) == "https://example.org/post?id=7"
    assert clean_url("https://arxiv.org/pdf/2505.11080") == "https://arxiv.org/abs/2505.11080"
    assert clean_url("https://github.com/a/b") == "https://github.com/a/b"


def test_the_papers_own_link_is_the_one_closing_its_commentary_line_and_comes_first_once():
    e = entry()
    assert own_link(e) == PAPER
    assert entry_links(e) == [PAPER, OTHER, "https://example.org/post?id=7"]


def test_without_a_closing_link_the_first_arxiv_link_is_the_papers_own():
    e = entry(comment_ko="코멘트만 있습니다.", comment_en="", links=("https://github.com/x/y", OTHER))
    assert entry_links(e) == [OTHER, "https://github.com/x/y"]


def test_references_lead_with_the_papers_own_link():
    refs = answer_markdown("It is [1].", [Citation(1, entry(), "")]).split("**References**")[1]
    assert refs.strip() == f"- [1] 2025-05-20 · Reasoning by Superposition — <{PAPER}> <{OTHER}> <https://example.org/post?id=7>"
