"""The data directory as it is now: its day files, their hashes and their entries, by id.

Files whose bytes did not change since the committed manifest are not parsed again; a file
that broke keeps its indexed entries until it is fixed, and every skipped file or entry is
reported with its file and line.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from rag.digest import PARSER_VERSION, ParseError, admit, day_files, parse_day_file, shown_name
from rag.index.manifest import Manifest
from rag.model import Entry, ReindexReport, Source


def file_sha256(path: Path) -> str:
    """A file's SHA-256, read in pieces."""
    with open(path, "rb") as fh:  # streamed: a huge stray file is not loaded whole
        return hashlib.file_digest(fh, "sha256").hexdigest()


def scan(data_dir: Path, old: Manifest, report: ReindexReport) -> tuple[dict[str, dict], dict[str, tuple[Entry, str]]]:
    """Files and entries now in the data directory, by entry id with their file.

    Files whose bytes did not change are not parsed again: their entries come from the manifest
    (when this version of the parser read them).
    """
    files: dict[str, dict] = {}
    entries: dict[str, tuple[Entry, str]] = {}
    seen: dict[str, str] = {}  # entry id -> the file that gave it, for `admit`
    reuse = old.parser == PARSER_VERSION
    refused: list[ParseError] = []
    paths = day_files(data_dir, refused)
    report.skipped += len(refused)
    report.errors.extend(str(err) for err in refused)
    for path in paths:
        rel = path.relative_to(data_dir).as_posix()
        previous = old.files.get(rel)
        try:
            sha = file_sha256(path)
            if reuse and previous and previous["sha"] == sha and all(e in old.entries for e in previous["entries"]):
                # Same bytes, same entries: only where the data directory is may have changed.
                parsed = [_moved(old.entries[e].entry, path) for e in previous["entries"]]
            else:
                parsed = parse_day_file(path)
        except (ParseError, OSError) as err:
            message = str(err) if isinstance(err, ParseError) else f"{shown_name(path)}:0: cannot read file: {err.strerror or err}"
            report.skipped += 1
            if previous:  # a file that broke keeps what it had: nothing indexed is lost
                kept = [e for e in previous["entries"] if e in old.entries and e not in entries]
                message += f" (its {len(kept)} indexed entries are kept until it is fixed)"
                files[rel] = {"sha": previous["sha"], "entries": kept}
                for eid in kept:
                    entries[eid] = (old.entries[eid].entry, rel)
                    seen[eid] = str(path)
            report.errors.append(message)
            continue
        admitted, duplicates = admit(parsed, seen)
        report.skipped += len(duplicates)
        report.errors.extend(str(err) for err in duplicates)
        for entry in admitted:
            entries[entry.id] = (entry, rel)
        files[rel] = {"sha": sha, "entries": [entry.id for entry in admitted]}
    return files, entries


def _moved(entry: Entry, path: Path) -> Entry:
    """The entry with its source file as found now (the data directory may have moved)."""
    if entry.source.file == str(path):
        return entry
    return replace(entry, source=Source(str(path), entry.source.line))
