"""Rules from extracted provisions, and the curated catalogue laid over them.

Every indexed clause carries the provisions extracted from it at ingest
(``ingest.provisions``). Here each provision becomes a ``Rule`` the engine can
run (``reviewed: false``), with hints derived from its own words; then the
curated rules of ``corpus/rules`` are laid over them: a curated rule on the
same clause with the same figures replaces the extracted one, so a reviewed
document answers from its reviewed rules and any other document still gets
exact calculations from its text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

from app.frame.words import question_words
from app.query import load_synonyms
from app.tools.rules import Amount, Catalogue, Condition, Limit, Payee, Rule, RuleHints, RuleKind
from ingest.provisions import Provision, benefits
from ingest.schema import Clause, DocumentMeta
from ingest.textproc import Tokenizer
from ingest.vocab import vocabulary

_PAYEES: list[tuple[str, Payee]] = [
    (r"企业或者?个人", "enterprise_or_individual"),
    (r"选手所在|所在企业、院校|所在单位", "employer"),
    (r"领办人", "studio_leader"),
    (r"企业|用人单位|单位", "enterprise"),
    (r"个人|本人|劳动者|职工|学员", "individual"),
    (r"院校|学校|机构|基地|牵头建设单位|工作室", "institution"),
]


def payee_of(words: str) -> Payee:
    for pattern, payee in _PAYEES:
        if re.search(pattern, words):
            return payee
    return "unspecified"


def _kind(p: Provision) -> tuple[RuleKind, bool]:
    """The engine's kind for a provision, and whether the rate is an uplift."""
    if p.kind == "monthly":
        return "monthly", False
    if p.kind in ("per_head", "per_year", "per_day"):
        return "per_head", False
    if p.kind == "uplift":
        return "percentage", True
    if p.kind in ("one_off", "percentage", "target", "unstated"):
        return p.kind, False  # type: ignore[return-value]
    if p.kind == "benefit":
        return "eligibility", False
    return "unstated", False


def _unit(p: Provision) -> str:
    if p.kind in ("percentage", "uplift", "target"):
        return "%"
    money = next((a.unit for a in p.amounts), "元")
    per = {"人": "/人", "家": "/家", "个": "/个", "学时": "/学时", "人次": "/人次"}.get(
        p.per, "/人" if p.kind == "per_head" else ""
    )
    if p.kind == "monthly":
        per = (per or "/人") + "/月"
    elif p.kind == "per_year":
        per = (per or "/人") + "/年"
    elif p.kind == "per_day":
        per = (per or "/人") + "/天"
    return money + per


def rule_from_provision(p: Provision, doc: DocumentMeta | None, clause: Clause | None = None) -> Rule | None:
    kind, uplift = _kind(p)
    if p.kind == "figure":
        return None
    if p.kind == "benefit":
        return _benefit_rule(p, doc)
    subject = p.subject or (clause.title if clause is not None else "") or "补贴"
    cats = [a for a in p.amounts if a.unit != "%"]
    amounts = []
    thing = counted_thing(p.sentence.text, cats[0].span.text) if len(cats) == 1 and not cats[0].category else ""
    for i, a in enumerate(cats):
        category = a.category or thing or (subject if len(cats) == 1 else f"第{i + 1}档")
        amounts.append(
            Amount(category=category, label=a.label or category, value=a.value, qualifier=a.qualifier)  # type: ignore[arg-type]
        )
    if kind in ("per_head", "one_off", "monthly") and not amounts:
        return None
    conditions = []
    for i, c in enumerate(p.conditions, 1):
        conditions.append(
            Condition(
                id=f"c{i}",
                label=c.text,
                type=c.type,
                quote=c.text,
                question=f"是否满足“{c.text}”？",
                min=c.min,
                max=c.max,
                unit=c.unit,
                ladder=c.ladder,
                min_rank=c.min_rank,
                concept=c.concept,
                place_bound=c.place_bound,
            )
        )
    categories = "、".join(a.label or a.category for a in amounts if a.label or a.category != subject)
    title = f"{subject}（{categories}）" if categories and len(amounts) > 1 else subject
    if p.variant:
        title = f"{subject}（{p.variant}）"
    rate = p.rate if p.kind in ("percentage", "uplift", "target") else None
    return Rule(
        id=p.id,
        title=title,
        city=doc.city if doc else "未知",
        doc_id=p.doc_id,
        clause_id=p.clause_id,
        quote=p.sentence.text.strip(),
        kind=kind,
        payee=payee_of(p.payee) if kind not in ("target",) else "none",
        payee_text=p.payee,
        unit=_unit(p),
        qualifier=p.qualifier,
        # 按实际发放额的50%，每人每月不超过500元: a rate on a monthly payment recurs monthly.
        recurrence="month" if kind == "percentage" and not uplift and p.recurrence == "month" else None,
        period_months=p.period_months,
        amounts=amounts,
        rate=rate,
        rate_fraction=p.rate_fraction,
        uplift=uplift,
        base_label=p.base_label,
        deduction_label=p.deduction_label,
        conditions=conditions,
        reviewed=False,
        vague=p.vague,
        limits=[Limit(kind=x.kind, value=x.value, unit=x.unit, period=x.period, quote=x.span.text) for x in p.limits],
        installments=p.installments,
        variant=p.variant,
        beneficiary=p.beneficiary,
        top_up=p.top_up,
        hints=_hints(f"{subject}{p.variant}" if p.variant else subject, amounts, p.sentence.text, conditions),
    )


