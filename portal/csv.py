"""The one CSV writer every export uses: UTF-8 with a BOM, streamed, every cell neutralised.

Spreadsheet software (Excel, LibreOffice) runs a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula: a resident who types ``=HYPERLINK(…)`` in a
report would otherwise reach a clerk's spreadsheet as a live link. Every cell is therefore
prefixed with an apostrophe when it starts with one of those characters (OWASP's advice),
and numbers are written as numbers so that totals still add up.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
BOM = "\ufeff"


def safe_cell(value: Any) -> str | int | float:
    """One cell as written: ``None`` is empty, numbers stay numbers, text is neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.lstrip(" ")[:1] in FORMULA_PREFIXES:
        return "'" + text
    return text


# Rows are sent in pieces of about this many characters: one write per piece instead of one
# per row (a 100,000-row export would otherwise be 100,000 chunks through the WSGI server).
CHUNK_CHARS = 64 * 1024


def csv_lines(*, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The encoded lines of a CSV document (BOM first), in pieces of about ``CHUNK_CHARS``:
    the BOM and the header at once, then the rows as they come."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(v) for v in header])
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def csv_response(*, filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    """A streamed CSV download. ``rows`` should be lazy (e.g. a generator over
    ``queryset.iterator()``) so memory stays constant whatever the size. Exports carry
    personal data, so the answer is never stored by a browser or proxy."""
    response = StreamingHttpResponse(csv_lines(header=header, rows=rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
