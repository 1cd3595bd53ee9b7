"""How a query is read: words to look for, spelling corrections, words found nowhere."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from catalog_api.search.analyzer import STOP_WORDS, UNIT_SPELLINGS, Token, stem, tokens
from catalog_api.search.vocabulary import Vocabulary

MAX_CONCEPTS = 12
# A written word split in two ('deckover' into 'deck over', 'jigsaw' into 'jig saw') when
# both halves are this long.
_SPLIT_PART = 3
# Weight of numbers and units against words: '110v dryer' is about dryers first.
NUMBER_WEIGHT = 1.0
# Weight of an alternative reading (a join or a split) against the words as written.
ALTERNATIVE_WEIGHT = 0.8
# A misspelt word is also read as its next suggestions (up to SPELL_RUNNERS_UP) within
# SPELL_CLOSE edits of the chosen one (commonness counted, see Vocabulary.suggestions), at
# RUNNER_UP_WEIGHT of the chosen one's weight: the query's other words then decide
# ('long brakets' may be brakes or brackets).
SPELL_CLOSE = 1.5
SPELL_RUNNERS_UP = 3
RUNNER_UP_WEIGHT = 0.3


@dataclass(frozen=True)
class Concept:
    """Something to look for: one term, or adjacent terms that must appear in this order."""

    phrase: tuple[str, ...]
    weight: float
    written: str  # the query's word, or "" for an alternative reading
    frequency: int
    covers: tuple[str, ...]  # the query's words this stands for


@dataclass
class ReadQuery:
    """A query as the engine read it."""

    concepts: list[Concept] = field(default_factory=list)
    corrections: list[tuple[str, str]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    # The words before the query's first 'with' or 'for', which name the product asked for
    # ('shower faucet with valve' is a faucet); empty when the query has no such word.
    named: frozenset[str] = frozenset()

    @property
    def searched(self) -> list[Concept]:
        """Return the concepts read from the words as written (alternatives left out)."""
        return [concept for concept in self.concepts if concept.written]


UNITS = frozenset(UNIT_SPELLINGS)
# Words after which a query describes what the product has or is for, not what it is.
QUALIFIERS = ("with", "for")
Probe = Callable[[str], Awaitable[bool]]


def _split(word: str, vocabulary: Vocabulary) -> tuple[Token, Token] | None:
    """Return the best split of a word into two known words, or None."""
    best: tuple[int, tuple[Token, Token]] | None = None
    for cut in range(_SPLIT_PART, len(word) - _SPLIT_PART + 1):
        left = Token(word[:cut], stem(word[:cut]))
        right = Token(word[cut:], stem(word[cut:]))
        if left.surface in STOP_WORDS or right.surface in STOP_WORDS:
            continue
        weakest = min(vocabulary.frequency(left.term), vocabulary.frequency(right.term))
        if weakest > 0 and (best is None or weakest > best[0]):
            best = (weakest, (left, right))
    return best[1] if best else None


async def read_query(words: str, vocabulary: Vocabulary, probe: Probe) -> ReadQuery:
    """Read a query against the catalog's vocabulary; probe tells whether the index holds a term."""
    read = ReadQuery()
    found = tokens(words)
    read.named = _named(found)
    meaningful = [token for token in found if token.surface not in STOP_WORDS]
    if meaningful:
        read.ignored = list(dict.fromkeys(t.surface for t in found if t.surface in STOP_WORDS))
    else:
        meaningful = found
    unique = list(dict.fromkeys(meaningful))
    # 'closet maid' is the catalog's 'ClosetMaid': a word joined with a neighbour is not
    # corrected (to 'main') but searched through the joined word.
    in_joins = {
        token.surface
        for pair in itertools.pairwise(unique)
        if _joined(*pair, vocabulary)
        for token in pair
    }
    kept: list[Token] = []
    runners_up: list[tuple[str, str, int]] = []
    for token in unique:
        frequency = vocabulary.frequency(token.term)
        if frequency == 0 and token.surface in in_joins:
            kept.append(token)
            continue
        # Until the vocabulary is read every word counts as known: nothing to correct against.
        if frequency or not vocabulary.loaded or await probe(token.term):
            kept.append(token)
            _add(read, vocabulary, (token.term,), token.surface, max(frequency, 1))
            continue
        suggested = vocabulary.suggestions(token.term, token.surface)
        if suggested:
            (closest, corrected), *others = suggested
            read.corrections.append((token.surface, corrected))
            kept.append(Token(token.surface, corrected))
            frequency = vocabulary.frequency(corrected)
            _add(read, vocabulary, (corrected,), token.surface, frequency)
            for distance, other in others[:SPELL_RUNNERS_UP]:
                if distance - closest <= SPELL_CLOSE:
                    runners_up.append((token.surface, other, frequency))
            continue
        halves = _split(token.surface, vocabulary) if token.surface.isalpha() else None
        if halves is not None:
            read.corrections.append((token.surface, " ".join(half.term for half in halves)))
            for half in halves:
                kept.append(half)
                _add(read, vocabulary, (half.term,), half.surface, vocabulary.frequency(half.term))
            continue
        read.unmatched.append(token.surface)
    _add_alternatives(read, vocabulary, kept)
    for written, other, chosen in runners_up:
        _add_runner_up(read, vocabulary, written, other, chosen)
    read.concepts = read.concepts[:MAX_CONCEPTS]
    return read


