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
    python3 benchmarks/make_eval_sets.py topics | compare   # writes eval/topics.jsonl, eval/compare.jsonl from eval_judgements.py
    python3 benchmarks/make_eval_sets.py assemble dev|test|calib   # writes eval/SET.jsonl from eval_hand/*.tsv

Topic and comparison gold was judged by hand from the printed candidates. The judgements are data in
eval_judgements.py (which candidates are on topic, as title prefixes); `topics` and `compare` apply
them to the corpus, so the jsonl files are reproducible, and a changed corpus fails loudly (a kept
prefix that no longer matches raises).
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
from eval_judgements import COMPARE_Q, TOPIC_Q, TOPICS  # noqa: E402

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
