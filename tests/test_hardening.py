"""Hostile and huge inputs: the parser fails only with its own ParseError (file + line), never
loses an entry of a valid file, and refuses oversized files, days and questions with a clear,
bounded error.

The real day files are read from ../shared/corpus at test time; no corpus text is copied here.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rag
from rag import digest
from rag.app.cli import main
from rag.ask.prepare import QuestionError
from rag.config import MAX_QUESTION_CHARS, Settings
from rag.digest import ParseError, parse_day_file, parse_day_text, parse_dir, tag_key
from rag.model import Entry, Source

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DAY_LINE = "2031년 3월 4일"


@pytest.fixture(scope="module")
def day_files(corpus: Path) -> list[Path]:
    """The seed days and every 25th corpus day (all years, the 44-entry day among them)."""
    real = sorted(corpus.glob("*/*.txt"))
    largest = max(real, key=lambda p: p.stat().st_size)
    return sorted(SEEDS.glob("*.txt")) + real[::25] + [largest]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file the property tests rewrite per example (function-scoped tmp_path is per test)."""
    return tmp_path_factory.mktemp("hardening") / "day.txt"


def line_count(text: str | bytes) -> int:
    """Lines as the parser numbers them: split on newline only."""
    return text.count("\n" if isinstance(text, str) else b"\n") + 1


def without_source_line(entries: list[Entry]) -> list[Entry]:
    """Entries compared by what they say: ids and every field but the title's line number."""
    return [replace(e, source=Source(e.source.file, 0)) for e in entries]


def assert_parse_error_points_into(error: ParseError, file: str, lines: int) -> None:
    assert error.file == file
    assert 0 <= error.line <= lines + 1
    assert error.message
    assert str(error).startswith(f"{file}:{error.line}: ")


def assert_well_formed(entries: list[Entry], lines: int) -> None:
    assert len({e.id for e in entries}) == len(entries)
    for e in entries:
        assert e.title and e.id.startswith(e.day.isoformat() + "/")
        assert 2 <= e.source.line < lines


# --- (1) arbitrary text ------------------------------------------------------------------

FRAGMENTS = st.sampled_from([
    "(", ")", "()", "(A, B)", "(Ada Park, 박서연)", "(한국어 괄호 코멘트)", "#", "# ", "#rl", "#object_detection #rl",
    "Title: A (B) \"C\"", "제목", "코멘트입니다.", "Prose ends here.", "https://arxiv.org/abs/2503.04715",
    "(https://github.com/x/y)", "https://en.wikipedia.org/wiki/Mamba_(snake).", "[[link]]", "$P$",
    " ", "\t", "\r", "\x00", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u3000", "\ufeff", "\u200b",
    "년", "월", "일", "2025년 5월 21일", "2025년 2월 30일", "\n", "\r\n",
])
LINE = st.lists(
    st.one_of(FRAGMENTS, st.text(max_size=12), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)),
    max_size=6,
).map("".join)
FIRST_LINE = st.one_of(
    st.just(DAY_LINE),
    st.builds(lambda y, m, d: f"{y}년 {m}월 {d}일", st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)),
    LINE,
)
TEXT = st.builds(lambda first, body: "\n".join([first, *body]), FIRST_LINE, st.lists(LINE, max_size=20))


@FUZZ
@given(TEXT)
def test_arbitrary_text_gives_entries_with_unique_ids_or_a_parse_error_with_file_and_line(text):
    try:
        entries = parse_day_text(text, "fuzz.txt")
    except ParseError as error:
        assert_parse_error_points_into(error, "fuzz.txt", line_count(text))
    else:
        assert_well_formed(entries, line_count(text))


# A valid day built from parts, so what must come out is known. The format's rules (README
# "Day file format"), restated here rather than borrowed from the parser: an authors line is in
# parentheses and has no Hangul; a tags line is only #tags. Neither can be a title or body line.
HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff]")


def is_plain_line(line: str) -> bool:
    authors_like = line.startswith("(") and line.endswith(")") and not HANGUL.search(line)
    tags_like = all(token.startswith("#") for token in line.split())
    return bool(line) and not authors_like and not tags_like


NAME = st.text(st.characters(categories=["L", "N", "Zs"], exclude_characters="(),#"), min_size=1, max_size=15).filter(
    lambda name: not HANGUL.search(name)
)
TITLE = st.text(st.characters(categories=["L", "N", "P", "Zs", "S"]), min_size=1, max_size=80).map(str.strip).filter(
    is_plain_line
)
BODY_LINE = st.one_of(
    st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=60),
    st.sampled_from(["코멘트입니다.", "(한국어 괄호 코멘트)", "See https://arxiv.org/abs/2503.04715.", "We study widgets."]),
).map(str.strip).filter(is_plain_line)
TAG = st.text(st.characters(categories=["Ll", "Nd"], include_characters="-_"), min_size=1, max_size=10)
ENTRY = st.tuples(TITLE, st.lists(NAME.map(str.strip).filter(bool), max_size=4), st.lists(BODY_LINE, max_size=4),
                  st.lists(TAG, max_size=3))