def _conditions_of(p: Provision) -> list[Condition]:
    return [
        Condition(
            id=f"c{i}",
            label=c.text,
            type=c.type,
            quote=c.text,
            question=f"是否满足“{c.text}”？",
            min=c.min,
            max=c.max,
            unit=c.unit,
            ladder=c.ladder,
            min_rank=c.min_rank,
            concept=c.concept,
            place_bound=c.place_bound,
        )
        for i, c in enumerate(p.conditions, 1)
    ]


def _benefit_rule(p: Provision, doc: DocumentMeta | None) -> Rule:
    """A benefit the text states without a figure (对…的，可视同… / 给予…补贴): conditions and an outcome.

    Its outcome is the benefit's own words, verbatim; it carries no amount (``figureless``: the
    entitlements list says 金额文件未写明, never a number) and is unreviewed.
    """
    conditions = _conditions_of(p)
    return Rule(
        id=p.id,
        title=p.subject,
        city=doc.city if doc else "未知",
        doc_id=p.doc_id,
        clause_id=p.clause_id,
        quote=p.sentence.text.strip(),
        kind="eligibility",
        payee=payee_of(p.payee) if p.payee else "unspecified",
        payee_text=p.payee,
        unit="",
        outcome=p.subject,
        conditions=conditions,
        reviewed=False,
        figureless=True,
        beneficiary=p.beneficiary,
        hints=_hints(p.subject, [], p.sentence.text, conditions),
    )


def figureless_rules(
    clauses: Iterable[Clause], documents: dict[str, DocumentMeta], rules: Iterable[Rule]
) -> list[Rule]:
    """Benefits without a figure (``ingest.provisions.benefits``) of every clause, as rules no rule in
    ``rules`` (curated or extracted) already states: for "every provision in scope" (能享受哪些)."""
    base = list(rules)
    out: list[Rule] = []
    for clause in clauses:
        taken = tuple((p.sentence.start, p.sentence.end) for p in clause.provisions)
        for p in benefits(clause.text, clause_id=clause.clause_id, doc_id=clause.doc_id, taken=taken):
            rule = _benefit_rule(p, documents.get(p.doc_id))
            if any(_covers(r, rule) for r in base):
                continue
            out.append(rule)
    return out


def _covers(rule: Rule, benefit: Rule) -> bool:
    """A rule on the same clause already states the benefit: its quote holds the benefit's words, or
    (curated) it is the same sentence."""
    if rule.clause_id != benefit.clause_id:
        return False
    return benefit.outcome in rule.quote or (rule.reviewed and supersedes(rule, benefit))


def counted_thing(sentence: str, amount: str) -> str:
    """The one thing of a level a lone amount is for, named before it (新建市级劳模(职工)创新工作室…每家3万元
    → 市级劳模(职工)创新工作室): the amount's category, so that its level and kind are checked."""
    at = sentence.find(amount) if amount else -1
    before = sentence[: at if at >= 0 else len(sentence)]
    nouns = "|".join(re.escape(n) for n in question_words()["unit_nouns"])
    found = []
    for s, _, _ in vocabulary().levels_in(before):
        m = re.match(rf"[\u4e00-\u9fff（）()]{{0,14}}?(?:{nouns})", before[s:])
        if m:
            found.append(m.group(0))
    found = list(dict.fromkeys(found))
    return found[0] if len(found) == 1 else ""


# A short term in quotation marks in the provision's sentence is the name of what it is about: a title
# (“某某工匠”), a programme (“技能照亮前程”), a list (“两清单”). The question names it the same way.
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]{2,10})[”\"」』]")


def _hints(
    subject: str, amounts: list[Amount], sentence: str = "", conditions: list[Condition] | None = None
) -> RuleHints:
    words = [subject, *_QUOTED.findall(sentence)]
    stem = re.sub(r"(?:补助资金|建设资金|资金补助|补贴|补助|资金|津贴|奖励|资助)$", "", subject)
    if len(stem) >= 2:
        words.append(stem)
    head = re.search(r"(?:补助资金|建设资金|资金补助|安家费|补贴|补助|津贴|奖励|资助)$", subject)
    if head and head.group(0) != subject:
        words.append(head.group(0))  # 工匠津贴 is named 津贴 too
    words += [a.label for a in amounts if a.label and a.label != subject]
    return RuleHints(
        keywords=[w for w in dict.fromkeys(words) if w],
        aliases=derived_aliases(amounts),
        cues=derived_cues(conditions or []),
    )


def _said_for(term: str) -> list[str]:
    """What users say for a term of the documents, by the synonym table (社会保险 ← 社保, 五险; 中职 ← 中专)."""
    return [key for key, terms in load_synonyms().items() if term in terms and key != term]


