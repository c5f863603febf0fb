"""Every label the web app shows, in English and Korean: one table for both mechanisms.

Gradio translates component labels in the browser (`gr.I18n`, built from this table); text
the server renders (cards, the index status, reports, chips, notices) is looked up here with
the browser's language, read from its Accept-Language header. So a page under ko-KR is Korean
throughout and one under en-US English, whatever language a question is asked in.
"""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "## Digest RAG — ask the ML-paper digest",
        "ask_tab": "Ask", "browse_tab": "Browse", "index_tab": "Index",
        "answer": "Answer", "question": "Question", "placeholder": "Ask in Korean or English… (Enter to send)",
        "ask": "Ask", "new": "New conversation", "export": "Export (.md)", "try": "Try",
        "filters": "Filters", "from": "From day", "to": "To day", "tags": "Tags", "lang": "Answer language",
        "auto": "auto", "sources": "Sources", "closest": "Closest in the digest", "more": "More from the digest",
        "day": "Day", "tag": "Tag", "per_week": "Entries per week", "per_month": "Entries per month",
        "similar_to": "Similar entries to", "similar_head": "Similar to “{title}”",
        "reindex": "Reindex", "last_reindex": "Last reindex",
        "commentary_ko": "Commentary (KO)", "commentary_en": "Commentary (EN)", "abstract": "Abstract",
        "links": "Links", "no_sources": "No sources.", "no_entries": "No entries.",
        "entries_of_answer": "{count} entries of the last answer", "entry_of_answer": "1 entry of the last answer",
        "page": "Entries {first}–{last} of {total}", "prev": "◀ Previous", "next": "Next ▶",
        "status_empty": "The index is empty: add day files to the data folder and press Reindex.",
        "status_unavailable": "The index is unavailable: {error}",
        "status": "{entries} entries over {days} days ({first} – {last}); last reindex {updated}.",
        "indexing": "Indexing: {phase}",
        "empty_question": "Type a question first.",
        "building": "The index is still being built ({phase}); ask again in a moment.",
        "invalid_date": "Invalid date: {error}",
        "busy": "A reindex is already running.",
        "reindex_failed": "Reindex failed: {error}",
        "not_admin": "Only administrators can reindex.",
        "report": "added {added}, changed {changed}, removed {removed}, unchanged {unchanged}, skipped {skipped}; "
                  "embedded {embedded} chunks in {seconds:.1f} s",
        "skipped_file": "skipped: {error}",
        "whats_new_on": "What's new on {day} ({count} papers)",
        "whats_new_on_one": "What's new on {day} ({count} paper)",
        "references": "References",
        "warning": "Warning", "error": "Error", "copy_all": "Copy conversation",
        "chatbot.copy_message": "Copy message", "chatbot.copied_message": "Copied message",
        "too_long": "The question is {length:,} characters long; the limit is {limit:,}. Shorten it and ask again.",
        "no_conversation": "There is no conversation to export yet: ask a question first.",
        "by": "by {name}", "answer_in_en": "answer in English", "answer_in_ko": "answer in Korean",
        "order": "List order", "order_date": "Newest first", "order_relevance": "Most relevant first",
        "type_to_find": "Type a day (2024-03…) to find any of them",
        "bad_input": "Invalid request: {error}",
        "phase_start": "starting", "phase_scan": "reading the day files",
        "phase_embed": "embedding new and changed entries", "phase_tokens": "indexing words",
        "phase_segment": "writing the new segment", "phase_commit": "committing",
        "phase_chroma": "updating the Chroma store", "phase_sweep": "cleaning up",
        "phase_compact-write": "compacting segments", "phase_compact-commit": "committing the compaction",
        "phase_ann": "preparing the search of large segments",
        "phase_bridge": "updating the term bridge", "phase_done": "done",
        "last_check": "Last `rag doctor` check {at}: {verdict}", "check_ok": "the manifest, segments and Chroma agree",
        "check_problems": "{n} problem(s), run `rag doctor --repair`: {first}",
    },
    "ko": {
        "title": "## Digest RAG — ML 논문 다이제스트에 물어보세요",
        "ask_tab": "질문", "browse_tab": "둘러보기", "index_tab": "인덱스",
        "answer": "답변", "question": "질문", "placeholder": "한국어나 영어로 질문하세요… (Enter로 전송)",
        "ask": "질문하기", "new": "새 대화", "export": "내보내기 (.md)", "try": "예시",
        "filters": "필터", "from": "시작 날짜", "to": "끝 날짜", "tags": "태그", "lang": "답변 언어",
        "auto": "자동", "sources": "출처", "closest": "다이제스트에서 가장 가까운 항목", "more": "다이제스트의 다른 항목",
        "day": "날짜", "tag": "태그", "per_week": "주별 항목 수", "per_month": "월별 항목 수",
        "similar_to": "비슷한 항목 찾기", "similar_head": "“{title}”와 비슷한 항목",
        "reindex": "다시 인덱싱", "last_reindex": "최근 인덱싱",
        "commentary_ko": "코멘트 (한국어)", "commentary_en": "코멘트 (영어)", "abstract": "초록",
        "links": "링크", "no_sources": "출처가 없습니다.", "no_entries": "항목이 없습니다.",
        "entries_of_answer": "이전 답변의 항목 {count}개", "entry_of_answer": "이전 답변의 항목 1개",
        "page": "전체 {total}개 중 {first}–{last}번째", "prev": "◀ 이전", "next": "다음 ▶",
        "status_empty": "인덱스가 비어 있습니다. 데이터 폴더에 날짜 파일을 넣고 다시 인덱싱을 누르세요.",
        "status_unavailable": "인덱스를 쓸 수 없습니다: {error}",
        "status": "{days}일에 걸친 항목 {entries}개 ({first} – {last}); 최근 인덱싱 {updated}.",
        "indexing": "인덱싱 중: {phase}",
        "empty_question": "먼저 질문을 입력하세요.",
        "building": "아직 인덱스를 만드는 중입니다 ({phase}). 잠시 후 다시 물어보세요.",
        "invalid_date": "잘못된 날짜: {error}",
        "busy": "이미 인덱싱 중입니다.",
        "reindex_failed": "인덱싱 실패: {error}",
        "not_admin": "관리자만 다시 인덱싱할 수 있습니다.",
        "report": "추가 {added}, 변경 {changed}, 삭제 {removed}, 그대로 {unchanged}, 건너뜀 {skipped}; "
                  "청크 {embedded}개 임베딩, {seconds:.1f}초",
        "skipped_file": "건너뜀: {error}",
        "whats_new_on": "{day} 새로 올라온 논문 ({count}편)",
        "whats_new_on_one": "{day} 새로 올라온 논문 ({count}편)",
        "references": "참고",
        "warning": "주의", "error": "오류", "copy_all": "대화 복사",
        "chatbot.copy_message": "메시지 복사", "chatbot.copied_message": "메시지를 복사했습니다",
        "too_long": "질문이 {length:,}자입니다. 최대 {limit:,}자까지 받을 수 있으니 줄여서 다시 물어보세요.",
        "no_conversation": "아직 내보낼 대화가 없습니다. 먼저 질문하세요.",
        "by": "저자: {name}", "answer_in_en": "영어로 답변", "answer_in_ko": "한국어로 답변",
        "order": "목록 순서", "order_date": "최신순", "order_relevance": "관련도순",
        "type_to_find": "날짜를 입력해 (2024-03…) 어느 날이든 찾으세요",
        "bad_input": "잘못된 요청: {error}",
        "phase_start": "시작", "phase_scan": "날짜 파일 읽는 중",
        "phase_embed": "새 항목과 바뀐 항목 임베딩 중", "phase_tokens": "단어 색인 중",
        "phase_segment": "새 세그먼트 쓰는 중", "phase_commit": "반영 중",
        "phase_chroma": "Chroma 저장소 갱신 중", "phase_sweep": "정리 중",
        "phase_compact-write": "세그먼트 병합 중", "phase_compact-commit": "병합 반영 중",
        "phase_ann": "큰 세그먼트 검색 준비 중",
        "phase_bridge": "용어 사전 갱신 중", "phase_done": "완료",
        "last_check": "마지막 `rag doctor` 점검 {at}: {verdict}", "check_ok": "매니페스트, 세그먼트, Chroma 일치",
        "check_problems": "문제 {n}건, `rag doctor --repair` 실행 필요: {first}",
    },
}
LANGS = tuple(LABELS)


def label(key: str, lang: str, **values: object) -> str:
    """One label in the page's language (English when the language has no such label)."""
    text = LABELS.get(lang, LABELS["en"]).get(key) or LABELS["en"][key]
    return text.format(**values) if values else text


def browser_lang(accept_language: str | None) -> str:
    """The page's language from an Accept-Language header: the first one we have, else English."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LABELS:
            return code
    return "en"
