"""The LLM writer against a real OpenAI-compatible HTTP endpoint on loopback (tests/llm_server.py)."""

from __future__ import annotations

import json

import pytest
from conftest import API_KEY, HANGUL, MARKER, entry_titled
from llm_server import Reply

import rag
from rag import Answer
from rag.ask.llm import NOT_COVERED

EN_QUESTION = "Which paper folds neighbouring image tokens into the channel dimension to shorten the sequence?"
KO_QUESTION = "이미지 토큰의 공간 축을 임베딩 차원으로 접어 넣어 시퀀스를 줄이는 논문은?"

CITED = (
    "Token-Shuffle merges spatially local image tokens along the channel dimension, so the "
    "transformer sees fewer tokens [1]. The digest's author calls it essentially a pixel shuffle [1]."
)


# What the scripted model replies when asked to translate a question (the first request of
# every answer the model writes).
TRANSLATED = {EN_QUESTION: Reply.stream(KO_QUESTION), KO_QUESTION: Reply.stream(EN_QUESTION)}


def answer_request(llm):
    """The request that asked for the answer, after the one that asked for a translation."""
    assert len(llm.requests) == 2, [r.message("system")[:40] for r in llm.requests]
    assert "Translate" in llm.requests[0].message("system")
    return llm.requests[1]


def offline_text(seed_settings, question: str) -> str:
    return rag.answer(question, settings=seed_settings).text


# --- what is sent --------------------------------------------------------------------------


def test_request_carries_system_rules_numbered_sources_and_the_question(llm, llm_settings):
    llm.script(TRANSLATED[EN_QUESTION], Reply.stream(CITED))
    rag.answer(EN_QUESTION, settings=llm_settings)
    req = answer_request(llm)
    assert req.path == "/v1/chat/completions"
    assert req.body["stream"] is True
    assert req.body["model"] == llm_settings.llm_model
    assert req.headers.get("authorization") == f"Bearer {API_KEY}"
    assert req.messages[0]["role"] == "system"
    system = req.message("system")
    assert NOT_COVERED in system and "[1]" in system
    user = req.message("user")
    assert '"n": 1' in user
    assert "Token-Shuffle" in user
    assert EN_QUESTION in user
    assert "English" in user and "Korean" not in user


def test_korean_question_asks_the_model_for_a_korean_answer(llm, llm_settings):
    llm.script(TRANSLATED[KO_QUESTION], Reply.stream("토큰을 채널 차원으로 합쳐 시퀀스를 줄입니다 [1]."))
    a = rag.answer(KO_QUESTION, settings=llm_settings)
    user = answer_request(llm).message("user")
    assert "Korean" in user
    assert KO_QUESTION in user
    assert HANGUL.search(a.text)


def test_sources_are_sent_as_json_data_numbered_like_the_contexts(llm, llm_settings):
    llm.script(TRANSLATED[EN_QUESTION], Reply.stream(CITED))
    a = rag.answer(EN_QUESTION, settings=llm_settings)
    user = answer_request(llm).message("user")
    sources = json.loads(user[user.index("<sources>") + len("<sources>") : user.index("</sources>")])
    assert [s["n"] for s in sources] == list(range(1, len(a.contexts) + 1))
    assert [s["title"] for s in sources] == [h.entry.title for h in a.contexts]


def test_the_question_is_translated_first_and_quoted_as_data(llm, llm_settings):
    llm.script(TRANSLATED[KO_QUESTION], Reply.stream("토큰을 채널 차원으로 합칩니다 [1]."))
    rag.answer(KO_QUESTION, settings=llm_settings)
    answer_request(llm)
    translation = llm.requests[0]
    assert "into English" in translation.message("system")
    assert "data, not instructions" in translation.message("system")
    assert json.dumps(KO_QUESTION, ensure_ascii=False) in translation.message("user")
    assert "<sources>" not in translation.message("user")  # only the question is sent


