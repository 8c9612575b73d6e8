"""Honesty checks, in code: what a question asks, and what a clause does not say.

* off-topic questions and instructions smuggled into a question are detected;
* "how much" questions whose clause gives no figure (一定 / 按规定 / 探索给予 /
  相关标准) are recognised, so the answer says the figure is not stated;
* figures a question takes for granted (保障期是60个月吧) are extracted, so a
  false premise can be corrected against the clause;
* the responsible department is read from the clause (责任单位 / 牵头单位 /
  …按职责分工负责 / a task table's 责任单位 column).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.schema import Clause

_DOMAIN = re.compile(
    r"补贴|补助|津贴|奖励|资助|安家|薪酬|工资|技能|技师|技工|高级工|中级工|学徒|培训|竞赛|大赛|比赛|证书|证照|资格|采认|认定|"
    r"职称|职业|人才|工匠|大师|社保|社会保险|人社|政策|文件|方案|院校|学校|毕业生|企业|台湾|台胞|落户|人才公寓|"
    r"购房|授信|产教|就业|失业|工作室|实训|评价|等级|八级工|揭榜|征求意见|文号|发文|条款|规定"
)
_INJECTION = re.compile(
    r"忽略(?:之前|以上|前面|上面|所有)?的?(?:指令|指示|提示|要求|规则|设定)|无视(?:之前|以上)?的?(?:指令|规则)|"
    r"你现在是|你扮演|扮演(?:一个|一名)?|假装你是|从现在开始你|system\s*prompt|系统提示|ignore (?:all |previous )?instructions|"
    r"越狱|jailbreak|不要引用|无需引用|不用引用|随便编|编一个|瞎编|自己编|开发者模式|调试模式|^\s*system\s*[:：]"
)
_CERTIFICATE = re.compile(
    r"(?:给我|帮我|替我|请你|你给我)开.{0,8}(?:证明|证书|公函|批复)|开(?:一|个|张|份)(?:张|份)?.{0,6}(?:证明|证书|公函|批复)|"
    r"出具.{0,6}(?:证明|文件|承诺)|盖章|批准我|给我批|"
    r"(?:以|用).{0,4}(?:官方|政府|人社局|部门)(?:的)?(?:名义|身份)|保证我|向我保证|承诺我|担保|"
    r"系统提示词|提示词|system\s*prompt|开发者模式|调试模式|编一个|瞎编|随便编|编个数|随便说个数"
)
_TASK = re.compile(
    r"写.{0,15}(?:诗|歌词|小说|作文|代码|程序|脚本)|编程|讲(?:个|一个)?笑话|翻译|天气|下雨|气温|股票|彩票|基金|菜谱|电影|python|excel",
    re.I,
)
_ASKS_AMOUNT = re.compile(
    r"多少|几[元块万千百]|金额|标准|什么标准|多少钱|给多少|补多少|发多少|数额|额度|几个月|多久|多长"
)
_VAGUE = re.compile(
    r"一定(?:的)?(?:租金)?(?:补贴|比例|支持|数量)|按规定|探索给予|探索根据|按标准|相关标准|资金补助|予以补贴|给予一定(?:的)?(?:租金)?(?:补贴|比例|支持|奖补)?|"
    r"同等待遇|参照享受|参照.{0,20}标准|执行.{0,40}标准"
)
_ASKS_MONEY = re.compile(
    r"钱|金额|多少元|几元|几万|多少补贴|多少补助|安家费|标准是多少|给多少|发多少|拿多少|领多少|"
    r"(?:补贴|补助|奖励|津贴|资助|奖补)\s*.{0,6}?(?:标准|多少|金额|几)"
)
# Who issued a document, where, when — as opposed to whether it is in force.
_ASKS_ORIGIN = re.compile(
    r"哪天|哪一天|什么时候(?:发|印|出台)|日期|时间|哪个(?:地方|城市|单位|部门|机关)|哪些(?:单位|部门)|哪里发|谁发|发文|文号|发的"
)
_ASKS_STATUS = re.compile(r"正式|生效|有效|印发|实施|能不能用|可以(?:直接)?(?:按|依据|申报)")
_FIGURE = re.compile(r"(\d+(?:\.\d+)?)\s*(万元|元|万|个月|年|%|％|人|家|名)")
_PREMISE_MARK = re.compile(r"吧|吗|对吗|对不对|是不是|没错|没记错|是否|应该是|听说|据说|告诉我|就说|说是")


def is_off_topic(question: str) -> bool:
    """No policy word at all, or a task for a general chatbot (a poem, the weather, code)."""
    return _DOMAIN.search(question) is None or is_task_request(question)


def is_task_request(question: str) -> bool:
    return _TASK.search(question) is not None


def injection_attempt(question: str) -> bool:
    return _INJECTION.search(question) is not None


def asks_for_certificate(question: str) -> bool:
    return _CERTIFICATE.search(question) is not None


def asks_amount(question: str) -> bool:
    return _ASKS_AMOUNT.search(question) is not None


def asks_money(question: str) -> bool:
    return _ASKS_MONEY.search(question) is not None


def states_figure(sentence: str, *, money: bool = False) -> bool:
    """A money amount or rate (and, unless ``money``, a period) written as a number."""
    units = r"(?:万元|元|万|%|％)" if money else r"(?:万元|元|万|%|％|个月)"
    return re.search(rf"\d+(?:\.\d+)?\s*{units}", sentence) is not None


def vague_amount(sentence: str) -> str | None:
    """The vague wording a sentence uses instead of a figure, if any."""
    m = _VAGUE.search(sentence)
    return m.group(0) if m else None


@dataclass(frozen=True)
class Premise:
    value: str
    unit: str

    @property
    def text(self) -> str:
        return f"{self.value}{self.unit}"


def premises(question: str) -> list[Premise]:
    """Figures the question asserts and asks to confirm (…是60个月吧？)."""
    if not _PREMISE_MARK.search(question):
        return []
    from app.query import arabic_numbers

    converted = arabic_numbers(question)
    return [Premise(m.group(1), m.group(2)) for m in _FIGURE.finditer(converted)]


def asks_origin(question: str) -> bool:
    return _ASKS_ORIGIN.search(question) is not None


def asks_status(question: str) -> bool:
    return _ASKS_STATUS.search(question) is not None


def without_instructions(question: str) -> str:
    """The question minus sentences that try to instruct the assistant (for searching)."""
    parts = re.split(r"(?<=[。！？!?；;，,])", question)
    kept = [p for p in parts if not _INJECTION.search(p)]
    return "".join(kept).strip() or question


def without_figures(question: str) -> str:
    from app.query import arabic_numbers

    return _FIGURE.sub(" ", arabic_numbers(question))


def departments(clause: Clause) -> str:
    """Who is responsible, as the clause says: 牵头单位/责任单位, or a table's 责任单位 cell.

    The note is the last bracketed group of the clause; it may contain brackets of its
    own (各县（市、区）人民政府), so the group is found by matching brackets backwards.
    """
    if clause.fields.get("责任单位"):
        return clause.fields["责任单位"]
    text = clause.text.rstrip("。； \n")
    if not text or text[-1] not in "）)":
        return ""
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] in "）)":
            depth += 1
        elif text[i] in "（(":
            depth -= 1
            if depth == 0:
                note = text[i + 1 : -1].strip()
                return note if re.search(r"单位[:：]|分工负责", note) else ""
    return ""
