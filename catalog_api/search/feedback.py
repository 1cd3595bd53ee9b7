"""Pseudo-relevance feedback: words the best-ranked titles share lift candidates that have them.

A query names a product in a few words; the titles ranked first name it in the catalog's own
words ('kids fan' finds '... Ceiling Fan ...', whose other ceiling fans then rise). The words
are taken from the candidates already ranked, so no further index query is made.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace

from catalog_api.search.query import Concept
from catalog_api.search.ranking import Scored
from catalog_api.search.vocabulary import Vocabulary, is_word

# The titles the feedback words are taken from, and how many words are kept.
FEEDBACK_TITLES = 10
FEEDBACK_WORDS = 10
# A candidate holding all the feedback words gains this share of the best score.
FEEDBACK_SHARE = 0.35
# A feedback word is in at least this many of the best titles: a word of one title only would
# lift that title itself, whatever the others say.
SHARED_BY = 2


def feedback_words(
    ranked: Sequence[Scored], concepts: Sequence[Concept], vocabulary: Vocabulary
) -> dict[str, float]:
    """Return the rare words the best titles share (not the query's), weights summing to 1.

    A word weighs its share of each title, by the title's share of the best titles' score
    (relevance model), times its idf.
    """
    best = [item for item in ranked[:FEEDBACK_TITLES] if item.score > 0]
    total = sum(item.score for item in best)
    queried = {term for concept in concepts for term in concept.phrase}
    model: defaultdict[str, float] = defaultdict(float)
    titles: Counter[str] = Counter()
    for item in best:
        words = [term for term in item.candidate.title_terms.split() if is_word(term)]
        for word, count in Counter(words).items():
            if word not in queried:
                model[word] += item.score / total * count / len(words)
                titles[word] += 1
    shared = {
        word: value * vocabulary.idf(vocabulary.frequency(word))
        for word, value in model.items()
        if titles[word] >= SHARED_BY
    }
    kept = heapq.nlargest(FEEDBACK_WORDS, shared.items(), key=lambda entry: entry[1])
    weight = sum(value for _, value in kept)
    return {word: value / weight for word, value in kept if value > 0}


def with_feedback(
    ranked: Sequence[Scored], concepts: Sequence[Concept], vocabulary: Vocabulary
) -> list[Scored]:
    """Add to each candidate's score its feedback words' weights; best first, ties by id."""
    if len(ranked) < 2:
        return list(ranked)
    words = feedback_words(ranked, concepts, vocabulary)
    if not words:
        return list(ranked)
    lift = FEEDBACK_SHARE * ranked[0].score
    needles = [(f" {word} ", weight) for word, weight in words.items()]
    rescored = []
    for item in ranked:
        title = f" {item.candidate.title_terms} "
        gained = sum(weight for needle, weight in needles if needle in title)
        rescored.append(replace(item, score=item.score + lift * gained) if gained else item)
    rescored.sort(key=lambda item: (-item.score, item.candidate.id))
    return rescored
