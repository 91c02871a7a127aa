"""Records of a scan written out: NDJSON (one record per line, what ``produce`` reads back)
or CSV (the same columns; key, value and headers that are not text as JSON)."""

from __future__ import annotations

import csv
from typing import IO, Any

import orjson

COLUMNS = (
    "topic",
    "partition",
    "offset",
    "timestamp",
    "key",
    "value",
    "headers",
    "key_format",
    "value_format",
)
OUTPUT_FORMATS = ("ndjson", "csv")


def ndjson_line(record: dict[str, Any]) -> str:
    return orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")


class RecordWriter:
    """Writes records to ``stream`` in ``fmt`` (ndjson or csv), counting them."""

    def __init__(self, stream: IO[str], fmt: str = "ndjson"):
        if fmt not in OUTPUT_FORMATS:
            raise ValueError(f"unknown output format {fmt!r}; formats are ndjson, csv")
        self.stream = stream
        self.fmt = fmt
        self.count = 0
        self._csv = None
        if fmt == "csv":
            self._csv = csv.writer(stream, lineterminator="\n")
            self._csv.writerow(COLUMNS)

    def write(self, records: list[dict[str, Any]]) -> None:
        if self._csv is not None:
            self._csv.writerows([[_cell(r.get(c)) for c in COLUMNS] for r in records])
        else:
            self.stream.write("".join(ndjson_line(r) + "\n" for r in records))
        self.count += len(records)
