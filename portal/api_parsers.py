"""The API's JSON parser: DRF's, refusing (400, ``ParseError``) what it would let through
to a server error.

- nesting deep enough to exhaust Python's recursion (``RecursionError`` is not a
  ``ValueError``, so DRF's own parser lets it escape);
- a lone surrogate (``"\\ud800"`` is valid JSON but no UTF-8 text: neither SQLite nor
  PostgreSQL can store it) or NUL (PostgreSQL cannot store it) in any key or string;
- a body that is not a JSON object: every operation of the portal's API takes an object,
  and views reading ``request.data.get(...)`` would fail on a list, string or number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    def parse(self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        if not isinstance(data, dict):
            raise ParseError("JSON parse error - the body must be a JSON object")
        _refuse_unstorable_text(data)
        return data


def _refuse_unstorable_text(data: Any) -> None:
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            if "\x00" in value:
                raise ParseError("JSON parse error - NUL characters are not allowed")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ParseError("JSON parse error - lone surrogate characters are not allowed") from None
