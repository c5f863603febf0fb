"""BibTeX for cited entries: every seed entry round-trips through bibtexparser with a stable,
unique key; an entry with its own arXiv link is an arXiv @misc, any other a digest @misc."""

from __future__ import annotations

import json
from dataclasses import replace

import bibtexparser
from click.testing import CliRunner
from conftest import entry_titled

from rag.app.bibtex import base_key, bibtex, own_links, paper_link
from rag.app.cli import main


def parsed(text: str) -> dict[str, dict[str, str]]:
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return {e.key: {f.key: f.value for f in e.fields} | {"type": e.entry_type} for e in library.entries}


def test_every_seed_entry_round_trips_with_a_unique_stable_key(seed_entries):
    entries = parsed(bibtex(seed_entries))
    assert len(entries) == len(seed_entries)  # one each, no key collides
    again = parsed(bibtex(seed_entries))
    assert list(again) == list(entries)  # stable
    for entry, (key, fields) in zip(seed_entries, entries.items()):
        assert key.startswith(base_key(entry))
        assert fields["type"] == "misc" and fields["year"] == str(entry.day.year)
        assert fields["title"].strip("{}").startswith(entry.title.split(":")[0].split()[0].replace("&", "\\&"))
        if entry.authors:
            assert fields["author"].split(" and ") == [a.replace("&", "\\&") for a in entry.authors]


def test_the_key_is_first_author_year_and_first_title_word(seed_entries):
    general = entry_titled(seed_entries, "General-Reasoner")
    assert base_key(general) == "ma2025general"


def test_an_entry_with_its_own_arxiv_link_is_an_arxiv_misc_and_others_are_howpublished(seed_entries):
    general = entry_titled(seed_entries, "General-Reasoner")
    own = replace(general, comment_en=general.comment_en + "\nhttps://arxiv.org/abs/2505.14652v2",
                  links=(*general.links, "https://arxiv.org/abs/2505.14652v2"))
    assert paper_link(own) == "https://arxiv.org/abs/2505.14652v2"
    fields = parsed(bibtex([own]))["ma2025general"]
    assert (fields["eprint"], fields["archivePrefix"], fields["url"]) == (
        "2505.14652", "arXiv", "https://arxiv.org/abs/2505.14652")
    assert fields["author"].startswith("Xueguang Ma and Qian Liu")
    plain = parsed(bibtex([general]))["ma2025general"]
    assert "eprint" not in plain and plain["howpublished"] == "Digest entry of 2025-05-21"


def test_a_link_inside_a_commentary_sentence_cites_another_paper_and_is_not_the_papers_own(seed_entries):
    power = entry_titled(seed_entries, "Power Lines")
    assert "https://arxiv.org/abs/2503.04715" in power.links  # "consistent with a previous study (...)"
    assert own_links(power) == [] and "eprint" not in parsed(bibtex([power]))["bergsma2025power"]


def test_colliding_keys_get_letters_and_special_characters_are_escaped(seed_entries):
    general = entry_titled(seed_entries, "General-Reasoner")
    twin = replace(general, id="2025-05-21/other", title="General {Reasoning} & 100% of $math_# ~ tricks\\")
    keys = list(parsed(bibtex([general, twin, replace(twin, id="third")])))
    assert keys == ["ma2025general", "ma2025generala", "ma2025generalb"]
    title = parsed(bibtex([twin]))["ma2025general"]["title"]
    assert "\\&" in title and "\\%" in title and "\\$" in title and "\\_" in title and "\\{Reasoning\\}" in title


def test_a_korean_title_gets_an_ascii_key(seed_entries):
    general = entry_titled(seed_entries, "General-Reasoner")
    korean = replace(general, title="한국어 제목의 논문", authors=("김철수",))
    [key] = parsed(bibtex([korean]))
    assert key.isascii() and key.isalnum() and "2025" in key


def test_rag_ask_bibtex_prints_the_cited_entries(seed_settings):
    result = CliRunner().invoke(main, ["ask", "Which paper studies scaling laws for quantization-aware training?",
                                       "--index", str(seed_settings.index_dir), "--json", "--bibtex"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    cited = parsed(out["bibtex"])
    assert [f["title"].strip("{}") for f in cited.values()] == [c["title"] for c in out["citations"]]
