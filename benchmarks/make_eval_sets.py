"""Draw the frozen eval sets (eval/*.jsonl) at random from the corpus and derive their gold.

Reads the day files at run time (default ../shared/corpus, or --corpus DIR); embeds no digest
text. Everything random comes from one seeded generator per set (SEED below), so a rerun draws
the same entries.

    python3 benchmarks/make_eval_sets.py authors            # writes eval/authors.jsonl (gold by rule)
    python3 benchmarks/make_eval_sets.py filters            # prints templated filter questions (gold by script)
    python3 benchmarks/make_eval_sets.py draw-topics        # prints the randomly drawn seed entries for topics
    python3 benchmarks/make_eval_sets.py candidates TOPIC   # prints regex candidates of one topic, for review
    python3 benchmarks/make_eval_sets.py draw-general       # prints the entries drawn for dev/test/calib
    python3 benchmarks/make_eval_sets.py draw-compare       # prints the entries drawn as comparison seeds
    python3 benchmarks/make_eval_sets.py absent WORD_RE...  # checks unanswerable keywords match nothing
    python3 benchmarks/make_eval_sets.py topics | compare   # writes eval/topics.jsonl, eval/compare.jsonl from the judgements below
    python3 benchmarks/make_eval_sets.py assemble dev|test|calib   # writes eval/SET.jsonl from eval_hand/*.tsv

Topic and comparison gold was judged by hand from the printed candidates; the judged gold is what
eval/topics.jsonl and eval/compare.jsonl hold (the script does not overwrite them).
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_parse import E, load, norm_title  # noqa: E402

SEED = 20261207
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
EVAL = ROOT / "eval"
HAND = Path(__file__).resolve().parent / "eval_hand"  # my hand-written questions (no digest text)


# ---------------------------------------------------------------- authors
def author_key(name: str) -> str:
    """The matching rule: strip accents (NFKD, drop combining marks), casefold, treat '-' and '.'
    as spaces, then drop one-letter tokens (initials). Two names are the same person when the
    remaining tokens are equal: Christopher Re = Christopher Ré, Quoc Le = Quoc V. Le,
    J. Zico Kolter = Zico Kolter, Ben-Baruch = Ben Baruch. A spelled-out middle name must match
    (Xiang Lisa Li is not Xiang Li)."""
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.casefold().replace("-", " ").replace(".", " ")
    return " ".join(t for t in s.split() if len(t) > 1)


def author_index(es: list[E]) -> dict[str, list[int]]:
    idx: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(es):
        for k in {author_key(a) for a in e.authors if author_key(a)}:
            idx[k].append(i)
    return idx


def surface_forms(es: list[E]) -> dict[str, list[str]]:
    forms: dict[str, set[str]] = defaultdict(set)
    for e in es:
        for a in e.authors:
            forms[author_key(a)].add(a)
    return {k: sorted(v) for k, v in forms.items()}


def _variant(rng: random.Random, forms: list[str]) -> tuple[str, str]:
    """A name as a user might type it, and what was changed. Where the digest writes the person
    more than one way, the user types a form other than the longest (initial dropped or added
    relative to most entries)."""
    form = max(forms, key=len)
    plain = unicodedata.normalize("NFKD", form)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    toks = form.split()
    initials = [t for t in toks[1:-1] if len(t.rstrip(".")) == 1]
    if plain != form:
        return plain, "accents dropped"
    if initials:
        return " ".join(t for t in toks if t not in initials), "middle initial dropped"
    if len(forms) > 1:
        return min(forms, key=len), "a shorter form the digest also uses"
    if rng.random() < 0.25:
        return form.lower(), "lower case"
    return form, "as written"


EN_T = ["Which papers by {n} did the digest cover?", "List the entries {n} co-authored.",
        "What has the digest covered from {n}?", "Show me every paper with {n} as an author."]
EN_P = ["Which papers by {n} did the digest cover in {y}?", "List {n}'s papers in the digest from {y}."]
KO_T = ["{n}가 참여한 논문을 알려줘", "{n} 연구실 논문들 보여줘", "{n}이 저자인 논문은?",
        "다이제스트에 나온 {n}의 논문을 모두 알려줘"]
KO_P = ["{y}년에 {n}가 참여한 논문을 알려줘", "{y}년 {n} 연구실 논문은?"]
# Not drawn: the spelling variants the issue names, typed the way a user would.
HAND_VARIANTS = [("Christopher Re", "2024", "en", "accents dropped (digest: Christopher Ré)"),
                 ("Sham M. Kakade", None, "en", "middle initial added (digest mostly: Sham Kakade)"),
                 ("Quoc Le", "2020", "ko", "middle initial dropped (digest mostly: Quoc V. Le)"),
                 ("Piotr Dollar", None, "ko", "accents dropped (digest mostly: Piotr Dollár)")]
UNKNOWN = ["Andrej Karpathy", "Judea Pearl", "Tomas Mikolov", "Daphne Koller", "Sébastien Marchand"]


def make_authors(es: list[E]) -> list[dict]:
    rng = random.Random(SEED + 2)
    idx = author_index(es)
    pool = sorted(k for k, v in idx.items() if len(v) >= 2)
    forms = surface_forms(es)
    varied = sorted(k for k in pool if len(forms[k]) > 1
                    or any(ord(c) > 127 for c in "".join(forms[k])))
    picks = rng.sample(pool, 24)
    picks += rng.sample([k for k in varied if k not in picks], 6)
    rows = []
    for i, k in enumerate(picks):
        lang = "en" if i % 2 == 0 else "ko"
        name, how = _variant(rng, forms[k])
        hits = [es[j] for j in idx[k]]
        years = sorted({e.day[:4] for e in hits})
        period = None
        if rng.random() < 0.3 and len(years) > 1:
            period = rng.choice(years)
            hits = [e for e in hits if in_period(e, period)]
        tmpl = rng.choice((EN_P if period else EN_T) if lang == "en" else (KO_P if period else KO_T))
        q = tmpl.format(n=name, y=period)
        rows.append({"id": f"au-{i + 1:03d}", "lang": lang, "kind": "author", "question": q,
                     "gold": [e.title for e in hits], "gold_date": [e.day for e in hits],
                     "notes": f"drawn key '{k}'; typed as: {how}; period {period or 'all'}; "
                              "rule: author_key (accents stripped, casefold, -/. as space, "
                              "initials dropped, remaining tokens equal)"})
    for name, period, lang, how in HAND_VARIANTS:
        hits = [es[j] for j in idx[author_key(name)] if in_period(es[j], period)]
        tmpl = rng.choice((EN_P if period else EN_T) if lang == "en" else (KO_P if period else KO_T))
        rows.append({"id": f"au-{len(rows) + 1:03d}", "lang": lang, "kind": "author",
                     "question": tmpl.format(n=name, y=period),
                     "gold": [e.title for e in hits], "gold_date": [e.day for e in hits],
                     "notes": f"hand-picked variant: {how}; period {period or 'all'}; rule: author_key"})
    for j, name in enumerate(UNKNOWN):
        assert author_key(name) not in idx, name
        lang = "en" if j % 2 == 0 else "ko"
        q = (rng.choice(EN_T) if lang == "en" else rng.choice(KO_T)).format(n=name, y=None)
        rows.append({"id": f"au-{len(rows) + 1:03d}", "lang": lang, "kind": "author",
                     "question": q, "gold": [], "gold_date": [], "notes": "unknown-author"})
    return rows


# ---------------------------------------------------------------- helpers
def snippet(e: E, n: int = 400) -> str:
    body = " ".join(e.ko) or e.abstract
    return f"[{e.day}] {e.title} | #{' #'.join(e.tags)}\n    ko: {' '.join(e.ko)[:n]}\n" \
           f"    ab: {e.abstract[:n // 2]}"


def in_period(e: E, period: str | None) -> bool:
    if not period:
        return True
    lo, _, hi = period.partition("..")
    return lo <= e.day[:len(lo)] and e.day[:len(hi or lo)] <= (hi or lo)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


# ---------------------------------------------------------------- topics
# Each narrow topic: regexes over title+abstract+commentary (both languages), the period asked
# about (YYYY, YYYY-MM or A..B; None = whole corpus). Topic ideas came from entries drawn by
# draw-topics; candidates printed here were then judged one by one by hand.
TOPICS: dict[str, tuple[list[str], str | None]] = {
    "seqpar": ([r"Ulysses", r"ring ?attention", r"sequence parallel", r"context parallel", r"시퀀스 (병렬|패럴렐)"], None),
    "flow": ([r"#flow\b"], None),
    "icl": ([r"#in[_-]context[_-]learning\b"], "2023"),
    "critic": ([r"\bcritics?\b", r"actor-critic", r"value (model|function|network|head)", r"크리틱", r"가치 함수", r"value\s*모델", r"\bGAE\b"], "2025"),
    "fsq": ([r"\bFSQ\b", r"\bLFQ\b", r"\bBSQ\b", r"lookup[- ]free", r"finite scalar quantization", r"binary spherical"], None),
    "evol": ([r"evol[- ]?instruct", r"wizard(lm|coder|math)"], None),
    "fim": ([r"\bFIM\b", r"fill[- ]in[- ]the[- ]middle", r"infilling"], None),
    "judge": ([r"as[- ]a[- ]judge", r"LLM[- ]judge", r"judge model", r"evaluator", r"평가자", r"모델을 사용한 평가", r"\bjudge"], "2024"),
    "consistency": ([r"consistency model", r"consistency distillation", r"\bLCM\b", r"consistency training", r"sCM\b"], None),
    "mup": ([r"μP", r"\bmuP\b", r"maximal update", r"hyperparameter transfer", r"modular norm", r"\bmu-?p\b", r"u-?μP"], None),
    "mdlm": ([r"masked diffusion", r"discrete diffusion", r"diffusion language model", r"diffusion LM", r"\bdLLM", r"text diffusion", r"diffusion (llm|lm)s?\b"], "2025"),
    "o1": ([r"\bo1\b", r"o1[- ]like", r"o1 재현"], "2024"),
    "isratio": ([r"importance (sampling|ratio|weight)", r"training[- ]inference mismatch", r"rollout[- ]training mismatch", r"routing replay", r"\bTIS\b", r"off-policy", r"train(ing)?/inference mismatch", r"mismatch"], "2025"),
    "ttt": ([r"test[- ]time train", r"\bTTT\b", r"Titans", r"test[- ]time (memor|learning|update)", r"테스트 시점에 .*학습"], None),
    "codebook": ([r"codebook", r"코드북"], None),
    "selfreward": ([r"self[- ]rewarding", r"self[- ]reward", r"자기 보상", r"자신이 .*평가"], None),
    "bon": ([r"best[- ]of[- ]n\b", r"\bBoN\b", r"best-of-\d+"], None),
    "extrap": ([r"extrapolat", r"\bALiBi\b", r"\bNoPE\b", r"position(al)? interpolation", r"\bYaRN\b", r"길이 (일반화|외삽)", r"length generali", r"\bNTK", r"context window exten", r"context (length )?extension", r"컨텍스트 (길이 )?확장"], "2023"),
    "sslcollapse": ([r"\bBYOL\b", r"SimSiam", r"Barlow Twins", r"VICReg", r"collapse"], "2020..2022"),
    "end2end": ([r"#end2end\b"], None),
    "encfree": ([r"encoder[- ]free", r"인코더 없", r"without (a |any )?(vision|image) encoder", r"no (vision|image) encoder", r"single transformer", r"Fuyu", r"EVEv2", r"Mono-?InternVL"], None),
    "flash": ([r"flash ?attention", r"flash ?attn", r"flash ?decoding"], None),
    "game": ([r"\bgame", r"게임", r"Minecraft", r"Atari", r"Pok[eé]mon"], "2025"),
    "normplace": ([r"post[- ]?(ln|norm)\b", r"pre[- ]?(ln|norm)\b", r"qk[- ]?norm", r"peri[- ]?ln", r"sandwich", r"layer ?norm"], "2024..2025"),
    "upcycle": ([r"upcycl", r"업사이클", r"FFN 복붙", r"dense.{0,30}into.{0,10}(MoE|mixture)"], None),
    "multiagent": ([r"multi[- ]?agent", r"멀티 ?에이전트", r"다중 에이전트"], "2025"),
    "mathcorpus": ([r"openwebmath", r"megamath", r"finemath", r"proof-pile", r"infimm-webmath", r"automathtext", r"math(ematical)? (corpus|corpora|pretraining data|web)", r"수학 (데이터|코퍼스)"], None),
    "grokking": ([r"grokk", r"그로킹"], None),
    "copyright": ([r"copyright", r"저작권", r"\bpirated?\b"], None),
    "editing2021": ([r"#image_editing\b"], "2021..2022"),
    "editing2023": ([r"#image_editing\b"], "2023"),
    "repa": ([r"\bREPA\b", r"representation alignment", r"DINOv2", r"representation guidance"], "2024..2025"),
    "ctc": ([r"#ctc\b"], None),
    "lessismore": ([r"\bLIMA\b", r"\bLIMO\b", r"\bLIMI\b", r"less is more", r"less-is-more"], None),
    "ganlimited": ([r"limited data", r"DiffAugment", r"\bADA\b", r"data[- ]efficient gan", r"few[- ]shot (image )?generation", r"적은 데이터"], "2020..2021"),
    "rubric": ([r"rubric", r"루브릭"], None),
    "localattn": ([r"#local_attention\b"], None),
    "rubric2023": ([r"rubric", r"루브릭"], "2023"),
    "flash2020": ([r"flash ?attention", r"flash ?attn", r"flash ?decoding"], "2020..2021"),
    "consistency2021": ([r"consistency model", r"consistency distillation", r"\bLCM\b", r"consistency training"], "2021"),
    "ttt2022": ([r"test[- ]time train", r"\bTTT\b", r"Titans", r"test[- ]time (memor|learning|update)"], "2022"),
    "upcycle2021": ([r"upcycl", r"업사이클"], "2021..2022"),
    "mdlm2020": ([r"masked diffusion", r"discrete diffusion", r"diffusion language model", r"diffusion LM"], "2020"),
    "normfree": ([r"norm(alization)?[- ]free", r"\bNFNet", r"\bFixup", r"SkipInit", r"without (batch ?norm|normalization)", r"norm(alization)? 없이", r"(노멀라이제이션|정규화) 없이", r"#norm_free"], None),
}


def candidates(es: list[E], pats: list[str], period: str | None) -> list[E]:
    rx = [re.compile(p, re.I | re.A) for p in pats]  # ASCII \b: Hangul after a Latin term is a boundary
    return [e for e in es if in_period(e, period) and any(r.search(searchable(e)) for r in rx)]


def searchable(e: E) -> str:
    """Title, abstract, commentary and the tags line (so '#tag' patterns can name a tag)."""
    return e.text + "\n" + " ".join("#" + t for t in e.tags)


def match_context(e: E, pats: list[str], width: int = 70) -> str:
    text = searchable(e).replace("\n", " ")
    for p in pats:
        m = re.search(p, text, re.I | re.A)
        if m:
            return text[max(0, m.start() - width):m.end() + width]
    return ""


# The frozen topic questions and the hand judgement of each topic's candidates:
# ("tag", [tags]) = tag-topic, gold = every entry in the period carrying the tag;
# ("keep", [title prefixes]) = only these candidates are about the topic;
# ("drop", [title prefixes]) = every candidate except these is about the topic;
# ("empty", []) = a period with no entry on the topic (the regexes find none there).
TOPIC_Q: dict[str, tuple[str, str, tuple[str, list[str]]]] = {
    "seqpar": ("en", "Which papers on sequence or context parallelism for training on very long sequences (Ulysses, Ring Attention and the like) did the digest cover?",
               ("drop", ["State-Free Inference", "DAPE V2", "MoE Parallel Folding"])),
    "flow": ("ko", "#flow 태그가 붙은 논문을 알려줘", ("tag", ["flow"])),
    "icl": ("en", "What did the digest cover on in-context learning in 2023?", ("tag", ["in_context_learning", "in-context-learning"])),
    "critic": ("ko", "2025년에 LLM 강화학습에서 PPO식 value 모델(critic)을 다룬 논문을 알려줘",
               ("keep", ["VAPO", "Truncated Proximal Policy", "Revolutionizing Reinforcement Learning Framework",
                         "Asymmetric Proximal Policy", "Natural Language Actor-Critic", "RAGEN"])),
    "fsq": ("en", "What did the digest cover on lookup-free or scalar quantization for visual/audio tokenizers (FSQ, LFQ, BSQ)?",
            ("keep", ["Finite Scalar Quantization", "Language Model Beats Diffusion", "Image and Video Tokenization with Binary",
                      "MaskBit", "BiGR", "Cosmos Tokenizer", "Infinity: Scaling Bitwise", "CosyVoice 2", "VidTok", "QLIP",
                      "WeTok", "AToken"])),
    "fim": ("ko", "fill-in-the-middle이나 infilling 학습 목표를 다룬 논문을 알려줘",
            ("keep", ["On the Role of Bidirectionality", "Efficient Training of Language Models to Fill", "CodeGen2", "Code Llama",
                      "Scaling Autoregressive Multi-Modal", "FiLM: Fill-in", "Are We Falling in a Middle", "DeepSeek-Coder",
                      "Learning to Achieve Goals with Belief"])),
    "judge": ("en", "What did the digest cover in 2024 on using LLMs as judges or evaluators of model outputs?",
              ("keep", ["Self-Rewarding Language Models", "Can Large Language Models be Trusted for Evaluation", "Long-form factuality",
                        "Replacing Judges with Juries", "Prometheus 2", "The BiGGen Bench", "Arena Learning", "Meta-Rewarding",
                        "Self-Taught Evaluators", "Direct Judgement Preference", "The Perfect Blend", "CREAM"])),
    "consistency": ("ko", "다이제스트에서 다룬 consistency model 관련 논문을 모두 보여줘",
                    ("drop", ["TRACT", "One Step Diffusion via Shortcut", "Score-of-Mixture", "Inductive Moment Matching"])),
    "mup": ("en", "Which entries discuss muP or transferring hyperparameters across model scale?",
            ("drop", ["Apple Intelligence", "Granite 3.0", "MiniCPM 2", "MiniCPM4", "LongCat-Flash", "Fantastic Pretraining Optimizers"])),
    "mdlm": ("ko", "2025년 diffusion 언어 모델(마스크드/이산 diffusion으로 텍스트 생성) 논문을 알려줘",
             ("drop", ["Flexible Language Modeling in Continuous", "Compositional Discrete Latent", "Efficient Parallel Samplers for Recurrent"])),
    "o1": ("en", "Which 2024 papers tried to replicate or analyze OpenAI's o1-style reasoning?",
           ("keep", ["When a language model is optimized for reasoning", "LLaMA-Berry", "O1 Replication Journey",
                     "Technical Report: Enhancing LLM Reasoning with Reward-guided", "Scaling of Search and Learning", "Mulberry"])),
    "isratio": ("ko", "2025년에 LLM 강화학습의 importance ratio, off-policy 데이터, 학습-추론 불일치 문제를 다룬 논문들을 모두 알려줘",
                ("keep", ["MiniMax-M1", "Squeeze the Soaked Sponge", "Group Sequence Policy", "Geometric-Mean Policy", "RL-PLUS",
                          "Clip Your Sequences Fairly", "APRIL", "PipelineRL", "Rethinking KL Regularization in RLHF", "Part II: ROLL Flash",
                          "Stabilizing MoE Reinforcement Learning", "Every Step Evolves", "Towards Stable and Effective Reinforcement",
                          "Defeating the Training-Inference Mismatch", "Deterministic Inference across Tensor", "Soft Adaptive Policy",
                          "Stabilizing Reinforcement Learning with LLMs", "Entropy Ratio Clipping", "Each Prompt Matters"])),
    "ttt": ("en", "What has the digest covered on test-time training layers, i.e. models whose memory is updated by learning at test time?",
            ("keep", ["Titans", "RWKV-7", "It's All Connected", "ATLAS", "Test-Time Training Done Right", "MesaNet",
                      "ARC Is a Vision Problem", "End-to-End Test-Time Training", "Trellis"])),
    "codebook": ("ko", "VQ 코드북 붕괴나 코드북 활용률 문제를 다룬 논문을 알려줘",
                 ("keep", ["Regularized Vector Quantization", "Finite Scalar Quantization", "Scaling the Codebook Size",
                           "Addressing Representation Collapse", "Taming Scalable Visual Tokenizer", "CosyVoice 2", "VidTok",
                           "Scalable Training for Vector-Quantized"])),
    "selfreward": ("en", "Which papers on self-rewarding language models, where the model judges its own outputs as the reward signal, did the digest cover?",
                   ("keep", ["Self-Rewarding Language Models", "Meta-Rewarding", "CREAM", "Language Models are Hidden Reasoners",
                             "Is PRM Necessary"])),
    "bon": ("ko", "Best-of-N 샘플링 자체를 연구 대상으로 삼은 논문들 보여줘",
            ("keep", ["West-of-N", "BOND", "An Empirical Analysis of Compute-Optimal", "Scaling LLM Test-Time Compute Optimally",
                      "InfAlign", "Exploring the Limit of Outcome Reward", "The Lessons of Developing Process Reward"])),
    "extrap": ("en", "What did the digest cover in 2023 on length extrapolation and extending context windows through positional encodings?",
               ("drop", ["Extrapolating Large Language Models to Non-English", "BTLM-3B-8K", "LongLoRA"])),
    "sslcollapse": ("ko", "2020~2022년 BYOL, Barlow Twins, VICReg처럼 표현 붕괴를 막는 비대조 자기지도학습 논문을 알려줘",
                    ("keep", ["BYOL works even without", "Run Away From your Teacher", "Self-EMD", "Barlow Twins", "VICReg",
                              "Understanding Dimensional Collapse"])),
    "end2end": ("en", "Show me the #end2end papers.", ("tag", ["end2end"])),
    "encfree": ("ko", "비전 인코더 없이 하나의 트랜스포머로 이미지를 처리하는 VLM 논문을 알려줘",
                ("keep", ["Unveiling Encoder-Free", "A Single Transformer for Scalable", "The Scalability of Simplicity"])),
    "flash": ("en", "Which papers on FlashAttention-style IO-aware attention kernels did the digest cover?",
              ("keep", ["FlashAttention: Fast and Memory", "Flash Attention 2", "FlashDecoding++", "Is Flash Attention Stable",
                        "vAttention", "ThunderKittens", "FlashAttention-3", "FlexAttention", "FlashMask", "SageAttention",
                        "Optimizing Mixture of Block Attention"])),
    "game": ("ko", "2025년에 비디오 게임이나 게임 플레이 에이전트를 다룬 논문을 알려줘",
             ("keep", ["Orak", "SPIRAL", "Game-TARS"])),
    "normplace": ("en", "What did the digest cover in 2024-2025 on where to put normalization in transformers (pre-norm vs post-norm, QK-norm, dropping or replacing norms)?",
                  ("keep", ["Transformers Get Stable", "Chameleon", "OLMoE", "nGPT", "Methods of improving LLM training stability",
                            "Mix-LN", "2 OLMo 2 Furious", "MiniMax-01", "Rope to Nope", "The Curse of Depth", "HybridNorm",
                            "Transformers without Normalization", "On Vanishing Variance", "GPAS", "SeeDNorm"])),
    "upcycle": ("ko", "dense 모델을 복제해 MoE로 만드는 업사이클링 논문들을 모두 알려줘", ("drop", [])),
    "multiagent": ("en", "Which 2025 papers train multi-agent LLM systems with reinforcement learning?",
                   ("keep", ["Boosting LLM Reasoning via Spontaneous", "JoyAgents-R1", "SPIRAL", "Internalizing Self-Consistency",
                             "MarsRL"])),
    "mathcorpus": ("ko", "웹에서 수집한 수학 프리트레이닝 코퍼스를 다룬 논문을 알려줘",
                   ("keep", ["OpenWebMath", "Generative AI for Math: Part I", "DeepSeekMath", "InfiMM-WebMath", "SmolLM2",
                             "MegaMath", "Rewriting Pre-Training Data", "Nemotron-CC-Math"])),
    "grokking": ("en", "What did the digest cover on grokking?",
                 ("keep", ["Grokking of Hierarchical", "Grokking at the Edge", "How much do language models memorize",
                           "Where to find Grokking"])),
    "copyright": ("ko", "학습 데이터 저작권 문제를 다룬 글을 알려줘",
                  ("keep", ["Speak, Memory", "Revealed: The Authors", "CommonCanvas"])),
    "editing2021": ("en", "Which #image_editing papers appeared in 2021 and 2022?", ("tag", ["image_editing"])),
    "repa": ("ko", "2024~2025년에 diffusion transformer 학습을 사전학습된 표현(REPA 계열)으로 돕는 연구를 알려줘",
             ("keep", ["REPA-E", "No Other Representation Component", "Diffuse and Disperse", "Representation Entanglement",
                       "Diffusion Transformers with Representation Autoencoders"])),
    "ctc": ("ko", "ctc 태그 논문 보여줘", ("tag", ["ctc"])),
    "lessismore": ("en", "What did the digest cover on 'less is more' fine-tuning, i.e. a small hand-picked set of examples beating large datasets?",
                   ("keep", ["LIMA: Less Is More", "AlpaGasus", "LIMIT", "Long Is More for Alignment", "Less is More: Data Value",
                             "LIMO", "LIMR", "LIMI"])),
    "ganlimited": ("ko", "2020~2021년에 데이터가 적을 때 GAN을 학습시키는 방법을 다룬 논문을 알려줘",
                   ("keep", ["On Leveraging Pretrained GANs", "Training Generative Adversarial Networks with Limited",
                             "Differentiable Augmentation", "Few-shot Image Generation with Elastic", "Ultra-Data-Efficient GAN",
                             "Regularizing Generative Adversarial Networks", "Few-shot Image Generation via Cross-domain"])),
    "rubric": ("en", "Which papers use rubrics or checklists as rewards for training LLMs?",
               ("drop", ["Kimi K2", "Step-DeepResearch", "Robust Reward Modeling via Causal Rubrics"])),
    "localattn": ("ko", "#local_attention 논문들을 모두 알려줘", ("tag", ["local_attention"])),
    "normfree": ("en", "Which entries are about training deep networks without normalization layers?",
                 ("keep", ["Batch Normalization Biases Residual", "ReZero", "Deep Isometric Learning", "Transformers without Normalization"])),
    "editing2023": ("ko", "2023년 이미지 편집 논문을 알려줘", ("tag", ["image_editing"])),
    "flash2020": ("ko", "2020~2021년에 FlashAttention 같은 어텐션 커널 논문을 알려줘", ("empty", [])),
    "rubric2023": ("en", "Which 2023 papers used rubric-based rewards for RL on LLMs?", ("empty", [])),
    "consistency2021": ("ko", "2021년에 나온 consistency model 논문들을 보여줘", ("empty", [])),
    "ttt2022": ("en", "What did the digest cover on test-time training layers in 2022?", ("empty", [])),
    "upcycle2021": ("ko", "2021~2022년 MoE 업사이클링 논문을 알려줘", ("empty", [])),
}


def make_topics(es: list[E]) -> list[dict]:
    rows = []
    for i, (t, (lang, q, (how, names))) in enumerate(TOPIC_Q.items()):
        pats, period = TOPICS[t]
        cs = candidates(es, pats, period)
        pref = [norm_title(n) for n in names]
        hit = lambda e: any(norm_title(e.title).startswith(p) for p in pref)  # noqa: E731
        if how == "tag":
            gold = [e for e in es if in_period(e, period) and set(e.tags) & set(names)]
        elif how == "keep":
            gold = [e for e in cs if hit(e)]
            assert len({p for p in pref if any(norm_title(e.title).startswith(p) for e in gold)}) == len(pref), t
        elif how == "drop":
            gold = [e for e in cs if not hit(e)]
        else:
            assert not cs, (t, [e.title for e in cs])
            gold = []
        notes = [f"topic {t}; period {period or 'all'}; candidate regexes {pats} (re.I|re.A over title, abstract, "
                 f"commentary, #tags); {len(cs)} candidates, gold judged by hand"]
        if how == "tag":
            notes.append("tag-topic: gold = every entry of the period carrying #" + "/#".join(names))
        if how == "empty":
            notes.append("empty-period")
        if lang == "ko" and "들" not in q and "모두" not in q:
            notes.append("implicit plural (ko)")
        rows.append({"id": f"tp-{i + 1:03d}", "lang": lang, "kind": "topic", "question": q,
                     "gold": [e.title for e in gold], "gold_date": [e.day for e in gold], "notes": "; ".join(notes)})
    return rows


# Described comparisons: seed entries drawn by draw-compare (SEED + 3); for each seed the entries fitting
# the description were found with targeted regex searches and judged by hand. Gold = every entry in
# the period whose title starts with one of the listed prefixes (all copies of a repeated title).
COMPARE_Q: list[tuple[str, str, str | None, list[str]]] = [
    ("en", "Compare the 2025 papers that fit scaling laws specifically for mixture-of-experts models (sparsity, active parameters, efficiency).", "2025",
     ["Parameters vs FLOPs: Scaling Laws for Optimal Sparsity", "Joint MoE Scaling Laws", "Towards Greater Leverage",
      "Optimal Sparsity of Mixture-of-Experts Language Models for Reasoning", "Towards a Comprehensive Scaling Law of Mixture"]),
    ("ko", "RNN이나 SSM 계열 모델이 컨텍스트 안의 정보를 정확히 불러오거나 복사하는 데 어텐션보다 약하다는 것을 보인 연구들을 비교해줘", None,
     ["Zoology", "Repeat After Me", "RNNs are not Transformers (Yet)"]),
    ("en", "Compare the 2025 entries where the model is fed a probability-weighted mixture of token embeddings instead of a single sampled token.", "2025",
     ["Text Generation Beyond Discrete Token Sampling", "Pretraining Language Models to Ponder", "LLMs Have a Heart of Stone"]),
    ("ko", "2024년에 나온 Lean 정리 증명용 LLM prover들을 비교해줘", "2024",
     ["DeepSeek-Prover: Advancing", "TheoremLlama", "Lean-STaR", "DeepSeek-Prover-V1.5", "InternLM2.5-StepProver"]),
    ("en", "Compare the two reports from January 2025 that trained reasoning models with plain outcome-reward RL, without tree search or process reward models.", "2025-01",
     ["DeepSeek-R1: Incentivizing", "Kimi k1.5"]),
    ("ko", "2025년 3~4월에 나온, 검색이나 코드 실행 같은 도구 사용을 강화학습으로 가르친 연구들을 비교해줘", "2025-03..2025-04",
     ["Search-R1", "Synthetic Data Generation & Multi-Step RL", "ReTool"]),
    ("en", "Compare the 2024 work on post-training LLMs for long contexts, through long instruction data or long-context rewards.", "2024",
     ["LongAlign", "What are the Essential Factors in Crafting Effective Long Context", "LongReward", "Bootstrap Your Own Context Length"]),
    ("en", "Compare the August 2024 studies of how problem-solving accuracy scales with the compute spent at inference (repeated sampling, search, compute-optimal strategies).", "2024-08",
     ["Large Language Monkeys", "An Empirical Analysis of Compute-Optimal Inference", "Scaling LLM Test-Time Compute Optimally"]),
    ("ko", "multi-token prediction을 사전학습 목표로 제안하거나 개선한 연구들을 비교해줘", None,
     ["Better & Faster Large Language Models via Multi-token", "Predicting the Order of Upcoming Tokens", "Beyond Multi-Token Prediction"]),
    ("en", "Compare the two REINFORCE-style replacements for PPO in RLHF: the one with a greedy-decoding baseline and the one with a leave-one-out baseline.", None,
     ["ReMax", "Back to Basics: Revisiting REINFORCE"]),
    ("ko", "여러 응답의 순위를 손실로 직접 학습하는 2023년의 정렬 방법 두 가지를 비교해줘", "2023",
     ["RRHF", "Preference Ranking Optimization"]),
    ("en", "Compare the two studies of sycophancy in aligned language models, one tracing it to human preference data and one following it up to reward tampering.", None,
     ["Towards Understanding Sycophancy", "Sycophancy to Subterfuge"]),
    ("ko", "NVIDIA가 낸 다중 속성 helpfulness 데이터셋 시리즈를 비교해줘", None,
     ["HelpSteer: Multi-attribute", "HelpSteer2: Open-source", "HelpSteer2-Preference"]),
    ("en", "Compare the 2024-2025 entries whose recipe trains LLMs in FP8 precision.", "2024..2025",
     ["Scaling FP8 training to trillion-token", "COAT: Compressing Optimizer", "DeepSeek-V3 Technical Report", "μnit Scaling",
      "Nemotron-H: A Family"]),
    ("ko", "2025년에 Common Crawl에서 범용 대규모 웹 코퍼스를 새로 만들어 공개한 연구들을 비교해줘", "2025",
     ["An Expanded Massive Multilingual Dataset", "Ultra-FineWeb", "Essential-Web", "AICC: Parse HTML Finer"]),
    ("en", "Compare the December 2023 papers that bring in-context learning to image generation and visual understanding.", "2023-12",
     ["Towards More Unified In-context Visual Understanding", "Context Diffusion", "Generative Multimodal Models are In-Context Learners"]),
    ("ko", "2024년에 consistency model의 학습 방법 자체를 개선한 연구들을 비교해줘", "2024",
     ["Multistep Consistency Models", "Phased Consistency Model", "Consistency Models Made Easy", "Simplifying, Stabilizing and Scaling Continuous-Time",
      "Truncated Consistency Models", "Stable Consistency Tuning"]),
    ("en", "Compare the two mid-2023 ways of stretching RoPE to longer contexts: interpolating positions linearly versus rescaling the frequency base.", "2023",
     ["Extending Context Window of Large Language Models via Positional Interpolation", "NTK Aware Scaled RoPE"]),
    ("ko", "이미지 인코더 없이 트랜스포머 하나로 이미지와 텍스트를 함께 처리하는 VLM 연구들을 비교해줘", None,
     ["Unveiling Encoder-Free", "A Single Transformer for Scalable", "The Scalability of Simplicity"]),
    ("en", "Compare the 2024 follow-ups to self-rewarding language models: the one adding a meta-judge and the one adding a consistency regularizer.", "2024",
     ["Meta-Rewarding Language Models", "CREAM"]),
    ("ko", "dense 모델을 MoE로 바꾸는 업사이클링 방법 자체를 개선한 2024~2025년 연구들을 비교해줘", "2024..2025",
     ["Branch-Train-MiX", "BAM! Just Like That", "Nexus: Specialization", "Upcycling Large Language Models into Mixture", "Drop-Upcycling"]),
    ("en", "Compare the test-time-training sequence layers posted in late May and early June 2025.", "2025-05-25..2025-06-10",
     ["ATLAS: Learning to Optimally Memorize", "Test-Time Training Done Right", "MesaNet"]),
    ("ko", "벡터 양자화 대신 스칼라나 이진 양자화를 쓰는 이미지 토크나이저를 처음 제안한 논문들(FSQ, LFQ, BSQ)을 비교해줘", None,
     ["Finite Scalar Quantization", "Language Model Beats Diffusion", "Image and Video Tokenization with Binary Spherical"]),
    ("en", "Compare the 2025 PPO variants for LLM reasoning that change how the value model is trained or structured.", "2025",
     ["VAPO", "Truncated Proximal Policy Optimization", "Asymmetric Proximal Policy Optimization"]),
    ("ko", "긴 시퀀스 분산 학습에서 어텐션 헤드를 쪼개는 DeepSpeed 방식과 블록을 링으로 돌리는 방식을 비교해줘", "2023",
     ["DeepSpeed Ulysses", "Ring Attention with Blockwise"]),
    ("en", "Compare the successive versions of FlashAttention the digest covered.", None,
     ["FlashAttention: Fast and Memory", "Flash Attention 2", "FlashAttention-3"]),
    ("en", "Compare the mid-2025 papers that turn rubrics or checklists into rewards for RL.", "2025-07..2025-08",
     ["Rubrics as Rewards", "Checklists Are Better Than Reward Models", "Reinforcement Learning with Rubric Anchors",
      "Breaking the Exploration Bottleneck: Rubric-Scaffolded"]),
    ("ko", "2020년 6월에 나온, 데이터가 적을 때 augmentation으로 GAN을 학습시키는 두 연구를 비교해줘", "2020-06",
     ["Training Generative Adversarial Networks with Limited", "Differentiable Augmentation for Data-Efficient"]),
    ("en", "Compare the late-2020 analyses of why BYOL-style self-supervised learning does not collapse.", "2020",
     ["BYOL works even without", "Run Away From your Teacher"]),
    ("ko", "2024년에 o1 같은 추론을 트리 탐색(MCTS)으로 재현하려 한 연구들을 비교해줘", "2024",
     ["LLaMA-Berry", "Technical Report: Enhancing LLM Reasoning with Reward-guided", "Mulberry"]),
]


def make_compare(es: list[E]) -> list[dict]:
    rows = []
    for i, (lang, q, period, prefixes) in enumerate(COMPARE_Q):
        gold = []
        for pre in prefixes:
            hits = [e for e in es if in_period(e, period) and norm_title(e.title).startswith(norm_title(pre))]
            assert hits, pre
            gold += hits
        rows.append({"id": f"cp-{i + 1:03d}", "lang": lang, "kind": "compare", "question": q,
                     "gold": [e.title for e in gold], "gold_date": [e.day for e in gold],
                     "notes": f"described comparison, period {period or 'all'}; members judged by hand from regex searches"})
    return rows


# ---------------------------------------------------------------- general sets
# Per 100 questions: 55 lookup, 10 commentary, 8 multi (2 entries each), 12 filter, 15 unanswerable.
PLAN = {"dev": 100, "test": 100, "calib": 150}


def has_text(e: E) -> bool:
    return bool(e.ko or e.abstract)


def draw_general(es: list[E]) -> dict[str, list[tuple[str, str, list[E]]]]:
    """For each set: (kind, lang, entries) slots to be written by hand. Entries are drawn without
    replacement across sets, among entries with some commentary or abstract to paraphrase.
    Languages alternate; English lookups land on pre-2024 (Korean-only) entries as often as the
    draw gives them."""
    rng = random.Random(SEED + 4)
    pool = [e for e in es if has_text(e)]
    rng.shuffle(pool)
    out = {}
    for name, n in PLAN.items():
        f = n / 100
        slots = []
        for kind, cnt, per in (("lookup", 55, 1), ("commentary", 10, 1), ("multi", 8, 2)):
            for _ in range(round(cnt * f)):
                lang = "en" if len(slots) % 2 == 0 else "ko"
                slots.append((kind, lang, [pool.pop() for _ in range(per)]))
        out[name] = slots
    return out


def filter_questions(es: list[E], name: str, n: int) -> list[dict]:
    """Templated day / month+tag questions; gold = every entry of that day, or every entry of the
    month carrying the tag."""
    rng = random.Random(f"{SEED}-filter-{name}")
    days = defaultdict(list)
    tagmonth = defaultdict(list)
    for e in es:
        days[e.day].append(e)
        for t in e.tags:
            tagmonth[(t, e.day[:7])].append(e)
    dpool = sorted(d for d, v in days.items() if 2 <= len(v) <= 8)
    tpool = sorted(k for k, v in tagmonth.items() if 2 <= len(v) <= 10)
    rows = []
    for i in range(n):
        lang = "en" if i % 2 == 0 else "ko"
        if i % 3 == 0:
            d = rng.choice(dpool)
            y, m, dd = d.split("-")
            q = (f"What papers did the digest cover on {d}?" if lang == "en"
                 else f"{y}년 {int(m)}월 {int(dd)}일 다이제스트에 실린 논문들을 알려줘")
            hits = days[d]
        else:
            t, mo = rng.choice(tpool)
            y, m = mo.split("-")
            q = (f"Which #{t} papers did the digest cover in {mo}?" if lang == "en"
                 else f"{y}년 {int(m)}월에 나온 #{t} 논문들 보여줘")
            hits = tagmonth[(t, mo)]
        rows.append({"id": "", "lang": lang, "kind": "filter", "question": q,
                     "gold": [e.title for e in hits], "gold_date": [e.day for e in hits],
                     "notes": "templated by make_eval_sets.filter_questions; gold by script"})
    return rows


def assemble(es: list[E], name: str, hand: Path, unanswerable: Path) -> list[dict]:
    """One general set: the hand-written questions for the drawn slots (hand: 'slot<TAB>question'
    lines, written from the printed entries in my own words), the templated filter questions, and
    this set's share of the unanswerable questions (unanswerable: 'lang<TAB>regex<TAB>question'
    lines, split across sets at random; every regex is run over the corpus and its hits recorded)."""
    slots = draw_general(es)[name]
    qs = dict(line.rstrip("\n").split("\t", 1) for line in hand.read_text(encoding="utf-8").splitlines() if line.strip())
    rows = []
    for k, (kind, lang, ents) in enumerate(slots):
        q = qs[str(k)]
        pre = [e for e in ents if e.day < "2024-01-29"]
        note = f"{kind}; drawn slot {k} (seed {SEED + 4})"
        if pre and lang == "en":
            note += "; English question about a Korean-only (pre-2024) entry"
        rows.append({"id": "", "lang": lang, "kind": kind, "question": q, "gold": [e.title for e in ents],
                     "gold_date": [e.day for e in ents], "notes": note})
    rows += filter_questions(es, name, round(12 * PLAN[name] / 100))
    un = [line.split("\t") for line in unanswerable.read_text(encoding="utf-8").splitlines() if line.strip()]
    random.Random(SEED + 5).shuffle(un)
    share = {"dev": un[:15], "test": un[15:30], "calib": un[30:]}[name]
    for lang, pat, q in share:
        hits = candidates(es, [pat], None)
        rows.append({"id": "", "lang": lang, "kind": "unanswerable", "question": q, "gold": [], "gold_date": [],
                     "notes": f"unanswerable; checked regex {pat!r} over the corpus: {len(hits)} hits"
                              + (", judged off-topic from their matched context (" + "; ".join(e.title[:40] for e in hits[:6]) + ")"
                                 if hits else "")})
    random.Random(f"{SEED}-order-{name}").shuffle(rows)
    for i, r in enumerate(rows):
        r["id"] = f"{name}-{i + 1:03d}"
    return rows


def absent(es: list[E], pats: list[str]) -> list[E]:
    return candidates(es, pats, None)


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["authors", "topics", "compare", "assemble", "filters", "draw-topics", "candidates", "draw-general",
                                    "draw-compare", "absent"])
    ap.add_argument("args", nargs="*")
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    a = ap.parse_args(argv)
    es = load(Path(a.corpus))
    if a.cmd == "authors":
        write_jsonl(EVAL / "authors.jsonl", make_authors(es))
    elif a.cmd == "topics":
        write_jsonl(EVAL / "topics.jsonl", make_topics(es))
    elif a.cmd == "compare":
        write_jsonl(EVAL / "compare.jsonl", make_compare(es))
    elif a.cmd == "assemble":  # args: SET [HAND_TSV UNANSWERABLE_TSV]; defaults under benchmarks/eval_hand/
        name, *paths = a.args
        hand, un = map(Path, paths) if paths else (HAND / f"{name}.tsv", HAND / "unanswerable.tsv")
        write_jsonl(EVAL / f"{name}.jsonl", assemble(es, name, hand, un))
    elif a.cmd == "filters":
        for name, n in PLAN.items():
            for r in filter_questions(es, name, round(12 * n / 100)):
                print(name, json.dumps(r, ensure_ascii=False))
    elif a.cmd == "draw-topics":
        rng = random.Random(SEED + 1)
        for e in rng.sample([e for e in es if has_text(e)], 60):
            print(snippet(e, 250))
    elif a.cmd == "draw-compare":
        rng = random.Random(SEED + 3)
        for e in rng.sample([e for e in es if has_text(e)], 50):
            print(snippet(e, 250))
    elif a.cmd == "candidates":
        for t in a.args:
            pats, period = TOPICS[t]
            cs = candidates(es, pats, period)
            print(f"== {t} {period} {pats}: {len(cs)}")
            for e in cs:
                print(f"[{e.day}] {e.title} | #{' #'.join(e.tags)}\n    ~ {match_context(e, pats)}")
    elif a.cmd == "draw-general":
        for name, slots in draw_general(es).items():
            for k, (kind, lang, ents) in enumerate(slots):
                for e in ents:
                    print(f"{name}#{k} {kind} {lang}", snippet(e, 500))
    elif a.cmd == "absent":
        for e in absent(es, a.args):
            print(snippet(e, 120))


if __name__ == "__main__":
    main()
