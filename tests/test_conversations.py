"""Saved conversations in the state store: saved turn by turn with their cited ids, listed
newest first, renamed and deleted, and private to their user."""

from __future__ import annotations

import pytest

from rag.config import load_settings
from rag.state.conversations import (ConversationError, as_history, delete_conversation, list_conversations,
                                     load_conversation, rename_conversation, save_turn)


@pytest.fixture
def settings(tmp_path):
    return load_settings(index_dir=tmp_path / "index", state_dir=tmp_path / "state")


def test_turns_are_saved_as_they_happen_and_come_back_as_history_with_cited_ids(settings):
    first = save_turn(settings, None, "Which papers on scaling laws?", "Two papers [1] [2].", ["a", "b"])
    assert save_turn(settings, first, "the second one", "It is b [1].", ["b"]) == first
    second = save_turn(settings, None, "Another question", "Nothing.", [])
    assert [s.id for s in list_conversations(settings)] == [second, first]  # newest first
    assert list_conversations(settings)[1].title == "Which papers on scaling laws?"
    assert as_history(load_conversation(settings, first)) == [
        {"role": "user", "content": "Which papers on scaling laws?"},
        {"role": "assistant", "content": "Two papers [1] [2].", "citations": ["a", "b"]},
        {"role": "user", "content": "the second one"},
        {"role": "assistant", "content": "It is b [1].", "citations": ["b"]},
    ]


def test_rename_and_delete_and_an_empty_title_is_refused(settings):
    conv = save_turn(settings, None, "Q", "A", [])
    rename_conversation(settings, conv, "  My scaling laws  ")
    assert list_conversations(settings)[0].title == "My scaling laws"
    with pytest.raises(ConversationError, match="empty"):
        rename_conversation(settings, conv, "   ")
    delete_conversation(settings, conv)
    assert list_conversations(settings) == []
    with pytest.raises(ConversationError, match="not there"):
        load_conversation(settings, conv)


def test_a_user_sees_and_changes_only_their_own(settings):
    alice = save_turn(settings, None, "Alice asks", "A", [], user="alice")
    assert list_conversations(settings, "bob") == [] and len(list_conversations(settings, "alice")) == 1
    for change in (lambda: load_conversation(settings, alice, "bob"),
                   lambda: rename_conversation(settings, alice, "mine now", "bob"),
                   lambda: delete_conversation(settings, alice, "bob"),
                   lambda: save_turn(settings, alice, "Bob adds", "B", [], user="bob")):
        with pytest.raises(ConversationError):
            change()
    assert len(load_conversation(settings, alice, "alice")) == 1
