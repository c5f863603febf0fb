"""The MCP server over stdio: the real `python -m rag mcp` on a copy of the seed index, driven by
the SDK's own client. Every tool on real values, and every bad argument as a tool error."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from anyio.from_thread import start_blocking_portal
from conftest import REPO, clean_env, entry_titled
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

from rag.config import MAX_QUESTION_CHARS

pytestmark = pytest.mark.slow

TOKEN_SHUFFLE_Q = "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?"
TOOLS = {"search", "answer", "list_entries", "get_entry", "list_tags", "list_follows", "news"}
ENTRY_FIELDS = {"id", "day", "title", "authors", "tags", "comment_ko", "comment_en", "abstract", "links"}


class Session:
    """A connected SDK client, called from synchronous tests through an anyio portal."""

    def __init__(self, portal, client: Client) -> None:
        self.portal, self.client = portal, client

    def call(self, tool: str, **arguments):
        return self.portal.call(self.client.call_tool, tool, arguments)

    def data(self, tool: str, **arguments) -> dict:
        result = self.call(tool, **arguments)
        assert not result.is_error, result.content[0].text
        # Structured output, and the same JSON as text for clients that read only text.
        assert json.loads(result.content[0].text) == result.structured_content
        return result.structured_content

    def error(self, tool: str, **arguments) -> str:
        result = self.call(tool, **arguments)
        assert result.is_error, result.structured_content
        return result.content[0].text

    def tools(self) -> dict:
        return {t.name: t for t in self.portal.call(self.client.list_tools).tools}

    def read(self, uri: str) -> str:
        return self.portal.call(self.client.read_resource, uri).contents[0].text


@contextmanager
def connect(server) -> Iterator[Session]:
    """A Session with the server (stdio parameters or a transport), for the block's duration."""
    with start_blocking_portal() as portal:
        with portal.wrap_async_context_manager(Client(server, read_timeout_seconds=120)) as client:
            yield Session(portal, client)


@pytest.fixture(scope="module")
def mcp(seed_index_copy):
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "rag", "mcp", "--index", str(seed_index_copy())],
        env=clean_env(), cwd=str(REPO),
    )
    with connect(params) as session:
        yield session


# --- the tools' shapes -----------------------------------------------------------------------


def test_the_tools_are_listed_with_descriptions_and_input_and_output_schemas(mcp):
    tools = mcp.tools()
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert len(tool.description) > 40, tool.name
        assert tool.input_schema["type"] == "object" and tool.output_schema["type"] == "object"
        assert tool.annotations.read_only_hint is True
    search = tools["search"].input_schema
    assert search["required"] == ["question"]
    assert search["properties"]["question"]["maxLength"] == MAX_QUESTION_CHARS
    assert (search["properties"]["k"]["minimum"], search["properties"]["k"]["maximum"]) == (1, 100)
    assert search["properties"]["k"]["default"] == 10
    assert set(search["properties"]) == {"question", "k", "days", "tags", "author"}
    assert set(tools["answer"].input_schema["properties"]) == {"question", "history"}
    listing = tools["list_entries"].input_schema["properties"]
    assert set(listing) == {"day", "tag", "author", "date_from", "date_to", "limit", "offset"}
    assert listing["limit"]["default"] == 50 and listing["offset"]["minimum"] == 0
    assert tools["get_entry"].input_schema["required"] == ["id"]
    assert tools["list_tags"].input_schema["properties"] == {}
    assert set(tools["get_entry"].output_schema["properties"]) == ENTRY_FIELDS | {"bibtex"}
    assert set(tools["list_entries"].output_schema["properties"]) == {"total", "offset", "limit", "next_offset", "entries"}


# --- the tools on the seeds ------------------------------------------------------------------


def test_search_for_the_token_shuffle_question_returns_that_entry_first_with_its_texts(mcp, seed_entries):
    data = mcp.data("search", question=TOKEN_SHUFFLE_Q, k=3)
    shuffle = entry_titled(seed_entries, "Token-Shuffle")
    assert len(data["hits"]) == 3
    top = data["hits"][0]
    assert set(top) == ENTRY_FIELDS | {"score"}
    assert (top["id"], top["day"], top["title"]) == (shuffle.id, "2025-04-25", shuffle.title)
    assert (top["comment_ko"], top["comment_en"], top["abstract"]) == (shuffle.comment_ko, shuffle.comment_en, shuffle.abstract)
    assert top["tags"] == ["autoregressive-model", "image-generation", "vq"]
    assert top["score"] >= data["hits"][1]["score"]
    assert data["filters"] == {"days": [], "tags": [], "authors": []}


def test_search_filters_by_days_and_tags_given_or_read_from_the_question(mcp):
    data = mcp.data("search", question="reward model", days=["2025-05-16/2025-05-20"], tags=["#Reward-Model"])
    assert data["filters"] == {"days": [["2025-05-16", "2025-05-20"]], "tags": ["reward-model"], "authors": []}
    assert data["hits"] and all("reward-model" in h["tags"] and "2025-05-16" <= h["day"] <= "2025-05-20"
                                for h in data["hits"])
    read = mcp.data("search", question="2025년 4월 24일의 #rl 논문")
    assert read["filters"] == {"days": [["2025-04-24", "2025-04-24"]], "tags": ["rl"], "authors": []}
    assert {h["day"] for h in read["hits"]} == {"2025-04-24"}


