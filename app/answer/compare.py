"""Comparisons across places and documents: one row per place, in the order the user named them.

"厦门、大连、南通对技能竞赛获奖选手分别有什么支持？", "大连 南通 学徒补贴", "各个文件对某比例写得一样吗",
"A跟B哪个更高". The question is read once (``app.frame``); the places it names (or, for 各地 / 各个文件,
every document's place, the excerpt of unknown origin as its own row) each get the same need — the
question without the place words — searched only in that place's documents (``app.scope``). For each
row: the best clause, the sentence(s) quoted verbatim, the figures with qualifier, unit and payee from
the rules of that clause (curated or extracted, never typed here), the document's status, or that the
place's documents do not state it (with the department the clause names). A place with no document at
all is a row too: 语料中没有X的文件. Never a place skipped.

A ranking (哪个更高) is read from the figures only: every row must state one figure of the same kind,
unit and qualifier; otherwise the answer says 不能直接比较 and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from typing import Any

from app.answer import guards
from app.answer.offline import Draft, doc_line
from app.answer.sentences import SentenceScorer, split_sentences
from app.frame.schema import Group, QuestionFrame
from app.retrieval import Filters, HybridRetriever, SearchResult
from app.scope import UNKNOWN, Scope, applies
from app.tools.calculators import fmt
from app.tools.result import ToolResult
from app.tools.routing import Router
from app.tools.rules import PAYEE_ZH, Rule
from ingest.schema import Clause, DocumentMeta
from ingest.textproc import to_simplified
from ingest.yamlio import load_yaml

UNKNOWN_PLACE = "未知"
RELEVANT = 3.0  # the sentence scorer's score from which a sentence is about the need (as OfflineAnswerer._grounded)
FIGURE_KINDS = ("per_head", "monthly", "one_off", "percentage", "target")
NEAR = 0.6  # a sentence scoring this share of the best one is about the need too
MAX_QUOTE = 400  # the longest span quoted in one row
TOPIC_SHARE = 0.5  # the share of the topic's weight a row must carry to be about the need
SHORT_CLAUSE = 400  # a clause this short is quoted whole in its row
ALSO = 0.8  # a further provision is shown when the need's words score nearly as well in it as in the first
MAX_ALSO = 2  # at most this many further provisions per row
PREFIX = {"cap": "最高", "floor": "不少于", "after_tax": "税后"}


@lru_cache(maxsize=1)
def words() -> dict[str, tuple[str, ...]]:
    data = load_yaml((resources.files("app") / "resources" / "compare_words.yaml").read_text(encoding="utf-8"))
    return {k: tuple(sorted((str(w) for w in v), key=len, reverse=True)) for k, v in data.items()}


def pattern(key: str) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in words()[key]))


# ---------------------------------------------------------------------------------------- detection


def named_places(frame: QuestionFrame) -> list[str]:
    """The places the question is about, in the order written; a district of a named city is that city said
    more precisely (厦门湖里) and is not a place of its own."""
    about = sorted((p for p in frame.places if p.role == "about"), key=lambda p: p.span.start)
    distinct = [p for p in about if not any(q is not p and q.name in p.parents for q in about)]
    return list(dict.fromkeys(p.name for p in distinct))


def asks_all(frame: QuestionFrame) -> bool:
    return bool(pattern("all_places").search(frame.text))


def names_unknown(frame: QuestionFrame) -> bool:
    return bool(pattern("unknown_origin").search(frame.text))


def is_comparison(frame: QuestionFrame) -> bool:
    """Two or more places read as compared (the reader's ``compare`` intent: listed together or with a
    comparing word — two place names apart, 南通…安居工程, are not a comparison), 各地 / 各个文件, or a place
    set beside the excerpt of unknown origin, or two places each with people of its own counted."""
    if frame.follow_up and not named_places(frame):
        return False
    places = named_places(frame)
    if asks_all(frame):
        return True
    if names_unknown(frame) and places:
        return True
    if len(place_groups(frame)) >= 2:
        return True  # 大连有5个技师，厦门有3个: each place's own people, each place's own provision
    return frame.intent == "compare" and len(places) >= 2


_BREAK = re.compile(r"[。？！?!；;]")
_EITHER = re.compile(r"([\u4e00-\u9fff]{2,8}?)(?:或者|或是|或)([\u4e00-\u9fff]{2,8})")


def place_groups(frame: QuestionFrame) -> dict[str, list[Group]]:
    """The groups the question counts for each place (我们成都总部有5个、大连分公司有2个; 大连有3个中职学徒，厦门
    有2个高职学徒): a group belongs to the place named last before it in the same sentence, with no other
    place between. Groups with no such place belong to none."""
    # Places asked about only: a fact's place (其中3个的社保挂在泉州总部交) owns no one here.
    about = sorted((p for p in frame.places if p.role == "about"), key=lambda p: p.span.start)
    out: dict[str, list[Group]] = {}
    for g in frame.groups:
        before = [p for p in about if p.span.start <= g.span.start]
        if not before:
            continue
        p = before[-1]
        if _BREAK.search(frame.text[p.span.end : g.span.start]):
            continue
        name = next((q.name for q in about if q.name in p.parents), p.name)  # 厦门湖里 → 厦门
        out.setdefault(name, []).append(g)
    return out


def named_categories(rule: Rule, text: str) -> list[str]:
    """The rule's categories the text names as words of their own (技师 in 新拿到技师证, not the 技师 of 高级技师)."""
    cats = sorted({a.category for a in rule.amounts if a.category}, key=len, reverse=True)
    masked, out = text, []
    for c in cats:
        if c in masked:
            out.append(c)
            masked = masked.replace(c, "＃" * len(c))
    return out


