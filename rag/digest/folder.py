"""The data folder: which of its files are day files, one rule for every reader of it.

The index (`rag.index.scan`), the watcher, the baselines and `parse_dir` all list day files
here, so they cannot disagree about what a folder holds:
- every `*.txt` below the folder, sorted by path;
- a file whose name is not valid UTF-8, or holds a control character, is skipped and reported
  with its name escaped: the manifest and Chroma store names as UTF-8, and a newline in a name
  would forge a line of the log;
- a symbolic link is followed only when it resolves inside the folder, so a link to a file
  elsewhere (/etc/passwd) is never read, let alone shown in a report;
- several files may hold one day (an entry may move from one to another); an entry id given
  twice is reported and skipped where it is met again (`admit`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.digest.parse import DAY_SUFFIX, ParseError, parse_day_file, shown_name
from rag.model import Entry


@dataclass
class ParseReport:
    """Result of parsing a data directory."""

    entries: list[Entry]
    errors: list[ParseError]  # one per skipped file or entry
    files: dict[str, list[Entry]]  # file -> its entries, for files that parsed


def check_data_dir(data_dir: Path) -> None:
    """Fail with a clear error when the data directory is missing or is not a directory."""
    if not data_dir.exists():
        raise FileNotFoundError(f"data directory {data_dir} does not exist")
    if not data_dir.is_dir():
        raise NotADirectoryError(f"data directory {data_dir} is not a directory")


# Unicode's control characters (category Cc): C0, DEL and C1.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _refusal(path: Path, rel: str, is_link: bool, root: Path) -> str:
    """Why a day file is not read ("" when it is fine)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return "file name is not valid UTF-8; rename the file to index it"
    if _CONTROL.search(rel):
        return "file name holds a control character (a newline, a tab...); rename the file to index it"
    # Linked folders are not descended into, so only the file itself can be a link.
    if is_link and not path.resolve().is_relative_to(root):
        return "symbolic link to a file outside the data folder; only links inside it are followed"
    return ""


def _walk(folder: str, prefix: str) -> Iterator[tuple[str, str, bool]]:
    """(path, path relative to the data folder, is a link) of every file named *.txt below a
    folder, not descending into linked folders. One directory read per folder: the file
    types come with the listing, so a folder of thousands of days costs no stat per file."""
    with os.scandir(folder) as listing:
        for item in listing:
            if item.is_dir(follow_symlinks=False):
                yield from _walk(item.path, f"{prefix}{item.name}/")
            elif item.name.endswith(DAY_SUFFIX) and item.is_file():
                yield item.path, prefix + item.name, item.is_symlink()


def day_files(data_dir: Path, refused: list[ParseError] | None = None) -> list[Path]:
    """The day files of a data directory that may be read, sorted by path; the others are
    added to `refused` (when given) with the reason."""
    data_dir = Path(data_dir)
    root = data_dir.resolve()
    files = []
    # Sorted as paths sort (part by part: "a/b" before "a-b"), so the first file to give an entry keeps it.
    for where, rel, is_link in sorted(_walk(str(data_dir), ""), key=lambda found: found[1].split("/")):
        path = Path(where)
        reason = _refusal(path, rel, is_link, root)
        if not reason:
            files.append(path)
        elif refused is not None:
            refused.append(ParseError(str(path), 0, reason))
    return files


def admit(parsed: list[Entry], seen: dict[str, str]) -> tuple[list[Entry], list[ParseError]]:
    """The entries of one file whose ids no earlier file gave (`seen`: id -> file, updated),
    and an error for each one skipped as a duplicate."""
    kept, errors = [], []
    for entry in parsed:
        if entry.id in seen:
            errors.append(ParseError(
                entry.source.file, entry.source.line,
                f"an entry with the same day and title is already in {shown_name(seen[entry.id])}; skipped",
            ))
            continue
        seen[entry.id] = entry.source.file
        kept.append(entry)
    return kept, errors


def parse_dir(data_dir: Path) -> ParseReport:
    """Parse every day file under data_dir (recursively, sorted); bad files and duplicate
    entries are reported and skipped."""
    data_dir = Path(data_dir)
    check_data_dir(data_dir)
    report = ParseReport(entries=[], errors=[], files={})
    seen: dict[str, str] = {}
    for path in day_files(data_dir, report.errors):
        file = str(path)
        try:
            entries, duplicates = admit(parse_day_file(path), seen)
        except ParseError as exc:
            report.errors.append(exc)
            continue
        except OSError as exc:
            # Unreadable (permissions, vanished): report it like a bad file, keep going.
            report.errors.append(ParseError(file, 0, f"cannot read file: {exc.strerror or exc}"))
            continue
        report.errors.extend(duplicates)
        report.files[file] = entries
        report.entries.extend(entries)
    return report