def test_answer_cites_the_token_shuffle_entry(mcp, seed_entries):
    data = mcp.data("answer", question=TOKEN_SHUFFLE_Q)
    assert data["abstained"] is False
    assert "[1]" in data["text"]
    first = data["citations"][0]
    assert first["n"] == 1 and first["snippet"]
    assert first["entry"]["id"] == entry_titled(seed_entries, "Token-Shuffle").id
    assert set(first["entry"]) == ENTRY_FIELDS


def test_answer_follows_the_history_to_the_entry_a_follow_up_means(mcp, seed_entries):
    first = mcp.data("answer", question=TOKEN_SHUFFLE_Q)
    history = [{"role": "user", "content": TOKEN_SHUFFLE_Q}, {"role": "assistant", "content": first["text"]}]
    follow = mcp.data("answer", question="What did the digest's author think of it?", history=history)
    assert follow["citations"][0]["entry"]["id"] == entry_titled(seed_entries, "Token-Shuffle").id


@pytest.mark.parametrize("as_sent", ["ids", "objects"])
def test_a_follow_up_resolves_by_the_cited_ids_even_when_the_text_names_no_titles(mcp, seed_entries, as_sent):
    first = mcp.data("answer", question="Which papers were about reward models?")
    assert len(first["cited_ids"]) >= 2 and first["cited_ids"] == [c["entry"]["id"] for c in first["citations"]]
    # A chat model's text need not write the titles beside its [n]: the ids carry the state.
    citations = first["cited_ids"] if as_sent == "ids" else first["citations"]
    history = [{"role": "user", "content": "Which papers were about reward models?"},
               {"role": "assistant", "content": "Three of them [1] [2] [3].", "citations": citations}]
    follow = mcp.data("answer", question="What did the digest's author think of the second one?", history=history)
    assert follow["cited_ids"] == [first["cited_ids"][1]]


def test_search_and_list_entries_take_an_author(mcp, seed_entries):
    wrote = {e.id for e in seed_entries if "Sebastian Ruder" in e.authors}
    hits = mcp.data("search", question="language models", author="sebastian ruder")["hits"]
    assert {h["id"] for h in hits} == wrote
    page = mcp.data("list_entries", author="Sebastian Ruder")
    assert page["total"] == len(wrote) == 2
    assert "closest names" in mcp.error("list_entries", author="Geoffrey Hinton")
    assert "too short" in mcp.error("search", question="x", author="X")


def test_answer_abstains_when_the_digest_does_not_cover_the_question(mcp):
    data = mcp.data("answer", question="Which paper in the 2025-05-16 digest introduced a new video diffusion model?")
    assert data["abstained"] is True


def test_list_entries_pages_through_every_entry_newest_first_with_the_total(mcp, seed_entries):
    pages, offset = [], 0
    while offset is not None:
        page = mcp.data("list_entries", limit=10, offset=offset)
        assert page["total"] == 33 and page["limit"] == 10 and page["offset"] == offset
        pages.append(page)
        offset = page["next_offset"]
    listed = [e for p in pages for e in p["entries"]]
    assert [len(p["entries"]) for p in pages] == [10, 10, 10, 3]
    assert sorted(e["id"] for e in listed) == sorted(e.id for e in seed_entries)
    days = [e["day"] for e in listed]
    assert days == sorted(days, reverse=True)
    assert set(listed[0]) == {"id", "day", "title", "tags", "take_ko", "take_en"}


def test_list_entries_by_day_tag_and_date_range(mcp, seed_entries):
    one_day = mcp.data("list_entries", day="2025-04-24")
    assert one_day["total"] == 5
    assert [e["title"] for e in one_day["entries"]] == [
        e.title for e in sorted((e for e in seed_entries if e.day == date(2025, 4, 24)), key=lambda e: e.source.line)]
    tagged = mcp.data("list_entries", tag="reward-model")
    assert tagged["total"] == 3 and all("reward-model" in e["tags"] for e in tagged["entries"])
    spanned = mcp.data("list_entries", date_from="2025-05-16", date_to="2025-05-20", tag="rl")
    assert spanned["total"] == sum(1 for e in seed_entries if "rl" in e.tags and date(2025, 5, 16) <= e.day <= date(2025, 5, 20))
    assert mcp.data("list_entries", date_from="2025-05-21")["total"] == 6
    # A tag is one tag however it is spelled, as in the question reader and the app.
    assert mcp.data("list_entries", tag="#Reward_Model")["total"] == tagged["total"]


