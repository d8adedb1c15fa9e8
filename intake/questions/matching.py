"""Matching a resident's question to the Q&A base: keyword rules, then BM25 over questions and
variants; decides whether to answer, offer up to three candidates, or hand off to staff."""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from .language import detect_language
from .text import Terms, is_japanese, terms_for

DecisionKind = Literal["answer", "candidates", "handoff"]
MAX_CANDIDATES = 3


@dataclass(frozen=True)
class Translation:
    question: str
    answer: str


@dataclass(frozen=True)
class Entry:
    """One question and its answer, as the index needs it (the Django model feeds these)."""

    id: str
    question: str
    answer: str
    category: str = ""
    variants: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    link: str = ""
    translations: Mapping[str, Translation] = field(default_factory=lambda: MappingProxyType({}))
    quick_replies: tuple[str, ...] = ()  # offered after the answer (each sends its words)

    def question_in(self, language: str) -> str:
        t = self.translations.get(language)
        return t.question if t and t.question else self.question

    def answer_in(self, language: str) -> tuple[str, bool]:
        """The answer in ``language`` and whether it is that language (else Japanese)."""
        if language == "ja":
            return self.answer, True
        t = self.translations.get(language)
        return (t.answer, True) if t and t.answer else (self.answer, False)


@dataclass(frozen=True)
class Match:
    entry: Entry
    score: float  # ranking score (BM25 of words and bi-grams, plus keyword hits)
    confidence: float  # 0..1: how much of the question the entry accounts for
    keyword: bool = False  # a keyword of the entry occurs in the question


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    language: str
    entry: Entry | None = None  # set when kind == "answer"
    candidates: tuple[Entry, ...] = ()  # set when kind == "candidates"
    ranked: tuple[Match, ...] = ()  # best first, at most five: for staff's 試してみる and benches

    @property
    def top(self) -> Match | None:
        return self.ranked[0] if self.ranked else None


@dataclass(frozen=True)
class Tuning:
    """Weights and thresholds; the defaults were chosen on tests/questions/devset.csv."""

    k1: float = 1.2
    b: float = 0.6
    gram_weight: float = 0.5  # bi-gram BM25 relative to word BM25
    keyword_weight: float = 4.0  # added to the score per matched keyword (times its share)
    query_share: float = 0.8  # confidence: weight of the question's coverage vs the entry's
    entry_weight: float = 1.5  # BM25 over each entry's wordings together, for ranking only
    score_share: float = 1.0  # ranking: weight of the BM25 score (relative to the best) vs confidence
    unknown_weight: float = 1.5  # idf of a word no entry has, relative to a word one document has
    answer_at: float = 0.55  # confidence at or above which the best entry is answered …
    answer_margin: float = 0.05  # … when it leads the next entry by this much
    candidates_at: float = 0.35  # confidence at or above which candidates are offered
    keyword_answer_at: float = 0.8  # keyword rule: keywords cover this share of the question


DEFAULT_TUNING = Tuning()


class _Field:
    """One BM25 field over many documents: postings, lengths and idf."""

    def __init__(self, docs: Sequence[Sequence[str]], *, k1: float, b: float, unknown_weight: float = 1.0) -> None:
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.lengths = [len(d) for d in docs]
        self.avg = (sum(self.lengths) / self.n) if self.n else 1.0
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(docs):
            counts: dict[str, int] = defaultdict(int)
            for t in doc:
                counts[t] += 1
            for t, c in counts.items():
                postings[t].append((i, c))
        self.postings = dict(postings)
        self.idf = {t: self._idf(len(p)) for t, p in self.postings.items()}
        # A word no entry uses says the question is about something else: it weighs more.
        self.unknown_idf = self._idf(0) * unknown_weight
        self.norm = [k1 * (1 - b + b * (ln / self.avg)) if self.avg else k1 for ln in self.lengths]
        self.doc_weight = [sum(self.idf[t] for t in set(doc)) for doc in docs]

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def score(self, query: Iterable[str]) -> tuple[dict[int, float], dict[int, float], float]:
        """BM25 per document, the idf mass of the query each document shares, and the query's mass."""
        scores: dict[int, float] = defaultdict(float)
        shared: dict[int, float] = defaultdict(float)
        mass = 0.0
        for t in set(query):
            idf = self.idf.get(t)
            if idf is None:
                mass += self.unknown_idf
                continue
            mass += idf
            for i, tf in self.postings[t]:
                scores[i] += idf * tf * (self.k1 + 1) / (tf + self.norm[i])
                shared[i] += idf
        return scores, shared, mass