def derived_aliases(amounts: list[Amount]) -> dict[str, list[str]]:
    """Category → words users say for it, beyond what ``Rule.forms`` reads off its names.

    ``Rule.forms`` gives the key, the label, both names of 中职（中级工） and the words of the level the
    category is ranked by. Here: the words of the level each of the two names is (中职 is the school
    level 中专/职高/技校 when the category is ranked as 中级工), and what users say for either name by the
    synonym table. A word two categories would share is no alias of either.
    """
    found: dict[str, list[str]] = {}
    for a in amounts:
        names = [a.category, a.label]
        for name in (a.category, a.label):
            m = re.fullmatch(r"(.+?)[（(](.+?)[）)]", name or "")
            if m:
                names += [m.group(1), m.group(2)]
        words: list[str] = []
        for name in dict.fromkeys(n for n in names if n):
            level = vocabulary().level(name)
            if level is not None and (level.ladder, level.rank) != (a.ladder, a.rank):
                words += list(level.forms)  # the category's own level's words are among its forms already
            words += _said_for(name)
        found[a.category] = [w for w in dict.fromkeys(words) if w not in names]
    shared = {w for cat, ws in found.items() for w in ws if any(w in o for c, o in found.items() if c != cat)}
    return {cat: kept for cat, ws in found.items() if (kept := [w for w in ws if w not in shared])}


@lru_cache(maxsize=1)
def _tokenizer() -> Tokenizer:
    return Tokenizer()


def derived_cues(conditions: list[Condition]) -> dict[str, list[str]]:
    """Condition id → words users say about it: the content words of its own text (签订正式劳动合同 →
    劳动合同, 合同) and what users say for them (社会保险 → 社保). A word is a cue of one condition only:
    one two conditions of the rule share, a word of no condition in particular (企业, 给予, 我市) and a
    level word decide none."""
    generic = set(question_words()["cue_generic"])
    found: dict[str, list[str]] = {}
    for c in conditions:
        tagged = [
            (w, pos)
            for w, pos in _tokenizer().tagged(c.label)
            if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w) and w not in generic and not vocabulary().level(w)
        ]
        # The things it names (劳动合同, 社会保险费, 考核); its verbs only when it names none (引进和培养).
        nouns = [w for w, pos in tagged if pos[:1] == "n" or pos in ("vn", "l", "nz")]
        # The concept's words as the condition writes them (技能测评 → 测评).
        words: list[str] = [form for s, e, _, _ in vocabulary().concepts_in(c.label) if (form := c.label[s:e])]
        for w in nouns or [w for w, pos in tagged if pos[:1] == "v"]:
            words.append(w)
            # 劳动合同 is also said 合同: the concept's shorter forms found inside the word.
            words += [f for _, _, cpt, _ in vocabulary().concepts_in(w) for f in cpt.forms if f in w and f != w]
            words += [s for f in [w, *[f for f in words if f in w]] for s in _said_for(f)]
        found[c.id] = list(dict.fromkeys(w for w in words if len(w) >= 2 and w not in generic))
    shared = {w for cid, ws in found.items() for w in ws if any(w in found[o] for o in found if o != cid)}
    return {cid: kept for cid, ws in found.items() if (kept := [w for w in ws if w not in shared])}


def _values(rule: Rule) -> set[Decimal]:
    scale = Decimal(10000) if rule.unit.startswith("万元") else Decimal(1)
    vals = {a.value * scale for a in rule.amounts}
    if rule.rate is not None:
        vals.add(rule.rate)
    return vals


def supersedes(curated: Rule, extracted: Rule) -> bool:
    """A curated rule replaces an extracted one on the same clause with the same figures (or wording)."""
    if curated.clause_id != extracted.clause_id:
        return False
    a, b = _values(curated), _values(extracted)
    if a and b:
        # The extracted figures are the curated rule's (a curated 5000/人/年 does not replace 3500、5000/人).
        return b <= a and (a == b or overlap(curated.quote, extracted.quote) >= 0.3)
    return overlap(curated.quote, extracted.quote) >= 0.5


def overlap(a: str, b: str) -> float:
    """Share of the shorter string's 6-character runs found in the other."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 6:
        return 1.0 if short and short in long_ else 0.0
    grams = [short[i : i + 6] for i in range(len(short) - 5)]
    return sum(1 for g in grams if g in long_) / len(grams)


def overlay(
    curated: Catalogue, clauses: Iterable[Clause], documents: dict[str, DocumentMeta], *, use_curated: bool = True
) -> Catalogue:
    """Curated rules first, then every extracted rule no curated rule replaces."""
    base = curated.rules if use_curated else []
    extracted: list[Rule] = []
    for clause in clauses:
        for p in clause.provisions:
            rule = rule_from_provision(p, documents.get(p.doc_id), clause)
            if rule is None or any(supersedes(c, rule) for c in base):
                continue
            extracted.append(rule)
    return Catalogue([*base, *extracted], curated.figures if use_curated else [])
