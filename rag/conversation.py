"""Follow-up questions: rewrite them into standalone ones using the conversation so far."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Union

from rag.config import Settings
from rag.question import Filters

log = logging.getLogger(__name__)

# Either Gradio's "messages" ({"role", "content"}) or (user, assistant) pairs.
History = Sequence[Union[dict, tuple, list]]

_FOLLOW_UP = re.compile(
    r"^(and|also|what about|how about|then|so)\b|\b(it|its|it's|this|that|these|those|they|them|their|"
    r"the (paper|entry|author|first|second|third|last|former|latter)|same)\b|"
    r"^(그리고|그럼|그러면)|그\s*중|그중|그\s*논문|이\s*논문|그것|그게|거기|저자는|첫\s*번째|두\s*번째|위의|앞의|해당",
    re.I,
)


def user_turns(history: History) -> list[str]:
    """The user's earlier questions, oldest first."""
    out: list[str] = []
    for turn in history:
        if isinstance(turn, dict):
            if turn.get("role") == "user" and isinstance(turn.get("content"), str):
                out.append(turn["content"])
        elif isinstance(turn, (tuple, list)) and turn and isinstance(turn[0], str):
            out.append(turn[0])
    return out


def is_follow_up(question: str) -> bool:
    """Whether a question leans on an earlier one (pronouns, "그 중", very short asks)."""
    return bool(_FOLLOW_UP.search(question)) or len(question.split()) <= 2


def standalone_question(question: str, history: History, settings: Settings | None = None) -> tuple[str, Filters | None]:
    """The question made standalone using the conversation.

    With a chat model configured, it rewrites the follow-up (the condense step). Otherwise,
    or if that fails, the previous question is prepended, so its dates, tags and entities
    are parsed again alongside the new words. No explicit filters are carried (None).
    """
    previous = user_turns(history)
    if not previous or not is_follow_up(question):
        return question, None
    if settings is not None and settings.llm_enabled:
        from rag.llm import LLMError, condense

        try:
            return condense(settings, question, previous), None
        except LLMError as err:
            log.warning("%s; carrying the previous question forward instead", err)
    return f"{previous[-1]} {question}", None
