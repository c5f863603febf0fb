"""The app's per-user parts in a real browser: the Follow button (and what it picks up after a
reindex, in the opening brief and the feed), 👍 on an answer, and a saved conversation reopened
and followed up with "the second one"."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import date

import bibtexparser
import feedparser
import pytest
from conftest import clean_env, run_rag
from playwright.sync_api import expect
from ui_support import ANSWER_MS, LIVE_MS, add_day_from_ui, ask, cited_titles, shot, zebra_moved

from rag.config import load_settings
from rag.state.feedback import all_feedback

pytestmark = pytest.mark.slow

TOPIC_Q = "Which papers did the digest cover on scaling laws?"
SAVED_Q = "Which papers about scaling laws are in the digest?"


def rag_env(app) -> dict[str, str]:
    return clean_env(RAG_DATA_DIR=str(app.data_dir), RAG_INDEX_DIR=str(app.index_dir))


def test_follow_button_follows_the_question_and_a_new_day_on_it_shows_in_brief_and_feed(page, app):
    ask(page, "striped positional codes for long video")
    page.locator("#follow").click()
    expect(page.get_by_text(re.compile("Following 'striped positional codes for long video'"))).to_be_visible()
    listed = json.loads(run_rag("follow", "list", "--json", env=rag_env(app)).stdout)
    assert [f["query"] for f in listed] == ["striped positional codes for long video"]
    add_day_from_ui(app, page, "zebra-follow.txt", zebra_moved(date(2031, 8, 1), "Okapi"))
    page.reload()
    brief = page.locator("#brief")
    expect(brief).to_contain_text("New on what you follow", timeout=LIVE_MS)
    expect(brief).to_contain_text("Okapi-Tokens")
    shot(page, "follow-brief")
    name = listed[0]["name"]
    with urllib.request.urlopen(app.url + f"feeds/{name}.atom", timeout=60) as resp:
        feed = feedparser.parse(resp.read())
    assert not feed.bozo and [e.title for e in feed.entries] == ["Okapi-Tokens: Striped Positional Codes for Long Video"]


def test_thumbs_up_on_an_answer_is_kept_with_its_question_and_comment(page, app):
    ask(page, TOPIC_Q)
    page.locator("#feedback-comment textarea").fill("exactly the list I wanted")
    page.locator('#chat [data-testid="bot"]').last.hover()
    page.locator("#chat").get_by_role("button", name=re.compile("^like$", re.I)).last.click()
    settings = load_settings(data_dir=app.data_dir, index_dir=app.index_dir)
    page.wait_for_function("() => !document.querySelector('#feedback-comment textarea').value", timeout=ANSWER_MS)
    [kept] = [f for f in all_feedback(settings) if f.question == TOPIC_Q]
    assert kept.good and kept.comment == "exactly the list I wanted" and kept.cited


def test_a_saved_conversation_reopens_and_the_second_one_follows_up_on_it(page, app):
    ask(page, SAVED_Q)
    first = cited_titles(page)
    assert len(first) >= 2
    page.locator("#new-conversation").click()
    page.reload()  # the list is read again on a fresh page too
    page.locator("#saved").click()
    saved = page.locator("#saved-list label")
    expect(saved.first).to_contain_text(SAVED_Q)  # newest first
    saved.first.click()
    page.locator("#saved-open").click()
    expect(page.locator('#chat [data-testid="bot"]')).to_have_count(1, timeout=LIVE_MS)
    ask(page, "What did the author think of the second one?")  # the reopened page shows no cards yet
    expect(page.locator('#chat [data-testid="bot"]')).to_have_count(2)
    assert cited_titles(page)[0] == first[1]
    shot(page, "saved-conversation-follow-up")


def test_export_bib_downloads_the_cited_entries_as_bibtex_and_the_index_tab_counts_feedback(page, app):
    ask(page, TOPIC_Q)
    titles = cited_titles(page)
    export = page.locator("#export-bib")
    expect(export).to_be_enabled()
    page.wait_for_function("() => document.querySelector('#export-bib a[href]')"
                           " || !document.querySelector('#export-bib').disabled", timeout=ANSWER_MS)
    with page.expect_download() as download:
        export.click()
    library = bibtexparser.parse_file(download.value.path())
    assert library.failed_blocks == []
    assert [e.fields_dict["title"].value.strip("{}") for e in library.entries] == titles
    page.locator("#tab-index-button").click()
    expect(page.locator("#feedback-counts")).to_contain_text(re.compile(r"Feedback: \d+ 👍, \d+ 👎"))
