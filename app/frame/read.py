"""The offline reader: a question in everyday Chinese → a ``QuestionFrame``.

No language model. The reader works in layers, each on the output of the
one before, and never on a phrase of any particular document:

1. the text in Simplified script with ASCII digits (spans point into it);
2. every number and its kind (``app.frame.numbers``);
3. places (the gazetteer) and levels (the ordered ladders);
4. groups: a count with the noun phrase after it (3个中职学徒) or before it
   (高级技师2人), subsets (其中3个), the rest (其他的), additions (再加两个);
5. concept mentions (社保, 合同, 考核, 户籍 …, from ``concepts.yaml``) with their
   polarity (没/未/还没…), "elsewhere" (子公司, 外地, another place), a value
   (交了2个月社保) and whether they are asked about — attached to the group
   whose words they are in, otherwise facts about the user;
6. money with its role (base, deduction), time spans, and claims about the
   text (…是48个月吧, 听说上浮50%);
7. what the question asks (a sum, a check, everything one may get, a
   comparison, the document itself).

Closed-class word lists live in ``app/resources/question_words.yaml``.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from functools import lru_cache

from app.frame.numbers import to_ascii_digits, tokenize
from app.frame.places import find_places
from app.frame.schema import (
    Claim,
    Fact,
    Group,
    Intent,
    LevelMention,
    Money,
    NumberToken,
    PlaceMention,
    Qualifier,
    QuestionFrame,
    Span,
    TimeSpan,
)
from app.frame.words import question_words, words_pattern
from ingest.textproc import Tokenizer, is_traditional, to_simplified
from ingest.vocab import vocabulary

AMBIGUOUS = -1  # 其中… after several groups, naming none of them

_CLAUSE_END = re.compile(r"[，,。；;？?！!\n：:（）()]|\s{1,}|但是|但|不过|可是|而且|并且")
_LIST_SEP = re.compile(r"[、/]")


# What follows a period when the figure for that period is asked (每月能拿多少 / 一个月给多少).
_ASKS_FIGURE = (
    r"\s*(?:多少|能拿多少|能领多少|可以拿多少|可以领多少|给多少|补多少|发多少|是多少|有多少|几|一共|合计|总共)"
)


def normalise(question: str) -> str:
    """Simplified script, ASCII digits, one character for one so that spans stay valid."""
    text = to_simplified(question)
    if len(text) != len(question):
        text = "".join(c if len(s := to_simplified(c)) != 1 else s for c in question)
    return to_ascii_digits(text)


@lru_cache(maxsize=1)
def _default_tokenizer() -> Tokenizer:
    return Tokenizer()


# Words that end in the first character of 子公司/分公司/母公司/总公司 and make a longer name of it: 电子公司,
# 部分公司 are a company, not a subsidiary.
_COMPOUND_LEADS = (
    "电子",
    "原子",
    "分子",
    "种子",
    "量子",
    "粒子",
    "光子",
    "部分",
    "百分",
    "字母",
    "酵母",
    "父母",
    "汇总",
)


def says_elsewhere(text: str) -> bool:
    """Whether the words say the fact holds elsewhere (外地, 老家, 子公司, 劳务派遣)."""
    for w in vocabulary().elsewhere:
        start = text.find(w)
        while start >= 0:
            if not (start > 0 and text[start - 1] + w[0] in _COMPOUND_LEADS):
                return True
            start = text.find(w, start + 1)
    return False


def read_question(
    question: str,
    *,
    places: dict[str, str] | None = None,
    tokenizer: Tokenizer | None = None,
    aliases: dict[str, str] | None = None,
) -> QuestionFrame:
    """The frame of one question. ``places`` adds names the gazetteer may not know (from the manifest),
    ``aliases`` what users call them (园区 → 苏州工业园区)."""
    text = normalise(question.strip())
    frame = QuestionFrame(question=question, text=text, traditional=is_traditional(question))
    frame.numbers = tokenize(text)
    frame.places = _places(text, places, aliases)
    frame.levels = _levels(text)
    reader = _Reader(frame, tokenizer or _default_tokenizer())
    reader.groups()
    reader.concepts()
    reader.money_spans_claims()
    frame.intent, frame.asks_total = _intent(frame)
    frame.follow_up = _leans_on_history(frame)
    return frame


# ---------------------------------------------------------------------------------------------- places, levels


def _places(text: str, extra: dict[str, str] | None, aliases: dict[str, str] | None = None) -> list[PlaceMention]:
    found = [p for p in find_places(text, extra, aliases) if not _inside_other_words(text, p)]
    if len(found) < 2:
        return found
    out = []
    for p in found:
        clause = _clause_of(text, p.span.start)
        # A place in a fact of the user's (户籍在成都, 在泉州交的社保) is not the place whose policy is asked,
        # as long as another place is named for that.
        fact_words = vocabulary().concepts_in(text[clause.start : clause.end])
        is_fact = bool(fact_words) and bool(
            re.search(r"(?:在|到|是|迁到|转到|来自)\s*$", text[max(0, p.span.start - 4) : p.span.start])
        )
        # 据说厦门给得多，我们这边呢: a place the user heard about is not the one asked about.
        is_fact = is_fact or bool(words_pattern("hearsay").search(text[max(0, p.span.start - 4) : p.span.start]))
        out.append(p.model_copy(update={"role": "fact"}) if is_fact else p)
    if not any(p.role == "about" for p in out):
        out[0] = out[0].model_copy(update={"role": "about"})
    return out


def _inside_other_words(text: str, p: PlaceMention) -> bool:
    """A short place name read across other words (新建的 → 新建区, 评上高级技师 → 上高县): a place said
    without its 区/县/市 that overlaps a level or a condition word not about a place is those words."""
    if len(p.text) > 2 or p.text.endswith(("区", "县", "市", "省")):
        return False
    vocab = vocabulary()
    s, e = p.span.start, p.span.end
    words = [(a, b) for a, b, lv in vocab.levels_in(text)]
    words += [(a, b) for a, b, c, _ in vocab.concepts_in(text) if not c.place]
    return any(a < e and s < b for a, b in words)


def _levels(text: str) -> list[LevelMention]:
    return [
        LevelMention(ladder=lv.ladder, level=lv.level, rank=lv.rank, text=text[s:e], span=Span(start=s, end=e))
        for s, e, lv in vocabulary().levels_in(text)
    ]


def _clause_of(text: str, pos: int) -> Span:
    start = 0
    for m in _CLAUSE_END.finditer(text):
        if m.end() <= pos:
            start = m.end()
        elif m.start() >= pos:
            return Span(start=start, end=m.start())
    return Span(start=start, end=len(text))


_PERSON_HEAD = re.compile(r"(?:生|徒|人|员|工|师|者|才|俊|手|长|匠|模|家|户|属|子|女|友)$")


def _names_a_mix(words: str) -> bool:
    """国家级和省赛选手都有 / 有世界级的也有市级的: two levels or more said to be present, no count."""
    if re.search(r"\d|[一二两三四五六七八九十俩仨]\s*[个名位人家]", words):
        return False
    levels = {lv.level for _, _, lv in vocabulary().levels_in(words)}
    said = re.search(r"都有|也有|均有|各有|兼有|都包括|都涉及|都占", words)
    # 青年才俊和高端人才都有 / 有领军人才也有高端人才: two names said to be present, whatever they are.
    two = re.search(r"[\u4e00-\u9fff]{2,}(?:和|与|跟|及|、)[\u4e00-\u9fff]{2,}|有[\u4e00-\u9fff]{2,}[，,]?也有", words)
    return bool(said) and (len(levels) >= 2 or bool(two))


def _clauses(text: str) -> list[Span]:
    out, start = [], 0
    for m in _CLAUSE_END.finditer(text):
        if m.start() > start:
            out.append(Span(start=start, end=m.start()))
        start = m.end()
    if start < len(text):
        out.append(Span(start=start, end=len(text)))
    return out


# ---------------------------------------------------------------------------------------------- the reader


class _Reader:
    def __init__(self, frame: QuestionFrame, tokenizer: Tokenizer):
        self.f = frame
        self.tokenizer = tokenizer
        self.text = frame.text
        self.words = question_words()
        self.used: set[int] = set()  # numbers placed by this reader (counts, concept values, claims …)
        self.group_text: list[Span] = []
        # 这3个人里有2个…: the earlier group a count refers back to, and where its sentence ends.
        self.referred: tuple[int, int] | None = None
        # 这5个都交了社保: a count that names an earlier group again to say something of it, and where
        # its sentence ends (start, end, group).
        self.aliases: list[tuple[int, int, int]] = []

    # -------------------------------------------------------------- groups

    def groups(self) -> None:
        text = self.text
        counts = [(i, t) for i, t in enumerate(self.f.numbers) if t.role == "count"]
        # The rest of a group (其他的都…) is a group without a number.
        rests = [m for m in words_pattern("complement").finditer(text)]
        items: list[tuple[int, int | None, re.Match[str] | None]] = [(t.span.start, i, None) for i, t in counts]
        for m in rests:
            nxt = next((t for _, t in counts if 0 <= t.span.start - m.end() <= 1), None)
            if nxt is None:
                items.append((m.start(), None, m))
        items.sort(key=lambda x: x[0])
        for _, index, rest in items:
            if index is not None and self._claimed_count(index):
                t = self.f.numbers[index]
                self.f.claims.append(Claim(text=t.text, value=t.value, unit="人", number=index, span=t.span))
                self.used.add(index)
            elif index is not None and self._per_unit_of_money(index):
                self.used.add(index)  # 1000元一个人: what the money is per, not a group
                self.f.numbers[index] = self.f.numbers[index].model_copy(update={"role": "per_unit"})
            elif index is not None:
                self._count_group(index)
            elif rest is not None:
                self._rest_group(rest)
        # Each group's words run to the next group or the end of its clause.
        starts = [g.span.start for g in self.f.groups]
        # A clause that only says what the previous group is (都是中级工层次的 / 均为高职) belongs to it.
        extra: dict[int, str] = {}
        for c in _clauses(text):
            words = text[c.start : c.end]
            if any(c.start <= s0 < c.end for s0 in starts):
                continue
            saying = re.match(r"(?:他们|她们|这些人|这些学生)?(?:都是|全是|均为|全部是|都属于|都为|均是)", words)
            # 经认定属于高端人才 / 被认定为技能大师: a category said of the group, whatever the rule calls it.
            naming = re.match(r"(?:他|她|他们|她们|这个人|此人)?(?:经|已|已经|被)?(?:认定|评定|评)?(?:属于|为)", words)
            if (saying and vocabulary().levels_in(words)) or (naming and naming.end() >= 2):
                before = [k for k, g in enumerate(self.f.groups) if g.span.start < c.start and g.parent is None]
                if before:
                    extra[before[-1]] = words
                continue
            if _names_a_mix(words):
                # 6位选手，国家级和省级的都有: the levels of the group said just before, without their
                # counts — that group is a mix of its own, not a part of the one before it.
                before = [k for k, g in enumerate(self.f.groups) if g.span.start < c.start]
                if before:
                    k = before[-1]
                    extra[k] = words
                    g = self.f.groups[k]
                    if g.parent is not None and not g.qualifiers and not g.complement:
                        self.f.groups[k] = g.model_copy(update={"parent": None, "only": False})
                continue
            # 20个焊工参加培训，焊工在紧缺工种目录里: a clause whose subject is an earlier group's name
            # says something of that group.
            generic = set(self.words["generic_labels"])
            named = [
                k
                for k, g in enumerate(self.f.groups)
                if g.span.start < c.start
                and len(g.label) >= 2
                and g.label not in generic
                and re.match(
                    rf"(?:这些|这|那些|那)?(?:\d+|[一二两三四五六七八九十俩仨]+)?[个名位]?{re.escape(g.label)}", words
                )
            ]
            if named and named[-1] not in extra:
                extra[named[-1]] = words
        self.group_text = []
        for k, g in enumerate(self.f.groups):
            clause = _clause_of(text, g.span.end - 1 if g.span.end > g.span.start else g.span.start)
            end = min([s for s in starts if s > g.span.start] + [clause.end])
            end = max(end, g.span.end)
            self.group_text.append(Span(start=g.span.start, end=end))
            words = text[g.span.start : end] + (("，" + extra[k]) if k in extra else "")
            self.f.groups[k] = g.model_copy(update={"text": words})

    def _per_unit_of_money(self, index: int) -> bool:
        t = self.f.numbers[index]
        if t.value != 1 or t.unit not in ("个", "人", "名", "位"):
            return False
        # 1000元一个人 / 1000元/人 — not 注册资金200万元，1位高职 (a comma between: the next item).
        return any(
            m.role == "money"
            and 0 <= t.span.start - m.span.end <= 1
            and not re.match(r"[，,。；;、\s]", self.text[m.span.end : t.span.start])
            and self.text[t.span.end : t.span.end + 1] != "月"
            for m in self.f.numbers
        )

    def _refers_back(self, tok: NumberToken) -> int | None:
        """这3个人里 / 上述3人中 / 3个人当中: a count that names an earlier group again (the same count,
        followed by 里/中) to take a part of it, not a new group."""
        text = self.text
        after = re.match(
            r"\s*(?:个|名|位)?\s*(?:人|员工|职工|学徒|学生|徒弟)?\s*(?:里面|里头|里|当中|之中|中间|中)(?![级职专])",
            text[tok.span.end : tok.span.end + 8],
        )
        if after is None:
            return None
        lead = text[max(0, tok.span.start - 4) : tok.span.start]
        demonstrative = re.search(r"(?:这|这些|那|那些|上述|上面|以上|前面|刚才说的|刚说的)的?\s*$", lead)
        same = [
            k
            for k, g in enumerate(self.f.groups)
            if g.parent is None and g.count is not None and g.count == tok.value and not g.complement
        ]
        if not same or (len(same) > 1 and not demonstrative):
            return None
        return same[-1]

    def _count_group(self, index: int) -> None:
        tok = self.f.numbers[index]
        text = self.text
        referred = self._refers_back(tok)
        if referred is not None:
            stop = re.search(r"[。；;？?！!]", text[tok.span.end :])
            self.referred = (referred, tok.span.end + stop.start() if stop else len(text))
            self.used.add(index)
            self.f.numbers[index] = tok.model_copy(update={"role": "again"})
            return
        again = self._named_again(tok)
        if again is not None:
            stop = re.search(r"[。；;？?！!]", text[tok.span.end :])
            self.aliases.append((tok.span.start, tok.span.end + stop.start() if stop else len(text), again))
            self.used.add(index)
            self.f.numbers[index] = tok.model_copy(update={"role": "again"})
            return
        # 3人 / 2名: a measure that is itself the noun takes no noun after it (1人合同签在了子公司).
        after_label, after_end = ("", tok.span.end) if tok.unit == "人" else self._label_after(tok.span.end)
        before_label, before_start = self._label_before(tok.span.start)
        generic = set(self.words["generic_labels"])
        # What the group's own words say after the count, up to the end of its clause (5人取得中级工).
        clause = _clause_of(text, tok.span.start)
        nxt = next(
            (t.span.start for t in self.f.numbers if t.span.start > tok.span.start and t.role == "count"), clause.end
        )
        own_words = re.split(r"[、/]|和|及|与|跟", text[tok.span.end : min(clause.end, nxt)])[0]
        # 中职7个高职3个: a noun right after the count that is itself followed by a count is the next
        # group's name; this count's name came before it.
        nxt_count = re.match(
            r"\s*(?:\d+|[一二两三四五六七八九十俩仨]+)\s*[个名位人家]", text[after_end : after_end + 5]
        )
        if after_label and nxt_count:
            # …unless the next count has a noun of its own (2个高级技师3个技师: each count names its own).
            theirs, _ = self._label_after(after_end + nxt_count.end())
            if not theirs or theirs in set(self.words["generic_labels"]):
                own_words = own_words.replace(after_label, "", 1)
                after_label, after_end = "", tok.span.end
        own_level = bool(vocabulary().levels_in(own_words))
        label, start, end = after_label, tok.span.start, after_end
        # 高职里有1个… / 中职当中有2个…: part of the group named before 里/中.
        within = re.match(r"^(.+?)(?:里面|里|当中|之中|中)$", before_label) if before_label else None
        if re.fullmatch(r"(?:里面|里头|里|当中|之中|中间|中)有?", before_label):
            before_label = ""  # 上述5人中有1个: what is left of the group referred to, not a name
        if within and not after_label:
            before_label = ""
        if (
            (not after_label or after_label in generic)
            and before_label
            and tok.unit in ("个", "名", "位", "人", "家", "所", "项", "")
            and not own_level
        ):
            label, start, end = (
                before_label,
                before_start,
                max(tok.span.end, after_end if after_label else tok.span.end),
            )
        if not label:
            label = tok.unit if tok.unit in ("人", "家") else ""
        lead = text[max(0, start - 6) : start]
        lead_count = text[max(0, tok.span.start - 6) : tok.span.start]
        parent = None
        if within is not None:
            name = within.group(1)
            parent = next(
                (
                    k
                    for k in range(len(self.f.groups) - 1, -1, -1)
                    if self.f.groups[k].label and (name in self.f.groups[k].label or self.f.groups[k].label in name)
                ),
                None,
            )
        if self.referred is not None and tok.span.start < self.referred[1]:
            whole = self.f.groups[self.referred[0]]
            if parent is None and whole.count is not None and tok.value <= whole.count:
                parent = self.referred[0]
        if parent is None:
            parent = self._breakdown_of(tok)
        if parent is not None:
            pass
        elif words_pattern("subset").search(lead[-4:]) or words_pattern("subset").search(lead_count[-5:]):
            parent = self._subset_parent(label + own_words, tok.span.start)
        elif (
            (pre := text[clause.start : tok.span.start])
            and words_pattern("subset").match(pre)
            and len(pre) <= 12
            and not re.search(r"\d|[一二两三四五六七八九十俩仨][个名位人家]", pre)
        ):
            # 其中领军人才有一个好几年前就来大连了: 其中 opens the clause, the count comes after a name.
            parent = self._subset_parent(pre + label + own_words, tok.span.start)
        elif (
            label
            and label not in generic
            and not words_pattern("additive").search(lead[-4:])
            and (named := self._named_part_of(label, tok, own_words)) is not None
        ):
            parent = named
        elif (not label or label in generic) and self.f.groups and not own_level:
            # 8个学徒，3个没通过考核: a bare count after a named group is part of it — unless it names
            # a level of its own (4个拿了技师、2个拿了高级技师 are side by side).
            top = self._last_top_group()
            top_count = self.f.groups[top].count if top is not None else None
            if top is not None and top_count is not None and tok.value <= top_count:
                parent = top
        complement = bool(re.search(r"(?:其他|其余|剩下|剩余|另外)的?\s*$", lead))
        selected = False
        if parent is None and not complement:
            # 实习考核通过的有8个: the ones a condition's words pick out of the whole before — only they.
            parent = self._picked_out(tok, clause)
            selected = parent is not None
            if selected and label in ("的", "有"):
                label = ""
        if complement and parent is None:
            parent = self._whole_left(tok.value)
        if complement and parent is None:
            parent = self._last_top_group()
            whole_count = self.f.groups[parent].count if parent is not None else None
            if whole_count is not None and tok.value >= whole_count:
                # 一个进了决赛，另外两个也报了名: two more people, not the rest of one.
                parent, complement = None, False
        additive = bool(words_pattern("additive").search(lead[-4:])) and not complement
        only = (bool(re.search(r"(?:只有|仅有|只|仅|就)\s*$", lead)) and parent is not None) or selected
        is_self = bool(words_pattern("self_markers").search(lead)) and tok.value == 1
        # 公司500来人 / 一万二千来号员工: the size of the organisation, said about it, not counted.
        # 3000多名在校生: the headcount noun follows the count.
        head_after = re.match(
            r"\s*(?:来|多|余)?\s*[号名个位]?\s*(?:员工|职工|教职工|在校生|人)",
            self.f.text[tok.span.end : tok.span.end + 8],
        )
        is_size = tok.approximate and (
            not label or label in generic or label.endswith(("人", "员工", "职工")) or head_after is not None
        )
        count = int(tok.value) if tok.value == tok.value.to_integral_value() and not tok.approximate else None
        if is_size:
            is_self = True
        several = parent == AMBIGUOUS
        if several:
            parent = None
        self.f.groups.append(
            Group(
                count=count,
                label=label,
                parent=parent,
                part_of_several=several,
                complement=complement,
                additive=additive,
                only=only,
                number=index,
                span=Span(start=min(start, tok.span.start), end=max(end, tok.span.end)),
                qualifiers=[Qualifier(text=lead, concept="self", span=Span(start=start, end=start))] if is_self else [],
            )
        )
        self.used.add(index)

    def _named_again(self, tok: NumberToken) -> int | None:
        """这8个都跟我们签了合同: 这/这些 and the count of an earlier group (not followed by 里/中, which
        takes a part of it) name that group again."""
        lead = self.text[max(0, tok.span.start - 3) : tok.span.start]
        if not re.search(r"(?:这|这些|那|那些|上述)\s*$", lead):
            return None
        same = [
            k
            for k, g in enumerate(self.f.groups)
            if g.count is not None and g.count == tok.value and not g.complement and g.number is not None
        ]
        return same[-1] if len(same) == 1 else None

    def _picked_out(self, tok: NumberToken, clause: Span) -> int | None:
        """考核通过的有8个 / 拿到证书的是3个: words of a condition, then 的有/的是 and a count smaller than
        the whole before — the part of that whole the words pick out."""
        pre = self.text[clause.start : tok.span.start]
        m = re.search(r"的\s*(?:有|是|共有|一共有)\s*$", pre)
        if m is None or not vocabulary().concepts_in(pre[: m.start()]):
            return None
        if vocabulary().levels_in(pre):
            return None  # 拿到技师证的有4名: a group of its level beside the others, not a part picked out
        top = self._last_top_group()
        if top is None:
            return None
        whole = self.f.groups[top].count
        return top if whole is not None and tok.value < whole else None

    def _breakdown_of(self, tok: NumberToken) -> int | None:
        """8个学生：5个中职、3个高职 / 通过的有8个（中职5个、高职3个）: counts listed after a colon or in
        brackets right after a group, adding up to it, are its parts by category."""
        # The group the counts follow (a whole, or a part picked out of one: 通过的有8个（…）).
        for top in range(len(self.f.groups) - 1, -1, -1):
            g = self.f.groups[top]
            if g.complement or g.count is None or g.span.end > tok.span.start:
                continue
            between = self.text[g.span.end : tok.span.start]
            opener = re.match(r"[^。；;！!？?，,、]{0,3}?([：:（(])", between)
            if opener is None or re.search(r"[。；;！!？?]", between):
                continue
            start = g.span.end + opener.end()
            close = "）)" if opener.group(1) in "（(" else "。；;！!？?"
            stop = next((i for i in range(start, len(self.text)) if self.text[i] in close), len(self.text))
            listed = [t for t in self.f.numbers if t.role == "count" and start <= t.span.start < stop]
            if tok not in listed or len(listed) < 2 or any(t.approximate for t in listed):
                return None
            return top if sum(t.value for t in listed) == g.count else None
        return None

    def _named_part_of(self, label: str, tok: NumberToken, own_words: str) -> int | None:
        """4个中职、2个高职……其中1个高职的考核没过: a smaller count of a group named again, with
        something said of it, is a part of that group — when nothing was said of the group itself."""
        vocab = vocabulary()
        mine = {lv.level for _, _, lv in vocab.levels_in(label)}
        if not mine or not (vocab.concepts_in(own_words) or self._predicate(own_words)):
            return None
        for k in range(len(self.f.groups) - 1, -1, -1):
            g = self.f.groups[k]
            if g.complement or g.count is None or {lv.level for _, _, lv in vocab.levels_in(g.label)} != mine:
                continue
            if g.count <= tok.value:
                return None
            clause = _clause_of(self.text, g.span.start)
            nxt = min([h.span.start for h in self.f.groups if h.span.start > g.span.start] + [clause.end])
            said = self.text[g.span.end : max(nxt, g.span.end)]
            if vocab.concepts_in(said) or self._predicate(said):
                return None
            return k
        return None

    def _whole_left(self, value: Decimal) -> int | None:
        """8个学生：5个中职、3个高职，有2个高职没交社保，其余6个…: the whole that the rest is left of —
        its count less the parts taken out of its parts (8 − 2), when its parts list it by category."""
        groups = self.f.groups
        for k in range(len(groups) - 1, -1, -1):
            g = groups[k]
            if g.parent is not None or g.complement or g.count is None:
                continue
            kids = [j for j, h in enumerate(groups) if h.parent == k and not h.complement]
            if not kids or any(groups[j].count is None for j in kids):
                continue
            if sum(groups[j].count or 0 for j in kids) != g.count:
                continue
            taken = [h.count for h in groups if h.parent in kids and not h.complement]
            if taken and None not in taken and g.count - sum(n or 0 for n in taken) == value:
                return k
        return None

    def _rest_group(self, m: re.Match[str]) -> None:
        # 其中2个…，其他的…: the rest of the same whole the last part was taken from.
        last_part = next((g for g in reversed(self.f.groups) if g.parent is not None and not g.complement), None)
        parent = last_part.parent if last_part is not None else self._last_top_group()
        if parent is None:
            return
        self.f.groups.append(
            Group(
                count=None,
                label=self.f.groups[parent].label,
                parent=parent,
                complement=True,
                span=Span(start=m.start(), end=m.end()),
            )
        )

    def _claimed_count(self, index: int) -> bool:
        """大连工匠是每年评20个吧？: a count the user says the text gives, not people of his own."""
        t = self.f.numbers[index]
        clause = _clause_of(self.text, t.span.start)
        start = max([m.end() for m in re.finditer(r"[。？?！!]", self.text[: t.span.start])], default=0)
        end_m = re.search(r"[。？?！!]", self.text[t.span.start :])
        sentence = self.text[start : t.span.start + end_m.end() if end_m else len(self.text)]
        confirm = re.search(r"吧|对吧|对吗|是吧|是不是|听说|据说", sentence) or (
            sentence.rstrip().endswith(("？", "?")) and re.search(r"就是|也就|一共就", sentence)
        )
        if not confirm:
            return False
        lead = self.text[clause.start : t.span.start]
        if words_pattern("first_person").search(re.sub(r"(?:告诉|给|帮|替|问|跟|对)我们?", "", lead)):
            return False
        return bool(re.search(r"是|评|选|有|招|培养|达到|规定", lead)) and not re.search(
            r"我们|我|咱", sentence[: t.span.start - start]
        )

    def _subset_parent(self, own_words: str = "", at: int | None = None) -> int | None:
        """其中… refers to the last whole: the last top group, or the total its parts were listed after.
        After several groups side by side (3个中职、9个高职，其中2个…) it is the one the part names, or
        none (``AMBIGUOUS``) when it names none."""
        top = self._last_top_group()
        if top is None:
            return None
        parts = [k for k in range(len(self.f.groups)) if self.f.groups[k].parent is None]
        # 27名青年才俊、领军人才25个、两位高端人才，其中23名领军人才…: the group the part names, whatever
        # the counts happen to add up to.
        generic = set(self.words["generic_labels"])
        named_by_label = [
            k
            for k in parts
            if self.f.groups[k].label
            and self.f.groups[k].label not in generic
            and self.f.groups[k].label in own_words
            and not any(q.concept == "self" for q in self.f.groups[k].qualifiers)
        ]
        if len(named_by_label) == 1 and len(parts) >= 2:
            return named_by_label[0]
        # 一共10个…，中职7个高职3个，其中2个…: the parts follow their total; 其中 is about the total.
        for i, k in enumerate(parts):
            said_total = re.search(
                r"(?:一共|总共|共有|合计|总计|共)\s*(?:有|是)?\s*$",
                self.text[max(0, self.f.groups[k].span.start - 5) : self.f.groups[k].span.start],
            )
            if len(parts[i + 1 :]) < 2 and not said_total:
                continue  # 3个青年才俊，3位领军人才: one group beside another, not its total
            own_label = self.f.groups[k].label
            if (
                not said_total
                and own_label
                and own_label not in generic
                and not all(own_label in (self.f.groups[j].label or "") for j in parts[i + 1 :])
            ):
                continue  # 30位青年才俊，领军人才16个，高端人才14个: a group of its own, whatever the sum
            nxt = parts[i + 1] if i + 1 < len(parts) else None
            upto = self.f.groups[nxt].span.start if nxt is not None else self.f.groups[k].span.end
            said = self.text[self.f.groups[k].span.start : max(upto, self.f.groups[k].span.end)]
            if any(lv.ladder != "admin" for _, _, lv in vocabulary().levels_in(self.f.groups[k].text or said)):
                continue  # 2个徒弟考上了高级工，2位高级技师: a group of its own level (not 参加了市技能大赛的)
            total = self.f.groups[k].count
            rest = [self.f.groups[j].count for j in parts[i + 1 :]]
            if total is not None and rest and None not in rest and sum(r for r in rest if r is not None) == total:
                return k
        tops = [
            k
            for k in parts
            if self.f.groups[k].count is not None and not any(q.concept == "self" for q in self.f.groups[k].qualifiers)
        ]
        if at is not None and len(tops) >= 2:
            # 1个进了世赛决赛；另外4个参加了市赛，其中3个…: 其中 is about the wholes of its own sentence.
            start = max([m.end() for m in re.finditer(r"[。；;！!？?]", self.text[:at])], default=0)
            own = [k for k in tops if self.f.groups[k].span.start >= start]
            if own:
                tops = own
        if len(tops) >= 2:
            mine = {lv.level for _, _, lv in vocabulary().levels_in(own_words)}
            named = [
                k
                for k in tops
                if mine
                & {lv.level for _, _, lv in vocabulary().levels_in(self.f.groups[k].text or self.f.groups[k].label)}
            ]
            if len(named) == 1:
                return named[0]
            by_label = [k for k in tops if self.f.groups[k].label and self.f.groups[k].label in own_words]
            if len(by_label) == 1:
                return by_label[0]
            return AMBIGUOUS
        return top

    def _last_top_group(self) -> int | None:
        for k in range(len(self.f.groups) - 1, -1, -1):
            if self.f.groups[k].parent is None and not self.f.groups[k].complement:
                return k
        return None

    def _label_after(self, pos: int) -> tuple[str, int]:
        """The noun phrase right after a count: 中职学徒 in 3个中职学徒都过了 (whole jieba words)."""
        text = self.text
        # 一个38岁的技能人才 / 3个35岁以下的: a modifier with a number is not the noun.
        mod = re.match(
            r"(?:来|多|余)?\s*(?:\d+|[一二两三四五六七八九十]+)\s*(?:周岁|岁)(?:以下|以上|左右)?的?",
            text[pos : pos + 10],
        )
        if mod:
            pos += mod.end()
        elif text[pos : pos + 1] in ("来", "多", "余"):
            pos += 1
        window = text[pos : min(len(text), pos + 14)]
        if re.match(r"\s*(?:和|及|与|跟|以及|还有|、)", window):
            return "", pos  # 高端人才6名和领军人才有2个: what follows the conjunction is the next group
        stops = set(self.words["phrase_end"])
        generic = set(self.words["generic_labels"])
        head = next((g for g in sorted(generic, key=len, reverse=True) if window.startswith(g)), "")
        if head in ("人", "个人", "名员工", "名职工"):
            return head, pos + len(head)  # 3个人评上大连工匠: the person is the noun, the rest says what they did
        label = ""
        last = ""
        for w in self.tokenizer.words(window):
            if label and label in generic:
                break  # 3个人评上大连工匠: the person is the noun, the rest says what they did
            if w in ("了", "过", "着") and label:
                label = label[: len(label) - len(last)]  # 6个进了决赛: the word before 了 is a verb
                break
            last = w
            if _CLAUSE_END.fullmatch(w) or _LIST_SEP.fullmatch(w) or re.search(r"\d", w) or w.strip() in stops:
                break
            if re.fullmatch(r"[零〇一二两三四五六七八九十俩仨]+[个名位人家]?", w):
                break
            label += w
        label = label.strip()
        trimmed = label.removeprefix("的")
        # 2个社保还没交 / 1个高职的学生合同签了: a condition word that something is said of ends the
        # group's name (but 毕业班实习学生 is a name).
        for c_start, c_end, c, _ in vocabulary().concepts_in(trimmed):
            if c_start == 0 and c_end < len(trimmed) and not _PERSON_HEAD.search(trimmed):
                # 1位社保一直在老家交: the count's words open with a condition said of them — no name.
                trimmed = ""
                break
            # 3个新评上技师: a verb of the act done (新评上) ends the name too.
            if (
                c_end == len(trimmed)
                or c.states_done(trimmed[c_start:c_end])
                or re.match(r"[签交缴过了没未不已都还也满刚才挂却下上今明去在是要会被从由]", trimmed[c_end])
            ):
                glued = c_start > 0 and trimmed[c_start - 1] != "的"
                trimmed = trimmed[:c_start].removesuffix("的")
                # 1个实习考核不达标: 实习 is part of the condition's words (实习考核), not a name of people —
                # a name ends in a word for people (学徒, 学生, 技师, 人才) or is a level (高职).
                if glued and trimmed and not _PERSON_HEAD.search(trimmed) and not vocabulary().levels_in(trimmed):
                    trimmed = ""
                break
        if trimmed in ("新", "刚", "刚刚", "都", "也", "又", "再", "还", "已", "全", "均"):
            trimmed = ""  # 3个新取得技师: an adverb of what follows, not a name
        after = text[pos + len(label) : pos + len(label) + 6] if trimmed == label.strip() else ""
        if (
            after
            and trimmed
            and any(s == 0 for s, _, _, _ in vocabulary().concepts_in(after))
            and not _PERSON_HEAD.search(trimmed)
            and not vocabulary().levels_in(trimmed)
        ):
            trimmed = ""  # 1个实习考核不达标: the words of the condition (实习考核), not a name
        return trimmed, pos + (len(label) - len(label.removeprefix("的"))) + len(trimmed)

    def _label_before(self, pos: int) -> tuple[str, int]:
        """The noun phrase right before a count: 高级技师 in 高级技师2人, 技师有3个, 市赛进了四个人."""
        text = self.text
        start = max(0, pos - 18)
        words = self.tokenizer.words(text[start:pos])
        # Before a count, a noun phrase may contain words that end one after it (培训基地有一家): stop only
        # at what cannot be inside a name.
        stops = set(self.words["phrase_end"]) - {"培训", "考核", "补", "拿", "领", "给", "各", "分别", "每人", "每个"}
        markers = (
            set(self.words["additive"])
            | set(self.words["replace"])
            | set(self.words["subset"])
            | set(self.words["complement"])
        )
        # Verbs between the noun and its count: 有, 共, 是, 进了, 一共, 达到.
        link = {
            "有",
            "共",
            "是",
            "为",
            "进",
            "进了",
            "进入",
            "入选",
            "获得",
            "取得",
            "拿到",
            "一共",
            "总共",
            "合计",
            "达到",
            "了",
            "共有",
            "还有",
        }
        while words and (words[-1].strip() in link or not words[-1].strip()):
            words.pop()
        label: list[str] = []
        for w in reversed(words):
            if _CLAUSE_END.fullmatch(w) or _LIST_SEP.fullmatch(w) or re.search(r"\d", w) or w in stops or w in markers:
                break
            # 高端人才有四名和领军人才有9人: a conjunction or another count ends the name.
            if w in ("和", "及", "与", "跟", "以及") or re.fullmatch(
                r"[零〇一二两三四五六七八九十百俩仨]+[个名位人家]?", w
            ):
                break
            glued = re.match(r"^(?:和|及|与|跟)(.+)$", w)  # 和领军 (one jieba word): 领军 is the name's start
            if glued and glued.group(1) not in ("平", "谐", "睦", "好"):
                label.insert(0, glued.group(1))
                break
            if w in (
                "再",
                "又",
                "加",
                "多",
                "其中",
                "里面",
                "这里面",
                "当中",
                "中间",
                "我们",
                "我",
                "公司",
                "单位",
                "企业",
                "厂里",
            ):
                break
            label.insert(0, w)
        joined = re.sub(r"^[个名位人家]+", "", "".join(label).strip())
        # 打算引进两个 / 考核有两个: a condition word before the count is not the group's name.
        for _c_start, c_end, _c, _neg in reversed(vocabulary().concepts_in(joined)):
            # …but a concept inside a name (国家级培训基地) stays in it.
            if c_end == len(joined) or re.match(r"[签交缴过了没未不已都还也满刚才挂却下上是在]", joined[c_end]):
                joined = joined[c_end:]
                break
        if not joined or len(joined) > 14:
            return "", pos
        end = start + len("".join(words))
        return joined, end - len(joined)

    # -------------------------------------------------------------- concepts (facts and qualifiers)

    def concepts(self) -> None:
        text = self.text
        vocab = vocabulary()
        mentions = vocab.concepts_in(text)
        # 好几年前就来大连了: an arrival long ago says the person was not newly brought in (引进), whatever
        # the place. (A bare 来大连 says nothing of when: not read as 新引进.)
        arrival = vocab.concept("引进")
        if arrival is not None:
            for p in self.f.places:
                lead = re.search(r"(?:来到|调到|调来|来)$", text[max(0, p.span.start - 2) : p.span.start])
                if lead is None:
                    continue
                s0 = p.span.start - len(lead.group(0))
                clause = _clause_of(text, s0)
                if not any(w in text[clause.start : s0] for w in arrival.negative_context):
                    continue
                if not any(s <= s0 < e or s0 <= s < p.span.end for s, e, _, _ in mentions):
                    mentions.append((s0, p.span.end, arrival, False))
            mentions.sort(key=lambda m: m[0])
        asked = re.compile("|".join(map(re.escape, vocab.asked)))
        readings: list[dict] = []
        labels = [g.span for g in self.f.groups]
        for k, (s, e, concept, negative_form) in enumerate(mentions):
            if any(sp.start <= s and e <= sp.end for sp in labels):
                continue  # part of a group's name (3家培训基地), not a fact about it
            clause = _clause_of(text, s)
            left = max(
                clause.start, mentions[k - 1][1] if k > 0 and mentions[k - 1][1] > clause.start else clause.start
            )
            right = min(
                clause.end,
                mentions[k + 1][0] if k + 1 < len(mentions) and mentions[k + 1][0] < clause.end else clause.end,
            )
            # 3个进了决赛、1个没进: the next group's words are its own, not this one's.
            right = min([right, *[g.span.start for g in self.f.groups if e <= g.span.start < right]])
            before, after = text[left:s], text[e:right]
            # 考核有两个没过: the concept is the topic of the count right after it; its polarity is there.
            topic_of = self._topic_group(e, clause)
            if topic_of is not None:
                span = self.group_text[topic_of]
                after = text[span.start : span.end]
            negated = (
                negative_form
                or self._negated(before, after)
                or any(w in before + after for w in concept.negative_context)
            )
            elsewhere = says_elsewhere(before + after)
            # Where the fact holds (在泉州交的社保): kept as said; whether it is the document's place is
            # decided against the document, not here.
            place = next(
                (p.name for p in self.f.places if clause.start <= p.span.start < clause.end and p.span.start < e + 8),
                "",
            )
            claimed = self._claim_sentence(s)
            held = set(self.used)
            value = None if claimed else self._value(concept.unit, clause, s, e, negated)
            if concept.term and value is not None:
                self.used = held  # 合同签了18个月: the number is read as a time span as well
            readings.append(
                {
                    "concept": concept.name,
                    "text": text[left:right],
                    "negated": negated,
                    "elsewhere": elsewhere,
                    "value": value,
                    "place": place,
                    # 培训和考核的情况我还没问 / 考核过没过不清楚: not known, neither so nor not so.
                    "asked": bool(asked.search(text[max(clause.start, s - 5) : min(clause.end, e + 5)]))
                    or bool(_UNKNOWN_TO_ME.search(text[e : clause.end])),
                    # 经认定属于青年才俊 / 被认定为…: a passive or 经 says it happened.
                    "affirmed": concept.states_done(text[s:e])
                    or bool(re.match(r"经|已", text[s:e]) or re.search(r"被\s*$", before) or after.startswith("属于"))
                    # 进了大连市技能大赛的决赛: a verb done, then the words that say which, then the concept.
                    or bool(re.search(r"了[^，,。；;？?！!吗]{1,10}$", before))
                    # 去年从南通一所技工学校毕业: a past time or where it came from says it happened.
                    or bool(re.search(r"(?:去年|前年|上个月|上月|早就|多年前|从)[^，,。；;？?！!吗]{0,12}$", before))
                    # 从厦门一所技工院校的预备技师班毕业: where one came from may take more words.
                    or bool(re.search(r"从[^，,。；;？?！!吗]{0,20}$", before) and concept.name == "毕业")
                    # 我是高级工班前年毕业的: 是…的 says what happened; 目前在南通一家工厂上班: a present state.
                    or bool(re.search(r"是", text[clause.start : s]) and after.startswith("的"))
                    or bool(re.match(r"(?:我|他|她)?(?:现在|目前|如今)", text[clause.start : s]))
                    # 我在厦门集美区一家电子公司上班: where one is, however many words name it.
                    or bool(
                        concept.place and re.match(r"\s*(?:我|他|她|本人)?(?:一直|已经)?在", text[clause.start : s])
                    )
                    or bool(
                        re.search(
                            r"了|过|已|都|有|满|在|签|交|缴|通过|完成|取得|拿到|考取|获得|是|回|去|到",
                            before[-5:] + after[:5],
                        )
                    )
                    # 如果我之后回台北上班: the case the user asks about is stated, as a supposition.
                    or bool(re.search(r"如果|要是|假如|假设|万一", text[clause.start : s]))
                    # 我25岁，台湾人，…: a clause that is the noun alone says what the user is.
                    or (text[clause.start : s] + text[e : clause.end]).strip() in ("", "人", "籍"),
                    "span": Span(start=s, end=e),
                    "gap": text[e : mentions[k + 1][0]] if k + 1 < len(mentions) else None,
                    "topic_of": topic_of,
                    "claimed": claimed,
                }
            )
        # 培训考核都过了 / 社保和合同都没: concepts joined by 和/、 share the words after the last one.
        for k in range(len(readings) - 2, -1, -1):
            r, nxt = readings[k], readings[k + 1]
            if (
                r["gap"] is not None
                and re.fullmatch(r"[和、及与跟\s]*", r["gap"])
                and not (r["negated"] or r["affirmed"])
            ):
                r["negated"], r["affirmed"], r["asked"] = nxt["negated"], nxt["affirmed"], nxt["asked"]
                r["elsewhere"] = r["elsewhere"] or nxt["elsewhere"]
        readings += self._place_verbs(readings)
        for r in readings:
            if not (r["negated"] or r["affirmed"] or r["elsewhere"] or r["value"] is not None):
                continue  # named as a topic (社保补贴是多少), not stated as a fact
            if r.get("claimed"):
                continue  # 听说要交满3个月社保才能领？: what the user believes the text requires, a claim
            owner = r["topic_of"] if r.get("topic_of") is not None else self._owner(r["span"].start)
            if owner is not None and not r["asked"]:
                g = self.f.groups[owner]
                g.qualifiers.append(
                    Qualifier(
                        text=r["text"],
                        concept=r["concept"],
                        negated=r["negated"],
                        elsewhere=r["elsewhere"],
                        value=r["value"],
                        place=r["place"],
                        span=r["span"],
                    )
                )
            else:
                self.f.facts.append(
                    Fact(
                        concept=r["concept"],
                        text=r["text"],
                        negated=r["negated"],
                        elsewhere=r["elsewhere"],
                        value=r["value"],
                        place=r["place"],
                        asked=r["asked"],
                        span=r["span"],
                    )
                )

        self._ellipsis()

    def _place_verbs(self, readings: list[dict]) -> list[dict]:
        """在厦门工作 / 人在外地上班 / 不在本市就业: where the user works, a fact for place conditions."""
        text = self.text
        taken = [r["span"] for r in readings if r["concept"] == "工作地"]
        out = []
        for m in re.finditer(r"(不|没|没有|并不)?\s*在\s*([\u4e00-\u9fff]{1,12}?)\s*(工作|上班|就业|打工|从事)", text):
            if any(t.start <= m.start(3) < t.end for t in taken):
                continue
            where = m.group(2)
            about = self.f.place_names("about")
            place = next((p for p in self.f.places if m.start(2) <= p.span.start < m.end(2)), None)
            # 在厦门湖里区上班 with 湖里区 asked about: the city holding the district is no other place.
            nested = place is not None and any(
                place.name in p.parents or p.name in place.parents for p in self.f.places if p.name in about
            )
            elsewhere = says_elsewhere(where) or (
                place is not None and bool(about) and place.name not in about and not nested
            )
            out.append(
                {
                    "concept": "工作地",
                    "text": m.group(0),
                    "negated": bool(m.group(1)),
                    "elsewhere": elsewhere,
                    "value": None,
                    "place": place.name if place is not None else ("" if not elsewhere else where),
                    "asked": False,
                    "affirmed": True,
                    "span": Span(start=m.start(3), end=m.end(3)),
                    "gap": None,
                }
            )
        return out

    def _ellipsis(self) -> None:
        """其他交了2个月 / 其余的都过了: a group whose words name no concept takes the concept its
        siblings were described by, with its own polarity and value."""
        groups = self.f.groups
        for k, g in enumerate(groups):
            if g.parent is None or g.qualifiers:
                continue
            siblings = [
                h
                for j, h in enumerate(groups)
                if j != k
                and (
                    h.parent == g.parent
                    or j == g.parent
                    or (h.parent is not None and groups[h.parent].parent == g.parent)
                )
            ]
            # The concept said last first: 有1名的社保还没交，其余9名交了三个月 — the months are the 社保's.
            told = sorted(
                (q for h in siblings for q in h.qualifiers if q.concept and q.concept != "self"),
                key=lambda q: q.span.start,
                reverse=True,
            )
            concepts = [q.concept for q in told]
            span = self.group_text[k]
            words = self.text[span.start : span.end]
            if not concepts:
                # 其中5位不符合资助条件 / 其中2个是老工作室 / 其中1个还在申报: what is said of the part, kept
                # as said; the accounting decides what it means for the rule at hand.
                said = self._predicate(words)
                if said is not None:
                    g.qualifiers.append(
                        Qualifier(text=words, concept="", negated=said, span=Span(start=span.start, end=span.end))
                    )
                continue
            negated = self._negated(words, "") or bool(self._predicate(words))
            affirmed = bool(re.search(r"了|过|已|都|满|交|缴|签|通过", words))
            if not (negated or affirmed):
                continue
            vocab = vocabulary()
            for name in dict.fromkeys(concepts):
                concept = vocab.concept(name)
                value = None
                if concept is not None and concept.unit == "个月":
                    for i, t in enumerate(self.f.numbers):
                        if t.role == "span" and i not in self.used and span.start <= t.span.start < span.end:
                            value = t.value
                            self.used.add(i)
                            break
                    if value is None and negated:
                        value = Decimal(0)
                g.qualifiers.append(
                    Qualifier(
                        text=words,
                        concept=name,
                        negated=negated,
                        value=value,
                        span=Span(start=span.start, end=span.end),
                    )
                )

    def _predicate(self, words: str) -> bool | None:
        """What a part of a group is said to be, without a concept: negated (不符合条件, 还没获批, 被淘汰),
        not new (是老工作室, 以前取得的), pending (还在申报), or None when nothing is said."""
        if re.search(r"不|没|未|淘汰|止步|落选|不符合|取消|失败|放弃|退出|离职|走了", words):
            return True
        if re.search(r"还在|正在|在公示|公示中|审核中|申报中|评审中|待审|待批|尚在", words):
            return True  # not yet
        if re.search(r"老|以前|之前|前年|去年就|好几年前|早就|早已|多年前|往年|原有|已有的", words):
            return True  # not new: fails a 新增/新取得/新引进 condition (the accounting checks the rule has one)
        return None

    def _topic_group(self, concept_end: int, clause: Span) -> int | None:
        """A group whose count follows the concept in the same clause with only 有/中/里 between."""
        for k, g in enumerate(self.f.groups):
            if g.number is None:
                continue
            t = self.f.numbers[g.number]
            if clause.start <= t.span.start < clause.end and 0 <= t.span.start - concept_end <= 4:
                if re.fullmatch(
                    r"(?:方面|这块|上|中|里|里面)?(?:有|中有|里有)?\s*", self.text[concept_end : t.span.start]
                ):
                    return k
        return None

    def _stated_figure(self, t: NumberToken, clause: Span) -> bool:
        """大连薪酬补贴是每人每月4000元、保障期36个月，我理解得对吧？ / 一共就是400万？: a figure the user
        states as what the text (or the sum) is, in a sentence that asks to confirm it."""
        if t.role not in ("money", "rate", "span"):
            return False
        start = max([m.end() for m in re.finditer(r"[。？?！!]", self.text[: t.span.start])], default=0)
        end_m = re.search(r"[。？?！!]", self.text[t.span.start :])
        end = t.span.start + end_m.end() if end_m else len(self.text)
        sentence = self.text[start:end]
        lead = self.text[clause.start : t.span.start]
        if words_pattern("first_person").search(re.sub(r"(?:告诉|给|帮|替|问|跟|对)我们?", "", lead)):
            return False
        if re.search(r"对吧|对吗|是吧|没错吧|是不是|对不对|理解得对|理解对", sentence):
            return True
        if sentence.endswith(("？", "?")) and not re.search(r"多少|几|怎么|什么|哪", sentence):
            return bool(re.search(r"就是|也就|就|一共|总共|合计|共|是", lead))
        return False

    def _claim_sentence(self, pos: int) -> bool:
        """Whether the words at ``pos`` sit in a sentence that asserts what the text says, not a fact of the user's."""
        start = max([m.end() for m in re.finditer(r"[。？?！!]", self.text[:pos])], default=0)
        end_m = re.search(r"[。？?！!]", self.text[pos:])
        end = pos + end_m.end() if end_m else len(self.text)
        sentence = self.text[start:end]
        clause = _clause_of(self.text, pos)
        reported = re.search(r"听说|据说|不是说|文件说|文件上说|规定是|我记得|印象中", self.text[start:pos])
        required = re.search(r"要|需要|必须|才能|才可以|得满|满.{0,4}才", self.text[clause.start : clause.end])
        confirm = re.search(r"是不是|对吧|对吗|是吧|吧[？?]|吗[？?]|没错吧", sentence)
        if not (reported or (required and confirm)):
            return False
        lead = re.sub(r"(?:告诉|给|帮|替|问|跟|对)我们?", "", self.text[clause.start : pos])
        return not words_pattern("first_person").search(lead)

    def _negated(self, before: str, after: str) -> bool:
        vocab = vocabulary()
        near_before = before[-5:]
        if any(w in near_before for w in vocab.negation_before):
            # 没有问题 / 不是没交: rare double forms are left as negated; 不仅 is not a negation.
            return not re.search(r"不仅|不但|不只", near_before)
        if any(w in near_before + after[:8] for w in vocab.not_yet):
            return True  # 社保下个月才开始交: not yet
        return any(after[:6].find(w) >= 0 for w in vocab.negation_after)

    def _value(self, unit: str, clause: Span, s: int, e: int, negated: bool) -> Decimal | None:
        """The number the user gives for a concept: 交了2个月社保, 社保交满3个月, 年龄25岁."""
        if not unit:
            return None
        role = "age" if unit == "岁" else "other" if unit == "学时" else "span"
        best = None
        # Only the concepts of the number's own clause compete for it: 合同签了3年，社保交了4个月 — the
        # 社保 after the comma does not take the contract's 3年.
        mentions = [
            (ms, me)
            for ms, me, c, _ in vocabulary().concepts_in(self.text)
            if c.unit and clause.start <= ms < clause.end
        ]
        for i, t in enumerate(self.f.numbers):
            if t.role != role or i in self.used or not (clause.start <= t.span.start < clause.end):
                continue
            if unit == "学时" and t.unit not in ("学时", "课时", "小时"):
                continue
            distance = min(abs(t.span.start - e), abs(s - t.span.end))
            # 签了合同交了两个月社保: a number goes to the concept nearest to it, not to the first one read.
            nearest = min((min(abs(t.span.start - me), abs(ms - t.span.end)) for ms, me in mentions), default=distance)
            if distance > nearest:
                continue
            if distance <= 8 and (best is None or distance < best[0]):
                best = (distance, i, t)
        if best is not None:
            self.used.add(best[1])
            return best[2].value
        return Decimal(0) if negated and unit == "个月" else None

    def _owner(self, pos: int) -> int | None:
        for start, end, k in self.aliases:
            if start <= pos < end:
                return k
        for k, span in enumerate(self.group_text):
            g = self.f.groups[k]
            if span.start <= pos < span.end and (g.count is not None or g.complement):
                return k
        # 新拿到技师证的4名: said in the words that name a group before its count, in the same clause.
        clause = _clause_of(self.text, pos)
        ahead = [
            k
            for k, g in enumerate(self.f.groups)
            if pos < g.span.start < clause.end and g.count is not None and g.number is not None
        ]
        if ahead:
            first = self.f.groups[ahead[0]]
            number = first.number if first.number is not None else 0
            if first.span.start < self.f.numbers[number].span.start and not any(
                pos < h.span.start < first.span.start for h in self.f.groups
            ):
                return ahead[0]
        # 中职里有1个在我们这实习，劳动合同却签在了子公司名下: later clauses of the same sentence still speak
        # of the part of a group named last.
        start = max([m.end() for m in re.finditer(r"[。；;？?！!]", self.text[:pos])], default=0)
        before = [k for k, span in enumerate(self.group_text) if start <= span.start < pos]
        if before and self.f.groups[before[-1]].parent is not None:
            last = self.f.groups[before[-1]]
            whole = self.f.groups[last.parent] if last.parent is not None else None
            kids = [
                h.count for h in self.f.groups if h.parent == last.parent and not h.complement and h.span.start < pos
            ]
            if (
                whole is not None
                and whole.count is not None
                and None not in kids
                and sum(n or 0 for n in kids) == whole.count
                and re.search(r"都|全部|全都|均|一律", self.text[_clause_of(self.text, pos).start : pos + 4])
            ):
                return last.parent  # 6个中职、4个高职，培训都结束了: said of the whole they make up
            return before[-1]
        return None

    # -------------------------------------------------------------- money, spans, claims

    def money_spans_claims(self) -> None:
        text = self.text
        claim_markers = words_pattern("claim_markers")
        first_person = words_pattern("first_person")
        for i, t in enumerate(self.f.numbers):
            if i in self.used:
                continue
            clause = _clause_of(text, t.span.start)
            words = text[clause.start : clause.end]
            tail = text[clause.end : clause.end + 2]
            # 请确认：厦门每人发10万元 — the words that introduce the clause after a colon.
            head = text[max(0, clause.start - 8) : clause.start]
            if re.search(r"[：:]\s*$", head):
                tail += head
            said = re.search(r"说(?!明|法|过)", text[clause.start : t.span.start])
            claimed = (
                bool(claim_markers.search(words + tail))
                or bool(said)
                or self._claim_sentence(t.span.start)
                or self._stated_figure(t, clause)
            )
            if re.search(r"(?:再等|还得|还要|再过|再干|等到)\s*$", text[max(0, t.span.start - 4) : t.span.start]):
                claimed = False  # 是不是还得再等一个月: the user's own plan, not what the text says
            # 我交了…/我们公司… speak of the user; 告诉我/给我/帮我 put the user as the object.
            lead = re.sub(r"(?:告诉|给|帮|替|问|跟|对)我们?", "", text[clause.start : t.span.start])
            personal = bool(first_person.search(lead)) and not said
            if t.role in ("money", "rate", "span", "age") and claimed and not personal:
                unit = {"money": "元", "rate": "%", "span": "个月", "age": "岁"}[t.role]
                q = self.text[max(clause.start, t.span.start - 6) : t.span.start]
                qualifier = (
                    "cap"
                    if re.search(r"最高|不超过|最多|上限|封顶", q)
                    else "floor"
                    if re.search(r"不少于|至少|不低于", q)
                    else "before_tax"
                    if "税前" in self.text[clause.start : clause.end]
                    else ""
                )
                self.f.claims.append(
                    Claim(text=t.text, value=t.value, unit=unit, qualifier=qualifier, number=i, span=t.span)
                )
                self.used.add(i)
                continue
            if t.role == "money":
                self.f.money.append(
                    Money(value=t.value, text=t.text, role=self._money_role(t, clause), number=i, span=t.span)
                )
                self.used.add(i)
            elif t.role == "rate":
                self.f.rates.append(t)
                self.used.add(i)
            elif t.role == "span":
                lead = text[max(clause.start, t.span.start - 6) : t.span.start]
                kind = "elapsed" if words_pattern("elapsed").search(lead) else "duration"
                # 一个月多少 / 一年能拿多少: the period a figure is asked for, not a duration.
                if (
                    kind == "duration"
                    and t.value in (1, 12)
                    and re.match(r"[一1]", t.text)
                    and re.match(_ASKS_FIGURE, text[t.span.end : t.span.end + 8])
                ):
                    kind = "per_period"
                days = t.value * 30 if t.unit == "天" else None  # the number as said, for daily amounts
                self.f.spans.append(TimeSpan(months=t.value, days=days, text=t.text, kind=kind, number=i, span=t.span))
                self.used.add(i)
        for key, months in (("per_month", 1), ("per_year", 12)):
            for m in words_pattern(key).finditer(text):
                if any(s.span.start <= m.start() < s.span.end for s in self.f.spans):
                    continue
                if re.match(_ASKS_FIGURE, text[m.end() : m.end() + 6]):
                    self.f.spans.append(
                        TimeSpan(
                            months=Decimal(months),
                            text=m.group(0),
                            kind="per_period",
                            span=Span(start=m.start(), end=m.end()),
                        )
                    )

    def _money_role(self, t: NumberToken, clause: Span) -> str:
        lead = self.text[max(clause.start, t.span.start - 8) : t.span.start]
        if words_pattern("deduction").search(lead):
            return "deduction"
        if words_pattern("base").search(lead):
            return "base"
        return "unknown"


