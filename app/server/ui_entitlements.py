"""The UI tab "能享受哪些": a profile form, the matching provisions as a table, each row's clause, CSV.

The form is the ``Profile`` of ``app.tools.profile`` (people, units, social
insurance, household registration, housing, money, other facts in words); a
sentence can fill it through the same reader the conversation uses. The table
is ``Entitlements.rows()``; selecting a row opens its clause with the quote
highlighted; the export is ``Entitlements.csv()``. The tab calls services only.
"""

from __future__ import annotations

import html
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import gradio as gr

from app.services import Services
from app.tools.entitlements import Entitlements
from app.tools.profile import MoneyFigure, People, Profile, ProfileFact, Unit, facts_from_text, profile_from_frame

ENTITY = {"企业": "enterprise", "个人": "individual", "院校、机构": "institution"}
HUKOU = {"已落户本地": "local", "不在本地": "elsewhere"}
HOUSING = {"本地无住房": "none", "本地有住房": "owns", "本地购房自住": "bought"}
NOT_SAID = "未说明"
PEOPLE_HEADERS = ["人数", "人员（身份或描述）", "等级", "称号/类别", "情况（文字）", "属于第几行"]
UNIT_HEADERS = ["级别", "类型", "数量", "新建/获批"]
MONEY_HEADERS = ["名称", "金额（元）", "性质"]
TABLE_HEADERS = ["状态", "政策", "金额", "性质", "领取方", "待确认", "条款"]
EXAMPLES = [
    [
        "我们是大连一家制造企业，今年有3个员工新取得技师证，新建了一个技能大师工作室，另外10个员工在搞新型学徒制。能享受哪些补贴？"
    ],
    ["厦门湖里的一家企业，带了4个高职的毕业年度学生当学徒，签了正式劳动合同，社保交了1个月。能有什么补贴？"],
    ["我是在廈門工作的台灣青年，今年26歲，有台灣的乙級美容技術士證。有什麼政策可以用？"],
]


def _rows(value: Any) -> list[list[Any]]:
    if value is None:
        return []
    if hasattr(value, "values") and hasattr(value, "columns"):
        value = value.values.tolist()
    elif isinstance(value, dict) and "data" in value:
        value = value["data"]
    return [list(r) for r in value if any(c not in (None, "") and str(c).strip() != "" for c in r)]


def _int(value: Any) -> int | None:
    try:
        return int(Decimal(str(value))) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None


def _dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None


def _str(value: Any) -> str:
    return "" if value is None else str(value).strip()


def profile_from_form(
    place: str | None,
    entity: str | None,
    people: Any,
    units: Any,
    si_months: Any,
    hukou: str | None,
    housing: str | None,
    certificates: str | None,
    money: Any,
    months: Any,
    elapsed: Any,
    facts_text: str | None,
) -> Profile:
    """The form's fields as a profile (a row's 情况 in words is read into facts)."""
    group_rows = _rows(people)
    groups = []
    for r in group_rows:
        r = (r + [None] * 6)[:6]
        part = _int(r[5])
        groups.append(
            People(
                count=_int(r[0]),
                label=_str(r[1]),
                level=_str(r[2]),
                titles=[t for t in _str(r[3]).replace("，", ",").replace("、", ",").split(",") if t.strip()],
                facts=facts_from_text(_str(r[4])),
                part_of=part - 1 if part is not None and 1 <= part <= len(group_rows) else None,
            )
        )
    unit_list = []
    for r in _rows(units):
        r = (r + [None] * 4)[:4]
        if not _str(r[1]):
            continue
        new = {"是": True, "否": False}.get(_str(r[3]))
        unit_list.append(Unit(level=_str(r[0]), kind=_str(r[1]), count=_int(r[2]) or 1, new=new))
    figures = []
    for r in _rows(money):
        r = (r + [None] * 3)[:3]
        value = _dec(r[1])
        if value is not None:
            figures.append(
                MoneyFigure(label=_str(r[0]), value=value, role="deduction" if _str(r[2]) == "扣除" else "base")
            )
    kind = ENTITY.get(entity or "")
    if kind == "individual" and not any(g.label == "本人" for g in groups):
        groups.insert(0, People(count=1, label="本人", is_self=True))
        groups = [g.model_copy(update={"part_of": g.part_of + 1}) if g.part_of is not None else g for g in groups]
    return Profile(
        place=_str(place),
        entity=kind,  # type: ignore[arg-type]
        people=groups,
        units=unit_list,
        certificates=[c for c in _str(certificates).replace("，", ",").replace("、", ",").split(",") if c.strip()],
        social_insurance_months=_dec(si_months),
        hukou=HUKOU.get(hukou or ""),  # type: ignore[arg-type]
        housing=HOUSING.get(housing or ""),  # type: ignore[arg-type]
        money=figures,
        months=_dec(months) or None,
        elapsed_months=_dec(elapsed),
        facts_text=_str(facts_text),
    )