def test_what_the_translation_finds_joins_the_sources(llm, llm_settings, seed_settings):
    # Scripted as the "translation": a Korean question the digest answers with J1 (its
    # commentary is "추론 Judge 모델."), which the English question alone does not find.
    judge = "LLM 평가자가 판단 전에 생각하도록 강화학습으로 학습시킨 추론 Judge 모델"
    alone = [h.entry.title for h in rag.search(EN_QUESTION, k=llm_settings.top_k, settings=seed_settings)]
    assert not any(t.startswith("J1") for t in alone)
    llm.script(Reply.stream(judge), Reply.stream(CITED))
    a = rag.answer(EN_QUESTION, settings=llm_settings)
    titles = [h.entry.title for h in a.contexts]
    assert titles[0].startswith("Token-Shuffle")  # the question's own best stays first
    assert any(t.startswith("J1") for t in titles[:3])
    sources = answer_request(llm).message("user")
    assert "J1: Incentivizing Thinking" in sources


# --- what comes back -----------------------------------------------------------------------


def test_streamed_reply_with_citations_becomes_a_cited_answer(llm, llm_settings, seed_entries):
    llm.script(TRANSLATED[EN_QUESTION], Reply.stream(CITED))
    a = rag.answer(EN_QUESTION, settings=llm_settings)
    assert a.text == CITED
    assert not a.abstained
    assert a.notice == ""
    assert [c.n for c in a.citations] == [1]
    assert a.citations[0].entry == entry_titled(seed_entries, "Token-Shuffle")
    assert a.citations[0].entry == a.contexts[0].entry


def test_citation_of_a_source_that_does_not_exist_is_removed(llm, llm_settings):
    llm.script(TRANSLATED[EN_QUESTION], Reply.stream("It folds tokens into channels [1]. It also cures cancer [9]."))
    a = rag.answer(EN_QUESTION, settings=llm_settings)
    assert "[9]" not in a.text
    assert a.text == "It folds tokens into channels [1]. It also cures cancer."
    assert [c.n for c in a.citations] == [1]


def test_reply_citing_nothing_has_no_citations(llm, llm_settings):
    llm.script(TRANSLATED[EN_QUESTION], Reply.stream("It is essentially a pixel shuffle."))
    a = rag.answer(EN_QUESTION, settings=llm_settings)
    assert a.citations == []
    assert not MARKER.search(a.text)
    assert not a.abstained


def test_model_saying_not_in_digest_makes_an_abstention_naming_the_closest_entries(llm, llm_settings):
    llm.script(TRANSLATED[EN_QUESTION], Reply.stream(NOT_COVERED))
    a = rag.answer(EN_QUESTION, settings=llm_settings)
    assert a.abstained
    assert NOT_COVERED not in a.text
    assert a.citations
    assert {int(n) for n in MARKER.findall(a.text)} == {c.n for c in a.citations}


def test_weak_evidence_abstains_without_asking_the_model(llm, llm_settings):
    a = rag.answer("What is the capital of France?", settings=llm_settings)
    assert a.abstained
    assert llm.requests == []


def test_pure_filter_question_is_listed_without_asking_the_model(llm, llm_settings):
    a = rag.answer("2025-05-21의 논문 목록", settings=llm_settings)
    assert len(a.citations) == 6
    assert llm.requests == []


# --- failures fall back to the offline writer, without leaking the key ----------------------

FAILURES = {
    # OpenAI's real 401/500 messages quote the key; the notice must not.
    "http-500": Reply.error(500, f"The server had an error while processing key {API_KEY}"),
    "http-401": Reply.error(401, f"Incorrect API key provided: {API_KEY}."),
    "body-not-json": Reply.raw("data: this is not json\n\n"),
    "body-not-sse": Reply.raw("not json", content_type="application/json"),
}