def asks_rank(frame: QuestionFrame) -> bool:
    return bool(pattern("asks_rank").search(frame.text))


def need_of(frame: QuestionFrame, *, without_groups: bool = False) -> str:
    """The question without the place words and the words that only say "compare": what each place is asked.
    ``without_groups``: without the groups it counts too (what one place's numbers are added to)."""
    text = frame.text
    cuts = [p.span for p in frame.places] + ([g.span for g in frame.groups] if without_groups else [])
    for span in sorted(cuts, key=lambda c: c.start, reverse=True):
        text = text[: span.start] + " " + text[span.end :]
    for key in ("all_places", "unknown_origin", "compare_only"):
        text = pattern(key).sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------------------- rows


@dataclass
class Row:
    place: str
    doc: DocumentMeta | None = None
    result: SearchResult | None = None
    quote: str = ""
    rules: list[Rule] = field(default_factory=list)
    covered: bool = False
    note: str = ""  # what the row says instead of a figure (未写明 / 未提及 / 没有文件)
    department: str = ""
    also: list[tuple[SearchResult, str, Rule | None]] = field(default_factory=list)  # further provisions named
    counted: str = ""  # the question's own numbers for this place (大连分公司有2个)
    total: ToolResult | None = None  # the calculator's amount for them, when every number was placed

    @property
    def own_figures(self) -> list[str]:
        """The figures of the row's own provision (what a ranking compares), without the further ones."""
        return [f for r in self.rules for f in rule_figures(r)]

    @property
    def figures(self) -> list[str]:
        return [f for r in [*self.rules, *(a[2] for a in self.also if a[2] is not None)] for f in rule_figures(r)]

    def as_json(self) -> dict[str, Any]:
        rule = self.rules[0] if self.rules else None
        status = "no_document" if self.doc is None else (self.doc.status if self.covered else "not_covered")
        return {
            "place": self.place,
            "doc_id": self.doc.id if self.doc else None,
            "doc_status": self.doc.status if self.doc else None,
            "clause_id": self.result.clause.clause_id if self.result else None,
            "quote": self.quote,
            "figures": self.figures,
            "qualifier": rule.qualifier if rule else None,
            "unit": rule.unit if rule else None,
            "payee": (rule.payee_text or PAYEE_ZH.get(rule.payee, "")) if rule else None,
            "status": status,
            "covered": self.covered,
            "note": self.note,
            "department": self.department or None,
            "counted": self.counted or None,
            "total": (self.total.result if self.total is not None else None),
            "formula": (self.total.formula if self.total is not None else None),
            "also": [
                {"clause_id": r.clause.clause_id, "quote": q, "figures": rule_figures(rule) if rule else []}
                for r, q, rule in self.also
            ],
        }