def _fact_words(facts: list[ProfileFact]) -> str:
    return "、".join(
        f.text or (f.concept if f.holds is not False else f"未{f.concept}") for f in facts if f.holds is not None
    )


def form_from_profile(profile: Profile) -> tuple[Any, ...]:
    """The form's fields for a profile (what a sentence was read as)."""
    entity = next((k for k, v in ENTITY.items() if v == profile.entity), None)
    people = [
        [
            p.count,
            p.text or p.label,
            p.level,
            "、".join(p.titles),
            _fact_words(p.facts),
            (p.part_of + 1) if p.part_of is not None else None,
        ]
        for p in profile.people
        if not (p.is_self and profile.entity == "individual" and not p.facts)
    ]
    units = [[u.level, u.kind, u.count, {True: "是", False: "否"}.get(u.new, "")] for u in profile.units]  # type: ignore[arg-type]
    money = [[m.label, str(m.value), "扣除" if m.role == "deduction" else "基数"] for m in profile.money]
    hukou = next((k for k, v in HUKOU.items() if v == profile.hukou), NOT_SAID)
    housing = next((k for k, v in HOUSING.items() if v == profile.housing), NOT_SAID)
    facts = _fact_words(profile.facts)
    selfs = [p for p in profile.people if p.is_self]
    if selfs and profile.entity == "individual":
        facts = "；".join(x for x in [selfs[0].text if selfs[0].text != "本人" else "", facts] if x)
    return (
        profile.place or None,
        entity,
        people or [[None] * 6],
        units or [[None] * 4],
        float(profile.social_insurance_months) if profile.social_insurance_months is not None else None,
        hukou,
        housing,
        "、".join(profile.certificates),
        money or [[None] * 3],
        float(profile.months) if profile.months is not None else None,
        float(profile.elapsed_months) if profile.elapsed_months is not None else None,
        facts,
    )


def result_table(result: Entitlements) -> list[list[str]]:
    return [[r[h] if h != "条款" else r["条款"] for h in TABLE_HEADERS] for r in result.rows()]


def summary_markdown(result: Entitlements) -> str:
    lines = [html.escape(result.summary.text).replace("\n", "  \n")]
    if result.questions:
        lines.append("**请补充：** " + html.escape("；".join(result.questions)))
    lines += [f"⚠ {html.escape(w)}" for w in result.warnings]
    return "\n\n".join(lines)