def render(entries: list[tuple[str, list[str], list[str], list[str]]]) -> str:
    lines = [DAY_LINE]
    for title, authors, body, tags in entries:
        lines += [title, f"({', '.join(authors)})", *body]
        if tags:
            lines.append(" ".join("#" + t for t in tags))
    return "\n".join(lines) + "\n"


@FUZZ
@given(st.lists(ENTRY, max_size=8))
def test_a_valid_day_gives_back_every_entry_with_its_fields(parts):
    entries = parse_day_text(render(parts), "valid.txt")
    assert [e.title for e in entries] == [title for title, _, _, _ in parts]
    assert [list(e.authors) for e in entries] == [authors for _, authors, _, _ in parts]
    assert [list(e.tags) for e in entries] == [list(dict.fromkeys(map(tag_key, tags))) for _, _, _, tags in parts]
    assert [len(e.labels) for e in entries] == [len(e.tags) for e in entries]
    for entry, (_, _, body, _) in zip(entries, parts):
        # Abstract, Korean and English commentary split the body; none of it is lost or reordered.
        texts = [entry.abstract or "", entry.comment_ko, entry.comment_en]
        assert "\n".join(t for t in texts if t) == "\n".join(body)
    assert len({e.id for e in entries}) == len(entries)


# --- (2) mutated real day files ----------------------------------------------------------

BAD_UTF8 = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xea\xb0"]


