"""Specification of the day-file parser (rag.digest)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.digest import parse as digest
from rag.digest import ParseError, parse_day_file, parse_day_text, parse_dir
from rag.model import Entry
from rag.text import normalize_title

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"

# Invented day file in the digest's format: abstract, Korean and English commentary, tags.
DAY = """2031년 3월 4일
Sparse Widgets: Scaling Widget Models
(Ada Park, Ben Cho)
We study widgets at scale. Widgets help (https://example.org/widgets).
위젯을 크게 키우는 연구. 이전 연구와 비슷합니다 (https://example.org/prior).
A study on scaling widgets.
#Widgets #scaling-law
Second Paper Without Abstract
(Cy Lee)
초록 없이 코멘트만 있는 항목.
Only commentary here.
#misc
"""


def by_title(entries: list[Entry], prefix: str) -> Entry:
    matches = [entry for entry in entries if entry.title.startswith(prefix)]
    assert len(matches) == 1, f"{len(matches)} entries start with {prefix!r}"
    return matches[0]


@pytest.fixture(scope="module")
def seed_entries() -> list[Entry]:
    report = parse_dir(SEEDS)
    assert report.errors == []
    return report.entries


# --- the seeds -------------------------------------------------------------------------


def test_seeds_parse_into_33_entries_with_the_right_count_per_day(seed_entries):
    per_day = Counter(entry.day.isoformat() for entry in seed_entries)
    assert per_day == {
        "2025-05-21": 6,
        "2025-05-16": 7,
        "2025-04-25": 6,
        "2025-05-20": 9,
        "2025-04-24": 5,
    }


def test_general_reasoner_has_every_field(seed_entries):
    entry = by_title(seed_entries, "General-Reasoner")
    assert entry.id == "2025-05-21/general-reasoner-advancing-llm-reasoning-across-all-domains"
    assert entry.day == date(2025, 5, 21)
    assert entry.title == "General-Reasoner: Advancing LLM Reasoning Across All Domains"
    assert entry.authors == (
        "Xueguang Ma",
        "Qian Liu",
        "Dongfu Jiang",
        "Ge Zhang",
        "Zejun Ma",
        "Wenhu Chen",
    )
    assert entry.abstract.startswith("Reinforcement learning")
    assert digest.has_hangul(entry.comment_ko)
    assert entry.comment_en.startswith("Reasoning RL")
    assert not digest.has_hangul(entry.comment_en)
    assert entry.tags == ("synthetic-data", "rl", "reasoning")
    assert entry.source.file.endswith("000_71587d10e2e93f13.txt")
    assert entry.source.line == 2


def test_bagel_abstract_spans_two_lines_and_keeps_its_project_link(seed_entries):
    entry = by_title(seed_entries, "Emerging Properties in Unified Multimodal Pretraining")
    lines = entry.abstract.split("\n")
    assert len(lines) == 2
    assert lines[0].startswith("Unifying multimodal understanding")
    assert lines[1] == "https://bagel-ai.org/"
    assert entry.links[0] == "https://bagel-ai.org/"
    assert "https://arxiv.org/abs/2411.04996" in entry.links


def test_entry_without_abstract_keeps_both_commentaries(seed_entries):
    entry = by_title(seed_entries, "OctoThinker")
    assert entry.day == date(2025, 4, 25)
    assert entry.abstract is None
    assert entry.comment_ko.startswith("미드트레이닝을")
    assert entry.comment_en.startswith("This study attempts")
    assert len(entry.comment_en.split("\n")) == 2


def test_seed_ids_are_unique(seed_entries):
    assert len({entry.id for entry in seed_entries}) == len(seed_entries)


# --- the format --------------------------------------------------------------------------


def test_entry_fields_come_from_their_lines():
    first, second = parse_day_text(DAY, "day.txt")
    assert first.day == date(2031, 3, 4)
    assert first.authors == ("Ada Park", "Ben Cho")
    assert first.abstract == "We study widgets at scale. Widgets help (https://example.org/widgets)."
    assert first.comment_ko.startswith("위젯을")
    assert first.comment_en == "A study on scaling widgets."
    assert first.tags == ("widgets", "scaling-law")
    assert first.links == ("https://example.org/widgets", "https://example.org/prior")
    assert first.source == digest.Source("day.txt", 2)
    assert second.source.line == 8


def test_entry_without_abstract_keeps_commentary():
    second = parse_day_text(DAY)[1]
    assert second.abstract is None
    assert second.comment_ko == "초록 없이 코멘트만 있는 항목."
    assert second.comment_en == "Only commentary here."


def test_korean_comment_in_parentheses_is_not_an_authors_line():
    text = "2031년 3월 4일\nA Paper\n(Dee Kim)\n첫 코멘트.\n(괄호 안의 한국어 코멘트입니다)\n#x\n"
    [entry] = parse_day_text(text)
    assert entry.comment_ko == "첫 코멘트.\n(괄호 안의 한국어 코멘트입니다)"


def test_empty_parentheses_mean_unknown_authors():
    [entry] = parse_day_text("2031년 3월 4일\n짧은 한국어 제목\n()\n코멘트.\n#x\n")
    assert entry.authors == ()
    assert entry.title == "짧은 한국어 제목"
    assert entry.id == "2031-03-04/짧은-한국어-제목"


def test_authors_are_split_on_commas_and_empties_dropped():
    [entry] = parse_day_text("2031년 3월 4일\nT\n( Ann Lee ,Bo (Bob) Ha,, )\n")
    assert entry.authors == ("Ann Lee", "Bo (Bob) Ha")


def test_entry_with_title_and_authors_only_has_empty_text():
    [entry] = parse_day_text("2031년 3월 4일\nBare Entry\n(Ann)\n")
    assert (entry.abstract, entry.comment_ko, entry.comment_en, entry.tags, entry.links) == (
        None,
        "",
        "",
        (),
        (),
    )


def test_entries_without_tags_lines_are_split_at_the_next_title():
    text = "2031년 3월 4일\nFirst\n(Ann)\n첫째.\nSecond\n(Bo)\n둘째.\n"
    first, second = parse_day_text(text)
    assert (first.comment_ko, first.tags) == ("첫째.", ())
    assert (second.title, second.comment_ko) == ("Second", "둘째.")


def test_blank_lines_are_ignored():
    text = "2031년 3월 4일\n\nFirst\n(Ann)\n\nAn abstract.\n\n코멘트.\n\n#x\n\n"
    [entry] = parse_day_text(text)
    assert (entry.abstract, entry.comment_ko, entry.tags) == ("An abstract.", "코멘트.", ("x",))


def test_multiline_commentaries_are_joined_with_newlines():
    text = "2031년 3월 4일\nT\n(A)\n첫 줄.\nmiddle line without hangul\n둘째 줄.\nEn one.\nEn two.\n"
    [entry] = parse_day_text(text)
    assert entry.comment_ko == "첫 줄.\nmiddle line without hangul\n둘째 줄."
    assert entry.comment_en == "En one.\nEn two."


def test_entry_without_any_hangul_keeps_its_prose_as_abstract():
    [entry] = parse_day_text("2031년 3월 4일\nT\n(A)\nWe propose a thing.\nhttps://thing.example/\n")
    assert entry.abstract == "We propose a thing.\nhttps://thing.example/"
    assert (entry.comment_ko, entry.comment_en) == ("", "")


def test_old_post_opening_with_a_reference_line_has_no_abstract():
    # Free-form posts open with "Name <link>" before the Korean text; that is commentary.
    text = "2031년 3월 4일\nWidgetNet\n()\nWidgetNet https://arxiv.org/abs/3101.00001\n새로운 위젯 모델.\n"
    [entry] = parse_day_text(text)
    assert entry.abstract is None
    assert entry.comment_ko == "WidgetNet https://arxiv.org/abs/3101.00001\n새로운 위젯 모델."


def test_bare_links_after_korean_commentary_stay_with_it():
    text = "2031년 3월 4일\nT\n(A)\n관련 결과들.\nhttps://a.example/1\nhttps://b.example/2\n#x\n"
    [entry] = parse_day_text(text)
    assert entry.comment_ko == "관련 결과들.\nhttps://a.example/1\nhttps://b.example/2"
    assert entry.comment_en == ""
    assert entry.links == ("https://a.example/1", "https://b.example/2")


def test_tags_have_one_spelling_without_hash_and_keep_their_order_and_their_labels():
    [entry] = parse_day_text("2031년 3월 4일\nT\n(A)\n코멘트.\n#Object_Detection  #RL #rl #a #object-detection\n")
    assert entry.tags == ("object-detection", "rl", "a")
    # What the file wrote first is what the cards show.
    assert entry.labels == ("Object_Detection", "RL", "a")


def test_a_title_can_contain_colons_parentheses_and_quotes():
    title = 'When Does "X" (NOT) Work? A Study: Part 2'
    [entry] = parse_day_text(f"2031년 3월 4일\n{title}\n(A)\n")
    assert entry.title == title
    assert entry.id == "2031-03-04/when-does-x-not-work-a-study-part-2"


def test_day_file_with_only_the_date_has_no_entries():
    assert parse_day_text("2031년 3월 4일\n\n") == []


def test_date_line_tolerates_bom_and_surrounding_whitespace():
    [entry] = parse_day_text("\ufeff  2031년 12월 25일 \r\nT\r\n(A)\r\n코멘트.\r\n")
    assert entry.day == date(2031, 12, 25)
    assert (entry.title, entry.comment_ko) == ("T", "코멘트.")


# --- ids and titles ----------------------------------------------------------------------


def test_normalize_title_folds_case_width_and_punctuation():
    assert normalize_title("  Ｇｅｎｅｒａｌ-Reasoner:  ALL   Domains!! ") == "general reasoner all domains"
    assert normalize_title("한국어 제목: 테스트") == "한국어 제목 테스트"
    assert normalize_title("Straße") == normalize_title("STRASSE")


def test_repeated_title_on_one_day_gives_distinct_ids():
    text = "2031년 3월 4일\nSame Title\n(A)\n하나.\nsame title!\n(B)\n둘.\nSAME  TITLE\n(C)\n셋.\n"
    ids = [entry.id for entry in parse_day_text(text)]
    assert ids == [
        "2031-03-04/same-title",
        "2031-03-04/same-title~2",
        "2031-03-04/same-title~3",
    ]


def test_long_title_gives_a_short_unique_id():
    long_a = "Widget " * 15_000 + "alpha"  # ~100 kB
    long_b = "Widget " * 15_000 + "beta"
    text = f"2031년 3월 4일\n{long_a}\n(A)\n{long_b}\n(B)\n"
    first, second = parse_day_text(text)
    assert first.title == long_a
    assert len(first.id) < 110 and len(second.id) < 110
    assert first.id != second.id
    assert first.id.startswith("2031-03-04/widget-widget-")


def test_ids_are_stable_across_parses():
    assert [e.id for e in parse_day_text(DAY)] == [e.id for e in parse_day_text(DAY, "other.txt")]


# --- links -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("see (https://arxiv.org/abs/2503.04715).", ["https://arxiv.org/abs/2503.04715"]),
        ("(https://a.example/1, https://a.example/2)", ["https://a.example/1", "https://a.example/2"]),
        ("https://en.wikipedia.org/wiki/Mamba_(snake).", ["https://en.wikipedia.org/wiki/Mamba_(snake)"]),
        ("[https://a.example/x](https://a.example/x)", ["https://a.example/x", "https://a.example/x"]),
        ("(https://github.com/o/r)다음 문장", ["https://github.com/o/r"]),
        ("https://a.example/page에서 확인", ["https://a.example/page"]),
        ("http://a.example/q?x=1&y=2#frag!", ["http://a.example/q?x=1&y=2#frag"]),
        ("no link: http:// here", []),
    ],
)
def test_links_stop_at_the_punctuation_around_them(text, links):
    assert digest.find_links(text) == links


def test_links_are_deduplicated_in_order():
    text = "2031년 3월 4일\nT\n(A)\nSee https://b.example/ and https://a.example/.\n코멘트 https://b.example/\n"
    [entry] = parse_day_text(text)
    assert entry.links == ("https://b.example/", "https://a.example/")


# --- malformed input ---------------------------------------------------------------------


def test_parse_error_names_file_and_line():
    error = ParseError("x/day.txt", 7, "bad thing")
    assert str(error) == "x/day.txt:7: bad thing"
    assert (error.file, error.line, error.message) == ("x/day.txt", 7, "bad thing")
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    "first_line",
    ["", "May 21, 2025", "2025-05-21", "2025년 5월", "2025년 5월 21일 (수)", "# 2025년 5월 21일"],
)
def test_line_one_must_be_the_korean_date(first_line):
    with pytest.raises(ParseError) as caught:
        parse_day_text(f"{first_line}\nT\n(A)\n", "bad.txt")
    assert (caught.value.file, caught.value.line) == ("bad.txt", 1)


def test_impossible_date_is_an_error():
    with pytest.raises(ParseError, match=r"^bad\.txt:1: invalid date"):
        parse_day_text("2025년 2월 30일\nT\n(A)\n", "bad.txt")


def test_text_before_the_first_entry_is_an_error_at_its_line():
    with pytest.raises(ParseError) as caught:
        parse_day_text("2031년 3월 4일\n\nstray words\nT\n(A)\n", "bad.txt")
    assert caught.value.line == 3


def test_title_without_authors_line_is_an_error():
    with pytest.raises(ParseError) as caught:
        parse_day_text("2031년 3월 4일\nA title with no authors\n코멘트.\n", "bad.txt")
    assert caught.value.line == 2


def test_authors_line_without_a_title_above_it_is_an_error():
    with pytest.raises(ParseError) as caught:
        parse_day_text("2031년 3월 4일\n(A)\n(B)\n코멘트.\n", "bad.txt")
    assert caught.value.line == 2


def test_text_after_the_tags_line_that_starts_no_entry_is_an_error():
    text = "2031년 3월 4일\nT\n(A)\n코멘트.\n#x\nNext title missing its authors\n코멘트.\n"
    with pytest.raises(ParseError, match="text after the tags line") as caught:
        parse_day_text(text, "bad.txt")
    assert caught.value.line == 6


def test_authors_line_after_a_tags_line_is_an_error():
    with pytest.raises(ParseError) as caught:
        parse_day_text("2031년 3월 4일\nT\n(A)\n#x\n(B)\n", "bad.txt")
    assert caught.value.line == 5


def test_malformed_file_error_names_file_and_line(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_text("2031년 3월 4일\nGood\n(A)\n코멘트.\n#x\norphan line\n", encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        parse_day_file(path)
    assert caught.value.file == str(path)
    assert caught.value.line == 6
    assert str(caught.value).startswith(f"{path}:6: ")


def test_invalid_utf8_is_an_error_at_the_line_of_the_first_bad_byte(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("2031년 3월 4일\nT\n(A)\n".encode() + b"caf\xe9\n")
    with pytest.raises(ParseError, match="invalid UTF-8") as caught:
        parse_day_file(path)
    assert caught.value.line == 4


def test_nul_bytes_are_an_error(tmp_path):
    path = tmp_path / "binary.txt"
    path.write_bytes("2031년 3월 4일\nT\n".encode() + b"(A\x00)\n")
    with pytest.raises(ParseError, match="NUL") as caught:
        parse_day_file(path)
    assert caught.value.line == 3
    with pytest.raises(ParseError, match="NUL"):
        parse_day_text("2031년 3월 4일\nT\x00\n(A)\n")


def test_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(digest.MAX_FILE_BYTES + 1)  # sparse: costs no disk or time
    with pytest.raises(ParseError, match="larger than 20 MB") as caught:
        parse_day_file(path)
    assert caught.value.line == 0


def test_line_over_the_length_limit_is_an_error_at_its_line():
    text = "2031년 3월 4일\nT\n(A)\n" + "가" * (digest.MAX_LINE_BYTES // 3 + 1) + "\n"
    with pytest.raises(ParseError, match="longer than 1 MB") as caught:
        parse_day_text(text, "long.txt")
    assert caught.value.line == 4


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["T", "(A)", "()", "#x", "", "코멘트.", "(괄호)", "Prose."]), max_size=12))
def test_any_text_parses_or_raises_parse_error_with_unique_ids(body_lines):
    try:
        entries = parse_day_text("\n".join(["2031년 3월 4일", *body_lines]))
    except ParseError as error:
        assert 1 <= error.line <= len(body_lines) + 1
    else:
        assert len({entry.id for entry in entries}) == len(entries)


# --- directories -------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_parse_dir_skips_a_bad_file_and_keeps_the_good_ones(tmp_path):
    good_a = write(tmp_path / "a.txt", "2031년 3월 4일\nT1\n(A)\n코멘트.\n")
    bad = write(tmp_path / "b.txt", "not a date\nT\n(A)\n")
    good_c = write(tmp_path / "nested" / "c.txt", "2031년 3월 5일\nT2\n(A)\nT3\n(B)\n")
    write(tmp_path / "notes.md", "ignored: not a day file")
    report = parse_dir(tmp_path)
    assert [entry.title for entry in report.entries] == ["T1", "T2", "T3"]
    assert list(report.files) == [str(good_a), str(good_c)]
    assert [(error.file, error.line) for error in report.errors] == [(str(bad), 1)]


def test_parse_dir_reads_two_files_of_one_day_and_skips_an_entry_given_twice(tmp_path):
    # The same rule as the index's scan: a day may span files, an entry id may not repeat.
    first = write(tmp_path / "1.txt", "2031년 3월 4일\nT\n(A)\n")
    second = write(tmp_path / "2.txt", "2031년 3월 4일\nT\n(A)\nU\n(B)\n")
    report = parse_dir(tmp_path)
    assert [e.title for e in report.files[str(first)]] == ["T"]
    assert [e.title for e in report.files[str(second)]] == ["U"]
    [error] = report.errors
    assert (error.file, error.line) == (str(second), 2)
    assert str(first) in error.message


def test_parse_dir_keeps_empty_days(tmp_path):
    path = write(tmp_path / "empty.txt", "2031년 3월 4일\n")
    report = parse_dir(tmp_path)
    assert report.files == {str(path): []}
    assert report.entries == [] and report.errors == []


def test_parse_dir_of_a_missing_directory_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        parse_dir(tmp_path / "nope")


def test_parse_dir_of_a_file_says_it_is_not_a_directory(tmp_path):
    path = write(tmp_path / "a.txt", "2031년 3월 4일\n")
    with pytest.raises(NotADirectoryError, match="not a directory"):
        parse_dir(path)


# --- the real corpus ---------------------------------------------------------------------


def test_full_corpus_parses_into_3837_entries_with_unique_ids(corpus):
    report = parse_dir(corpus)
    assert report.errors == []
    assert len(report.files) == 1131
    assert len(report.entries) == 3837
    assert len({entry.id for entry in report.entries}) == 3837
    assert sum(not entry.authors for entry in report.entries) == 234
    assert sum(not entry.tags for entry in report.entries) == 285
