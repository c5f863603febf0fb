"""The `rag` command: a thin click layer over the library; every command has a --json form."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from rag.app.cli_base import emit, friendly, settings_for
from rag.app.cli_state import feedback_group, follow_group, news_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Ask a bilingual ML-paper digest; answers cite the digest's entries."""


@main.command("reindex")
@click.option("--data", type=click.Path(), help="Folder of day files (default: RAG_DATA_DIR or seeds/).")
@click.option("--index", type=click.Path(), help="Index folder (default: RAG_INDEX_DIR or .rag/).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@friendly
def reindex_cmd(data: str | None, index: str | None, as_json: bool) -> None:
    """Index new and changed day files; remove entries of deleted ones."""
    from rag.app.follows import after_reindex
    from rag.app.reindexing import report_text, run_reindex

    settings = settings_for(data, index)
    report = run_reindex(settings)
    picked = after_reindex(settings)
    if as_json:
        d = report.to_dict()
        emit({k: d[k] for k in ("added", "changed", "removed", "unchanged", "skipped", "errors", "seconds")})
    else:
        click.echo(report_text(report))
    for name, count in picked.items():
        if count:
            click.echo(f"follow {name}: {count} new", err=True)


@main.command("doctor")
@click.option("--index", type=click.Path(), help="Index folder (default: RAG_INDEX_DIR or .rag/).")
@click.option("--repair", is_flag=True, help="Rebuild what is derived (no embedding) and delete leftovers.")
@click.option("--json", "as_json", is_flag=True, help="Print {\"repaired\", \"problems\"} as JSON.")
@friendly
def doctor_cmd(index: str | None, repair: bool, as_json: bool) -> None:
    """Check that the manifest, the segments and the Chroma store agree; exit 1 if not."""
    from rag.index.doctor import check
    from rag.index.doctor import repair as repair_index

    settings = settings_for(index=index)
    repaired = repair_index(settings) if repair else []
    problems = check(settings)
    if as_json:
        emit({"repaired": repaired, "problems": problems})
    else:
        for line in repaired:
            click.echo(f"repaired: {line}")
        for line in problems:
            click.echo(f"problem: {line}")
        click.echo("The index is sound." if not problems else f"{len(problems)} problem(s) left.")
    if problems:
        sys.exit(1)


@main.command("compact")
@click.option("--index", type=click.Path(), help="Index folder (default: RAG_INDEX_DIR or .rag/).")
@friendly
def compact_cmd(index: str | None) -> None:
    """Merge the index's segments into one, dropping rows of removed entries (nothing is embedded)."""
    from rag.index.compaction import compact_all

    click.echo(compact_all(settings_for(index=index)))


@main.command("ask")
@click.argument("question")
@click.option("--index", type=click.Path(), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.option("--bibtex", "as_bibtex", is_flag=True, help="Print BibTeX for the cited entries (after the answer).")
@friendly
def ask_cmd(question: str, index: str | None, as_json: bool, as_bibtex: bool) -> None:
    """Answer a question with [n] citations."""
    from rag.ask.answer import answer_question
    from rag.ask.prepare import check_question
    from rag.index.reader import get_index

    check_question(question)
    settings = settings_for(index=index)
    result = answer_question(get_index(settings), settings, question)
    if as_json:
        emit(result.to_dict() | ({"bibtex": _bibtex(result)} if as_bibtex else {}))
        return
    if result.notice:
        click.echo(result.notice, err=True)
    click.echo(result.text)
    if result.citations:
        click.echo("")
    for c in result.citations:
        e = c.entry
        click.echo(f"[{c.n}] {e.title} ({e.day.isoformat()}) {' '.join('#' + t for t in e.labels)}")
    if as_bibtex and result.citations:
        click.echo("\n" + _bibtex(result), nl=False)


def _bibtex(result) -> str:
    from rag.app.bibtex import bibtex

    return bibtex(c.entry for c in sorted(result.citations, key=lambda c: c.n))


@main.command("search")
@click.argument("question")
@click.option("-k", type=click.IntRange(1, 100), default=10, show_default=True, help="How many entries.")
@click.option("--index", type=click.Path(), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
@friendly
def search_cmd(question: str, k: int, index: str | None, as_json: bool) -> None:
    """List the entries that best match a question."""
    from rag.api import search

    hits = search(question, k, settings=settings_for(index=index))
    if as_json:
        emit([hit.to_dict() for hit in hits])
        return
    for n, h in enumerate(hits, 1):
        click.echo(f"{n:>2}. {h.entry.day.isoformat()}  {h.entry.title}  {' '.join('#' + t for t in h.entry.labels)}")


@main.command("serve")
@click.option("--host", help="Interface to bind (default: RAG_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: RAG_PORT or 7860).")
@click.option("--watch", is_flag=True, help="Index new, changed and removed day files as they land.")
@click.option("--insecure-no-auth", is_flag=True,
              help="Serve a non-loopback host with no login (anyone who reaches the port may use it).")
@friendly
def serve_cmd(host: str | None, port: int | None, watch: bool, insecure_no_auth: bool) -> None:
    """Start the web app (same as `python app.py`)."""
    from rag.app.serve import serve

    serve(settings_for(host=host, port=port), watch=watch, insecure_no_auth=insecure_no_auth)


@main.command("passwd")
@click.argument("user")
@click.password_option(help="The password (asked for when not given).")
def passwd_cmd(user: str, password: str) -> None:
    """Print an auth-file line (user:hash) for RAG_AUTH_FILE; the password is never stored."""
    from rag.app.auth import hash_password

    if ":" in user or not user.strip():
        raise click.BadParameter("a user name is non-empty and has no ':'", param_hint="USER")
    if not password:
        raise click.BadParameter("an empty password would let anyone in", param_hint="--password")
    click.echo(f"{user}:{hash_password(password)}")


@main.command("watch")
@click.option("--data", type=click.Path(), help="Folder of day files (default: RAG_DATA_DIR or seeds/).")
@click.option("--index", type=click.Path(), help="Index folder (default: RAG_INDEX_DIR or .rag/).")
@click.option("--settle", type=click.FloatRange(0.05, 3600), metavar="SECONDS",
              help="How long a changed file must stay unchanged before it is indexed "
                   "(default: RAG_WATCH_SETTLE_S or 1).")
@friendly
def watch_cmd(data: str | None, index: str | None, settle: float | None) -> None:
    """Reindex whenever day files are added, changed or removed (until Ctrl-C or SIGTERM)."""
    import logging
    import signal

    from rag.app.watch import Watcher

    # One line per reindex (and one per skipped file) on stderr, and other libraries' warnings;
    # stdout stays empty.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    handler.addFilter(lambda record: record.levelno >= logging.WARNING or record.name == "rag.app.watch")
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    logging.getLogger("rag.app.watch").setLevel(logging.INFO)
    watcher = Watcher(settings_for(data, index, watch_settle_s=settle))

    def on_term(signum: int, frame: object) -> None:
        watcher.request_stop()  # after the reindex in progress, if any
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends it at once

    signal.signal(signal.SIGTERM, on_term)
    try:
        watcher.run()
    except KeyboardInterrupt:  # an interrupted reindex commits nothing: the index stays as it was
        click.echo("rag watch: interrupted", err=True)


@main.command("eval")
@click.option("--questions", "questions_file", required=True, type=click.Path(),
              help="JSON Lines question file, one question a line (README \"Evaluation and benchmarks\").")
@click.option("--data", type=click.Path(), help="Folder of day files (default: RAG_DATA_DIR or seeds/).")
@click.option("--index", type=click.Path(), help="Index folder (default: RAG_INDEX_DIR or .rag/).")
@click.option("-k", type=click.IntRange(1, 100), default=10, show_default=True,
              help="Entries retrieved per question (recall@10 needs k >= 10).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@friendly
def eval_cmd(questions_file: str, data: str | None, index: str | None, k: int, as_json: bool) -> None:
    """Score retrieval, abstention, citations and latency on a question file, beside two baselines."""
    from rag.app.reindexing import run_reindex
    from rag.eval.evaluate import evaluate, format_table, load_questions

    questions = load_questions(Path(questions_file))  # a bad file fails before any indexing
    settings = settings_for(data, index)
    for err in run_reindex(settings).errors:
        click.echo(f"skipped: {err}", err=True)
    summary = evaluate(settings, questions, k).to_dict()
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2) if as_json else format_table(summary))


@main.command("brief")
@click.option("--day", help="The day, YYYY-MM-DD (default: the digest's last day).")
@click.option("--index", type=click.Path(), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the day and its entries as JSON.")
@friendly
def brief_cmd(day: str | None, index: str | None, as_json: bool) -> None:
    """What's new: a day's entries as Markdown (title, tags, the author's one-line take)."""
    from rag.app.brief import day_brief, day_brief_json
    from rag.index.reader import get_index

    idx = get_index(settings_for(index=index))
    if as_json:
        emit(day_brief_json(idx, day))
    else:
        click.echo(day_brief(idx, day), nl=False)


@main.command("terms")
@click.argument("word")
@click.option("--index", type=click.Path(), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the pairs as JSON.")
@friendly
def terms_cmd(word: str, index: str | None, as_json: bool) -> None:
    """The Korean<->English pairs the term bridge holds for a word (learned from the digest's
    parallel commentary, or from the bundled glossary)."""
    from rag.api import terms

    pairs = terms(word, settings_for(index=index))
    if as_json:
        emit([{"korean": p.source_word, "english": p.translation, "origin": p.origin, "score": p.score,
                "entries": p.together} for p in pairs])
        return
    if not pairs:
        click.echo(f"No pairs for {word!r}: the digest's parallel commentary never pairs it, nor does the glossary.")
    for p in pairs:
        evidence = f"{p.together} entries, overlap {p.score:.2f}" if p.origin == "digest" else "glossary"
        click.echo(f"{p.source_word} <-> {p.translation}  ({evidence})")


@main.command("mcp")
@click.option("--http", "http", is_flag=True, help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (with --http).")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True, help="Port (with --http).")
@click.option("--insecure-no-auth", is_flag=True,
              help="Serve a non-loopback host without RAG_MCP_TOKEN (anyone who reaches the port may call it).")
@click.option("--index", type=click.Path(), help="Index folder.")
@friendly
def mcp_cmd(http: bool, host: str, port: int, insecure_no_auth: bool, index: str | None) -> None:
    """Serve the digest over the Model Context Protocol (stdio by default)."""
    import contextlib

    from rag.app.auth import check_binding
    from rag.app.mcp import serve_http, serve_stdio
    from rag.index.reader import get_index

    ctx = click.get_current_context()
    given = [f"--{n.replace('_', '-')}" for n in ("host", "port", "insecure_no_auth")
             if ctx.get_parameter_source(n) is not click.core.ParameterSource.DEFAULT]
    if given and not http:
        raise click.UsageError(f"{', '.join(given)} {'needs' if len(given) == 1 else 'need'} --http")
    settings = settings_for(index=index)
    if http:
        check_binding("MCP", host, bool(settings.mcp_token), insecure_no_auth, "a token",
                      "set RAG_MCP_TOKEN (clients send it as 'Authorization: Bearer <token>')")
    # On stdio, stdout is the protocol's: whatever opening the index prints goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        idx = get_index(settings)
    if idx.unavailable:  # like the app: start anyway, tools answer once the store is back
        click.echo(f"rag mcp: {idx.unavailable}", err=True)
    if http:
        serve_http(idx, settings, host, port)
    else:
        serve_stdio(idx, settings)


main.add_command(follow_group)
main.add_command(news_cmd)
main.add_command(feedback_group)


if __name__ == "__main__":
    main()
