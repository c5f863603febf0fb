"""The data directory as it is now: its day files, their hashes and their entries, by id.

Files whose bytes did not change since the committed manifest are not parsed again (their
entries are not even read from the manifest); a file that broke keeps its indexed entries until
it is fixed, and every skipped file or entry is reported with its file and line.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from rag.digest import PARSER_VERSION, ParseError, admit, day_files, parse_day_file, shown_name
from rag.index.manifest import Manifest
from rag.model import Entry, ReindexReport


def file_sha256(path: Path) -> str:
    """A file's SHA-256, read in pieces."""
    with open(path, "rb") as fh:  # streamed: a huge stray file is not loaded whole
        return hashlib.file_digest(fh, "sha256").hexdigest()


def scan(data_dir: Path, old: Manifest, report: ReindexReport) -> tuple[dict[str, dict], dict[str, tuple[Entry | None, str]]]:
    """Files and entries now in the data directory, by entry id with their file.

    Files whose bytes did not change are not parsed again: their entries are the manifest's,
    given as None (when this version of the parser read them from this data directory).
    """
    files: dict[str, dict] = {}
    entries: dict[str, tuple[Entry | None, str]] = {}
    seen: dict[str, str] = {}  # entry id -> the file that gave it, for `admit`
    reuse = old.parser == PARSER_VERSION and old.data_dir == str(data_dir)
    refused: list[ParseError] = []
    paths = day_files(data_dir, refused)
    report.skipped += len(refused)
    report.errors.extend(str(err) for err in refused)
    for path in paths:
        rel = path.relative_to(data_dir).as_posix()
        previous = old.files.get(rel)
        try:
            st = path.stat()
            stamp = [st.st_size, st.st_mtime_ns]
            # Same size and modification time as when it was hashed: its bytes are not read again.
            sha = previous["sha"] if previous and previous.get("stat") == stamp else file_sha256(path)
            if (reuse and previous and previous["sha"] == sha
                    and all(e in old.entries and e not in entries for e in previous["entries"])):
                _keep(previous["entries"], rel, old, entries, seen, str(path))
                files[rel] = {**previous, "stat": stamp}
                continue
            parsed = parse_day_file(path)
        except (ParseError, OSError) as err:
            message = str(err) if isinstance(err, ParseError) else f"{shown_name(path)}:0: cannot read file: {err.strerror or err}"
            report.skipped += 1
            if previous:  # a file that broke keeps what it had: nothing indexed is lost
                kept = _keep(previous["entries"], rel, old, entries, seen, str(path))
                message += f" (its {len(kept)} indexed entries are kept until it is fixed)"
                files[rel] = {"sha": previous["sha"], "entries": kept}
            report.errors.append(message)
            continue
        admitted, duplicates = admit(parsed, seen)
        report.skipped += len(duplicates)
        report.errors.extend(str(err) for err in duplicates)
        for entry in admitted:
            entries[entry.id] = (entry, rel)
        files[rel] = {"sha": sha, "entries": [entry.id for entry in admitted], "stat": stamp}
    return files, entries


def _keep(ids: list[str], rel: str, old: Manifest, entries: dict[str, tuple[Entry | None, str]],
          seen: dict[str, str], shown: str) -> list[str]:
    """Take a file's indexed entries over from the manifest as they are; returns their ids."""
    kept = [e for e in ids if e in old.entries and e not in entries]
    for eid in kept:
        entries[eid] = (None, rel)
        seen[eid] = shown
    return kept
