"""Routing: from a question's frame to the rule it is about.

Only rules of the documents in scope are considered (the place asked about
decides, ``app.scope``). A rule is chosen for what the question *names* — the
categories its groups fall in, the rule's own words (its benefit, its
categories, curated keywords) — and for where retrieval found its clause;
never by a city list and never by retrieval alone. The chosen rule's clause
must be among the retrieved clauses or be named by the question's categories.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.frame.schema import QuestionFrame
from app.tools.accounting import category_of
from app.tools.basket import _lcs
from app.tools.rules import Amount, Rule
from ingest.vocab import vocabulary

MIN_SCORE = 1.0
_BENEFIT = re.compile(r"补贴|补助|津贴|奖励|资助|安家费|奖金|抵免|授信|薪酬")


@dataclass
class Route:
    rule: Rule
    score: float
    reasons: list[str] = field(default_factory=list)


def _keyword_score(text: str, rule: Rule) -> tuple[float, list[str]]:
    words = [w for w in dict.fromkeys([*rule.hints.keywords, rule.title]) if w and len(w) >= 2]
    hits = [w for w in words if w in text]
    if not hits:
        return 0.0, []
    return 1.0 + 0.5 * (len(hits) - 1) + 0.05 * sum(len(h) for h in hits), hits


def score(frame: QuestionFrame, rule: Rule, clause_ranks: dict[str, int], text: str = "") -> Route:
    """``text``: the words the rule is named by — the question, with a follow-up's topic before it."""
    text = text or frame.text
    s, reasons = 0.0, []
    rank = clause_ranks.get(rule.clause_id)
    if rank is not None:
        bonus = {0: 3.0, 1: 2.0, 2: 1.5}.get(rank, 1.0)
        s += bonus
        reasons.append(f"retrieved #{rank + 1}")
    kw, hits = _keyword_score(text, rule)
    if kw:
        s += min(kw, 3.0)
        reasons.append("keywords:" + ",".join(hits))
        # The benefit itself named (带徒补贴, 安家费) weighs more than the thing it is for (技能大师工作室).
        # …or the benefit said right after one of its words (师带徒的补贴).
        if any(_BENEFIT.search(h) or re.search(re.escape(h) + r"的?(?:" + _BENEFIT.pattern + ")", text) for h in hits):
            s += 1.5
            reasons.append("benefit named")
    listed = unlisted = 0
    for g in frame.groups:
        if g.count is None or any(q.concept == "self" for q in g.qualifiers):
            continue
        cat, why = category_of(g.text or g.label, rule) if rule.amounts else (None, "")
        if cat is not None and len(rule.amounts) > 1:
            listed += 1
        elif why == "unlisted":
            unlisted += 1
    if listed:
        s += 2.0 + 0.5 * listed
        reasons.append(f"categories×{listed}")
    if unlisted:
        s += 1.0
        reasons.append("unlisted level of its ladder")
    # Categories named without a count (领军人才每月多少) — by their own words, not by a bare level.
    levels = {f for lv in vocabulary().levels for f in lv.forms}
    named = sum(
        1 for a in rule.amounts if len(rule.amounts) > 1 and any(f in text for f in rule.forms(a) if f not in levels)
    )
    if named and not listed:
        s += 0.75 * min(named, 3)
        reasons.append(f"names×{named}")
    elif not listed and rank is not None and rank <= 1 and len(rule.amounts) > 1:
        # 我考的是技师，能拿多少 where retrieval's best clause lists 技师 among its levels: one level of the
        # provision named by its bare name, with retrieval agreeing, names it.
        said = {(lv.ladder, lv.rank) for _, _, lv in vocabulary().levels_in(text)}

        def level_of(a: Amount) -> tuple[str, int | None]:
            if a.ladder and a.rank is not None:
                return a.ladder, a.rank
            found = vocabulary().levels_in(a.category or a.label)
            return (found[-1][2].ladder, found[-1][2].rank) if found else ("", None)

        # Levels as read (特级技师 is not 技师): exactly one of the provision's.
        by_level = [a for a in rule.amounts if level_of(a) in said]
        if len(by_level) == 1:
            s += 0.75
            reasons.append("level named")
    # The words of the rule's own name (市级劳模（职工）创新工作室补助): the longer the shared run, the closer.
    shared = _lcs(text, re.sub(r"[（(][^）)]*[）)]", "", rule.title) + "".join(a.label for a in rule.amounts))
    if shared >= 4:
        s += min((shared - 2) / 3, 2.0)
        reasons.append(f"name words×{shared}")
    if rule.kind == "target" and rule.base_label:
        people = [g.label for g in frame.groups if g.count is not None and g.label]
        if any(_lcs(lab, rule.base_label) >= 4 for lab in people):
            s += 1.5
            reasons.append("base named")
    if rule.kind == "percentage" and frame.money:
        s += 1.0
        # The base alone names nothing; the base with the provision's own words (≥ 4 characters of its
        # sentence: 产教融合型企业, 社会培训收入) does.
        quoted = _lcs(text, rule.quote)
        reasons.append(f"base given, sentence words×{quoted}" if quoted >= 4 else "base given")
    if rule.kind == "percentage" and rule.rate is not None and any(r.value == rule.rate for r in frame.rates):
        s += 1.5
        reasons.append("its rate")
    if rule.recurrence == "month" and any(sp.kind == "per_period" and sp.months == 1 for sp in frame.spans):
        s += 0.5
    if rule.kind == "unstated" and rank != 0:
        s -= 2.0  # a provision with no figure answers only when its clause is the best match
    if rule.kind in ("eligibility", "lookup") and frame.intent not in ("check", "entitlements"):
        s -= 1.0
    return Route(rule, s, reasons)


