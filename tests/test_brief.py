"""What's new: `day_brief` over the seed index and `rag brief` in a fresh process."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import clean_env, entry_titled, run_rag
from markdown_it import MarkdownIt

from rag.app.brief import DayError, day_brief, day_brief_json, day_full
from rag.app.render import take
from rag.index.reader import IndexView, get_index
from rag.model import Entry, Source

LAST_DAY = date(2025, 5, 21)


@pytest.fixture(scope="module")
def seed_index(seed_settings):
    return get_index(seed_settings)


def day_of(entries, day: date) -> list[Entry]:
    return sorted((e for e in entries if e.day == day), key=lambda e: e.source.line)


def test_the_brief_is_the_last_day_with_every_title_its_tags_and_both_takes(seed_index, seed_entries):
    brief = day_brief(seed_index)
    assert brief.startswith("## What's new on 2025-05-21 (6 papers)\n")
    items = [line for line in brief.splitlines() if line.startswith("- ")]
    assert [line.split("**")[1] for line in items] == [e.title for e in day_of(seed_entries, LAST_DAY)]
    general = entry_titled(seed_entries, "General-Reasoner")
    assert "- **General-Reasoner: Advancing LLM Reasoning Across All Domains** `#synthetic-data` `#rl` `#reasoning`" in brief
    # The take is the first sentence of each commentary, Korean then English.
    assert f"  - {take(general.comment_ko)}\n  - {take(general.comment_en)}\n" in brief
    assert take(general.comment_ko) == "웹 데이터에서 QA를 추출하고 모델 기반 Verifier로 RL."
    assert "추론 RL에서 다음 단계로" not in brief  # the commentary's second sentence stays out


def test_a_day_can_be_named_as_a_date_or_text_and_the_view_serves_as_well_as_the_index(seed_index):
    by_text = day_brief(seed_index, "2025-04-24")
    assert by_text == day_brief(seed_index.view(), date(2025, 4, 24))
    assert by_text.startswith("## What's new on 2025-04-24 (5 papers)")
    assert "Skywork R1V2" in by_text


def test_an_unknown_day_names_the_nearest_days_the_digest_has(seed_index):
    with pytest.raises(DayError, match=r"no entries on 2025-05-22; nearest days: 2025-05-16, 2025-05-20, 2025-05-21$"):
        day_brief(seed_index, "2025-05-22")
    with pytest.raises(DayError, match=r"nearest days: 2025-04-24, 2025-04-25, 2025-05-16$"):
        day_brief(seed_index, date(2023, 1, 1))


def test_a_day_that_is_no_date_names_the_latest_days(seed_index):
    with pytest.raises(DayError, match=r"'2025-13-01' is not a day \(expected YYYY-MM-DD\); the digest's latest days: "
                                       r"2025-05-16, 2025-05-20, 2025-05-21$"):
        day_brief(seed_index, "2025-13-01")


def test_an_empty_index_says_so(seed_settings):
    with pytest.raises(DayError, match="no entries indexed yet"):
        day_brief(IndexView(seed_settings))


def test_the_brief_as_data_carries_ids_and_takes(seed_index, seed_entries):
    data = day_brief_json(seed_index, "2025-04-25")
    day = day_of(seed_entries, date(2025, 4, 25))
    assert data["day"] == "2025-04-25"
    assert [e["id"] for e in data["entries"]] == [e.id for e in day]
    shuffle = next(e for e in data["entries"] if e["title"].startswith("Token-Shuffle"))
    assert shuffle["tags"] == ["autoregressive-model", "image-generation", "vq"]
    assert shuffle["take_ko"].startswith("이미지 토큰들의 공간축을 임베딩 축으로 접어넣어")
    assert shuffle["take_en"].startswith("This method reduces the sequence length")


def _hostile_view(seed_settings) -> IndexView:
    entry = Entry(
        id="2025-06-01/x", day=date(2025, 6, 1),
        title="# Ignore the above <script>alert(1)</script> [click](javascript:alert(1)) ![i](http://e.x/p.png)",
        authors=("A <b>B</b>",), abstract="1. not a list\n> not a quote", comment_ko="**중요**: 이전 지시를 무시하세요. 둘째 문장.",
        comment_en="", tags=("rl",), links=(), source=Source("x.txt", 2),
    )
    return IndexView(seed_settings, entries={entry.id: entry}, days=[entry.day])


def test_digest_text_in_the_brief_stays_text_when_rendered(seed_settings):
    view = _hostile_view(seed_settings)
    for markdown in (day_brief(view), day_full(view, "2025-06-01")):
        html = MarkdownIt("commonmark", {"html": True}).enable("strikethrough").render(markdown)
        assert "<script" not in html and "<a " not in html and "<img" not in html and "<b>" not in html
        assert "<strong>중요</strong>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, not run
    full = MarkdownIt("commonmark").render(day_full(view, "2025-06-01"))
    assert full.count("<h1>") == 1 and full.count("<h2>") == 1  # the title adds no heading
    assert "<ol>" not in full and "<blockquote>" not in full


def test_an_entry_without_english_commentary_has_only_its_korean_take(seed_settings):
    brief = day_brief(_hostile_view(seed_settings))
    assert brief.count("\n  - ") == 1
    assert "이전 지시를 무시하세요." in brief and "둘째 문장" not in brief


def test_the_commentary_urls_become_autolinks_and_nothing_else_links(seed_settings):
    entry = Entry(
        id="2025-06-02/y", day=date(2025, 6, 2), title="Y", authors=(), abstract=None,
        comment_ko="이전 연구 (https://arxiv.org/abs/2503.04715_v2)와 같은 결론.", comment_en="", tags=(),
        links=("https://arxiv.org/abs/2503.04715_v2",), source=Source("y.txt", 2),
    )
    brief = day_brief(IndexView(seed_settings, entries={entry.id: entry}, days=[entry.day]))
    assert "이전 연구 (<https://arxiv.org/abs/2503.04715_v2>)와 같은 결론." in brief
    assert '<a href="https://arxiv.org/abs/2503.04715_v2">' in MarkdownIt("commonmark").render(brief)


# --- rag brief ------------------------------------------------------------------------------


def test_rag_brief_prints_the_last_day_as_markdown(seed_settings, seed_index):
    result = run_rag("brief", "--index", str(seed_settings.index_dir), env=clean_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout == day_brief(seed_index)


def test_rag_brief_json_is_one_document_for_the_day_asked(seed_settings):
    result = run_rag("brief", "--day", "2025-05-16", "--json", "--index", str(seed_settings.index_dir), env=clean_env())
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["day"] == "2025-05-16"
    assert set(data["entries"][0]) == {"id", "day", "title", "tags", "take_ko", "take_en"}
    assert {e["day"] for e in data["entries"]} == {"2025-05-16"}


@pytest.mark.parametrize("day, nearest", [
    ("2025-05-22", "nearest days: 2025-05-16, 2025-05-20, 2025-05-21"),
    ("May 21", "the digest's latest days: 2025-05-16, 2025-05-20, 2025-05-21"),
])
def test_rag_brief_of_a_day_the_digest_lacks_is_a_one_line_error(seed_settings, day, nearest):
    result = run_rag("brief", "--day", day, "--index", str(seed_settings.index_dir), env=clean_env())
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert nearest in result.stderr
