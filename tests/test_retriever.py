"""`rag.as_retriever()`: LangChain's standard retriever tests, and what its Documents carry."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests

import rag
from rag import DigestRetriever, Filters
from rag.app.cli import main


@pytest.fixture(autouse=True)
def seed_index_from_the_environment(seed_settings, monkeypatch):
    """The standard tests build the retriever with no arguments: it reads the environment."""
    monkeypatch.setenv("RAG_INDEX_DIR", str(seed_settings.index_dir))
    monkeypatch.setenv("RAG_DATA_DIR", str(seed_settings.data_dir))


class TestDigestRetrieverStandard(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[DigestRetriever]:
        return DigestRetriever

    @property
    def retriever_query_example(self) -> str:
        return "Which paper folds neighbouring image tokens into the channel dimension?"


def test_documents_carry_the_entry_id_day_title_tags_and_text(seed_settings):
    docs = rag.as_retriever(k=3, settings=seed_settings).invoke(
        "Which paper folds neighbouring image tokens into the channel dimension?")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    first = docs[0]
    assert first.metadata["title"].startswith("Token-Shuffle")
    assert first.metadata["day"] == "2025-04-25" and first.id == first.metadata["id"]
    assert first.metadata["tags"] == ["autoregressive-model", "image-generation", "vq"]
    assert "pixel shuffle" in first.page_content  # the English commentary
    assert first.metadata["title"] in first.page_content


def test_filters_and_typed_dates_restrict_the_documents(seed_settings):
    day_filter = Filters(tags=("reward-model",))
    docs = rag.as_retriever(k=10, filters=day_filter, settings=seed_settings).invoke("reward models")
    assert docs and all("reward-model" in d.metadata["tags"] for d in docs)
    typed = rag.as_retriever(k=10, settings=seed_settings).invoke("2025-05-20 papers on RL reasoning")
    assert typed and {d.metadata["day"] for d in typed} == {"2025-05-20"}


def test_a_bad_k_or_an_empty_query_is_a_clear_error(seed_settings):
    retriever = rag.as_retriever(settings=seed_settings)
    with pytest.raises(ValueError, match="k must be between 1 and 100"):
        retriever.invoke("reward models", k=0)
    with pytest.raises(ValueError, match="empty"):
        retriever.invoke("   ")


def test_documents_carry_the_same_entry_fields_as_rag_search_json(seed_settings):
    question = "reward models for judging reasoning"
    docs = rag.as_retriever(k=4, settings=seed_settings).invoke(question)
    printed = CliRunner().invoke(main, ["search", question, "-k", "4", "--index", str(seed_settings.index_dir), "--json"])
    assert printed.exit_code == 0, printed.output
    assert [d.metadata for d in docs] == json.loads(printed.stdout)
    assert [h.to_dict() for h in rag.search(question, k=4, settings=seed_settings)] == json.loads(printed.stdout)