# ---------------------------------------------------------------------------------------------- intent


# The user does not know (还没问, 不清楚, 不知道, 不确定): what the words before say is unknown, not negated.
_UNKNOWN_TO_ME = re.compile(
    r"(?:还?没(?:有)?(?:问|打听|确认|核实|查)|不清楚|不知道|不确定|不太清楚|说不准|不好说|没数|不了解)"
)


# What the applicant can get, asked without naming one benefit: a verb of getting before 什么/哪些/啥
# (能拿点啥, 可以得到什么, 能领到哪些钱), 什么/哪些 before a benefit noun (有什么住房方面的政策), or
# "anything else" closing a sentence (还有别的吗, 还有其他补贴吗). Not what is needed to get it
# (什么条件, 什么材料) nor when or where (什么时候, 什么地方).
# Nor one thing named (可以得到什么称号 / 能认定什么等级): that thing is the question.
_NOT_A_BENEFIT = (
    r"时候|时间|地方|条件|材料|手续|要求|部门|单位|流程|资料|程序|称号|荣誉|名称|等级|级别|学历|证书|比例|标准"
)
_ASKS_ALL = re.compile(
    rf"(?:拿|领|得到|享受|享有|申请|获得)(?:到|点|些|得到)?(?:啥|什么|哪些)(?!{_NOT_A_BENEFIT})"
    rf"|(?:什么|哪些|啥)(?:(?!{_NOT_A_BENEFIT})[^，,。？?！!、；;]){{0,6}}?(?:政策|补贴|待遇|支持|优惠|好处)"
    r"|还有(?:别的|其他|其它|什么|啥)的?(?:政策|补贴|待遇|支持|优惠|好处|钱)?(?:吗|呢|没有|不)?\s*(?=[？?。！!]|$)"
)