def _names(rule: Rule) -> str:
    return rule.title + "".join(rule.hints.keywords) + "".join(w for ws in rule.hints.aliases.values() for w in ws)


def _named_kind(text: str, routes: list[Route]) -> None:
    """技师培训补贴: the kind of benefit named (培训 before 补贴). A rule whose names lack that word, when
    another rule's names have it, is less likely the one asked about (the 特级技师 work grant is not a
    培训补贴, whatever category the question's people fall in)."""
    kinds = {m.group(1) for m in re.finditer(r"([\u4e00-\u9fff]{2})的?(?:" + _BENEFIT.pattern + ")", text)}
    kinds = {k for k in kinds if not _BENEFIT.search(k) and any(k in _names(r.rule) for r in routes)}

    # 考技师的补贴: a provision's own word said right before the benefit; the longest such word names it.
    def said_before_benefit(rule: Rule) -> list[str]:
        return [
            w
            for w in rule.hints.keywords
            if len(w) >= 2
            and w in text  # the plain test first: most keywords are not in the question at all
            and not _BENEFIT.search(w)
            and re.search(re.escape(w) + r"的?(?:" + _BENEFIT.pattern + ")", text)
        ]

    said = {id(r): said_before_benefit(r.rule) for r in routes}
    named = sorted({w for ws in said.values() for w in ws})
    for r in routes:
        if kinds and all(k not in _names(r.rule) for k in kinds):
            r.score -= 1.5
            r.reasons.append("another kind of benefit named:" + ",".join(sorted(kinds)))
        elif named and not said[id(r)]:
            r.score -= 1.5
            r.reasons.append("another provision's word before the benefit:" + ",".join(named))


class Router:
    """Chooses among the rules it is given (the caller passes the rules in scope)."""

    def candidates(
        self,
        frame: QuestionFrame,
        rules: list[Rule],
        clause_ids: list[str] | tuple[str, ...] = (),
        *,
        retrieved_only: bool = True,
        text: str = "",
    ) -> list[Route]:
        """Rules the question names, best first. ``retrieved_only``: only rules whose clause was
        retrieved (when the question names no place, a rule of any document could otherwise win)."""
        ranks: dict[str, int] = {}
        for i, c in enumerate(clause_ids):
            ranks.setdefault(c, i)
        routes = [score(frame, r, ranks, text) for r in rules]
        _named_kind(text or frame.text, routes)
        # Chosen for what the question names, never for retrieval alone — nor for an amount alone: any
        # question with money in it gives a percentage rule a base, which names nothing about that rule.
        routes = [
            r
            for r in routes
            if r.score >= MIN_SCORE
            and any(not x.startswith("retrieved") and x != "base given" for x in r.reasons)
            and (r.rule.clause_id in ranks or "categories" in " ".join(r.reasons) or not retrieved_only)
        ]
        routes.sort(key=lambda r: (-r.score, not r.rule.reviewed))
        return routes

    def route(
        self,
        frame: QuestionFrame,
        rules: list[Rule],
        clause_ids: list[str] | tuple[str, ...] = (),
        *,
        retrieved_only: bool = True,
        text: str = "",
    ) -> Route | None:
        found = self.candidates(frame, rules, clause_ids, retrieved_only=retrieved_only, text=text)
        return found[0] if found else None