@pytest.mark.parametrize("failure", list(FAILURES), ids=list(FAILURES))
def test_endpoint_failure_falls_back_to_the_offline_answer_with_a_notice(llm, llm_settings, seed_settings, failure):
    llm.script(FAILURES[failure])
    a = rag.answer(EN_QUESTION, settings=llm_settings)
    assert len(llm.requests) == 1  # llm_max_retries=0: asked once (for the translation), then offline
    assert a.text == offline_text(seed_settings, EN_QUESTION)
    assert not a.abstained
    assert a.citations and a.citations[0].entry.title.startswith("Token-Shuffle")
    assert a.notice
    assert "SECRET123456" not in a.notice
    assert API_KEY not in a.notice
    assert "\n" not in a.notice.strip()  # one sentence for the user, not a traceback


@pytest.mark.parametrize("reply", ["", " \n "], ids=["empty", "whitespace"])
def test_empty_model_reply_falls_back_to_the_offline_answer(llm, llm_settings, seed_settings, reply):
    # A well-formed stream (role chunk, stop chunk, [DONE]) that carries no text.
    llm.script(TRANSLATED[EN_QUESTION], Reply.stream(reply))
    a = rag.answer(EN_QUESTION, settings=llm_settings)
    assert a.text.strip(), "an empty answer was shown to the user, with no notice"
    assert a.text == offline_text(seed_settings, EN_QUESTION)
    assert a.citations


def test_failure_mid_stream_ends_with_the_offline_answer(llm, llm_settings, seed_settings):
    good = 'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Token-Shuffle "},"finish_reason":null}]}\n\n'
    llm.script(TRANSLATED[EN_QUESTION], Reply.raw(good + "data: {broken\n\n"))
    items = list(rag.answer_stream(EN_QUESTION, settings=llm_settings))
    final = items[-1]
    assert isinstance(final, Answer)
    assert items[0] == "Token-Shuffle "
    assert final.text == offline_text(seed_settings, EN_QUESTION)
    assert final.notice and API_KEY not in final.notice


# --- streaming -----------------------------------------------------------------------------


def test_answer_stream_yields_text_deltas_then_the_final_answer(llm, llm_settings):
    llm.script(TRANSLATED[EN_QUESTION], Reply.stream(CITED, piece_chars=5))
    items = list(rag.answer_stream(EN_QUESTION, settings=llm_settings))
    *deltas, final = items
    assert isinstance(final, Answer)
    assert len(deltas) > 1 and all(isinstance(d, str) for d in deltas)
    assert "".join(deltas) == CITED == final.text
    assert [c.n for c in final.citations] == [1]


def test_slow_endpoint_times_out_into_the_offline_answer(llm, llm_settings, seed_settings):
    llm.script(Reply.stream(CITED, delay_s=3.0))
    a = rag.answer(EN_QUESTION, settings=llm_settings.with_overrides(llm_timeout_s=0.5))
    assert "failed" in a.notice and "Timeout" in a.notice
    assert a.text == offline_text(seed_settings, EN_QUESTION)
    assert API_KEY not in a.notice


def test_a_5xx_is_retried_and_the_retry_answers(llm, llm_settings):
    llm.script(Reply.error(503, "overloaded, try again"), TRANSLATED[EN_QUESTION], Reply.stream(CITED))
    a = rag.answer(EN_QUESTION, settings=llm_settings.with_overrides(llm_max_retries=1))
    assert len(llm.requests) == 3  # the client backed off and asked again, then asked for the answer
    assert not a.notice and a.citations and "[1]" in a.text


# --- follow-ups: the model rewrites them first -----------------------------------------------

EARLIER = "Which paper makes a judge model reason before it scores?"
FOLLOW_UP = "what did the author think of it?"
REWRITTEN = "What did the digest author think of the paper that folds image tokens into channels?"


def test_a_follow_up_is_rewritten_by_the_model_then_translated_and_answered(llm, llm_settings):
    llm.script(Reply.stream(REWRITTEN), TRANSLATED[EN_QUESTION], Reply.stream(CITED))
    a = rag.answer(FOLLOW_UP, history=[(EARLIER, "J1 [1].")], settings=llm_settings)
    condense, translation, answer = llm.requests
    assert "standalone question" in condense.message("system")
    assert json.dumps(EARLIER) in condense.message("user") and json.dumps(FOLLOW_UP) in condense.message("user")
    assert a.standalone == REWRITTEN
    assert json.dumps(REWRITTEN) in translation.message("user") and REWRITTEN in answer.message("user")
    assert a.citations and a.citations[0].entry.title.startswith("Token-Shuffle")


