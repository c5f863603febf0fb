"""The `rag` commands on user state: follows, what they picked up, and feedback."""

from __future__ import annotations

from pathlib import Path

import click

from rag.app.cli_base import emit, friendly, settings_for


@click.group("follow")
def follow_group() -> None:
    """Saved topics, authors, #tags or questions, matched against each new day after a reindex."""


@follow_group.command("add")
@click.argument("query")
@click.option("--name", help="The follow's name (default: made from the query); its feed is /feeds/NAME.atom.")
@friendly
def follow_add_cmd(query: str, name: str | None) -> None:
    """Follow a topic, an author, a #tag or a question from now on."""
    from rag.app.follows import follow

    f = follow(settings_for(), query, name)
    click.echo(f"following {f.query!r} as {f.name}")


@follow_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the follows as JSON.")
@friendly
def follow_list_cmd(as_json: bool) -> None:
    """List your follows."""
    from rag.state.follows import list_follows

    follows = list_follows(settings_for())
    if as_json:
        emit([{"name": f.name, "query": f.query, "created": f.created} for f in follows])
    for f in [] if as_json else follows:
        click.echo(f"{f.name}\t{f.query}")


@follow_group.command("remove")
@click.argument("name")
@friendly
def follow_remove_cmd(name: str) -> None:
    """Stop following NAME."""
    from rag.state.follows import remove_follow

    remove_follow(settings_for(), name)
    click.echo(f"removed {name}")


@click.command("news")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only entries of days from this one on.")
@click.option("--index", type=click.Path(), help="Index folder.")
@click.option("--json", "as_json", is_flag=True, help="Print {\"follows\": [{name, query, entries}]}.")
@friendly
def news_cmd(since, index: str | None, as_json: bool) -> None:
    """What each follow picked up, newest first."""
    from rag.app.follows import news_json
    from rag.index.reader import get_index

    settings = settings_for(index=index)
    news = news_json(settings, get_index(settings, build_if_empty=False), since=since.date() if since else None)
    if as_json:
        emit(news)
        return
    for f in news["follows"]:
        click.echo(f"## {f['name']} ({f['query']}): {len(f['entries'])} new")
        for e in f["entries"]:
            click.echo(f"- {e['day']}  {e['title']}  {' '.join('#' + t for t in e['tags'])}")


@click.group("feedback")
def feedback_group() -> None:
    """The 👍/👎 given to answers (kept on this machine)."""


@feedback_group.command("export")
@click.argument("out", type=click.Path(dir_okay=False))
@friendly
def feedback_export_cmd(out: str) -> None:
    """Write OUT.jsonl, a question file `rag eval --questions` runs (👍 answers' citations are
    its gold), and OUT.review.jsonl beside it: the 👎 and follow-ups, out of the metrics until
    they have gold."""
    from rag.state.feedback import export, review_path

    ready, review = export(settings_for(), Path(out))
    click.echo(f"{ready} question{'s' if ready != 1 else ''} with gold in {out}; "
               f"{review} to review in {review_path(Path(out))}")