def _intent(frame: QuestionFrame) -> tuple[Intent, bool]:
    text = frame.text
    asks_total = bool(words_pattern("asks_total").search(text))
    if _compares(frame):
        return "compare", asks_total
    if words_pattern("asks_all").search(text) or _ASKS_ALL.search(text):
        return "entitlements", asks_total
    if words_pattern("asks_meta").search(text):
        return "meta", asks_total
    has_inputs = (
        any(g.count is not None for g in frame.groups)
        or bool(frame.money)
        or any(sp.kind in ("duration", "elapsed") for sp in frame.spans)
    )
    if asks_total or (has_inputs and re.search(r"多少|几", text)):
        return "calculate", asks_total or bool(re.search(r"多少钱|多少补贴|补多少|拿多少|是多少|有多少", text))
    if words_pattern("asks_check").search(text) or (re.search(r"吗|么|[？?]$", text) and frame.facts):
        return "check", asks_total
    return "fact", asks_total


def _compares(frame: QuestionFrame) -> bool:
    """Two or more places side by side (大连、南通 / 厦门跟大连 / 三地), or 各地 / 各个文件 / 分别 … 哪里更."""
    text = frame.text
    about = [p for p in frame.places if p.role == "about"]
    # A district inside a named city is the same place said more precisely (厦门湖里).
    distinct = [p for p in about if not any(q is not p and q.name in p.parents for q in about)]
    names = list(dict.fromkeys(p.name for p in distinct))
    if re.search(r"各地|各个文件|各文件|几个地方|各城市|各市|三地|两地|几地", text):
        return True
    if len(names) < 2:
        return False
    if words_pattern("asks_compare").search(text):
        return True
    # Places listed together: 大连、南通 / 大连和南通 / 大连 南通 (hotline keywords).
    spans = sorted(distinct, key=lambda p: p.span.start)
    for a, b in itertools.pairwise(spans):
        if re.fullmatch(r"\s*(?:、|和|跟|与|及|以及|还有|或|,|，|\s)\s*", text[a.span.end : b.span.start]):
            return True
    return False