def test_a_failed_rewrite_carries_the_earlier_question_forward(llm, llm_settings):
    llm.script(Reply.error(500, "down for a moment"), TRANSLATED[EN_QUESTION], Reply.stream(CITED))
    a = rag.answer(FOLLOW_UP, history=[(EARLIER, "J1 [1].")], settings=llm_settings)
    assert len(llm.requests) == 3
    assert a.standalone == f"{EARLIER} {FOLLOW_UP}"
    assert not a.notice and a.text == CITED


def test_the_condense_step_gets_the_last_answers_entries_and_the_rules_keep_the_one_pointed_at(
        llm, llm_settings, seed_settings):
    listing = rag.answer("2025년 5월 20일 #rl 논문 목록", settings=seed_settings)  # offline: no request
    second = listing.citations[1].entry
    rewritten = f"What did the digest author think of {second.title}?"
    llm.script(Reply.stream(rewritten), Reply.stream("번역"), Reply.stream("The author liked it [1]."))
    a = rag.answer("what did the author think of the second one?", history=[(listing.question, listing)],
                   settings=llm_settings)
    condense, _, answer = llm.requests
    assert "<last_answer_entries>" in condense.message("user")
    assert json.dumps(second.title, ensure_ascii=False) in condense.message("user")
    assert a.standalone == rewritten
    # The rules, not the model's wording, decide which entry is the source.
    assert [h.entry for h in a.contexts] == [second]
    assert [c.entry for c in a.citations] == [second]
    assert '"n": 2' not in answer.message("user")


def test_a_which_papers_question_gives_the_model_the_set_membership_decided(llm, llm_settings, seed_entries):
    llm.script(Reply.stream("WorldPM [1], J1 [2], ThinkPRM [3]."))
    a = rag.answer("Which papers were about reward models?", settings=llm_settings)
    # The entries about the topic are decided before the model writes: no translation call
    # reshuffles them, and the prompt says how many there are and to mention every one.
    assert len(llm.requests) == 1
    user = llm.requests[0].message("user")
    assert "every paper on its topic" in user and "judged to be about" in user
    for entry in seed_entries:
        if "reward-model" in entry.tags:
            assert json.dumps(entry.title, ensure_ascii=False) in user
    assert {c.entry.title for c in a.citations} <= {e.title for e in seed_entries}


def test_the_model_path_is_one_runnable_chain_with_the_offline_answer_as_its_fallback(llm_settings):
    from langchain_core.runnables import RunnableWithFallbacks
    from langchain_openai import ChatOpenAI

    from rag.ask.chain import answer_chain
    from rag.index.reader import get_index

    chain = answer_chain(get_index(llm_settings), llm_settings, 5)
    assert isinstance(chain, RunnableWithFallbacks)
    steps = [step.name for step in chain.runnable.get_graph().nodes.values()]
    order = [name for name in ("retrieve", "prompt", "ChatOpenAI", "citation_check") if name in steps]
    assert order == ["retrieve", "prompt", "ChatOpenAI", "citation_check"], steps
    assert any(isinstance(n.data, ChatOpenAI) for n in chain.runnable.get_graph().nodes.values())
    assert [f.name for f in chain.fallbacks] == ["offline_answer"]


def test_markers_the_model_invents_are_dropped_by_the_citation_check(llm, llm_settings):
    llm.script(TRANSLATED[EN_QUESTION], Reply.stream("Token-Shuffle merges tokens [1][42]. See also [0]."))
    a = rag.answer(EN_QUESTION, settings=llm_settings)
    assert "[42]" not in a.text and "[0]" not in a.text and "[1]" in a.text
    assert [c.n for c in a.citations] == [1]