def rule_figures(rule: Rule) -> list[str]:
    """The rule's figures as the text states them: label, qualifier, value, unit."""
    out = []
    for a in rule.amounts:
        q = a.qualifier or rule.qualifier
        out.append(
            f"{a.label or a.category}{'：' if (a.label or a.category) else ''}{PREFIX.get(q, '')}{fmt(a.value)}{rule.unit}"
        )
    if rule.kind in ("percentage", "target"):
        rate = rule.rate_fraction or (f"{fmt(rule.rate)}%" if rule.rate is not None else "")
        if rate:
            out.append(f"{rule.base_label + '：' if rule.base_label else ''}{PREFIX.get(rule.qualifier, '')}{rate}")
    return out


@dataclass
class Parties:
    """Who is compared: (label, documents) in a stable order."""

    rows: list[tuple[str, list[DocumentMeta]]]


def parties(frame: QuestionFrame, scope: Scope, documents: list[DocumentMeta]) -> Parties:
    """The places named, in order, each with its documents (``scope.by_place``); for 各地 / 各个文件 every
    document on its own row, labelled with its place (未知 for the excerpt of unknown origin); a named
    mention of the unknown excerpt adds its row."""
    by_id = {d.id: d for d in documents}
    out: list[tuple[str, list[DocumentMeta]]] = []
    names = named_places(frame)
    for name in names:
        if name in scope.by_place:
            out.append((name, [by_id[i] for i in scope.by_place[name] if i in by_id]))
        else:  # a place the scope did not read as asked about (我们在芜湖有4个…, beside 洛阳有3个)
            out.append((name, [d for d in documents if applies(d, name)]))
    if asks_all(frame) and not names:
        for d in documents:
            out.append((UNKNOWN_PLACE if d.city in UNKNOWN else d.city, [d]))
    elif asks_all(frame) or names_unknown(frame):
        if names_unknown(frame) or asks_all(frame):
            unknown = [d for d in documents if d.city in UNKNOWN]
            if unknown:
                out.append((UNKNOWN_PLACE, unknown))
    return Parties(out)


