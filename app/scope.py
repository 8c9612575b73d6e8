"""Which documents may answer: the place the question is about decides.

The places a frame names (any province, city or district of China, from the
gazetteer) are matched against the places of the indexed documents (their
manifest ``city``, ``parent_city`` and ``province``, completed from the
gazetteer). A document answers for a place when it is that place's, when it
belongs to a place inside it (a district's document for its city — labelled
as the district's), or when the place lies inside the document's (a city's
document for one of its districts). A named place with no document is
reported, with the places that are covered — read from the index, never from a
list in code. Without a place, every document may answer and the answer names
each one's place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.frame.places import contains, lookup
from app.frame.schema import QuestionFrame
from ingest.schema import DocumentMeta

UNKNOWN = ("", "未知")


@dataclass
class Scope:
    places: list[str] = field(default_factory=list)  # the places asked about, as named
    doc_ids: list[str] = field(default_factory=list)  # the documents that may answer
    by_place: dict[str, list[str]] = field(default_factory=dict)  # place → its documents
    uncovered: list[str] = field(default_factory=list)  # places named that no document covers
    covered: list[str] = field(default_factory=list)  # every place with a document (for the refusal)
    named_docs: list[str] = field(default_factory=list)  # documents the question names by title

    @property
    def restricted(self) -> bool:
        return bool(self.places or self.named_docs)


# The parts of a title that name one document (“技能照亮前程”, 十九条措施): a quoted name, or a
# numbered set of measures.
_TITLE_NAMES = re.compile(
    r"[“\"「]([^”\"」]{3,20})[”\"」]|([一二三四五六七八九十百零〇两\d]+条(?:措施|意见|举措|政策|办法))"
)


def title_names(doc: DocumentMeta) -> list[str]:
    found = []
    for title in (doc.title, doc.short_title):
        for m in _TITLE_NAMES.finditer(title or ""):
            found.append(m.group(1) or m.group(2))
    return list(dict.fromkeys(found))


def named_documents(text: str, documents: list[DocumentMeta]) -> list[str]:
    """The documents the question names by a name in their title that no other document's title has."""
    owners: dict[str, set[str]] = {}
    for d in documents:
        for name in title_names(d):
            owners.setdefault(name, set()).add(d.id)
    return sorted({next(iter(ids)) for name, ids in owners.items() if len(ids) == 1 and name in text})


def doc_places(doc: DocumentMeta) -> list[str]:
    """The document's own place and everything enclosing it, nearest first."""
    if doc.city in UNKNOWN:
        return []
    out = [doc.city]
    if doc.parent_city:
        out.append(doc.parent_city)
    place = lookup(doc.city)
    if place is not None:
        out += place.parents
    if doc.province:
        out.append(doc.province.removesuffix("省"))
    return list(dict.fromkeys(out))


def applies(doc: DocumentMeta, place: str) -> bool:
    """Whether ``doc`` answers for ``place``."""
    if doc.city in UNKNOWN:
        return False
    if place in doc_places(doc):
        return True  # the place's own document, or one of a place enclosing the document's
    # A document of a place inside the one asked about (a district's, when its city is asked),
    # or of a place enclosing the one asked about (a city's, when one of its districts is asked).
    return contains(place, doc.city) or contains(doc.city, place)


def scope_for(
    frame: QuestionFrame,
    documents: list[DocumentMeta],
    *,
    city: str | None = None,
    carried: list[str] | tuple[str, ...] = (),
    text: str = "",
) -> Scope:
    """``carried``: the places of the conversation, for a follow-up that names none (我是高级工，能领吗);
    ``text``: the words a document may be named by (a follow-up's topic with it), the question's by default."""
    covered = sorted({d.city for d in documents if d.city not in UNKNOWN})
    asked = [city] if city else list(dict.fromkeys(frame.place_names("about"))) or list(dict.fromkeys(carried))
    scope = Scope(places=asked, covered=covered)
    if not asked:
        # 按那份十九条措施…: a document named by its title answers alone.
        scope.named_docs = named_documents(text or frame.text, documents)
        scope.doc_ids = list(scope.named_docs) or [d.id for d in documents]
        return scope
    for place in asked:
        docs = [d.id for d in documents if applies(d, place)]
        # Prefer the place's own documents; a district's document answers for its city only when the
        # city has none of its own (and is then labelled as the district's).
        scope.by_place[place] = docs
        if not docs:
            scope.uncovered.append(place)
    scope.doc_ids = list(dict.fromkeys(d for docs in scope.by_place.values() for d in docs))
    return scope


def place_names(documents: list[DocumentMeta]) -> dict[str, str]:
    """Names of the documents' places, for the question reader (a district the gazetteer lacks)."""
    out: dict[str, str] = {}
    for d in documents:
        if d.city in UNKNOWN:
            continue
        known = lookup(d.city)
        out[d.city] = known.level if known else ("district" if d.parent_city else "city")
    return out


def place_aliases(documents: list[DocumentMeta]) -> dict[str, str]:
    """What users call the documents' places (manifest ``place_aliases``) → the place's name.

    An alias two places share names neither.
    """
    out: dict[str, str] = {}
    shared: set[str] = set()
    for d in documents:
        for alias in d.place_aliases:
            if out.get(alias, d.city) != d.city:
                shared.add(alias)
            out[alias] = d.city
    return {a: c for a, c in out.items() if a not in shared}
