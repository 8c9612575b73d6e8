"""A seeded generator of calculation questions whose expected total it computes itself.

What it generates. For every quantified curated rule (``corpus/rules/*.yaml``)
of kind per_head / one_off / monthly, and percentage / target with a base, it
writes questions the way people ask them — several categories at once in
random order, each with a count in a random numeral form (3, ３, 三, 两, 俩,
仨, 十五, 二十) and its label before (高级技师2人) or after (2个高级技师) — in
families that each change one thing:

* ``clean``: place, provision, groups, conditions said to hold or not said;
* ``distractor``: plus years, ages, dates, phone numbers, the organisation's
  size, registered capital, salaries;
* ``excluded``: a part of a group fails a named condition (其中2个社保还没交),
  sometimes with the rest said to meet it; the expected total leaves them out;
* ``span``: recurring amounts for a span (半年, 18个月, 干满三年), capped by the
  rule's period; one-off amounts with a span that must not multiply; per-year
  amounts for whole years (and for part of a year or none: no total);
* ``unlisted``: a group in a category the rule does not list → left out, the listed groups
  priced (no total when it is the only group);
* ``ambiguous``: a count split between categories without saying how, or an
  exclusion that does not say which category → no total;
* ``traditional`` (OpenCC s2tw), ``reordered`` (the question first, the place
  last), ``hotline`` (大连 带徒补贴 高级技师2人 技师3人), ``mixed`` (several at once);
* ``add`` / ``replace``: a second turn 再加N个 (adds) or 换成<category>呢
  (replaces the category);
* percentage and target rules: the base (and a deduction, a head count) in
  money or people, with distractors and claims about the rate.

Why it is independent of the code under test. The expected total comes from
the rule's own figures, read here from the YAML with ``yaml.safe_load`` (not
through ``app.tools.rules``), and the formula of its kind written here: Σ
count × amount, × the months (capped by the period) or the years, base ×
rate, ⌈base × rate⌉. The words are this package's own (``phrasing``): no word
list, regex or number parser of ``app/`` or ``ingest/`` is imported, and the
numerals are written by ``zh()`` below. The only shared words are the
category names the documents use, which a user has to write somehow.

Determinism. Case ``i`` of seed ``s`` is drawn from ``random.Random(f"{s}:{i}")``,
so a larger run contains the smaller one, and a case can be regenerated from
its id alone.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path

import yaml
from opencc import OpenCC

from tests.metamorphic import phrasing as w

RULES_DIR = Path(__file__).resolve().parents[2] / "corpus" / "rules"
D = Decimal

# ---------------------------------------------------------------------------------------- rule facts


@dataclass(frozen=True)
class Facts:
    """What the generator needs of a rule, read straight from its YAML."""

    id: str
    kind: str
    unit: str
    amounts: dict[str, Decimal]
    period: int | None
    rate: Fraction | None
    uplift: bool
    conditions: tuple[str, ...]

    @property
    def scale(self) -> Decimal:
        return D(10000) if self.unit.startswith("万元") else D(1)

    @property
    def per(self) -> str:
        if self.kind == "monthly" or self.unit.endswith("/月"):
            return "month"
        return "year" if self.unit.endswith("/年") else "once"

    def value(self, category: str) -> Decimal:
        return self.amounts[category] * self.scale


@cache
def rule_facts() -> dict[str, Facts]:
    out: dict[str, Facts] = {}
    for path in sorted(RULES_DIR.glob("*.yaml")):
        for r in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules") or []:
            rate = None
            if r.get("rate_fraction"):
                rate = Fraction(r["rate_fraction"])
            elif r.get("rate") is not None:
                rate = Fraction(str(r["rate"])) / 100
            out[r["id"]] = Facts(
                id=r["id"],
                kind=r["kind"],
                unit=r.get("unit", ""),
                amounts={a["category"]: D(str(a["value"])) for a in r.get("amounts") or []},
                period=r.get("period_months"),
                rate=rate,
                uplift=bool(r.get("uplift")),
                conditions=tuple(c["id"] for c in r.get("conditions") or []),
            )
    return out


def quantified_rule_ids() -> list[str]:
    """Every curated rule the suite must cover: money by category, or a rate applied to a base."""
    return [f.id for f in rule_facts().values() if f.kind in ("per_head", "one_off", "monthly", "percentage", "target")]


# ---------------------------------------------------------------------------------------- numerals

_DIGIT = "零一二三四五六七八九"
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def zh(n: int, *, liang: bool = False) -> str:
    """``n`` in Chinese numerals as written: 十五, 二十, 一百零五, 两百, 一千二百, 三万五千, 一百二十万.

    ``liang``: 两 for a leading 2 of a count or of 百/千 (两个, 两百), as people say it.
    """
    if not 0 <= n < 10**8:
        raise ValueError(n)
    if n < 10:
        return "两" if liang and n == 2 else _DIGIT[n]
    if n < 10000:
        return _under_10k(n, liang=liang, top=True)
    high, low = divmod(n, 10000)
    out = _under_10k(high, liang=liang, top=True) + "万"
    if low:
        out += ("零" if low < 1000 else "") + _under_10k(low, liang=False, top=False)
    return out


def _under_10k(n: int, *, liang: bool, top: bool) -> str:
    digits = (n // 1000, n // 100 % 10, n // 10 % 10, n % 10)
    out, zero, started = "", False, False
    for i, (d, word) in enumerate(zip(digits, ("千", "百", "十", ""), strict=True)):
        if d == 0:
            zero = zero or started
            continue
        if zero:
            out += "零"
            zero = False
        if i == 2 and d == 1 and top and not started:
            digit = ""  # 十五 at the head of a number, 一百一十五 inside one
        elif i < 2 and d == 2 and liang and not started:
            digit = "两"
        else:
            digit = _DIGIT[d]
        out += digit + word
        started = True
    return out


@dataclass(frozen=True)
class Count:
    """A count as written, and whether a measure word may follow (俩 and 仨 take none)."""

    n: int
    words: str
    form: str

    @property
    def bare(self) -> bool:
        return self.form in ("lia", "sa")

    def with_measure(self, measure: str) -> str:
        return self.words if self.bare else self.words + measure


def count_words(rng: random.Random, n: int, *, bare_ok: bool = True) -> Count:
    forms = ["arabic", "arabic", "fullwidth", "zh", "zh"]
    if bare_ok and n == 2:
        forms += ["lia"]
    if bare_ok and n == 3:
        forms += ["sa"]
    form = rng.choice(forms)
    words = {
        "arabic": str(n),
        "fullwidth": str(n).translate(_FULLWIDTH),
        "zh": zh(n, liang=True),
        "lia": "俩",
        "sa": "仨",
    }[form]
    return Count(n, words, form)


def money_words(rng: random.Random, value: int) -> str:
    """Money as people write it: 1500元, 1500块, 一千五百元, 1.5万, 150万元, 一百五十万."""
    forms = ["yuan", "kuai", "zh_yuan"]
    if value % 1000 == 0 and value >= 10000:
        forms += ["wan", "wan_yuan", "zh_wan"]
    form = rng.choice(forms)
    wan = D(value) / 10000
    wan_text = format(wan.normalize(), "f")
    return {
        "yuan": f"{value}元",
        "kuai": f"{value}块",
        "zh_yuan": zh(value, liang=rng.random() < 0.5) + "元",
        "wan": wan_text + "万",
        "wan_yuan": wan_text + "万元",
        "zh_wan": (zh(int(wan)) + "万") if wan == wan.to_integral_value() else wan_text + "万",
    }[form]


def people_words(rng: random.Random, n: int) -> str:
    if n % 1000 == 0 and n >= 10000 and rng.random() < 0.4:
        return format((D(n) / 10000).normalize(), "f") + "万人"
    if n < 100000 and rng.random() < 0.2:
        return zh(n) + "人"
    return f"{n}人"


def span_words(rng: random.Random, months: int) -> str:
    """A duration as people say it: 半年, 一年半, 18个月, 两年, 三十六个月."""
    options: list[str] = []
    if months == 6:
        options += ["半年"]
    if months % 12 == 0:
        years = months // 12
        options += [f"{zh(years, liang=True)}年", f"{years}年"]
        if years == 1:
            options += ["一整年"]
    if months % 12 == 6 and months > 12:
        options += [f"{zh(months // 12, liang=True)}年半"]
    options += [f"{months}个月", f"{zh(months, liang=True)}个月"]
    return rng.choice(options)


# ---------------------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Turn:
    text: str
    expected: Decimal | None
    # A total a known misreading would give, with the name of that failure class: used only to
    # name a wrong total once it has been stated, never to decide what is expected.
    misreadings: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    rule_id: str
    family: str
    tags: tuple[str, ...]
    turns: tuple[Turn, ...]


@dataclass
class _Group:
    cat: str
    n: int
    text: str
    before: bool = False  # the label leads (中职3个): never run together with the next group
    out: int = 0  # how many of them a named condition leaves out
    sub: str = ""  # the words about the part left out, when they follow the group
    alone: bool = False  # a clause of its own (a count split between categories), never in a list


@dataclass
class _Question:
    """The clauses of one question, by role, and what the generator put in it."""

    place: str = ""  # 大连的带徒补贴 / 我们是大连的 (then the topic leads the body)
    topic: str = ""
    place_last: bool = False
    groups: list[str] = field(default_factory=list)
    after_groups: list[str] = field(default_factory=list)
    span: str = ""
    distractors: list[str] = field(default_factory=list)
    ask: str = ""
    tags: list[str] = field(default_factory=list)

    def text(self, rng: random.Random, *, reorder: bool = False) -> str:
        body = [
            *([self.topic] if self.topic else []),
            *self.groups,
            *self.after_groups,
            *([self.span] if self.span else []),
        ]
        for d in self.distractors:
            body.insert(rng.randint(0, len(body)), d)
        place = [self.place] if self.place else []
        ask = [self.ask] if self.ask else []
        if reorder:
            # The question first, then what it is about: 一共能拿多少？3个中职…，我们在厦门
            return "".join(a + "？" for a in ask) + "，".join([*body, *place])
        if self.place_last:
            return "，".join([*body, *ask]) + "？" + "，".join(place)
        return "，".join([*place, *body, *ask]) + rng.choice(["？", "", "?", "。"])


_S2TW = OpenCC("s2tw")


def traditional(text: str) -> str:
    # OpenCC turns 个中 into the word 箇中 (8箇中專生); people in Taiwan write 8個中專生.
    return _S2TW.convert(text).replace("箇", "個")


def _measure(rng: random.Random, words: w.RuleWords, *, before: bool) -> str:
    if words.units:
        return rng.choice(["家", "个"])
    return rng.choice(["人", "个", "名"] if before else ["个", "名", "位"])


def _person_count(rng: random.Random, words: w.RuleWords, *, least: int = 1) -> int:
    if words.units:
        return rng.choice([n for n in (1, 1, 2, 2, 3, 4, 5) if n >= least] or [least])
    r = rng.random()
    if r < 0.7:
        return rng.randint(max(1, least), 9)
    if r < 0.92:
        return rng.randint(max(10, least), 30)
    return max(least, rng.choice([15, 20, 40, 100]))


def _group_text(
    rng: random.Random, words: w.RuleWords, cat: str, n: int, *, label: str = "", plain: bool = False
) -> tuple[str, bool]:
    """A group as written (3个中职学徒 / 中职学徒3个 / 3个徒弟考上了技师), and whether the label leads.

    ``plain``: only the category's bare label in the two plain orders — for a group a condition
    is then said to fail for part of (3个徒弟考上了技师，其中1个证还没下来 would contradict itself).
    """
    before = rng.random() < 0.45
    count = count_words(rng, n)
    c = count.with_measure(_measure(rng, words, before=before))
    bare = words.categories[cat][0] if cat else label
    label = bare if plain else (label or _label(rng, words, cat))
    extra_before, extra_after = ((), ()) if plain else (words.before, words.after)
    if before:
        forms = ["{label}有{c}"] if count.bare else ["{label}{c}", "{label}有{c}", *extra_before]
    else:
        forms = ["{c}{label}", "{c}{label}", *extra_after]
    form = rng.choice(forms)
    return form.format(c=c, label=bare if form in (*extra_before, *extra_after) else label), before


def _label(rng: random.Random, words: w.RuleWords, cat: str) -> str:
    return rng.choice(words.categories[cat])


def _join_groups(rng: random.Random, texts: list[str], *, tight: bool) -> list[str]:
    """Groups as one clause or several: 3个中职、2个高职 / 3个中职2个高职 / 3个中职，2个高职."""
    if len(texts) > 1 and rng.random() < 0.5:
        sep = rng.choice(["、", "、", "和", ""] if tight else ["、", "、", "和"])
        if sep == "和":
            return ["、".join(texts[:-1]) + "和" + texts[-1]]
        return [sep.join(texts)]
    return texts


def _place(rng: random.Random, words: w.RuleWords | w.BaseWords, q: _Question, *, last: bool = False) -> None:
    topic = rng.choice(words.topics)
    if not words.city:
        q.place = rng.choice(w.TOPIC_ONLY).format(topic=topic)
    elif last:
        q.place, q.topic, q.place_last = rng.choice(w.PLACE_LAST).format(city=words.city), topic, True
    else:
        q.place = rng.choice(w.PLACE_TOPIC).format(city=words.city, topic=topic)


def _distractor(rng: random.Random, kind: str | None = None) -> tuple[str, str, int | None]:
    """A clause with a number that is not a count, span or base of the question, its kind and value."""
    d = rng.choice(w.DISTRACTORS) if kind is None else next(x for x in w.DISTRACTORS if x.kind == kind)
    template = rng.choice(d.templates)
    values = {
        "y": rng.randint(2015, 2026),
        "a": rng.randint(19, 58),
        "m": rng.randint(1, 12),
        "d": rng.randint(1, 28),
        "p": rng.choice(
            [
                f"1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}",
                f"0411-{rng.randint(80000000, 89999999)}",
                "12333",
            ]
        ),
        "n": rng.choice([50, 120, 300, 800, 1500]),
        "v": rng.choice([50, 100, 200, 500, 1000]),
        "s": rng.choice([4500, 6000, 8000, 12000]),
    }
    text = template.format(
        **{k: (str(v) if k != "n" or rng.random() < 0.7 else zh(int(v), liang=True)) for k, v in values.items()}
    )
    money = None
    if d.kind == "capital" or (d.kind == "salary" and "年薪" in template):
        money = int(values["v"]) * 10000
    elif d.kind == "salary":
        money = int(values["s"])
    elif d.kind == "org_size":
        money = int(values["n"])
    return text, d.kind, money


# ---------------------------------------------------------------------------------------- expected totals


def money_total(
    facts: Facts, counts: dict[str, int], *, months: int | None = None, years: int | None = None
) -> Decimal | None:
    """Σ count × amount, over the months (capped by the period) or the years the rule counts in."""
    total = sum((D(n) * facts.value(cat) for cat, n in counts.items()), D(0))
    if facts.per == "month":
        if months is None:
            months = facts.period
        if months is None:
            return None
        if facts.period is not None:
            months = min(months, facts.period)
        return total * months
    if facts.per == "year":
        return None if years is None else total * years
    return total


def base_total(
    facts: Facts, base: int, *, deduction: int = 0, count: int | None = None, rate: Fraction | None = None
) -> Decimal:
    rate = facts.rate if rate is None else rate
    assert rate is not None
    if facts.kind == "target":
        return D(math.ceil(Fraction(base) * rate))
    value = Fraction(base - deduction) * ((1 + rate) if facts.uplift else rate)
    if count is not None:
        value *= count
    return D(value.numerator) / D(value.denominator)


# ---------------------------------------------------------------------------------------- money families


class _MoneyCase:
    """One question (or two turns) about a money-by-category rule."""

    def __init__(self, rng: random.Random, words: w.RuleWords, facts: Facts):
        self.rng, self.words, self.facts = rng, words, facts
        self.q = _Question()
        self.groups: list[_Group] = []
        self.months: int | None = None
        self.years: int | None = None
        self.misreadings: list[tuple[str, Decimal]] = []
        self.expect_none = False
        self.failing: set[str] = set()
        self.join_all = False

    # -- building blocks

    def pick_groups(self, k: int | None = None, *, least: int = 1) -> None:
        cats = list(self.words.categories)
        self.rng.shuffle(cats)
        k = k or self.rng.randint(1, min(3, len(cats)))
        for cat in cats[:k]:
            n = _person_count(self.rng, self.words, least=least)
            text, before = _group_text(self.rng, self.words, cat, n)
            self.groups.append(_Group(cat, n, text, before))

    def lead(self) -> None:
        if self.groups and self.rng.random() < 0.5 and not self.groups[0].before:
            self.groups[0].text = self.rng.choice(self.words.leads) + self.groups[0].text

    def conditions_said(self, p: float = 0.5) -> None:
        for cid in self.words.conditions:
            if cid in self.failing:
                continue  # 其中2个社保还没交 is not followed by 大家社保都交了
            if self.rng.random() < p:
                said = self.words.conditions[cid]
                everyone = w.ALL_OF_THEM_UNITS if self.words.units else w.ALL_OF_THEM
                self.q.after_groups.append(self.rng.choice(everyone) + self.rng.choice(said.yes))
                self.q.tags.append("conditions_yes")

    def span_for_rule(self, *, required: bool = True) -> None:
        rng, facts = self.rng, self.facts
        if facts.per == "month":
            if not required and rng.random() < 0.5:
                return
            self.months = rng.choice([6, 10, 12, 12, 18, 24, 36, 48, 60])
            self.q.span = rng.choice(w.SPAN_MONTHLY).format(span=span_words(rng, self.months))
            self.q.tags.append(f"months={self.months}")
        elif facts.per == "year":
            self.years = rng.choice([1, 2, 3, 4])
            self.q.span = rng.choice(w.SPAN_YEARLY).format(span=span_words(rng, self.years * 12))
            self.q.tags.append(f"years={self.years}")

    def ask(self) -> None:
        self.q.ask = self.rng.choice(self.words.asks or w.ASKS_TOTAL)

    def counts(self, *, with_out: bool = True) -> dict[str, int]:
        out: dict[str, int] = {}
        for g in self.groups:
            if not g.cat:
                continue  # an unlisted or ambiguous group: no amount of the rule's
            out[g.cat] = out.get(g.cat, 0) + g.n - (g.out if with_out else 0)
        return out

    def expected(self) -> Decimal | None:
        if self.expect_none:
            return None
        if getattr(self, "unlisted_group", 0) and not any(g.cat for g in self.groups):
            return None  # only the unlisted group: nothing the text prices
        return money_total(self.facts, self.counts(), months=self.months, years=self.years)

    def known_misreadings(self) -> None:
        facts, counts, when = self.facts, self.counts(), {"months": self.months, "years": self.years}

        def total(c: dict[str, int]) -> Decimal | None:
            return money_total(facts, {k: v for k, v in c.items() if v > 0}, **when)

        def add(name: str, value: Decimal | None) -> None:
            if value is not None:
                self.misreadings.append((name, value))

        for g in self.groups:
            if not g.out:
                continue
            add("excluded_counted", total(self.counts(with_out=False)))
            add("excluded_added", total({**counts, g.cat: counts[g.cat] + 2 * g.out}))  # read as a new group
            for other in counts:
                if other != g.cat:
                    moved = {**counts, g.cat: counts[g.cat] + g.out, other: counts[other] - g.out}
                    add("excluded_from_other_group", total(moved))
        if len(counts) > 1:
            top = max(facts.value(c) for c in counts)
            flat = sum((D(n) * top for n in counts.values()), D(0))
            self.misreadings.append(("highest_rate", _over_time(facts, flat, self.months, self.years)))
            for dropped in counts:
                add("group_dropped", total({k: v for k, v in counts.items() if k != dropped}))
        for g in self.groups:
            for other in facts.amounts:
                if g.cat and other != g.cat and counts.get(g.cat, 0) >= g.n - g.out:
                    moved = {**counts, g.cat: counts[g.cat] - (g.n - g.out), other: counts.get(other, 0) + g.n - g.out}
                    add("category_misassigned", total(moved))
        unlisted = getattr(self, "unlisted_group", 0)
        if unlisted and counts:
            for cat in facts.amounts:  # the unlisted group priced at a listed rate
                add("unlisted_total", total({**counts, cat: counts.get(cat, 0) + unlisted}))
        if facts.per == "month" and self.months is not None:
            base = money_total(facts, counts, months=1)
            if base is not None:
                self.misreadings.append(("months_wrong", base * self.months))  # uncapped
                self.misreadings.append(("months_wrong", base))  # one month
                if facts.period:
                    self.misreadings.append(("months_wrong", base * facts.period))
        if facts.per == "year":
            once = money_total(facts, counts, years=1)
            if once is not None:
                self.misreadings.append(("years_wrong", once))

    def finish(self, *, reorder: bool = False) -> Turn:
        texts = [g.text + (("，" + g.sub) if g.sub else "") for g in self.groups]
        if any(g.sub or g.alone for g in self.groups):
            self.q.groups = texts
        elif self.join_all:
            # One list, so that 其中 is about all of it: 3个中职、2个高职，其中1个…
            self.q.groups = ["、".join(texts[:-1]) + self.rng.choice(["、", "和"]) + texts[-1]]
        else:
            self.q.groups = _join_groups(self.rng, texts, tight=not any(g.before for g in self.groups))
        self.known_misreadings()
        return Turn(self.q.text(self.rng, reorder=reorder), self.expected(), tuple(self.misreadings))

    # -- the families' own moves

    def exclude(self, *, named: bool | None = None, rest: bool | None = None) -> None:
        """A part of one group fails a condition: 其中2个社保还没交 (after the group, or naming its category)."""
        rng = self.rng
        candidates = [g for g in self.groups if g.n >= 2]
        if not candidates or not self.words.conditions or not self.words.excludable:
            return
        g = rng.choice(candidates)
        g.text, g.before = _group_text(rng, self.words, g.cat, g.n, plain=True)
        k = rng.randint(1, g.n - 1)
        cid = rng.choice(list(self.words.conditions))
        said = self.words.conditions[cid]
        count = count_words(rng, k)
        c = count.with_measure(_measure(rng, self.words, before=False))
        named = (len(self.groups) > 1 and rng.random() < 0.5) if named is None else named
        if named:
            label = self.words.categories[g.cat][0]
            text = rng.choice(["其中{c}{label}{no}", "其中{label}有{c}{no}"]).format(
                c=c, label=label, no=rng.choice(said.no)
            )
            self.q.after_groups.insert(0, text)
            self.q.tags.append("excluded_named")
        else:
            lead = rng.choice(["其中", "其中", "这里面有", "里面有"])
            g.sub = f"{lead}{c}{rng.choice(said.no)}"
            self.q.tags.append("excluded_after_group")
        if (rng.random() < 0.4) if rest is None else rest:
            tail = rng.choice(w.THE_REST) + rng.choice(said.yes)
            if named:
                self.q.after_groups.insert(1, tail)
            else:
                g.sub += "，" + tail
            self.q.tags.append("excluded_rest_yes")
        g.out = k
        self.failing.add(cid)
        self.q.tags.append(f"excluded:{cid}")

    def distract(self, k: int | None = None) -> None:
        kinds = self.rng.sample([d.kind for d in w.DISTRACTORS], k or self.rng.randint(1, 3))
        for kind in kinds:
            text, kind, _value = _distractor(self.rng, kind)
            self.q.distractors.append(text)
            self.q.tags.append(f"distractor:{kind}")

    def unlisted(self) -> None:
        rng = self.rng
        label = rng.choice(self.words.unlisted)
        n = _person_count(rng, self.words)
        text, before = _group_text(rng, self.words, "", n, label=label)
        if not self.groups or rng.random() < 0.7:
            self.groups.insert(rng.randint(0, len(self.groups)), _Group("", 0, text, before))
        else:
            self.groups = [_Group("", 0, text, before)]
        self.unlisted_group = n
        self.q.tags.append(f"unlisted:{label}")

    def ambiguous(self) -> bool:
        """A count split between two categories without saying how (their amounts differ)."""
        rng = self.rng
        cats = list(self.words.categories)
        pairs = [(a, b) for a in cats for b in cats if a < b and self.facts.amounts[a] != self.facts.amounts[b]]
        if not pairs:
            return False
        a, b = rng.choice(pairs)
        n = _person_count(rng, self.words, least=2)
        c = count_words(rng, n).with_measure(_measure(rng, self.words, before=False))
        text = rng.choice(w.AMBIGUOUS).format(
            c=c, noun=self.words.noun, a=_label(rng, self.words, a), b=_label(rng, self.words, b)
        )
        others = [g for g in self.groups if g.cat not in (a, b)]
        self.groups = [*others, _Group("", 0, text, alone=True)]
        rng.shuffle(self.groups)
        self.expect_none = True
        self.q.tags.append("ambiguous_split")
        return True

    def ambiguous_exclusion(self) -> bool:
        """其中1个没过考核 after groups of two categories with different amounts: which one is not said."""
        rng = self.rng
        if not self.words.conditions or not self.words.excludable or len(self.groups) < 2:
            return False
        if len({self.facts.amounts[g.cat] for g in self.groups}) < 2:
            return False
        k = rng.randint(1, min(g.n for g in self.groups))
        cid = rng.choice(list(self.words.conditions))
        c = count_words(rng, k).with_measure(_measure(rng, self.words, before=False))
        self.q.after_groups.insert(0, f"其中{c}{rng.choice(self.words.conditions[cid].no)}")
        self.failing.add(cid)
        self.join_all = True
        self.expect_none = True
        self.q.tags.append("ambiguous_exclusion")
        return True

    def one_off_span(self) -> None:
        years = self.rng.randint(1, 5)
        self.q.span = self.rng.choice(w.SPAN_ONE_OFF).format(span=span_words(self.rng, years * 12))
        self.q.tags.append("one_off_span")
        for g in self.groups:
            g.out = 0
        base = money_total(self.facts, self.counts())
        if base is not None:
            self.misreadings += [("span_multiplied", base * years), ("span_multiplied", base * years * 12)]

    def odd_span(self) -> None:
        """Per-year amounts for part of a year, or recurring amounts with no span at all."""
        rng, facts = self.rng, self.facts
        if facts.per == "year":
            months = rng.choice([6, 18, 30])
            self.q.span = rng.choice(w.SPAN_YEARLY).format(span=span_words(rng, months))
            self.years = None
            self.expect_none = True
            self.q.tags.append(f"part_year={months}")
        elif facts.per == "month":
            self.months = None
            self.q.span = ""
            self.expect_none = facts.period is None
            self.q.tags.append("no_span")

    def per_period(self) -> None:
        """每个月一共发多少 / 每年至少补多少: the total for one period."""
        if self.facts.per == "month":
            self.months, self.q.ask = 1, self.rng.choice(w.PER_MONTH)
        elif self.facts.per == "year":
            self.years, self.q.ask = 1, self.rng.choice(w.PER_YEAR)
        self.q.span = ""
        self.q.tags.append("per_period")


def _over_time(facts: Facts, flat: Decimal, months: int | None, years: int | None) -> Decimal:
    if facts.per == "month" and months is not None:
        return flat * min(months, facts.period or months)
    if facts.per == "year" and years is not None:
        return flat * years
    return flat


def _hotline(rng: random.Random, words: w.RuleWords, facts: Facts) -> tuple[str, Decimal | None, list[str]]:
    cats = list(words.categories)
    rng.shuffle(cats)
    counts = {c: _person_count(rng, words) for c in cats[: rng.randint(1, min(3, len(cats)))]}
    parts = [words.city, rng.choice(words.topics)] if words.city else [rng.choice(words.topics)]
    for cat, n in counts.items():
        m = "家" if words.units else rng.choice(["人", "名", "个"])
        parts.append(f"{_label(rng, words, cat)}{n}{m}")
    months = years = None
    if facts.per == "month":
        months = rng.choice([6, 12, 24, 36])
        parts.append(f"{months}个月")
    elif facts.per == "year":
        years = rng.choice([1, 2, 3])
        parts.append(f"{years}年")
    head = 2 if words.city else 1
    tail = parts[head:]
    rng.shuffle(tail)
    return " ".join(parts[:head] + tail), money_total(facts, counts, months=months, years=years), ["hotline"]


MONEY_FAMILIES: dict[str, float] = {
    "clean": 0.2,
    "distractor": 0.13,
    "excluded": 0.15,
    "span": 0.09,
    "unlisted": 0.07,
    "ambiguous": 0.07,
    "traditional": 0.07,
    "reordered": 0.05,
    "hotline": 0.05,
    "add": 0.05,
    "replace": 0.04,
    "mixed": 0.03,
}


def _money_case(rng: random.Random, words: w.RuleWords, facts: Facts, family: str) -> tuple[str, list[Turn], list[str]]:
    if family == "hotline":
        text, expected, tags = _hotline(rng, words, facts)
        return family, [Turn(text, expected)], tags
    if family in ("add", "replace"):
        return _two_turns(rng, words, facts, family)
    mc = _MoneyCase(rng, words, facts)
    if family == "unlisted" and not words.unlisted:
        family = "clean"
    if family == "ambiguous" and len(words.categories) < 2:
        family = "excluded" if words.conditions else "clean"
    if family == "excluded" and not (words.conditions and words.excludable):
        family = "distractor"
    least = 2 if family in ("excluded", "mixed") else 1
    k = 2 if family == "ambiguous" and rng.random() < 0.5 else None
    mc.pick_groups(k, least=least)
    mc.lead()
    mc.span_for_rule()
    mc.ask()
    _place(mc.rng, words, mc.q, last=family == "reordered" and rng.random() < 0.5)
    if family == "clean":
        mc.conditions_said()
    elif family == "distractor":
        mc.conditions_said(0.3)
        mc.distract()
    elif family == "excluded":
        mc.exclude()
        mc.conditions_said(0.3)
    elif family == "span":
        choice = rng.random()
        if facts.per == "once":
            mc.one_off_span()
        elif choice < 0.4:
            mc.odd_span()
        elif choice < 0.6:
            mc.per_period()
        else:
            mc.q.tags.append("span")
    elif family == "unlisted":
        mc.unlisted()
    elif family == "ambiguous":
        if not (rng.random() < 0.5 and mc.ambiguous_exclusion()):
            mc.ambiguous()
    elif family == "mixed":
        mc.exclude()
        mc.distract()
        mc.conditions_said(0.3)
    turn = mc.finish(reorder=family in ("reordered", "mixed") and rng.random() < 0.7)
    if family in ("traditional", "mixed") and (family == "traditional" or rng.random() < 0.5):
        turn = Turn(traditional(turn.text), turn.expected, turn.misreadings)
        mc.q.tags.append("traditional")
    return family, [turn], mc.q.tags


def _two_turns(rng: random.Random, words: w.RuleWords, facts: Facts, family: str) -> tuple[str, list[Turn], list[str]]:
    """再加N个 adds to the group it names (or to the only one); 换成<category>呢 replaces the category."""
    mc = _MoneyCase(rng, words, facts)
    two = family == "add" and len(words.categories) > 1 and rng.random() < 0.4
    if family == "replace" and len(words.categories) < 2 and not words.unlisted:
        family = "add"
    mc.pick_groups(2 if two else 1)
    mc.span_for_rule()
    mc.ask()
    _place(rng, words, mc.q)
    mc.conditions_said(0.3)
    first = mc.finish()
    tags = list(mc.q.tags)
    g = rng.choice(mc.groups)
    before = mc.counts()
    old_total = money_total(facts, before, months=mc.months, years=mc.years)
    if family == "add":
        m = _person_count(rng, words)
        c = count_words(rng, m, bare_ok=False).with_measure(_measure(rng, words, before=False))
        text = (
            rng.choice(w.ADD_NAMED).format(c=c, label=_label(rng, words, g.cat))
            if two
            else rng.choice(w.ADD_MORE).format(c=c)
        )
        old_n, g.n = g.n, g.n + m
        tags.append("add_named" if two else "add")
        wrong = [money_total(facts, {**before, g.cat: m}, months=mc.months, years=mc.years), old_total]
        second = _second(mc, text, "add_wrong", wrong)
        g.n = old_n + m
    else:
        others = [c for c in words.categories if c != g.cat]
        if others and (not words.unlisted or rng.random() < 0.75):
            new = rng.choice(others)
            text = rng.choice(w.REPLACE).format(label=_label(rng, words, new))
            g.cat = new
            second = _second(mc, text, "replace_wrong", [old_total])
            tags.append("replace")
        else:
            text = rng.choice(w.REPLACE).format(label=rng.choice(words.unlisted))
            second = Turn(text, None)
            tags.append("replace_unlisted")
    if rng.random() < 0.15:
        first, second = (Turn(traditional(t.text), t.expected, t.misreadings) for t in (first, second))
        tags.append("traditional")
    return family, [first, second], tags


def _second(mc: _MoneyCase, text: str, name: str, wrong: list[Decimal | None]) -> Turn:
    """The follow-up turn: its total from the carried groups, and the totals of its known misreadings."""
    mc.misreadings = [(name, x) for x in wrong if x is not None]
    mc.known_misreadings()
    expected = money_total(mc.facts, mc.counts(), months=mc.months, years=mc.years)
    return Turn(text, expected, tuple((n, x) for n, x in mc.misreadings if x != expected))


# ---------------------------------------------------------------------------------------- base families

BASE_FAMILIES: dict[str, float] = {
    "clean": 0.35,
    "distractor": 0.25,
    "claim": 0.15,
    "traditional": 0.15,
    "reordered": 0.1,
}


def _round_base(rng: random.Random, low: int, high: int) -> int:
    value = rng.randint(low, high)
    if rng.random() < 0.2:
        return value  # odd on purpose: cents and rounding up
    step = 10 ** max(0, len(str(value)) - 2)
    return max(low, value - value % step)


def _base_case(rng: random.Random, words: w.BaseWords, facts: Facts, family: str) -> tuple[str, list[Turn], list[str]]:
    q = _Question()
    tags: list[str] = []
    misreadings: list[tuple[str, Decimal]] = []
    base = _round_base(rng, words.low, words.high)
    shown = people_words(rng, base) if words.people else money_words(rng, base)
    q.groups.append(rng.choice(words.bases).format(x=shown))
    deduction = 0
    if words.deductions:
        deduction = _round_base(rng, max(1, words.low // 10), base // 2)
        q.groups.insert(rng.randint(0, 1), rng.choice(words.deductions).format(y=money_words(rng, deduction)))
        misreadings.append(("deduction_ignored", base_total(facts, base)))
    count = None
    if words.counts and rng.random() < 0.4:
        count = rng.randint(1, 30)
        c = count_words(rng, count, bare_ok=False).with_measure(rng.choice(["个", "名"]))
        q.groups.append(rng.choice(words.counts).format(c=c))
        tags.append("count")
    q.ask = rng.choice(words.asks)
    _place(rng, words, q, last=family == "reordered" and rng.random() < 0.5)
    assert facts.rate is not None
    percent = facts.rate * 100
    if family == "distractor":
        for kind in rng.sample([d.kind for d in w.DISTRACTORS], rng.randint(1, 2)):
            text, kind, value = _distractor(rng, kind)
            q.distractors.append(text)
            tags.append(f"distractor:{kind}")
            if value is not None and value > deduction:
                misreadings.append(("distractor_counted", base_total(facts, value, deduction=deduction, count=count)))
    elif family == "claim":
        right = rng.random() < 0.5
        claimed = percent if right else Fraction(round(percent)) + rng.choice([10, 20, -10])
        if claimed.denominator == 1:
            shown_rate = f"{claimed.numerator}%"
        else:  # 1/3 is said as a fraction, never as 33.33%
            shown_rate = f"{zh(facts.rate.denominator)}分之{zh(facts.rate.numerator)}"
        q.after_groups.append(rng.choice(["听说是{r}", "比例是{r}吧", "好像是按{r}"]).format(r=shown_rate))
        tags.append("claim_right" if right else "claim_wrong")
        if not right:
            misreadings.append(
                ("claimed_rate_used", base_total(facts, base, deduction=deduction, count=count, rate=claimed / 100))
            )
    expected = base_total(facts, base, deduction=deduction, count=count)
    misreadings.append(("rate_as_base", base_total(facts, int(percent) if percent.denominator == 1 else 1)))
    text = q.text(rng, reorder=family == "reordered" and rng.random() < 0.7)
    if family == "traditional":
        text = traditional(text)
        tags.append("traditional")
    return family, [Turn(text, expected, tuple(misreadings))], tags


# ---------------------------------------------------------------------------------------- the stream


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def covered() -> dict[str, w.RuleWords | w.BaseWords]:
    return {x.rule_id: x for x in (*w.MONEY_RULES, *w.BASE_RULES)}


def case(seed: int, index: int) -> Case:
    """Case ``index`` of the stream of ``seed``: the same case for the same pair, always."""
    rng = random.Random(f"{seed}:{index}")
    facts_by_id = rule_facts()
    money_ids = [x.rule_id for x in w.MONEY_RULES]
    base_ids = [x.rule_id for x in w.BASE_RULES]
    # Money rules are where groups, conditions and spans meet: two of three cases are about them.
    rule_id = rng.choice(money_ids) if rng.random() < 0.72 else rng.choice(base_ids)
    words = covered()[rule_id]
    facts = facts_by_id[rule_id]
    if isinstance(words, w.RuleWords):
        family, turns, tags = _money_case(rng, words, facts, _weighted(rng, MONEY_FAMILIES))
    else:
        family, turns, tags = _base_case(rng, words, facts, _weighted(rng, BASE_FAMILIES))
    return Case(f"{seed}:{index}", rule_id, family, tuple(dict.fromkeys(tags)), tuple(turns))


def cases(seed: int, count: int, start: int = 0) -> list[Case]:
    return [case(seed, i) for i in range(start, start + count)]