class Comparer:
    def __init__(
        self,
        retriever: HybridRetriever,
        router: Router,
        scorer: SentenceScorer,
        rules: Callable[[], list[Rule]],
        k: int = 5,
        calculate: Callable[[str, Rule], ToolResult | None] | None = None,
    ):
        self.retriever = retriever
        self.router = router
        self.scorer = scorer
        self.rules = rules
        self.k = k
        self.calculate = calculate  # (a question about one place, its rule) → the calculator's result
        self._either: list[tuple[set[str], set[str]]] = []  # alternatives of the need (境外 / 台湾)

    def rows(self, frame: QuestionFrame, scope: Scope, need: str | None = None) -> list[Row]:
        """One row per party; ``need``: what each is asked, when not the question's own words (a follow-up
        naming only places, 那A和B呢, is asked the earlier question's need)."""
        need = need or need_of(frame)
        out = []
        topic = self._topic(need)
        groups = place_groups(frame)
        for label, docs in parties(frame, scope, self.retriever.documents()).rows:
            row = self.row(label, docs, need, frame, topic)
            if groups.get(label):
                self._count(row, groups[label], frame, need if frame.follow_up else need_of(frame, without_groups=True))
            out.append(row)
        return out

    def _count(self, row: Row, groups: list[Group], frame: QuestionFrame, need: str) -> None:
        """The question's numbers for this place, through the accounting and the calculator on a question
        about this place alone: its groups (a group named by where it is, 大连分公司有2个, counted in the one
        category of the row's provision that the need names). No amount unless every number was placed."""
        row.counted = "、".join(frame.words(g.span).strip("、，, ") for g in groups)
        rule = row.rules[0] if row.rules else None
        if not row.covered or rule is None or rule.kind not in ("per_head", "monthly") or self.calculate is None:
            return
        said = []
        for g in groups:
            words = frame.words(g.span).strip("、，, ")
            if named_categories(rule, words) or g.count is None:
                said.append(words)
                continue
            cats = named_categories(rule, need)
            if len(cats) != 1:
                return  # which category these people are in is not said: no amount
            said.append(f"{g.count}个{cats[0]}")
        row.total = self.calculate(f"{row.place} {need} {'，'.join(said)}", rule)
        if row.total is not None and row.total.result is None:
            row.total = None

    def _topic(self, need: str) -> set[str]:
        """The need's words that the best clause of the whole corpus carries: what any place's text must
        share (enough of, by weight) to be about the need — 台湾 and 采认, not only 直接 and 工作."""
        tokens = set(self.scorer.tokenizer.tokenize(to_simplified(need)))
        found = self.retriever.search(need, k=1)
        if not found:
            return tokens
        c = found[0].clause
        have = set(self.scorer.tokenizer.tokenize(to_simplified(" ".join([*c.heading_path, c.text]))))
        topic = tokens & have or tokens
        # Alternatives asked together (境外或台湾来的人): a place may state either; both are the topic, and
        # a text carrying one of them carries the pair (``_on_topic``).
        self._either = []
        for m in _EITHER.finditer(to_simplified(need)):
            # The word right before 或 and the word right after it (境外 / 台湾 of 对境外或台湾来的人).
            before = [t for t in self.scorer.tokenizer.tokenize(m.group(1)) if len(t) > 1 and t in tokens]
            after = [t for t in self.scorer.tokenizer.tokenize(m.group(2)) if len(t) > 1 and t in tokens]
            left, right = set(before[-1:]), set(after[:1])
            if left and right and left != right and (left & topic or right & topic):
                topic |= left | right
                self._either.append((left, right))
        return topic

    def _on_topic(self, topic: set[str], text: str) -> float:
        """The weight of the topic's words ``text`` carries; of two alternatives, the one it carries more.
        A text carrying neither of two alternatives asked is not about them (职业资格 in general is not
        境外或台湾来的人's 职业资格): 0."""
        pairs = self._either
        either = set().union(*(a | b for a, b in pairs)) if pairs else set()
        score = self.scorer.score(topic - either, text, wants_figure=False)
        for a, b in pairs:
            best = max(self.scorer.score(a, text, wants_figure=False), self.scorer.score(b, text, wants_figure=False))
            if best <= 0:
                return 0.0
            score += best
        return score

    def _topic_weight(self, topic: set[str]) -> float:
        return self._on_topic(topic, " ".join(topic))

    def row(
        self, place: str, docs: list[DocumentMeta], need: str, frame: QuestionFrame, topic: set[str] | None = None
    ) -> Row:
        if not docs:
            return Row(place=place, note=f"语料中没有{place}的文件")
        ids = tuple(d.id for d in docs)
        results = self.retriever.search(need, k=self.k, filters=Filters(doc_ids=ids))
        if not results:
            return Row(place=place, doc=docs[0], note=f"{place}的文件未提及")
        rules = [r for r in self.rules() if r.doc_id in ids]
        clause_ids = [r.clause.clause_id for r in results]
        routes = self.router.candidates(frame, rules, clause_ids, retrieved_only=True, text=need)
        money = guards.asks_amount(need) or guards.asks_money(need) or bool(pattern("figure_words").search(need))
        tokens = set(self.scorer.tokenizer.tokenize(to_simplified(need)))
        # The provision the question names leads (its clause retrieved for the place), else the best clause.
        # When the provision's words are not about the need, the same clause's words about it answer if they
        # are (境外技能人员 beside 竞赛获奖选手 in one clause). A lower clause is not tried: one sharing a word or
        # two with the need would pass for it.
        tries: list[tuple[SearchResult, list[Rule]]] = [(results[0], [])]
        if routes:
            rule = routes[0].rule
            found = next((r for r in results if r.clause.clause_id == rule.clause_id), None)
            if found is not None:
                tries = [(found, [rule]), (found, [])]
        attempts = (self._attempt(place, best, chosen, need, tokens, topic, money, rules) for best, chosen in tries)
        first = next(attempts)
        row, relevant = first if first[1] else next((a for a in attempts if a[1]), first)
        assert row.result is not None and row.doc is not None
        if not row.covered:
            row.department = guards.departments(row.result.clause, self.retriever.clauses_of(row.doc.id))
            if not relevant:
                row.rules = []
        else:
            about = " ".join([*row.result.clause.heading_path, row.quote])
            base = self.scorer.score(tokens, about, wants_figure=False)
            row.also = self._also(need, tokens, topic, routes, results, row.result, row.quote, rules, money, base)
        return row

    def _attempt(
        self,
        place: str,
        best: SearchResult,
        chosen: list[Rule],
        need: str,
        tokens: set[str],
        topic: set[str] | None,
        money: bool,
        rules: list[Rule],
    ) -> tuple[Row, bool]:
        """The row the clause ``best`` (with the provision ``chosen``, if any) gives, and whether it is about
        the need."""
        quote = ""
        if chosen and chosen[0].kind not in FIGURE_KINDS and chosen[0].quote in best.clause.text:
            # A provision without a figure (竞赛类别 → 技能等级): its words, and the measures beside them
            # about the need (a title for the first place as well as a level for passing).
            at = best.clause.text.index(chosen[0].quote)
            quote = self._quote(need, best.clause.text, money, anchor=(at, at + len(chosen[0].quote)))
        elif chosen and chosen[0].quote and chosen[0].quote in best.clause.text:
            quote = chosen[0].quote
        elif len(best.clause.text.strip()) <= SHORT_CLAUSE:
            quote = best.clause.text.strip()  # a short clause is quoted whole: every measure it lists
        else:
            quote = self._quote(need, best.clause.text, money)
        if not chosen:
            chosen = [
                r
                for r in rules
                if r.clause_id == best.clause.clause_id and r.kind in FIGURE_KINDS and _overlaps(r.quote, quote)
            ]
        row = Row(place=place, doc=best.doc, result=best, quote=quote, rules=chosen)
        # About the need: the quoted words under their headings (创新学徒制培养模式 says what a 学生 is here).
        about = " ".join([*best.clause.heading_path, quote])
        relevant = bool(quote) and self.scorer.score(tokens, about, wants_figure=False) >= RELEVANT
        if relevant and topic:
            relevant = self._on_topic(topic, about) >= TOPIC_SHARE * self._topic_weight(topic)
        stated = guards.states_figure(quote) or bool(row.figures)
        vague = guards.vague_amount(quote)
        principle = pattern("principle_only").search(quote)
        # 有没有补贴 (and not 多少): the text naming the benefit answers it, a figure or not.
        exists = bool(pattern("asks_existence").search(need)) and not guards.asks_amount(need)
        if not relevant:
            row.note = f"{place}的文件未提及"
        elif money and not stated and exists and not principle:
            row.covered = True
            row.note = "未写明具体金额" + (f"（原文只说“{vague}”）" if vague else "")
        elif money and not stated:
            said = vague or (principle.group(0) if principle else "")
            row.note = f"{place}的文件未写明具体金额或标准" + (f"（原文只说“{said}”）" if said else "")
        elif not stated and principle:
            row.note = f"{place}的文件未写明具体措施（原文只说“{principle.group(0)}”）"
        else:
            row.covered = True
        return row, relevant

    def _quote(self, need: str, text: str, money: bool, anchor: tuple[int, int] | None = None) -> str:
        """The span of the clause about the need: from the first to the last sentence scoring near the best
        (every measure a place lists for it: 认定高级工 … 直接认定为“厦门市技术能手”), verbatim. With an
        ``anchor`` (the words of the provision chosen), the window grows from those words instead."""
        sentences = split_sentences(text)
        if not sentences:
            return text[anchor[0] : anchor[1]] if anchor else ""
        tokens = set(self.scorer.tokenizer.tokenize(to_simplified(need)))
        scores = [self.scorer.score(tokens, x.text, wants_figure=money) for x in sentences]
        if anchor is not None:
            inside = [k for k, x in enumerate(sentences) if x.start < anchor[1] and anchor[0] < x.end]
            if not inside:
                return text[anchor[0] : anchor[1]]
            i, j = inside[0], inside[-1]
            top = max(max(scores[i : j + 1]), max(scores) * NEAR)
            if top <= 0:
                return text[anchor[0] : anchor[1]]
        else:
            top = max(scores)
            if top <= 0:
                return ""
            i = j = scores.index(top)
        # Grow a window from the best sentence over its neighbours about the need, while it stays short.
        near = [sc >= NEAR * top for sc in scores]
        grown = True
        while grown:
            grown = False
            steps = [(a, b) for a, b in ((i - 1, j), (i, j + 1)) if 0 <= a and b < len(sentences)]
            steps.sort(key=lambda ab: -scores[ab[0] if ab[0] < i else ab[1]])  # the better neighbour first
            for a, b in steps:
                if near[a] if a < i else near[b]:
                    if sentences[b].end - sentences[a].start <= MAX_QUOTE:
                        i, j, grown = a, b, True
                        break
        if anchor is not None:
            return text[min(sentences[i].start, anchor[0]) : max(sentences[j].end, anchor[1])]
        return text[sentences[i].start : sentences[j].end]

    def _also(
        self,
        need: str,
        tokens: set[str],
        topic: set[str] | None,
        routes: list[Any],
        results: list[SearchResult],
        best: SearchResult,
        quote: str,
        rules: list[Rule],
        money: bool,
        base: float,
    ) -> list[tuple[SearchResult, str, Rule | None]]:
        """Further provisions of the same place about the need nearly as much as the row's own words (工作室
        建设补助 and 领办人 带徒补贴; a treatment and a grant in one clause; a selection in another clause):
        the provisions the question names (other rules of the row's clause or of another retrieved one),
        and the span about the need of each other retrieved clause. Each scored like the row's words (by
        the need's words under their headings), kept from ``ALSO`` of the row's score, at most ``MAX_ALSO``."""
        found: list[tuple[SearchResult, str, Rule | None]] = []
        # The provisions the question names, then every other provision of the row's own clause.
        named = [route.rule for route in routes]
        own = [r for r in rules if r.clause_id == best.clause.clause_id and r not in named]
        for rule in [*named, *own]:
            hit = next((r for r in results if r.clause.clause_id == rule.clause_id), None)
            if hit is None or not rule.quote or rule.quote not in hit.clause.text or rule.quote in quote:
                continue
            if hit.clause.clause_id == best.clause.clause_id and _overlaps(rule.quote, quote):
                continue
            found.append((hit, rule.quote, rule))
        taken = {best.clause.clause_id, *(h.clause.clause_id for h, _, _ in found)}
        for hit in results:
            if hit.clause.clause_id in taken:
                continue
            span = self._quote(need, hit.clause.text, money)
            if not span:
                continue
            rule = next(
                (
                    r
                    for r in rules
                    if r.clause_id == hit.clause.clause_id and r.kind in FIGURE_KINDS and _overlaps(r.quote, span)
                ),
                None,
            )
            found.append((hit, span, rule))
        # The topic's words the row carries must be carried nearly as much: 竞赛 as well as 参加 and 技能.
        main = " ".join([*best.clause.heading_path, quote])
        on_topic = self._on_topic(topic, main) if topic else 0.0
        scored = []
        for n, (hit, span, rule) in enumerate(found):
            about = " ".join([*hit.clause.heading_path, span])
            sc = self.scorer.score(tokens, about, wants_figure=False)
            if sc < max(RELEVANT, ALSO * base):
                continue
            if topic and self._on_topic(topic, about) < ALSO * on_topic:
                continue
            scored.append((-sc, n, hit, span, rule))
        scored.sort(key=lambda x: (x[0], x[1]))
        out: list[tuple[SearchResult, str, Rule | None]] = []
        for _, _, hit, span, rule in scored:
            if any(h.clause.clause_id == hit.clause.clause_id and _overlaps(q, span) for h, q, _ in out):
                continue
            out.append((hit, span, rule))
            if len(out) == MAX_ALSO:
                break
        return out


