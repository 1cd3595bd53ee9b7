"""Schema pieces for cleaned text: the rules validators enforce, documented for clients."""

from __future__ import annotations

import functools
import sys
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from catalog_api.text import clean_line

NORMALISED = "once normalised (NFC, lowercase where stored so)"
# Categories of the characters clean_line may drop (whitespace, controls, format, private use).
_MAYBE_HIDDEN = {"Cc", "Cf", "Co", "Zs", "Zl", "Zp"}


def _class_member(code: int) -> str:
    # \uXXXX reads the same in ECMA, Python and Rust regexes; astral characters go in as
    # themselves, as the engines disagree on an escape for them.
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


def _character_class(codes: Iterable[int]) -> str:
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(
        _class_member(first) if first == last else f"{_class_member(first)}-{_class_member(last)}"
        for first, last in runs
    )


@functools.cache
def hidden_text_pattern() -> str:
    """Return a JSON Schema pattern matching text that clean_line reduces to nothing."""
    # Lone surrogates are dropped too, but no JSON Schema engine accepts them in a pattern.
    hidden = (
        code
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in _MAYBE_HIDDEN and not clean_line(chr(code))
    )
    return f"^[{_character_class(hidden)}]*$"


class Documented:
    """Add to a JSON schema a rule that a validator enforces; the value is computed on first use."""

    def __init__(self, keyword: str, value: Callable[[], Any], *, of_keys: bool = False) -> None:
        self.keyword = keyword
        self.value = value
        self.of_keys = of_keys

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Set the keyword in the schema of the value, or of a mapping's keys."""
        schema = handler(core_schema)
        # Keys go through propertyNames: a pattern on a dict's key type would make pydantic
        # write patternProperties, which lets any other key through with any value.
        target = schema.setdefault("propertyNames", {}) if self.of_keys else schema
        target[self.keyword] = self.value()
        return schema


def not_only_hidden() -> dict[str, str]:
    """Return the schema of text that is only hidden characters (for a `not`)."""
    # A `not` of what is hidden rather than a class of what is visible: it says the same, and
    # test data generators draw from it some ten times faster.
    return {"pattern": hidden_text_pattern()}


VISIBLE = Documented("not", not_only_hidden)


def clean_text_line(value: str) -> str:
    """Return the text as one clean line."""
    return clean_line(value)


def non_empty_line(value: str) -> str:
    """Return the text as one clean line, refusing text with nothing visible."""
    value = clean_line(value)
    if not value:
        raise ValueError("must contain visible characters")
    return value


def within(limit: int) -> AfterValidator:
    """Check a length again after cleaning: NFC and casefolding can lengthen text ('ß' to 'ss')."""

    def check(value: str) -> str:
        check_length(value, limit)
        return value

    return AfterValidator(check)


def check_length(value: str, limit: int) -> None:
    """Refuse text longer than limit once cleaned."""
    if len(value) > limit:
        raise ValueError(f"must be at most {limit} characters {NORMALISED}; this is {len(value)}")


def hoist_descriptions(schema: dict[str, Any]) -> None:
    """Show the description of an optional field next to its anyOf, where docs look."""
    for prop in schema.get("properties", {}).values():
        for option in prop.get("anyOf", []):
            if "description" in option and "description" not in prop:
                prop["description"] = option["description"]


def offer_no_null(schema: dict[str, Any]) -> None:
    """Drop null from every field's choices: a body that refuses null (omit a field to keep it)."""
    hoist_descriptions(schema)
    for prop in schema.get("properties", {}).values():
        options = [option for option in prop.pop("anyOf", []) if option != {"type": "null"}]
        if len(options) == 1:
            prop.update({**options[0], **prop})
        elif options:
            prop["anyOf"] = options