@st.composite
def mutated_day(draw, files: list[Path]) -> tuple[Path, bytes]:
    """A real day file after 1-3 random edits of any kind."""
    path = draw(st.sampled_from(files))
    data = path.read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        lines = data.split(b"\n")
        op = draw(st.sampled_from(["delete", "duplicate", "blank", "swap", "whitespace",
                                   "truncate", "nul", "bad_utf8"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "blank":
            lines[i:i] = [b""] * draw(st.integers(1, 3))
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "whitespace":
            lines[i] += draw(st.sampled_from([b" ", b"\t", b"  \t", b"\r"]))
        data = b"\n".join(lines)
        # Byte-level edits land anywhere, even inside a multi-byte character.
        if op == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif op in ("nul", "bad_utf8"):
            at = draw(st.integers(0, len(data)))
            data = data[:at] + (b"\x00" if op == "nul" else draw(st.sampled_from(BAD_UTF8))) + data[at:]
    return path, data


@FUZZ
@given(st.data())
def test_a_mutated_real_day_file_parses_or_fails_with_a_parse_error_only(day_files, scratch, data):
    _, mutated = data.draw(mutated_day(day_files), label="mutated")
    scratch.write_bytes(mutated)
    try:
        entries = parse_day_file(scratch)
    except ParseError as error:
        assert_parse_error_points_into(error, str(scratch), line_count(mutated))
    else:
        assert_well_formed(entries, line_count(mutated))


@st.composite
def reformatted_day(draw, files: list[Path]) -> tuple[Path, str]:
    """A real day file with whitespace-only edits: padded lines, blank lines, CRLF endings."""
    path = draw(st.sampled_from(files))
    lines = path.read_text(encoding="utf-8").split("\n")
    titles = {e.source.line for e in parse_day_file(path)}  # 1-based: the authors line is at index `line`
    pads = st.sampled_from([" ", "\t", "  ", "\u3000", "\xa0", "\r", " \t "])
    for i in sorted(draw(st.sets(st.integers(0, len(lines) - 1), max_size=8))):
        lines[i] = (draw(pads) if i and draw(st.booleans()) else "") + lines[i] + draw(pads)
    # Blank lines anywhere after the date line, except between a title and its authors line.
    spots = [i for i in range(1, len(lines) + 1) if i not in titles]
    for i in sorted(draw(st.sets(st.sampled_from(spots), max_size=6)), reverse=True):
        lines[i:i] = [draw(st.sampled_from(["", "  ", "\t", "\r"]))] * draw(st.integers(1, 3))
    text = "\n".join(lines)
    return path, text.replace("\n", "\r\n") if draw(st.booleans()) else text


@FUZZ
@given(st.data())
def test_whitespace_edits_to_a_real_day_file_keep_every_entry_unchanged(day_files, scratch, data):
    source, text = data.draw(reformatted_day(day_files), label="reformatted")
    original = parse_day_file(source)
    scratch.write_text(text, encoding="utf-8", newline="")
    reparsed = parse_day_file(scratch)
    assert [e.id for e in reparsed] == [e.id for e in original]
    assert without_source_line(reparsed) == [replace(e, source=Source(str(scratch), 0)) for e in original]


@FUZZ
@given(st.data())
def test_a_nul_or_invalid_utf8_byte_in_a_real_day_file_is_reported_at_its_line(day_files, scratch, data):
    raw = data.draw(st.sampled_from(day_files), label="file").read_bytes()
    at = data.draw(st.integers(0, len(raw)), label="at")
    bad = data.draw(st.sampled_from([b"\x00", *BAD_UTF8]), label="bad")
    scratch.write_bytes(raw[:at] + bad + raw[at:])
    with pytest.raises(ParseError, match="NUL byte" if bad == b"\x00" else "invalid UTF-8") as caught:
        parse_day_file(scratch)
    # Inserted inside a multi-byte character, the error starts at that character: same line.
    assert caught.value.line == raw.count(b"\n", 0, at) + 1


@FUZZ
@given(st.data())
def test_a_lone_surrogate_in_text_is_a_parse_error_at_its_line(day_files, data):
    text = data.draw(st.sampled_from(day_files), label="file").read_text(encoding="utf-8")
    at = data.draw(st.integers(0, len(text)), label="at")
    # What decoding invalid UTF-8 with errors="surrogateescape" leaves in a str.
    bad = data.draw(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), label="surrogate")
    with pytest.raises(ParseError, match="lone surrogate") as caught:
        parse_day_text(text[:at] + bad + text[at:], "escaped.txt")
    assert caught.value.line == text.count("\n", 0, at) + 1


# --- (3) very large inputs ---------------------------------------------------------------


def test_a_50_mb_day_file_is_refused_by_the_size_guard(tmp_path):
    path = tmp_path / "huge.txt"
    entry = "A Title: With Colons (and Parens)\n(Ada Park, Ben Cho)\n위젯을 크게 키우는 연구.\n#widgets\n".encode()
    with path.open("wb") as handle:
        handle.write(f"{DAY_LINE}\n".encode())
        handle.write(entry * (50 * 1024 * 1024 // len(entry) + 1))  # real bytes, not a sparse file
    assert path.stat().st_size > 50 * 1024 * 1024
    with pytest.raises(ParseError, match=r"file is larger than 20 MB") as caught:
        parse_day_file(path)
    assert (caught.value.file, caught.value.line) == (str(path), 0)


def test_a_50_mb_day_file_in_the_data_dir_is_skipped_and_the_rest_still_parses(tmp_path):
    (tmp_path / "huge.txt").write_bytes(f"{DAY_LINE}\n".encode() + b"x" * (50 * 1024 * 1024))
    good = tmp_path / "good.txt"
    good.write_text("2031년 3월 5일\nT\n(A)\n코멘트.\n", encoding="utf-8")
    report = parse_dir(tmp_path)
    assert [e.title for e in report.entries] == ["T"]
    assert [(e.file, e.line) for e in report.errors] == [(str(tmp_path / "huge.txt"), 0)]
    assert "larger than 20 MB" in report.errors[0].message


def test_a_file_under_the_size_limit_packed_with_tiny_entries_stops_at_the_entry_limit(tmp_path):
    # ~4 million 5-byte entries would fit under 20 MB: without the cap, minutes and gigabytes.
    path = tmp_path / "packed.txt"
    path.write_bytes(f"{DAY_LINE}\n".encode() + b"T\n()\n" * (19 * 1024 * 1024 // 5))
    with pytest.raises(ParseError, match=r"more than 1,000 entries in one day") as caught:
        parse_day_file(path)
    # The entry after the limit starts 2 lines per entry after line 2.
    assert caught.value.line == 2 + 2 * digest.MAX_ENTRIES_PER_DAY


def test_a_day_at_the_entry_limit_still_parses():
    entries = parse_day_text(f"{DAY_LINE}\n" + "T\n()\n" * digest.MAX_ENTRIES_PER_DAY)
    assert len(entries) == digest.MAX_ENTRIES_PER_DAY
    assert len({e.id for e in entries}) == digest.MAX_ENTRIES_PER_DAY


@pytest.mark.parametrize("unit", ["a", "가", "(x) "], ids=["ascii", "korean", "parens"])
def test_a_100_kb_title_parses_with_a_short_unique_id(unit):
    title = (unit * (100_000 // len(unit)))[:100_000] + "!"
    other = title[:-1] + "?!"  # same first 100 kB, different end: the id must still differ
    entries = parse_day_text(f"{DAY_LINE}\n{title}\n(A)\n코멘트.\n{other}\n(B)\n", "long.txt")
    assert [e.title for e in entries] == [title, other]
    assert all(len(e.id) <= 120 for e in entries)
    assert entries[0].id != entries[1].id


def test_a_line_just_over_the_line_limit_is_refused_at_its_line():
    long_line = "x" * (digest.MAX_LINE_BYTES + 1)
    with pytest.raises(ParseError, match="longer than 1 MB") as caught:
        parse_day_text(f"{DAY_LINE}\nT\n(A)\n코멘트.\n{long_line}\n", "long.txt")
    assert caught.value.line == 5


def test_nul_byte_in_the_title_is_a_parse_error_at_that_line(tmp_path):
    path = tmp_path / "nul.txt"
    path.write_bytes(f"{DAY_LINE}\nFirst\n(A)\n".encode() + b"Sec\x00ond\n(B)\n")
    with pytest.raises(ParseError, match="NUL byte") as caught:
        parse_day_file(path)
    assert (caught.value.file, caught.value.line) == (str(path), 4)


def test_a_multibyte_character_cut_at_the_end_of_the_file_is_invalid_utf8_at_the_last_line(tmp_path):
    path = tmp_path / "cut.txt"
    path.write_bytes(f"{DAY_LINE}\nT\n(A)\n코멘트".encode()[:-1])  # half of the last Hangul syllable
    with pytest.raises(ParseError, match="invalid UTF-8") as caught:
        parse_day_file(path)
    assert caught.value.line == 4


# --- (4) questions: length-limited everywhere, with a clear message -----------------------

LONG_QUESTION = ("Which paper trains a generative verifier for RL across domains? " * 2000)[:99_999] + "?"
LIMIT_MESSAGE = re.escape(f"the question is 100,000 characters long; the limit is {MAX_QUESTION_CHARS:,}")


def test_a_100k_character_question_is_refused_by_the_python_api(seed_settings: Settings):
    with pytest.raises(QuestionError, match=LIMIT_MESSAGE):
        rag.answer(LONG_QUESTION, settings=seed_settings)
    with pytest.raises(QuestionError, match=LIMIT_MESSAGE):
        rag.search(LONG_QUESTION, settings=seed_settings)
    with pytest.raises(QuestionError, match=LIMIT_MESSAGE):
        next(iter(rag.answer_stream(LONG_QUESTION, settings=seed_settings)))


@pytest.mark.parametrize("command", ["ask", "search"])
def test_a_100k_character_question_is_one_error_sentence_from_the_cli(seed_settings: Settings, command):
    result = CliRunner().invoke(main, [command, LONG_QUESTION, "--index", str(seed_settings.index_dir)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: the question is 100,000 characters long; the limit is {MAX_QUESTION_CHARS:,}"
    ]


@pytest.fixture(scope="module")
def app(seed_settings: Settings):
    from rag.app.reindexing import Reindexer
    from rag.app.web import build_app
    from rag.index.reader import get_index

    index = get_index(seed_settings)
    return build_app(seed_settings, index, Reindexer(seed_settings, index))


def test_the_question_box_of_the_ui_takes_a_long_question_whole_so_the_limit_is_said_not_cut(app):
    [box] = [c for c in app.config["components"] if c["props"].get("elem_id") == "question"]
    assert box["type"] == "textbox"
    assert box["props"].get("max_length") is None  # the browser would cut a paste silently


def test_a_100k_character_question_posted_to_the_chat_endpoint_is_refused_naming_the_limit(app):
    import gradio as gr

    respond = next(fn for fn in app.fns.values() if fn.name == "respond")  # wired to Enter and the button
    too_long = re.escape(f"The question is 100,000 characters long; the limit is {MAX_QUESTION_CHARS:,}")
    with pytest.warns(UserWarning, match=too_long):  # a toast, in a page; the question stays in the box
        outputs = list(respond.fn(LONG_QUESTION, [], None, None, [], "auto", "date", None, None))
    assert outputs == [(gr.skip(),) * 8]  # nothing asked: the chat and the box stay as they are


def test_a_100k_character_question_to_the_ask_api_endpoint_is_a_gradio_error_naming_the_limit(app):
    import gradio as gr

    # gr.Error is what Gradio passes on to API clients as the message (show_error is off).
    ask = next(fn for fn in app.fns.values() if fn.api_name == "ask")
    with pytest.raises(gr.Error, match=LIMIT_MESSAGE):
        ask.fn(LONG_QUESTION)