def entitlements_tab(services: Services, clause_html: Any) -> None:
    """The tab, inside the UI's Blocks. ``clause_html(services, clause_id, quote)`` renders a clause."""
    places = sorted({d.city for d in services.retriever.documents() if d.city not in ("", "未知")})
    with gr.Tab("能享受哪些", elem_id="ent-tab"):
        gr.Markdown(
            "填写情况（或用一句话描述后点“读取描述”），列出已收录文件中**符合或可能符合**的全部政策："
            "每项的金额（按文件标准精确计算）、领取方、条件是否满足、需要补充的问题和条款原文。"
            "一次性金额与按月/按年发放的金额分开合计。"
        )
        with gr.Row():
            describe = gr.Textbox(label="用一句话描述（可选）", elem_id="ent-describe", scale=5)
            read_button = gr.Button("读取描述", elem_id="ent-read", scale=1)
        gr.Examples(EXAMPLES, inputs=[describe], label="示例")
        with gr.Row():
            place = gr.Dropdown(places, label="地区", allow_custom_value=True, elem_id="ent-place")
            entity = gr.Radio(list(ENTITY), label="申请主体", elem_id="ent-entity")
        people = gr.Dataframe(
            headers=PEOPLE_HEADERS,
            datatype=["number", "str", "str", "str", "str", "number"],
            value=[[None] * 6],
            row_count=1,
            column_count=6,
            interactive=True,
            label="人员（每行一组；“情况”用文字写，如：新取得、已签劳动合同、社保交了2个月；“属于第几行”填所属的组）",
            elem_id="ent-people",
        )
        units = gr.Dataframe(
            headers=UNIT_HEADERS,
            value=[[None] * 4],
            row_count=1,
            column_count=4,
            interactive=True,
            label="工作室、基地（级别如 市级；类型如 技能大师工作室；新建/获批填 是/否）",
            elem_id="ent-units",
        )
        with gr.Row():
            si_months = gr.Number(label="社保已缴月数", elem_id="ent-si")
            hukou = gr.Radio([*HUKOU, NOT_SAID], value=NOT_SAID, label="户籍", elem_id="ent-hukou")
            housing = gr.Radio([*HOUSING, NOT_SAID], value=NOT_SAID, label="住房", elem_id="ent-housing")
        with gr.Row():
            certificates = gr.Textbox(label="证书（逗号分隔）", elem_id="ent-certs")
            months = gr.Number(label="按月/按年发放的，想算多少个月", elem_id="ent-months")
            elapsed = gr.Number(label="已领取月数", elem_id="ent-elapsed")
        money = gr.Dataframe(
            headers=MONEY_HEADERS,
            value=[[None] * 3],
            row_count=1,
            column_count=3,
            interactive=True,
            label="金额（按比例计算的政策用：名称如 投资额、收入、直接成本、原补贴标准；性质填 基数/扣除）",
            elem_id="ent-money",
        )
        facts_text = gr.Textbox(label="其他情况（文字，如：培训都完成了，实习考核通过了）", elem_id="ent-facts")
        run = gr.Button("查询可享受的政策", variant="primary", elem_id="ent-run")
        summary = gr.Markdown(elem_id="ent-summary")
        table = gr.Dataframe(
            headers=TABLE_HEADERS,
            interactive=False,
            wrap=True,
            label="结果（点击一行查看条款原文）",
            elem_id="ent-table",
        )
        clause = gr.HTML(elem_id="ent-clause")
        export = gr.DownloadButton("导出 CSV", elem_id="ent-export", visible=False)
        rows_state = gr.State([])
        fields = [
            place,
            entity,
            people,
            units,
            si_months,
            hukou,
            housing,
            certificates,
            money,
            months,
            elapsed,
            facts_text,
        ]

        def read(text: str) -> tuple[Any, ...]:
            if not text or not text.strip():
                return tuple(gr.update() for _ in fields)
            frame = services.assistant.read(text.strip()[: services.settings.server.max_question_chars])
            return form_from_profile(profile_from_frame(frame))

        def search(*values: Any) -> tuple[Any, ...]:
            try:
                result = services.entitlements(profile_from_form(*values))
            except Exception as exc:  # noqa: BLE001 - shown to the user, never a trace
                return f"出错了：{html.escape(str(exc))}", [], [], "", gr.update(visible=False)
            folder = Path(tempfile.mkdtemp(prefix="entitlements-"))
            path = folder / "entitlements.csv"
            path.write_text("\ufeff" + result.csv(), encoding="utf-8")
            keys = [(e.clause_id, e.quote) for e in [*result.entries, *result.not_met]]
            return summary_markdown(result), result_table(result), keys, "", gr.update(value=str(path), visible=True)

        def show(keys: list[tuple[str, str]], evt: gr.SelectData) -> str:
            row = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
            if not isinstance(row, int) or not 0 <= row < len(keys):
                return ""
            clause_id, quote = keys[row]
            return str(clause_html(services, clause_id, quote))

        read_button.click(read, [describe], fields)
        run.click(search, fields, [summary, table, rows_state, clause, export])
        table.select(show, [rows_state], clause)
