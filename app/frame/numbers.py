"""Every number in a question, with what kind of number it is.

Numbers come in every form users type: Arabic (3, 1500, 1.5), full-width
(３), Chinese (两, 十五, 二十万, 三千五), colloquial (俩 = 2, 仨 = 3, 半年), with
万/千 multipliers (1.5万, 3千). Each is classified by the words around it —
a money amount (元, 块, 万 after 投资/收入), a rate (%, 百分之), a duration
(个月, 年, 半年), a calendar year (2024年), a date (6月30日), an age (岁), a
phone number, an ordinal (第三), a skill level (五级) or a count (3个, 两名,
高级技师2人). Nothing is dropped: a number whose kind cannot be told is
``other``, and the accounting will say it was not understood.

Conversion of Chinese numerals uses cn2an (a maintained library); the
classification around it is ours, because no library reads policy questions
(jionlp's money parser was measured: it misses 二十万 / 1500块 / 40万 without
元, which users type all the time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an

from app.frame.schema import NumberRole, NumberToken, Span

# Longest first: 个月 before 个, 万元 before 万.
_CN_DIGITS = "零〇一二两三四五六七八九"
_CN_ALL = _CN_DIGITS + "十百千万亿"
_NUMBER = re.compile(
    r"(?P<arabic>\d+(?:\.\d+)?)(?P<amult>\s*[万千百亿](?![级]))?"
    rf"|(?P<cn>[{_CN_ALL}]+(?:点[{_CN_DIGITS}]+)?)"
    r"|(?P<colloquial>[俩仨])"
    r"|(?P<half>半)(?=[年个天月])"
)
_HALF_AFTER = re.compile(r"^(年|个月)半")  # 一年半, 两个月半 (rare)
_MEASURE = "个名位人家所项条台套户批次家间座"
_PERSON_MEASURE = "个名位人"
# Words before a number that make it money even without 元: 投资二十万, 收入100万, 成本40万, 标准是1500.
_MONEY_BEFORE = re.compile(
    r"(?:投资|投入|营收|收入|营业额|利润|成本|费用|支出|花了|花费|工资|月薪|年薪|薪酬|经费|标准|原标准|补贴|补助|奖励|资助|"
    r"金额|额度|预算|资金|拿了|领了|给了|发了|是|为|有|共|才|就|值)\s*(?:是|为|约|大概|差不多|共)?\s*$"
)
# Words that make a lone Chinese numeral part of a word, not a number: 一定, 一次性, 统一, 第一线.
_CN_WORDS = re.compile(
    r"一定|一次性|一起|一线|统一|唯一|一些|一下|一点|一样|一般|一律|一并|一致|一体|一批|一流|一站|一揽子|一带一路|"
    r"一对一|一试双证|一区一品牌|万一|千万|百分之|一直|一旦|一边|一切|一共|一块儿|三公|四位一体|两先区|三个中心|十五五|十四五|十三五|"
    r"二十大|三中全会|一方面|一是|二是|三是|四是|五是|三新两高|八级工|一技之长|一流|五险一金|双一流|一季度|二季度|三季度|四季度|"
    r"一年级|二年级|三年级|一本|二本"
)


@dataclass
class _Raw:
    start: int
    end: int
    value: Decimal
    text: str
    chinese: bool


def to_ascii_digits(text: str) -> str:
    """Full-width digits and signs to ASCII, one character for one (spans stay valid)."""
    return text.translate(_FULLWIDTH)


_FULLWIDTH = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "．": ".", "％": "%", "＋": "+"})


def _cn_value(run: str) -> Decimal | None:
    try:
        return Decimal(str(cn2an.cn2an(run, "smart")))
    except (ValueError, KeyError, InvalidOperation, IndexError):
        return None


def _raw_numbers(text: str) -> list[_Raw]:
    out: list[_Raw] = []
    for m in _NUMBER.finditer(text):
        start, end = m.span()
        if m.group("arabic"):
            try:
                value = Decimal(m.group("arabic"))
            except InvalidOperation:
                continue
            mult = (m.group("amult") or "").strip()
            value *= {"": 1, "万": 10000, "千": 1000, "百": 100, "亿": 100000000}[mult]
            out.append(_Raw(start, end, value, m.group(0), False))
        elif m.group("colloquial"):
            out.append(_Raw(start, end, Decimal(2 if m.group(0) == "俩" else 3), m.group(0), True))
        elif m.group("half"):
            out.append(_Raw(start, end, Decimal("0.5"), "半", True))
        else:
            run = m.group("cn")
            # A run that is part of a fixed word (一定, 一次性, 百分之 handled by rates) is not a number.
            word = _CN_WORDS.search(text, max(0, start - 3), min(len(text), end + 4))
            if word and word.start() <= start < word.end():
                # Keep the numeral only if it extends beyond the word (三十五 in 三十五岁 is not a word).
                if end <= word.end():
                    continue
            if re.fullmatch(rf"[{_CN_DIGITS}]{{2}}", run) and run[0] != run[1]:
                # 三四个 (three or four): a range; kept with its lower end and marked approximate.
                low = _cn_value(run[0])
                if low is not None:
                    out.append(_Raw(start, end, low, run, True))
                continue
            parsed = _cn_value(run)
            if parsed is None:
                continue
            out.append(_Raw(start, end, parsed, run, True))
    return out


def _is_range(raw: _Raw) -> bool:
    return raw.chinese and bool(re.fullmatch(rf"[{_CN_DIGITS}]{{2}}", raw.text)) and raw.text[0] != raw.text[1]


def tokenize(text: str) -> list[NumberToken]:
    """All numbers in ``text`` (Simplified, ASCII digits), in order, each with its role."""
    tokens: list[NumberToken] = []
    raws = _raw_numbers(text)
    i = 0
    while i < len(raws):
        raw = raws[i]
        token = _classify(text, raw)
        if token is None:
            i += 1
            continue
        # 一年半 / 两年半 / 一个半月: add the half to the same duration.
        tail = text[token.span.end : token.span.end + 1]
        if token.role == "span" and tail == "半":
            token = token.model_copy(
                update={
                    "value": token.value + (Decimal(6) if token.unit == "年" else Decimal("0.5")),
                    "text": token.text + "半",
                    "span": Span(start=token.span.start, end=token.span.end + 1),
                }
            )
            if i + 1 < len(raws) and raws[i + 1].start == token.span.end - 1:
                i += 1
        tokens.append(token)
        i += 1
    return _merge_ranges(text, tokens)


def _merge_ranges(text: str, tokens: list[NumberToken]) -> list[NumberToken]:
    """2025至2027年 / 2025-2027年: one span of years, not two calendar years."""
    out: list[NumberToken] = []
    for t in tokens:
        if out and t.role == "year" and out[-1].role in ("year", "other"):
            prev = out[-1]
            between = text[prev.span.end : t.span.start]
            if re.fullmatch(r"\s*年?\s*(?:至|到|—|-|–|~|－)\s*", between) and 1900 <= prev.value <= t.value <= 2100:
                years = t.value - prev.value + 1
                out[-1] = NumberToken(
                    text=text[prev.span.start : t.span.end],
                    value=years * 12,
                    role="span",
                    unit="个月",
                    span=Span(start=prev.span.start, end=t.span.end),
                )
                continue
        out.append(t)
    return out


def _classify(text: str, raw: _Raw) -> NumberToken | None:
    before = text[max(0, raw.start - 8) : raw.start]
    after = text[raw.end : raw.end + 8]
    value = raw.value
    approx = (
        _is_range(raw)
        or bool(re.match(r"\s*[个名位人家号]?\s*(?:多|来|余|左右|上下)", after))
        or bool(re.search(r"(?:约|大约|大概|差不多|近)$", before))
    )

    def tok(role: NumberRole, unit: str = "", end: int | None = None, v: Decimal | None = None) -> NumberToken:
        stop = end if end is not None else raw.end
        return NumberToken(
            text=text[raw.start : stop],
            value=v if v is not None else value,
            role=role,
            unit=unit,
            span=Span(start=raw.start, end=stop),
            approximate=approx,
        )

    # Document numbers 〔2023〕34号 and their years.
    if re.search(r"[〔\[［(（]\s*$", before) and re.match(r"\s*[〕\]］)）]", after):
        return tok("doc_number")
    if re.search(r"[〕\]］)）]\s*$", before) and after.startswith("号"):
        return tok("doc_number", end=raw.end + 1)
    if not raw.chinese and 1900 <= value <= 2100 and re.match(r"\s*年?\s*(?:至|到|—|-|–|~|－)\s*\d{4}", after):
        return tok("year", "年")
    if re.search(r"第\s*$", before):
        # 第一年的津贴: one year's amount; 第20个月的时候调走: twenty months received.
        m = re.match(r"\s*(年|个月)", after)
        if m:
            months = Decimal(12) if m.group(1) == "年" else value
            return tok("span", "年" if m.group(1) == "年" else "个月", raw.end + m.end(), months)
        return tok("ordinal")
    if re.search(r"百分之\s*$", before):
        return tok("rate", "%")
    # Phone numbers and hotlines: long digit runs with no unit, area code and number (0411-84458699).
    if not raw.chinese and re.fullmatch(r"\d{7,}", raw.text) and not re.match(r"\s*(?:元|块|万|%)", after):
        return tok("phone")
    if not raw.chinese and (re.match(r"-\d{6,8}", after) or re.search(r"0\d{2,3}-$", before)):
        return tok("phone")
    if not raw.chinese and re.fullmatch(r"0\d{2,3}", raw.text) and re.match(r"[-－—]\s*\d{3,}", after):
        return tok("phone")  # an area code: 0513-8551xxxx
    if raw.text == "12345" and not re.match(r"\s*(?:元|块|万|%|个|名|人)", after):
        return tok("phone")
    # Government hotlines (12333, 12348 …) dialled or asked: 打过12333问过 / 拨打12333.
    if (
        not raw.chinese
        and re.fullmatch(r"123\d\d", raw.text)
        and (
            re.search(r"(?:打|拨|拨打|致电|热线|电话|咨询)(?:过|了)?\s*$", before)
            or re.match(r"\s*(?:问|咨询|热线)", after)
        )
        and not re.match(r"\s*(?:元|块|万|%|个|名|人|位)", after)
    ):
        return tok("phone")

    m = re.match(r"\s*(万元|万块|万|千元|元|块钱|块|%|个百分点|个点)", after)
    if m:
        unit = m.group(1)
        end = raw.end + m.end()
        if unit in ("%", "个百分点", "个点"):
            return tok("rate", "%", end)
        scale = Decimal(10000) if unit.startswith("万") else Decimal(1000) if unit.startswith("千") else Decimal(1)
        return tok("money", "元", end, value * scale)
    # 一整年 / 一整个月 / 一整天: the same span.
    m = re.match(
        r"\s*(?:整(?=年|个月|天))?(个多?月|个半月|月份|月|周岁|岁|周|天|日|号|年|个学期|学期|课时|小时|学时)", after
    )
    if m:
        unit = m.group(1)
        end = raw.end + m.end()
        if unit in ("周岁", "岁"):
            return tok("age", "岁", end)
        if unit == "年":
            if not raw.chinese and 1900 <= value <= 2100 and value == value.to_integral_value():
                return tok("year", "年", end)
            return tok("span", "年", end, value * 12)  # months
        if unit.startswith("个") and "月" in unit:
            return tok("span", "个月", end, value + (Decimal("0.5") if "半" in unit else 0))
        if unit == "月":
            # 6月30日 / 3月份 are dates; 两月 (two months) is a duration.
            if re.match(r"\s*月\s*(?:\d+|[一二三四五六七八九十]+)\s*[日号]", after) or value > 12:
                return tok("date", "月", end)
            if re.search(r"(?:每|这|上|下|今年|明年|去年)\s*$", before) or (not raw.chinese and value <= 12):
                return tok("date", "月", end)
            return tok("span", "个月", end)
        if unit == "月份":
            return tok("date", "月", end)
        if unit in ("日", "号"):
            return tok("date", unit, end)
        if unit in ("天", "周"):
            return tok("span", unit, end, value / 30 if unit == "天" else value * 7 / 30)
        return tok("span" if unit in ("个学期", "学期") else "other", unit, end)
    if re.match(r"\s*级", after) and value <= 8 and raw.chinese:
        return tok("level", "级", raw.end + after.index("级") + 1)
    # 两项建设补助加起来: the number of provisions asked about.
    m = re.match(r"\s*项\s*(?=[\u4e00-\u9fff]{0,4}(?:补贴|补助|奖励|资助|政策|待遇|资金)|加起来|合计|一共|总共)", after)
    if m:
        return tok("items", "项", raw.end + m.end())
    # 十九条措施 / 二十条意见: part of a document's name (like its number), not a count of anything.
    m = re.match(r"\s*条\s*(?=措施|意见|举措|政策|办法|规定|细则)", after)
    if m:
        return tok("doc_number", "条", raw.end + m.end())
    if re.match(r"\s*(?:类|档|星|线|代|期|批次|倍)", after):
        return tok("other", after.strip()[:1])
    m = re.match(rf"\s*([{_MEASURE}])", after)
    if m:
        if raw.text == "半":
            return None
        return tok("count", m.group(1), raw.end + m.end())
    if raw.text == "半":
        return None
    # 200万 / 二十万 / 1.5万 with no unit: money, unless people follow (就业人员10万人 is caught above).
    if re.search(r"[万千亿]$", raw.text) and not re.match(
        r"\s*(?:来|多|余)?\s*号?\s*(?:人|名|人次|户|家|个|所|项|台|套|员工|职工|学生)", after
    ):
        return tok("money", "元")
    # A money word right before a bare number: 投资二十万 (万 already applied), 标准是1500.
    if (
        _MONEY_BEFORE.search(before)
        and (value >= 100 or raw.text.endswith("万"))
        and not re.match(r"\s*[\u4e00-\u9fff]", after[:1])
    ):
        return tok("money", "元")
    if (
        raw.chinese
        and raw.text in ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "两")
        and not re.match(r"\s*[\u4e00-\u9fff]", after)
    ):
        return tok("other")
    # 3中职 / 2高级技师: a count straight before a noun.
    if re.match(r"\s*[\u4e00-\u9fff]", after):
        if raw.chinese and len(raw.text) == 1 and raw.text not in "两俩仨":
            return None  # 三中全会-like words; a lone 一/三 before a noun is rarely a count
        return tok("count", "")
    # 高级技师2人 is caught by the measure; a bare number after a noun (技师3) is a count too.
    if re.search(r"[\u4e00-\u9fff]\s*$", before) and value == value.to_integral_value() and value < 10000:
        return tok("count", "")
    return tok("other")


def parse_value(text: str) -> Decimal | None:
    """One number as a user writes it: 3, 两, 十五, 1.5万, 二十万 (no units)."""
    text = to_ascii_digits(text.strip())
    raws = _raw_numbers(text)
    if len(raws) != 1 or raws[0].start != 0 or raws[0].end != len(text):
        return None
    return raws[0].value