def _overlaps(a: str, b: str) -> bool:
    return bool(a and b) and (a in b or b in a or _share(a, b) > 0.5)


def _share(a: str, b: str) -> float:
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < 6:
        return 0.0
    grams = [short[i : i + 6] for i in range(len(short) - 5)]
    return sum(1 for g in grams if g in long_) / len(grams)


# ---------------------------------------------------------------------------------------- ranking


@dataclass
class Ranking:
    order: list[str] = field(default_factory=list)  # highest first, when the figures support it
    reasons: list[str] = field(default_factory=list)  # why not, when they do not

    @property
    def comparable(self) -> bool:
        return bool(self.order)


def _value(rule: Rule) -> tuple[Fraction, str, str] | None:
    """The one figure of a rule, as (value, unit, qualifier); None when it has several or none."""
    if rule.kind in ("percentage", "target"):
        if rule.rate_fraction:
            n, _, d = rule.rate_fraction.partition("/")
            try:
                return Fraction(int(n), int(d)) * 100, "%", rule.qualifier
            except (ValueError, ZeroDivisionError):
                return None
        if rule.rate is not None:
            return Fraction(rule.rate), "%", rule.qualifier
        return None
    if len(rule.amounts) != 1:
        return None
    a = rule.amounts[0]
    return Fraction(Decimal(a.value)), rule.unit, a.qualifier or rule.qualifier


