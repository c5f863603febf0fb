"""Day files -> Entry: the parser of one day file (`parse`) and the data folder's rules (`folder`)."""

from rag.digest.folder import ParseReport, admit, check_data_dir, day_files, parse_dir
from rag.digest.parse import (
    DAY_SUFFIX,
    MAX_ENTRIES_PER_DAY,
    MAX_FILE_BYTES,
    MAX_LINE_BYTES,
    PARSER_VERSION,
    ParseError,
    find_links,
    parse_day_file,
    parse_day_text,
    shown_name,
    tag_key,
)

__all__ = [
    "DAY_SUFFIX", "MAX_ENTRIES_PER_DAY", "MAX_FILE_BYTES", "MAX_LINE_BYTES", "PARSER_VERSION", "ParseError", "ParseReport", "admit", "check_data_dir", "day_files",
    "find_links", "parse_day_file", "parse_day_text", "parse_dir", "shown_name", "tag_key",
]