class _LanguageIndex:
    def __init__(self, docs: list[tuple[int, Terms]], tuning: Tuning) -> None:
        self.owner = [e for e, _ in docs]
        unknown = tuning.unknown_weight
        self.words = _Field([t.words for _, t in docs], k1=tuning.k1, b=tuning.b, unknown_weight=unknown)
        self.grams = _Field([t.grams for _, t in docs], k1=tuning.k1, b=tuning.b, unknown_weight=unknown)


class FaqIndex:
    """Built once per published version of the base from its entries; ``decide()`` is read-only
    and safe to share between threads."""

    def __init__(self, entries: Iterable[Entry], *, tuning: Tuning = DEFAULT_TUNING) -> None:
        self.entries: tuple[Entry, ...] = tuple(entries)
        self.tuning = tuning
        ja_docs: list[tuple[int, Terms]] = []
        whole_docs: list[tuple[int, Terms]] = []
        en_docs: list[tuple[int, Terms]] = []
        self._keywords: list[tuple[int, str]] = []
        for i, e in enumerate(self.entries):
            for text in (e.question, *e.variants):
                if text.strip():
                    ja_docs.append((i, terms_for(text, "ja")))
            whole_docs.append((i, terms_for(" ".join((e.question, *e.variants, *e.keywords)), "ja")))
            en = e.translations.get("en")
            if en and en.question.strip():
                # The English side has no variants: its answer stands in for them.
                en_docs.extend((i, terms_for(text, "en")) for text in (en.question, en.answer) if text.strip())
            for kw in e.keywords:
                # Looked for without particles: 「市役所は何時」 also finds 「市役所何時まで」.
                key = terms_for(kw, "ja").bare
                if len(key) >= 2 or (key and not key.isascii()):
                    self._keywords.append((i, key))
        self._by_language = {"ja": _LanguageIndex(ja_docs, tuning), "en": _LanguageIndex(en_docs, tuning)}
        self._whole = _LanguageIndex(whole_docs, tuning)

    def __len__(self) -> int:
        return len(self.entries)

    def rank(self, text: str, *, language: str = "ja", limit: int = 5) -> list[Match]:
        """Entries best first with their score and confidence (at most ``limit``)."""
        lang = "en" if language == "en" and not is_japanese(text) else "ja"
        index = self._by_language[lang]
        if not index.owner:
            index, lang = self._by_language["ja"], "ja"
        terms = terms_for(text, lang)
        tuning = self.tuning
        w_scores, w_shared, w_mass = index.words.score(terms.words)
        g_scores, g_shared, g_mass = index.grams.score(terms.grams)
        best: dict[int, tuple[float, float]] = {}
        for doc in set(w_scores) | set(g_scores):
            score = w_scores.get(doc, 0.0) + tuning.gram_weight * g_scores.get(doc, 0.0)
            gw = tuning.gram_weight
            q_cov = _share(w_shared.get(doc, 0.0), w_mass, gw * g_shared.get(doc, 0.0), gw * g_mass)
            d_cov = _share(
                w_shared.get(doc, 0.0),
                index.words.doc_weight[doc],
                gw * g_shared.get(doc, 0.0),
                gw * index.grams.doc_weight[doc],
            )
            confidence = tuning.query_share * q_cov + (1 - tuning.query_share) * d_cov
            entry = index.owner[doc]
            if entry not in best or (score, confidence) > best[entry]:
                best[entry] = (score, confidence)
        if lang == "ja" and tuning.entry_weight:
            # All of an entry's wordings together: a question that mixes two variants' words.
            e_scores, _, _ = self._whole.words.score(terms.words)
            for doc, e_score in e_scores.items():
                entry = self._whole.owner[doc]
                score, confidence = best.get(entry, (0.0, 0.0))
                best[entry] = (score + tuning.entry_weight * e_score, confidence)
        hits = self._keyword_hits(terms.bare, terms.content) if lang == "ja" else {}
        for entry, share in hits.items():
            score, confidence = best.get(entry, (0.0, 0.0))
            best[entry] = (score + tuning.keyword_weight * share, max(confidence, share * tuning.keyword_answer_at))
        top_score = max((s for s, _ in best.values()), default=0.0) or 1.0
        mix = tuning.score_share
        ranked = sorted(best.items(), key=lambda item: (-(mix * item[1][0] / top_score + (1 - mix) * item[1][1]), item[0]))
        ranked = ranked[:limit]
        return [Match(self.entries[i], score=s, confidence=round(c, 4), keyword=i in hits) for i, (s, c) in ranked]

    def _keyword_hits(self, folded: str, content: str) -> dict[int, float]:
        """Entries whose keywords occur in the question, with the share of the question's
        content words the keywords cover (1.0: the question is nothing but keywords)."""
        if not folded:
            return {}
        base = max(len(content), 1)
        found: dict[int, list[str]] = defaultdict(list)
        for entry, key in self._keywords:
            if key in folded:
                found[entry].append(key)
        return {e: min(1.0, sum(len(k) for k in _outermost(keys)) / base) for e, keys in found.items()}

    def decide(self, text: str, *, language: str | None = None) -> Decision:
        """Answer, candidates or handoff for a resident's message."""
        lang = language or detect_language(text)
        return self.decide_ranked(tuple(self.rank(text, language=lang)), lang)

    def decide_ranked(self, ranked: tuple[Match, ...], language: str) -> Decision:
        """The decision for an already ranked question (benches re-decide with other thresholds)."""
        lang, t = language, self.tuning
        if not ranked:
            return Decision("handoff", lang, ranked=ranked)
        first = ranked[0]
        runner_up = max((m.confidence for m in ranked[1:]), default=0.0)
        if first.confidence >= t.answer_at and first.confidence - runner_up >= t.answer_margin:
            return Decision("answer", lang, entry=first.entry, ranked=ranked)
        if first.keyword and first.confidence >= t.keyword_answer_at and not any(m.keyword for m in ranked[1:]):
            return Decision("answer", lang, entry=first.entry, ranked=ranked)
        if first.confidence >= t.candidates_at:
            floor = max(t.candidates_at, first.confidence / 2)
            picks = tuple(m.entry for m in ranked[:MAX_CANDIDATES] if m.confidence >= floor)
            return Decision("candidates", lang, candidates=picks, ranked=ranked)
        return Decision("handoff", lang, ranked=ranked)


def _share(w_part: float, w_whole: float, g_part: float, g_whole: float) -> float:
    whole = w_whole + g_whole
    return (w_part + g_part) / whole if whole else 0.0


def _outermost(keys: list[str]) -> list[str]:
    """Drop keywords contained in a longer matched keyword, so 「ごみ」 inside 「粗大ごみ」 counts once."""
    return [k for k in keys if not any(k != other and k in other for other in keys)]


_cache: dict[str, FaqIndex] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 4


def index_for(version: str, load: Callable[[], Iterable[Entry]]) -> FaqIndex:
    """The index of one version of the base (e.g. "published:12" or "draft:13"), built by
    ``load()`` the first time this process asks for it; the last few versions stay cached."""
    index = _cache.get(version)
    if index is not None:
        return index
    with _cache_lock:
        index = _cache.get(version)
        if index is None:
            index = FaqIndex(load())
            _cache[version] = index
            while len(_cache) > _CACHE_SIZE:
                _cache.pop(next(iter(_cache)))
    return index


def answer(text: str, index: FaqIndex, *, language: str | None = None) -> Decision:
    """The decision for ``text`` against ``index`` (language detected when not given)."""
    return index.decide(text, language=language)