def rank(rows: list[Row]) -> Ranking:
    out = Ranking()
    values: list[tuple[str, Fraction, str, str]] = []
    for row in rows:
        if not row.covered or not row.rules:
            out.reasons.append(f"{row.place}的文件没有可比的数字")
            continue
        figs = [v for r in row.rules if (v := _value(r)) is not None]
        if not row.own_figures:
            out.reasons.append(f"{row.place}的规定不是一个数字（见原文）")
            continue
        if len(figs) != 1 or len(row.own_figures) != 1:
            out.reasons.append(f"{row.place}的标准不止一档（{'、'.join(row.own_figures)}）")
            continue
        values.append((row.place, *figs[0]))
    if out.reasons or len(values) < 2:
        return out
    units = {v[2] for v in values}
    if len(units) > 1:
        out.reasons.append("计量单位不同（" + "、".join(f"{p}：{u}" for p, _, u, _ in values) + "）")
    quals = {v[3] for v in values}
    targets = all(r.rules[0].kind == "target" for r in rows)
    if targets and "cap" not in quals:
        quals = {"target"}  # a goal 达到1/3 and a goal 35%以上 are both goals to reach: comparable
    if len(quals) > 1:
        out.reasons.append("性质不同（" + "、".join(f"{p}：{PREFIX.get(q, '定额')}" for p, _, _, q in values) + "）")
    if quals & {"cap", "floor"} and "%" not in units:
        out.reasons.append("金额是上限或下限，实际所得不一定按此数")
    if out.reasons:
        return out
    out.order = [p for p, *_ in sorted(values, key=lambda v: -v[1])]
    if len({v[1] for v in values}) == 1:
        out.order, out.reasons = [], ["数字相同"]
    return out


