"""The Gradio UI, mounted at /ui: ask, see the clause, calculate, browse documents.

It only calls services (the same assistant, rule engine and store as the API);
everything shown is escaped, and quotes are highlighted inside the verbatim
clause text. Chat messages are plain text: markdown is not rendered and HTML is
escaped, so nothing in a document or an answer can add a link, an image or a
script to the page (and the Content-Security-Policy forbids remote resources
anyway). The document list is read again whenever the page or its tab opens,
so uploaded documents appear.
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from app import limits
from app.answer.schema import Answer
from app.server.ui_entitlements import entitlements_tab
from app.services import Services
from app.tools.result import ToolError, ToolResult
from app.tools.rules import QUALIFIER_ZH, Rule

EXAMPLES = [
    ["我们厂在厦门，3个中职2个高职学徒，培训考核都过了，签了合同交了两个月社保，企业一共能拿多少"],  # employer
    ["大连急需紧缺技能人才薪酬补贴保障期是60个月吧？"],  # citizen
    ["我是台灣人，有丙級證照，在廈門工作可以被承認嗎"],  # Taiwan resident
    ["大连 带徒补贴 标准"],  # hotline staff
    ["南通人才公寓租金补贴一个月多少钱"],
]
CSS = """
.draft-badge {background:#c0392b;color:#fff;border-radius:4px;padding:1px 6px;font-size:0.85em}
.unknown-badge {background:#8e6c00;color:#fff;border-radius:4px;padding:1px 6px;font-size:0.85em}
.clause-text {white-space:pre-wrap;line-height:1.7}
.clause-text mark {background:#ffe58a}
.result-big {font-size:1.4em;font-weight:bold}
table.comparison {border-collapse:collapse;margin:8px 0}
table.comparison td, table.comparison th {border:1px solid #ccc;padding:4px 8px;vertical-align:top}
"""


def _badge(status: str) -> str:
    if status == "draft":
        return '<span class="draft-badge">征求意见稿 · 未生效</span>'
    if status == "unknown":
        return '<span class="unknown-badge">来源不详</span>'
    return ""


_STATUS_ZH = {"in_force": "现行", "no_document": "无文件", "not_covered": "未写明"}


def comparison_html(ans: Answer) -> str:
    """A comparison's rows as an escaped HTML table; each row names its citation [n], which the
    citation list above opens (the clause with the quote highlighted)."""
    if not ans.comparison:
        return ""
    marks = {(c.clause_id, c.quote): c.n for c in ans.citations}
    head = "<tr><th>地区</th><th>规定</th><th>领取方</th><th>状态</th><th>出处</th></tr>"
    body = []
    for row in ans.comparison:
        status = str(row.get("doc_status") or row.get("status") or "")
        said = "；".join(row.get("figures") or []) if row.get("covered") else str(row.get("note") or "")
        if row.get("covered") and not said:
            said = "见原文"
        n = marks.get((row.get("clause_id") or "", row.get("quote") or ""))
        cite = f"[{n}] {row.get('clause_id')}" if n else "—"
        body.append(
            "<tr>"
            + "".join(f"<td>{html.escape(str(v))}</td>" for v in (row.get("place"), said, row.get("payee") or "—"))
            + f"<td>{_badge(str(row.get('doc_status') or '')) or html.escape(_STATUS_ZH.get(status, status))}</td>"
            + f'<td class="cmp-cite">{html.escape(cite)}</td></tr>'
        )
    return f'<table class="comparison"><caption>对比（点击上方引用查看条款原文）</caption>{head}{"".join(body)}</table>'


def clause_html(services: Services, clause_id: str, quote: str = "") -> str:
    clause = services.store.clause(clause_id)
    if clause is None:
        return "<p>找不到该条款。</p>"
    stored = services.store.document(clause.doc_id)
    doc = stored.meta if stored else None
    text = clause.text
    i = text.find(quote) if quote else -1
    body = (
        html.escape(text[:i]) + "<mark>" + html.escape(quote) + "</mark>" + html.escape(text[i + len(quote) :])
        if i >= 0
        else html.escape(text)
    )
    meta = " · ".join(
        html.escape(p) for p in ((doc.number, doc.date, doc.city, doc.issuer) if doc else ()) if p and p != "未知"
    )
    title = html.escape(doc.title) if doc else ""
    return (
        f'<div id="clause-card"><h4>《{title}》 {_badge(doc.status if doc else "unknown")}</h4>'
        f"<p>{meta}</p><p><b>{html.escape(' > '.join(clause.heading_path))}</b>"
        f" <code>{html.escape(clause.clause_id)}</code></p>"
        f'<div class="clause-text">{body}</div></div>'
    )


def as_text(text: str) -> str:
    """A chat message shown exactly as written: HTML escaped, line breaks kept, no markdown."""
    return html.escape(text).replace("\n", "<br>")


def document_choices(services: Services) -> dict[str, str]:
    """Dropdown label → document id, for every document of the serving generation."""
    return {f"{d.meta.city} · {d.meta.title}（{d.meta.id}）": d.meta.id for d in services.store.documents()}


def _reply(ans: Answer) -> str:
    lines = [ans.answer]
    if ans.citations:
        lines.append("")
        for c in ans.citations:
            tag = "（征求意见稿）" if c.status == "draft" else ("（来源不详）" if c.status == "unknown" else "")
            meta = "，".join(p for p in (c.doc_number, c.doc_date) if p)
            lines.append(f"[{c.n}] 《{c.doc_title}》{('（' + meta + '）') if meta else ''}{tag} {c.clause_id}")
    return "\n".join(lines)


def tool_html(res: ToolResult) -> str:
    status = {
        "complete": "计算完成",
        "conditional": "有待确认的条件",
        "needs_input": "缺少输入",
        "not_eligible": "不符合条件",
        "eligible": "符合条件",
    }[res.status]
    parts = [f"<h4>{html.escape(res.title)}</h4><p>状态：{status}</p>"]
    if res.formula:
        parts.append(
            f'<p class="result-big" id="calc-result">{html.escape(res.formula)} = {html.escape(res.result_text)}</p>'
        )
    elif res.result_text:
        parts.append(f'<p class="result-big" id="calc-result">{html.escape(res.result_text)}</p>')
    if res.payee != "none":
        nature = QUALIFIER_ZH.get(res.qualifier, "多种标准混合")
        parts.append(f"<p>领取方：{html.escape(res.payee_zh)}；金额性质：{html.escape(nature)}</p>")
    mark = {"met": "✔", "not_met": "✘", "unknown": "？"}
    items = "".join(
        f"<li>{mark[c.status]} {html.escape(c.label)}{('：' + html.escape(c.remedy or c.question)) if (c.remedy or c.question) else ''}</li>"
        for c in res.conditions
    )
    if items:
        parts.append(f"<ul>{items}</ul>")
    for w in res.warnings:
        parts.append(f"<p>⚠ {html.escape(w)}</p>")
    for cit in res.citations:
        parts.append(
            f"<p>依据：《{html.escape(cit.doc_title)}》{html.escape(cit.doc_number)} {_badge(cit.status)}"
            f" <code>{html.escape(cit.clause_id)}</code></p><blockquote>{html.escape(cit.quote)}</blockquote>"
        )
    return "".join(parts)


def _rule_label(rule: Rule) -> str:
    return f"{rule.city} · {rule.title}（{rule.id}）"


def calculation_prefill(ans: Answer, rule_ids: set[str]) -> dict[str, Any] | None:
    """What the calculator tab is opened with from a calculation answer: its rule, the inputs the
    accounting placed, and the 按您说的 line. None when the answer computed nothing the tab knows."""
    calc = ans.calculation
    if not calc or calc.get("rule_id") not in rule_ids or not calc.get("inputs"):
        return None
    return {"rule_id": calc["rule_id"], "inputs": dict(calc["inputs"]), "reading": calc.get("reading") or ""}


INPUT_LABELS = {"months": "月数", "years": "年数", "people": "人数", "elapsed_months": "已领取月数"}


def build_ui(services: Services) -> gr.Blocks:
    rules = services.catalogue.rules
    by_label = {_rule_label(r): r for r in rules}
    label_of = {r.id: label for label, r in by_label.items()}

    with gr.Blocks(title="技能人才政策助手") as ui:
        gr.Markdown(
            "## 技能人才政策助手 · Skilled-talent policy assistant\n"
            "每个回答都引用文件原文；金额由计算器精确计算；文件没写的会直说，并指出负责部门；征求意见稿会标明。"
        )
        with gr.Tabs() as tabs:
            with gr.Tab("问答", id="ask"):
                session = gr.State(None)
                last_calc = gr.State(None)
                cites = gr.State([])
                chat = gr.Chatbot(label="对话", elem_id="chat", height=420, render_markdown=False, sanitize_html=True)
                with gr.Row():
                    question = gr.Textbox(
                        label="问题", placeholder="例如：大连 带徒补贴 标准", elem_id="question", scale=5
                    )
                    send = gr.Button("提问", variant="primary", elem_id="ask-button", scale=1)
                gr.Examples(EXAMPLES, inputs=[question], label="示例（企业、市民、台湾居民、12345热线）")
                edit = gr.Button("在计算器中修改", elem_id="edit-in-calculator", visible=False, size="sm")
                citation = gr.Radio(label="引用（点击查看条款原文）", choices=[], elem_id="citations")
                comparison = gr.HTML(elem_id="comparison")
                clause_view = gr.HTML(elem_id="clause-view")

                def ask(q: str, history: list[dict[str, Any]] | None, sid: str | None) -> tuple[Any, ...]:
                    history = list(history or [])
                    hidden = (None, gr.update(visible=False))
                    if not q or not q.strip():
                        return history, sid, [], gr.update(choices=[], value=None), "", "", "", *hidden
                    try:
                        text = q.strip()[: services.settings.server.max_question_chars]
                        limits.check_question(text)
                        ans = services.assistant.ask(text, session_id=sid)
                    except Exception as exc:  # noqa: BLE001 - shown to the user, never a trace
                        history += [
                            {"role": "user", "content": as_text(q)},
                            {"role": "assistant", "content": as_text(f"出错了：{exc}")},
                        ]
                        return history, sid, [], gr.update(choices=[], value=None), "", "", "", *hidden
                    history += [
                        {"role": "user", "content": as_text(q)},
                        {"role": "assistant", "content": as_text(_reply(ans))},
                    ]
                    items = [(f"[{c.n}] {c.clause_id}", c.clause_id, c.quote) for c in ans.citations]
                    labels = [i[0] for i in items]
                    first = clause_html(services, items[0][1], items[0][2]) if items else ""
                    prefill = calculation_prefill(ans, set(label_of))
                    return (
                        history,
                        ans.session_id,
                        items,
                        gr.update(choices=labels, value=None),
                        first,
                        comparison_html(ans),
                        "",
                        prefill,
                        gr.update(visible=prefill is not None),
                    )

                def show(label: str | None, items: list[tuple[str, str, str]]) -> str:
                    for lab, clause_id, quote in items or []:
                        if lab == label:
                            return clause_html(services, clause_id, quote)
                    return ""

                outputs = [chat, session, cites, citation, clause_view, comparison, question, last_calc, edit]
                send.click(ask, [question, chat, session], outputs)
                question.submit(ask, [question, chat, session], outputs)
                citation.change(show, [citation, cites], clause_view)

            with gr.Tab("计算器", id="calc"):
                gr.Markdown("选择一项政策，填写情况，程序按文件标准精确计算并检查条件。")
                rule_pick = gr.Dropdown(choices=list(by_label), label="政策规则", elem_id="rule-select")
                prefill_state = gr.State(None)

                @gr.render(inputs=[rule_pick, prefill_state])
                def form(label: str | None, prefill: dict[str, Any] | None) -> None:
                    rule = by_label.get(label or "")
                    if rule is None:
                        return
                    # Opened from an answer (在计算器中修改): its inputs fill the form, to change one and recompute.
                    given = prefill["inputs"] if prefill and prefill.get("rule_id") == rule.id else {}
                    if given:
                        gr.HTML(
                            f'<p id="calc-prefill">来自问答，按您说的：{html.escape(prefill.get("reading") or "")}</p>'
                            if prefill and prefill.get("reading")
                            else '<p id="calc-prefill">来自问答的输入</p>'
                        )
                    fields: list[tuple[str, gr.components.Component]] = []
                    for a in rule.amounts:
                        fields.append(
                            (
                                a.category,
                                gr.Number(
                                    label=f"{a.label or a.category} 人数/个数",
                                    precision=0,
                                    minimum=0,
                                    value=given.get(a.category),
                                    interactive=True,
                                ),
                            )
                        )
                    for c in rule.conditions:
                        if c.type == "boolean":
                            said = given.get(c.id)
                            value = {True: "是", False: "否"}.get(said, said) if said is not None else "不确定"
                            comp: gr.components.Component = gr.Radio(
                                ["是", "否", "不确定"], value=value, label=c.label, interactive=True
                            )
                        elif c.type == "threshold":
                            comp = gr.Number(label=f"{c.label}（{c.unit}）", value=given.get(c.id), interactive=True)
                        else:
                            comp = gr.Dropdown(c.options, label=c.label, value=given.get(c.id), interactive=True)
                        fields.append((c.id, comp))
                    for name in services.engine.input_names(rule):
                        if name in (*INPUT_LABELS, "base"):
                            label_zh = INPUT_LABELS.get(name) or rule.base_label or "基数"
                            fields.append((name, gr.Number(label=label_zh, value=given.get(name), interactive=True)))
                        elif name == "category":
                            fields.append(
                                (
                                    name,
                                    gr.Dropdown(
                                        list(rule.lookup) or [a.category for a in rule.amounts],
                                        label="类别",
                                        value=given.get(name),
                                        interactive=True,
                                    ),
                                )
                            )
                    run = gr.Button("计算 / 检查", variant="primary", elem_id="calc-button")
                    out = gr.HTML(elem_id="calc-output")
                    names = [n for n, _ in fields]

                    def compute(*values: Any) -> str:
                        inputs = {n: v for n, v in zip(names, values, strict=True) if v not in (None, "", "不确定")}
                        try:
                            return tool_html(services.engine.run(rule.id, inputs))
                        except ToolError as exc:
                            return f"<p>输入有误：{html.escape(str(exc))}</p>"

                    run.click(compute, [c for _, c in fields], out)

            def to_calculator(prefill: dict[str, Any] | None) -> tuple[Any, ...]:
                if not prefill:
                    return gr.Tabs(), gr.update(), None
                return gr.Tabs(selected="calc"), gr.update(value=label_of[prefill["rule_id"]]), prefill

            edit.click(to_calculator, last_calc, [tabs, rule_pick, prefill_state])

            entitlements_tab(services, clause_html)

            with gr.Tab("文件") as docs_tab:
                doc_pick = gr.Dropdown(choices=list(document_choices(services)), label="文件", elem_id="doc-select")
                doc_view = gr.HTML(elem_id="doc-view")

                def read(label: str | None) -> str:
                    doc_id = document_choices(services).get(label or "")
                    if not doc_id:
                        return ""
                    store = services.store
                    stored = store.document(doc_id)
                    meta = stored.meta if stored else None
                    head = (
                        f"<h3>《{html.escape(meta.title)}》 {_badge(meta.status)}</h3><p>{html.escape(meta.caution())}</p>"
                        if meta
                        else ""
                    )
                    rows = "".join(
                        f"<h4>{html.escape(' > '.join(c.heading_path))} <code>{html.escape(c.clause_id)}</code></h4>"
                        f'<div class="clause-text">{html.escape(c.text)}</div>'
                        for c in store.clauses(doc_id)
                    )
                    return head + rows

                def refresh() -> Any:
                    return gr.update(choices=list(document_choices(services)))

                doc_pick.change(read, doc_pick, doc_view)
                docs_tab.select(refresh, None, doc_pick)
                ui.load(refresh, None, doc_pick)
    return ui