def _named(found: list[Token]) -> frozenset[str]:
    """Return the words before the first 'with' or 'for' that has a word before it."""
    for place, token in enumerate(found):
        if place and token.surface in QUALIFIERS:
            return frozenset(t.surface for t in found[:place])
    return frozenset()


def _phrase_frequency(vocabulary: Vocabulary, phrase: tuple[str, ...]) -> int:
    return max(1, min(vocabulary.frequency(term) for term in phrase))


def _add(
    read: ReadQuery,
    vocabulary: Vocabulary,
    phrase: tuple[str, ...],
    written: str,
    frequency: int,
    covers: tuple[str, ...] = (),
) -> None:
    if any(concept.phrase == phrase for concept in read.concepts):
        return
    weight = vocabulary.idf(frequency) * (1.0 if written else ALTERNATIVE_WEIGHT)
    if not any(term.isalpha() and len(term) > 1 for term in phrase) or phrase[0] in UNITS:
        weight *= NUMBER_WEIGHT
    read.concepts.append(Concept(phrase, weight, written, frequency, covers or (written,)))


def _add_alternatives(read: ReadQuery, vocabulary: Vocabulary, kept: list[Token]) -> None:
    """Add joined neighbours ('deck over' as 'deckover'), split long words ('deckover') and
    the common word a rare one may be a typo of ('rigid' as 'ridgid')."""
    for left, right in itertools.pairwise(kept):
        joined = _joined(left, right, vocabulary)
        if joined:
            covers = (left.surface, right.surface)
            _add(read, vocabulary, (joined,), "", vocabulary.frequency(joined), covers)
    for token in kept:
        if token.surface.isalpha() and len(token.surface) >= 2 * _SPLIT_PART:
            halves = _split(token.surface, vocabulary)
            if halves is not None:
                phrase = (halves[0].term, halves[1].term)
                frequency = _phrase_frequency(vocabulary, phrase)
                _add(read, vocabulary, phrase, "", frequency, (token.surface,))
    for token in kept:
        commoner = vocabulary.commoner(token.term, token.surface)
        if commoner is not None:
            frequency = vocabulary.frequency(commoner)
            _add(read, vocabulary, (commoner,), "", frequency, (token.surface,))


def _add_runner_up(
    read: ReadQuery, vocabulary: Vocabulary, written: str, term: str, chosen: int
) -> None:
    """Add another suggestion for a misspelt word, weighed below the chosen one."""
    if any(concept.phrase == (term,) for concept in read.concepts):
        return
    frequency = vocabulary.frequency(term)
    # A rarer runner-up would otherwise outweigh the commoner word chosen.
    weight = vocabulary.idf(max(frequency, chosen)) * RUNNER_UP_WEIGHT
    read.concepts.append(Concept((term,), weight, "", frequency, (written,)))


def _joined(left: Token, right: Token, vocabulary: Vocabulary) -> str:
    """Return the known term of two neighbouring words written as one, or ""."""
    if not (left.surface.isalpha() and right.surface.isalpha()):
        return ""
    joined = stem(left.surface + right.surface)
    return joined if vocabulary.frequency(joined) else ""
