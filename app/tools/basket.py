"""Several provisions in one question: each group to the provision it belongs to, one sum.

"新建了3家劳模创新工作室，还获批了2个技能大师工作室，补助一共多少" names two
provisions; "安家费加上第一年的津贴" asks for two benefits of the same person. Each
group of the frame goes to the provision whose category it matches best (its
level and the words of the category's name, 劳模创新工作室 vs 技能大师工作室), each
provision is planned on its own groups, and a sum is stated only when every
part can be totalled and the parts are sums of money in the same unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.frame.schema import QuestionFrame
from app.frame.words import words_pattern
from app.tools.accounting import Plan, category_of, plan
from app.tools.rules import Rule
from ingest.vocab import vocabulary

MONEY = ("per_head", "one_off", "monthly")
_BENEFIT = re.compile(r"补贴|补助|津贴|奖励|资助|安家费|奖金")
_JOIN = re.compile(r"加上|再加|连同|以及|还有|和|跟|与|加")


def _lcs(a: str, b: str) -> int:
    """Length of the longest common substring."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def _without_levels(words: str) -> str:
    for s, e, _ in sorted(vocabulary().levels_in(words), reverse=True):
        words = words[:s] + words[e:]
    return re.sub(r"[\d个名家位人]", "", words)


def match(words: str, rule: Rule) -> tuple[float, int]:
    """How well a group's words fit a rule: (score, length of the name words shared beyond the level)."""
    if rule.kind not in MONEY or not rule.amounts:
        return 0.0, 0
    cat, why = category_of(words, rule)
    if cat is None and why:
        return 0.0, 0
    a = rule.amount(cat) if cat is not None else (rule.amounts[0] if len(rule.amounts) == 1 else None)
    if a is None:
        return 0.0, 0
    noun = _lcs(_without_levels(words), _without_levels(f"{a.label}{a.category}{rule.variant}"))
    return 1.0 + noun / 2, noun


@dataclass
class Part:
    rule: Rule
    frame: QuestionFrame
    plan: Plan


def subframe(frame: QuestionFrame, keep: list[int]) -> QuestionFrame:
    """The frame with only the groups in ``keep`` (parents remapped)."""
    index = {old: new for new, old in enumerate(keep)}
    groups = []
    for old in keep:
        g = frame.groups[old]
        parent = index.get(g.parent) if g.parent is not None else None
        groups.append(g.model_copy(update={"parent": parent}))
    elsewhere = [g.number for k, g in enumerate(frame.groups) if k not in index and g.number is not None]
    return frame.model_copy(update={"groups": groups, "placed_elsewhere": elsewhere})


def basket(frame: QuestionFrame, primary: Rule, others: list[Rule], doc_city: dict[str, str]) -> list[Part] | None:
    """The parts when the question spans several provisions; None when one provision answers it."""
    # Only provisions of the same document: a question is never priced across places.
    candidates = [primary] + [
        r for r in others if r.kind in MONEY and r.id != primary.id and r.doc_id == primary.doc_id
    ]
    # 评上以后我个人能领多少: what the person receives, not what their employer is given for them.
    if words_pattern("asks_for_self").search(frame.text):
        candidates = [primary] + [r for r in candidates[1:] if r.payee not in ("enterprise", "institution", "employer")]
    if primary.kind not in MONEY or len(candidates) < 2:
        return None
    counted = [
        k
        for k, g in enumerate(frame.groups)
        if g.count is not None and g.parent is None and not any(q.concept == "self" for q in g.qualifiers)
    ]
    assignment: dict[str, list[int]] = {}
    named = {r.id for r in candidates if _named(frame.text, r)}
    for k in counted:
        words = frame.groups[k].text or frame.groups[k].label
        home = match(words, primary)
        best, best_rule = home, primary
        # 两名员工刚考下技师 names a category of the primary (技师): only a provision whose own
        # category the words name too can take the group.
        home_cat, home_why = category_of(words, primary)
        names_home = home_cat is not None
        for r in candidates[1:]:
            if names_home and category_of(words, r)[0] is None:
                continue
            m = match(words, r)
            # Another provision takes a group only for the words of its own category's name
            # (劳模创新工作室), or when the question names its benefit — never for a level alone.
            # A level the primary's ladder leaves out (高级工 for 技师/高级技师) stays with it, said to be
            # not listed, unless the words name the other provision's own category.
            if home_why == "unlisted" and m[1] < 2:
                continue
            if m[0] > best[0] and (m[1] >= 2 or r.id in named):
                best, best_rule = m, r
        if best[0] <= 0:
            continue
        assignment.setdefault(best_rule.id, []).append(k)
    by_id = {r.id: r for r in candidates}
    # Parts of a group go with it.
    for ks in assignment.values():
        for k, g in enumerate(frame.groups):
            if g.parent in ks and k not in ks:
                ks.append(k)
        ks.sort()
    rules = [by_id[rid] for rid in assignment]
    # Two benefits named for the same people (安家费加上第一年的津贴): every named rule gets every group.
    named_rules = [r for r in candidates if r.id in named]
    if len(rules) < 2 and len(named_rules) >= 2 and _joined(frame.text, named_rules):
        rules = named_rules
        assignment = {r.id: list(range(len(frame.groups))) for r in named_rules}
    if len(rules) < 2:
        return None
    parts = []
    for r in rules:
        sub = subframe(frame, assignment[r.id])
        parts.append(Part(r, sub, plan(sub, r, doc_city=doc_city.get(r.doc_id, ""))))
    return parts


def _named(text: str, rule: Rule) -> bool:
    """The rule's benefit is named (安家费, 津贴) — not merely one of its categories, nor a word every
    benefit shares (补贴)."""
    return bool(_naming_words(text, rule))


def _naming_words(text: str, rule: Rule) -> list[str]:
    categories = {f for a in rule.amounts for f in rule.forms(a)}
    words = [w for w in [*rule.hints.keywords, rule.title] if w in text and w not in categories]
    return [w for w in words if len(w) >= 3 or w in ("津贴", "安家费", "奖金", "资助")]


def _joined(text: str, rules: list[Rule]) -> bool:
    """The benefits are named together and summed: 安家费加上…津贴，一共多少."""
    spots = []
    for r in rules:
        words = _naming_words(text, r) + [w for w in r.hints.keywords if w in ("奖励", "补贴") and w in text]
        benefit = [w for w in words if _BENEFIT.search(w)]  # where the benefit itself is named
        pos = [text.find(w) for w in (benefit or words)]
        if pos:
            spots.append(min(pos))
    if len(spots) < 2:
        return False
    spots.sort()
    between = text[spots[0] : spots[-1]]
    return bool(_JOIN.search(between)) and bool(re.search(r"一共|总共|合计|加起来|共计|总额", text))
