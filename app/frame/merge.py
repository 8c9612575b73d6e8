"""Multi-turn: a follow-up's frame merged into the conversation's, bounded.

The conversation carries a *frame*, not a rewritten question string: places,
groups with their counts and qualifiers, spans, money and facts. A follow-up
changes what it names and keeps the rest —

* ``再加两个`` adds to the earlier count (the last group, or the one it names);
* ``换成技师呢`` / ``如果是高职呢`` replaces the category of the group;
* ``如果是5个中职呢`` replaces the count of the group in that category;
* ``那南通呢`` replaces the place;
* ``如果干满两年呢`` replaces the span; ``社保交了呢`` replaces that fact.

Carried parts are marked ``carried`` (their words belong to an earlier turn),
and at most ``MAX_GROUPS`` groups and ``MAX_FACTS`` facts are kept, so the
state does not grow with the conversation.
"""

from __future__ import annotations

import re

from app.frame.schema import Group, QuestionFrame, Span
from app.frame.words import question_words, words_pattern
from ingest.vocab import vocabulary

MAX_GROUPS = 12
MAX_FACTS = 12
MAX_SPANS = 3


def carried(frame: QuestionFrame) -> dict:
    """What a turn leaves for the next one (JSON), bounded."""
    data = frame.model_dump(
        mode="json", include={"places", "groups", "spans", "money", "facts", "intent", "asks_total"}
    )
    data["groups"] = data["groups"][-MAX_GROUPS:]
    data["facts"] = data["facts"][-MAX_FACTS:]
    data["spans"] = data["spans"][-MAX_SPANS:]
    data["money"] = data["money"][-MAX_SPANS:]
    data["places"] = data["places"][-4:]
    # The user's age (a number the reader keeps as such) is a fact of the person for the turns after.
    data["numbers"] = [t.model_dump(mode="json") for t in frame.numbers if t.role == "age"][-1:]
    # Indices into an earlier turn's numbers mean nothing later.
    for g in data["groups"]:
        g["number"] = None
        g["span"] = {"start": 0, "end": 0}
        if g.get("parent") is not None and g["parent"] >= len(data["groups"]):
            g["parent"] = None
    for key in ("spans", "money"):
        for x in data[key]:
            x["number"] = None
    return data


def merge(new: QuestionFrame, previous: dict | None) -> QuestionFrame:
    """The follow-up ``new`` read together with the conversation's carried frame."""
    if not previous or not new.follow_up:
        return new
    old = QuestionFrame.model_validate({"question": "", "text": "", **previous})
    merged = new.model_copy(deep=True)
    if not merged.place_names("about"):
        merged.places = [p for p in old.places if p.role == "about"] + merged.places
    merged.groups = _groups(old, new)
    if not new.spans:
        merged.spans = [s.model_copy(update={"number": None}) for s in old.spans]
    if not new.money:
        merged.money = old.money
    if not any(t.role == "age" for t in new.numbers):
        # 我25岁…可以采认吗 → 那如果…呢: the age said before still holds (appended: indices stay valid).
        merged.numbers = [*merged.numbers, *(t for t in old.numbers if t.role == "age")]
    concepts = {f.concept for f in new.facts}
    merged.facts = [f for f in old.facts if f.concept not in concepts][-MAX_FACTS:] + new.facts
    if new.intent in ("fact", "other") and old.intent not in ("fact", "other"):
        merged.intent = old.intent
    merged.asks_total = new.asks_total or old.asks_total
    return merged


def _old_group(g: Group) -> Group:
    return g.model_copy(update={"number": None, "span": Span(start=0, end=0)})


def _groups(old: QuestionFrame, new: QuestionFrame) -> list[Group]:
    groups = [_old_group(g) for g in old.groups]
    tops = [k for k, g in enumerate(groups) if g.parent is None and not any(q.concept == "self" for q in g.qualifiers)]
    replace = bool(words_pattern("replace").search(new.text))
    added: list[Group] = []
    offset = len(groups)
    for g in new.groups:
        same = _same_category(g, groups, tops)
        bare = not g.label or g.label in set(question_words()["generic_labels"])  # 再加一家 / 再加两个人
        if g.additive and (same is not None or bare):
            # 再加两个: added to the group it names, or to the only one; with several, it stays unplaced.
            target = same if same is not None else (tops[0] if len(tops) == 1 else None)
            before = groups[target].count if target is not None else None
            if target is not None and before is not None and g.count is not None:
                groups[target] = groups[target].model_copy(update={"count": before + g.count, "number": g.number})
                continue
        if same is not None and not g.additive:
            # 如果是5个中职呢: the count of that category changes.
            groups[same] = groups[same].model_copy(
                update={"count": g.count, "number": g.number, "qualifiers": g.qualifiers or groups[same].qualifiers}
            )
            continue
        if replace and len(tops) == 1 and not new.groups[1:]:
            # 换成3个技师: the one group becomes the new one.
            groups[tops[0]] = g.model_copy(update={"parent": None})
            continue
        added.append(g.model_copy(update={"parent": (g.parent + offset) if g.parent is not None else None}))
    if not new.groups and replace and len(tops) == 1:
        label = _replacement_label(new)
        if label:
            g = groups[tops[0]]
            groups[tops[0]] = g.model_copy(update={"label": label, "text": label})
    return (groups + added)[-MAX_GROUPS:]


def _same_category(g: Group, groups: list[Group], tops: list[int]) -> int | None:
    vocab = vocabulary()
    mine = {lv.level for _, _, lv in vocab.levels_in(g.text or g.label)}
    for k in tops:
        theirs = {lv.level for _, _, lv in vocab.levels_in(groups[k].text or groups[k].label)}
        if mine and mine == theirs:
            return k
        if g.label and g.label == groups[k].label:
            return k
    return None


def _replacement_label(new: QuestionFrame) -> str:
    """换成技师呢 → 技师; 如果是高职生呢 → 高职生."""
    m = words_pattern("replace").search(new.text)
    if not m:
        return ""
    rest = re.split(r"[呢吗？?，,。的]", new.text[m.end() :])[0].strip()
    levels = vocabulary().levels_in(rest)
    if levels:
        s, e, _ = max(levels, key=lambda x: x[1] - x[0])
        return rest[s:e] if len(rest) > 8 else rest
    return rest if 0 < len(rest) <= 8 else ""