# ---------------------------------------------------------------------------------------- answer text


def render(rows: list[Row], draft: Draft, *, ranking: Ranking | None = None) -> None:
    """The comparison as a Markdown table (one row per place, in order), each row's quote cited below it."""
    marks: dict[int, int] = {}
    for i, row in enumerate(rows):
        if row.result is not None and row.quote:
            marks[i] = draft.cite(row.result, row.quote)
    draft.say("按地区对比如下（每行依据该地文件原文）：\n\n")
    draft.say("| 地区 | 文件 | 规定 | 领取方 | 状态 | 出处 |\n|---|---|---|---|---|---|\n")
    for i, row in enumerate(rows):
        doc = f"《{row.doc.title}》" if row.doc else "—"
        if row.covered:
            said = "；".join(row.figures) or (f"见原文，{row.note}" if row.note else "见原文")
            if row.total is not None and row.total.result is not None:
                draft.computed.append(row.total)
                said += f"；按您说的（{row.counted}）：{row.total.formula or ''}，共{fmt(row.total.result)}元"
            elif row.counted:
                said += f"；您说的“{row.counted}”未能按文件标准计算"
        else:
            said = row.note + (f"，请咨询{row.department}" if row.department else "")
        rule = row.rules[0] if row.rules else None
        payee = (rule.payee_text or PAYEE_ZH.get(rule.payee, "")) if rule and row.covered else "—"
        status = _status(row)
        mark = f"[{marks[i]}]" if i in marks else "—"
        draft.say(f"| {row.place} | {doc} | {_cell(said)} | {_cell(payee)} | {status} | {mark} |\n")
    for i, row in enumerate(rows):
        if i not in marks or row.result is None:
            continue
        lead = "" if row.covered else "（最接近的条款）"
        draft.say(f"\n{row.place}{lead}：依据{doc_line(row.doc) if row.doc else ''}{_label(row.result)}：")
        draft.segments += _quoted(row.quote, marks[i])
        for result, quote, _rule in row.also:
            n = draft.cite(result, quote)
            draft.say(f"\n{row.place}：另见{_label(result)}：")
            draft.segments += _quoted(quote, n)
    if ranking is not None:
        if ranking.comparable:
            by_place = {r.place: r for r in rows}
            said = "高于".join(f"{p}（{'、'.join(by_place[p].own_figures)}）" for p in ranking.order)
            goal = (
                "；这些是目标值，目标年限以原文为准"
                if all(r.rules and r.rules[0].kind == "target" for r in rows)
                else ""
            )
            draft.say(f"\n\n比较：按文件写的数字，{said}，{ranking.order[0]}更高（仅比较文件所列数字{goal}）。")
        else:
            draft.say("\n\n比较：不能直接比较——" + "；".join(ranking.reasons) + "。")
    for row in rows:
        if row.doc is not None and row.result is not None:
            msg = row.doc.caution()
            if msg and msg not in draft.warnings:
                draft.warnings.append(msg)
                draft.say("\n⚠ " + msg)
    if not any(r.covered for r in rows):
        draft.refused = True


def _status(row: Row) -> str:
    if row.doc is None:
        return "无文件"
    return {"draft": "征求意见稿", "unknown": "来源不详", "in_force": "现行"}.get(row.doc.status, row.doc.status)


def _cell(text: str) -> str:
    return text.replace("|", "｜").replace("\n", " ")


def _label(result: SearchResult) -> str:
    c: Clause = result.clause
    return c.heading_path[-1] if c.heading_path else c.title


def _quoted(quote: str, n: int) -> list[Any]:
    from app.answer.offline import Segment

    return [Segment("“"), Segment(quote, quote=True), Segment(f"”[{n}]")]