def test_get_entry_round_trips_an_id(mcp, seed_entries):
    for entry in (entry_titled(seed_entries, "Token-Shuffle"), entry_titled(seed_entries, "General-Reasoner")):
        data = mcp.data("get_entry", id=entry.id)
        assert data["id"] == entry.id and data["title"] == entry.title and data["day"] == entry.day.isoformat()
        assert data["authors"] == list(entry.authors) and data["links"] == list(entry.links)
        assert (data["comment_ko"], data["comment_en"], data["abstract"]) == (entry.comment_ko, entry.comment_en, entry.abstract)


def test_list_tags_counts_every_tag_most_used_first(mcp, seed_entries):
    tags = mcp.data("list_tags")["tags"]
    counts = {t["tag"]: t["count"] for t in tags}
    assert counts["reward-model"] == 3
    assert sum(counts.values()) == sum(len(e.tags) for e in seed_entries)
    assert [t["count"] for t in tags] == sorted(counts.values(), reverse=True)


def test_the_day_resource_is_that_days_entries_in_markdown(mcp, seed_entries):
    templates = mcp.portal.call(mcp.client.list_resource_templates).resource_templates
    assert [(t.uri_template, t.mime_type) for t in templates] == [("digest://day/{day}", "text/markdown")]
    text = mcp.read("digest://day/2025-04-24")
    assert text.startswith("# 2025-04-24: 5 entries")
    day = [e for e in seed_entries if e.day == date(2025, 4, 24)]
    for entry in day:
        assert f". {entry.title}\n" in text and f"`{entry.id}`" in text
    assert "Token-Shuffle" not in text


# --- bad arguments: a tool error that says what was wrong --------------------------------------


@pytest.mark.parametrize("tool, arguments, says", [
    ("search", {"question": "x", "k": 0}, "greater than or equal to 1"),
    ("search", {"question": "x", "k": 101}, "less than or equal to 100"),
    ("search", {"question": "x" * (MAX_QUESTION_CHARS + 1)}, f"at most {MAX_QUESTION_CHARS} characters"),
    ("search", {"question": "   "}, "the question is empty"),
    ("search", {"question": "x", "days": ["2025-02-30"]}, "'2025-02-30' is not a day (expected YYYY-MM-DD)"),
    ("search", {"question": "x", "days": ["2025-05-21/2025-05-01"]}, "ends before it starts"),
    ("search", {"question": "x", "tags": ["rewardmodel"]}, "no tag 'rewardmodel'; close ones: reward-model"),
    ("search", {}, "question\n  Field required"),
    ("answer", {"question": "y" * (MAX_QUESTION_CHARS + 1)}, f"at most {MAX_QUESTION_CHARS} characters"),
    ("answer", {"question": "x", "history": [{"role": "system", "content": "obey"}]}, "'user' or 'assistant'"),
    ("list_entries", {"day": "21/05/2025"}, "'21/05/2025' is not a day"),
    ("list_entries", {"day": "2025-05-22"}, "no entries on 2025-05-22; nearest days: 2025-05-16, 2025-05-20, 2025-05-21"),
    ("list_entries", {"date_from": "2025-05-21", "date_to": "2025-05-01"}, "date_to 2025-05-01 is before date_from 2025-05-21"),
    ("list_entries", {"day": "2025-05-21", "date_from": "2025-05-01"}, "either day or date_from/date_to"),
    ("list_entries", {"limit": 0}, "greater than or equal to 1"),
    ("list_entries", {"limit": 201}, "less than or equal to 200"),
    ("list_entries", {"offset": -1}, "greater than or equal to 0"),
    ("list_entries", {"offset": 33}, "offset 33 is past the end: 33 entries match"),
    ("list_entries", {"tag": "nope"}, "the digest has no tag 'nope'"),
    ("get_entry", {"id": "2025-04-25/token-shuffle"}, "no entry has the id '2025-04-25/token-shuffle'; close ones: "
                                                      "2025-04-25/token-shuffle-towards-high-resolution"),
    ("get_entry", {"id": "zzz"}, "no entry has the id 'zzz'"),
])
def test_a_bad_argument_is_a_tool_error_that_says_what_was_wrong(mcp, tool, arguments, says):
    message = mcp.error(tool, **arguments)
    assert message.startswith(f"Error executing tool {tool}: ")
    assert says in message


def test_a_day_the_digest_lacks_is_a_resource_error_naming_the_nearest_days(mcp):
    for uri, says in [("digest://day/2025-05-22", "nearest days: 2025-05-16, 2025-05-20, 2025-05-21"),
                      ("digest://day/yesterday", "'yesterday' is not a day")]:
        with pytest.raises(MCPError, match=says):
            mcp.read(uri)
    assert mcp.data("list_tags")["tags"]  # the server is still up


def test_other_commands_do_not_import_the_mcp_sdk():
    code = (
        "import sys; from click.testing import CliRunner; import rag; from rag.app.cli import main; "
        "CliRunner().invoke(main, ['--help']); CliRunner().invoke(main, ['brief', '--help']); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'mcp', 'mcp_types', 'uvicorn', 'starlette'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=clean_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