def _leans_on_history(frame: QuestionFrame) -> bool:
    text = frame.text.strip()
    if re.match(r"^(?:那么?|如果|要是|假如|换成|改成|若是?|还有|再|又|另外|那如果)", text) or re.search(
        r"呢\s*[？?]?\s*$", text
    ):
        return True
    if any(g.additive for g in frame.groups):
        return True
    # 这份文件是哪个部门发的 / 上面那条规定: the document or provision just talked about.
    if re.search(
        r"(?:这份|这个|这条|这项|该|此|上面的?|刚才的?|前面的?)(?:文件|政策|规定|条款|措施|方案|通知|补贴)", text
    ):
        return True
    short = re.sub(r"[？?。！!\s]", "", text)
    # 我是高级工，能领吗: a short question that names no topic of its own leans on the conversation.
    if len(short) > 14:
        return False
    # A bare category (高职 / 技师) leans on the conversation; a short question with a topic (大连带徒补贴) stands alone.
    rest = short
    for p in frame.places:
        rest = rest.replace(p.text, "")
    for lv in frame.levels:
        rest = rest.replace(lv.text, "")
    # 标准是多少钱 / 条件是什么 / 哪个文件: what is asked about, not a topic of its own.
    return not re.search(
        r"补贴|补助|津贴|奖励|资助|待遇|安家|购房|住房|公寓|职称|学徒|竞赛|证书|认定|培训|工作室|人才|工匠|落户", rest
    )
