"""Run a rule on a user's inputs: evaluate its conditions, then calculate.

``RuleEngine.run(rule_id, inputs)`` is the single entry point for the CLI,
the answer chain, the HTTP API and the LLM tools. Inputs are a flat mapping:

* category keys or their aliases → head counts (``中职=3 高职=2``);
* condition ids → facts (``formal_contract=yes social_insurance_months=2``);
* ``category`` (monthly, lookup), ``count``, ``people``, ``months``,
  ``elapsed_months``, ``base`` (percentage / target).

Values may be strings as a user types them (``是``, ``两个``, ``1.5万``).
Conditions come first: any condition not met means no sum; unknown
conditions give a conditional result and the questions to ask.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from app import limits
from app.query import extract_amounts
from app.tools import calculators as calc
from app.tools.result import CheckedCondition, Citation, ToolError, ToolResult
from app.tools.rules import PAYEE_ZH, Catalogue, Condition, Rule
from ingest.schema import DocumentMeta

UNREVIEWED = "金额由系统从原文自动提取，未经人工核对，以原文为准。"
SPECIAL_INPUTS = (
    "category",
    "count",
    "people",
    "months",
    "elapsed_months",
    "years",
    "days",
    "year_index",
    "base",
    "deduction",
    "received",
)
_YES = {"yes", "y", "true", "1", "是", "有", "已", "对", "已完成", "通过", "签了", "交了", "满足"}
_NO = {"no", "n", "false", "0", "否", "没有", "无", "未", "不是", "没", "不满足"}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ToolError(f"not a yes/no answer: {value!r} (use yes/no, 是/否)")


_SMALL = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_MEASURE_SUFFIX = re.compile(r"\s*(?:个月|个|名|人|位|家|项|月|岁|周岁)$")


def parse_number(value: Any) -> Decimal:
    """A number as a user gives it: 3, 3个, 2个月, 两, 十, 1.5万, 二十万. Never NaN or infinity.

    Its size is checked (``app.limits``) before any arithmetic is done with it.
    """
    if isinstance(value, bool):
        raise ToolError(f"not a number: {value!r}")
    try:
        if isinstance(value, float):
            limits.check_float(value)
            value = Decimal(str(value))
        if isinstance(value, int):
            limits.check_int(value)
        if isinstance(value, int | Decimal):
            number = Decimal(value)
        else:
            text = str(value).strip()
            limits.check_text(text)
            number = _parse_text_number(text)
        limits.check_decimal(number)
    except limits.BoundError as exc:
        raise ToolError(str(exc)) from exc
    return number


def _parse_text_number(text: str) -> Decimal:
    bare = _MEASURE_SUFFIX.sub("", text)
    if re.fullmatch(r"[一二两三四五六七八九]{2,}", bare):
        raise ToolError(f"not a number: {text!r} is a range (三四个 = three or four); give one number")
    try:
        number = Decimal(bare)
    except InvalidOperation:
        pass
    else:
        limits.check_decimal(number)  # "1e999999" is a valid Decimal: refused before anything uses it
        return number
    if bare in _SMALL:
        return Decimal(_SMALL[bare])
    found = extract_amounts(bare + " ")
    if len(found) == 1:
        return found[0]
    raise ToolError(f"not a number: {text!r}")


def parse_count(value: Any, what: str) -> int:
    """A whole, plausible count of people, items or months (bounds in ``app.limits``)."""
    try:
        number = parse_number(value)
    except ToolError as exc:
        raise ToolError(f"{what}: {exc}") from exc
    try:
        return limits.check_count(number, what, value.strip() if isinstance(value, str) else None)
    except limits.BoundError as exc:
        raise ToolError(str(exc)) from exc


class RuleEngine:
    def __init__(self, catalogue: Catalogue, documents: dict[str, DocumentMeta]):
        self.catalogue = catalogue
        self.documents = documents

    def rule(self, rule_id: str) -> Rule:
        rule = self.catalogue.get(rule_id)
        if rule is None:
            known = ", ".join(r.id for r in self.catalogue.rules[:8])
            raise ToolError(f"unknown rule {rule_id!r}; see `policy-assistant rules` (e.g. {known}, …)")
        return rule

    def input_names(self, rule: Rule) -> list[str]:
        names = [a.category for a in rule.amounts] + [c.id for c in rule.conditions]
        if rule.kind == "monthly":
            names += ["people", "months", "elapsed_months"] + (["category"] if len(rule.amounts) > 1 else [])
        if rule.kind == "per_head" and rule.recurrence == "year":
            names.append("years")
        if rule.kind == "per_head" and rule.recurrence == "day":
            names.append("days")
        if rule.installments:
            names.append("year_index")
        if rule.top_up:
            names.append("received")
        if rule.kind in ("percentage", "target"):
            names.append("base")
        if rule.kind == "percentage" and rule.deduction_label:
            names.append("deduction")
        if rule.kind == "percentage" and (rule.uplift or self._rate_cap(rule) is not None):
            names.append("count")
        if rule.kind == "percentage" and rule.recurrence == "month" and self._rate_cap(rule) is not None:
            names.append("months")
        if rule.kind == "lookup":
            names.append("category")
        if rule.kind == "one_off" and len(rule.amounts) == 1:
            names.append("count")
        return names

    # ------------------------------------------------------------------ entry point

    def run(self, rule_id: str, inputs: dict[str, Any], *, check_only: bool = False) -> ToolResult:
        rule = self.rule(rule_id)
        inputs = {k: v for k, v in inputs.items() if v is not None and v != ""}
        self._reject_unknown(rule, inputs)
        doc = self.documents.get(rule.doc_id)
        result = ToolResult(
            rule_id=rule.id,
            title=rule.title,
            kind=rule.kind,
            inputs=dict(inputs),
            unit=rule.unit,
            qualifier=rule.qualifier,
            payee=rule.payee,
            payee_zh=PAYEE_ZH[rule.payee],
            period_months=rule.period_months,
            outcome=rule.outcome,
            citations=[
                Citation(
                    clause_id=rule.clause_id,
                    doc_id=rule.doc_id,
                    doc_title=doc.title if doc else "",
                    doc_number=doc.number if doc else "",
                    status=doc.status if doc else "unknown",
                    quote=rule.quote,
                )
            ],
        )
        caution = doc.caution() if doc is not None else "注意：依据的文件不在文件清单中，来源不详，仅供参考。"
        if caution:
            result.warnings.append(caution)
        result.reviewed = rule.reviewed
        if not rule.reviewed:
            result.warnings.append(UNREVIEWED)
        if rule.notes:
            result.details["notes"] = rule.notes

        result.conditions = [self._check(rule, c, inputs.get(c.id)) for c in rule.conditions]
        unmet = [c for c in result.conditions if c.status == "not_met"]
        unknown = [c for c in result.conditions if c.status == "unknown"]
        result.questions = [c.question for c in unknown]
        if unmet:
            result.status = "not_eligible"
            result.result_text = "不符合条件：" + "；".join(c.label for c in unmet)
            return result
        if check_only or rule.kind == "eligibility":
            result.status = "conditional" if unknown else "eligible"
            result.result_text = rule.outcome if not unknown else f"需先确认：{'；'.join(c.label for c in unknown)}"
            return result

        compute = {
            "per_head": self._per_head,
            "one_off": self._per_head,
            "monthly": self._monthly,
            "percentage": self._percentage,
            "target": self._target,
            "lookup": self._lookup,
            "unstated": self._unstated,
        }[rule.kind]
        try:
            compute(rule, inputs, result)
        except ValueError as exc:  # a calculator's own check (negative base, no terms)
            if isinstance(exc, ToolError):
                raise
            raise ToolError(f"{rule.id}: {exc}") from exc
        if result.status == "complete" and unknown:
            result.status = "conditional"
            result.warnings.append("以上结果以满足全部条件为前提；尚需确认：" + "；".join(c.label for c in unknown))
        return result

    def _reject_unknown(self, rule: Rule, inputs: dict[str, Any]) -> None:
        known = set(self.input_names(rule)) | set(SPECIAL_INPUTS)
        aliases = {alias for a in rule.amounts for alias in rule.forms(a)}
        bad = [k for k in inputs if k not in known and k not in aliases]
        if bad:
            raise ToolError(
                f"rule {rule.id} does not take {', '.join(bad)}; it takes: {', '.join(self.input_names(rule))}"
            )

    # ------------------------------------------------------------------ conditions

    def _check(self, rule: Rule, cond: Condition, value: Any) -> CheckedCondition:
        status = "unknown"
        parsed: Any = None
        if value is not None:
            if cond.type == "boolean":
                parsed = parse_bool(value)
                status = "met" if parsed else "not_met"
            elif cond.type == "threshold":
                parsed = parse_number(value)
                status = "met" if cond.min is None or parsed >= cond.min else "not_met"
            else:
                parsed = str(value).strip()
                status = "met" if parsed in cond.options else "not_met"
        alternative = next((a.text for a in rule.alternatives if a.when == cond.id), "")
        return CheckedCondition(
            id=cond.id,
            label=cond.label,
            type=cond.type,
            status=status,  # type: ignore[arg-type]
            value=str(parsed) if isinstance(parsed, Decimal) else parsed,
            quote=cond.quote,
            clause_id=rule.clause_id,
            question=cond.question if status == "unknown" else "",
            remedy=(cond.remedy or f"需满足：{cond.label}") if status == "not_met" else "",
            alternative=alternative if status == "not_met" else "",
        )

    # ------------------------------------------------------------------ calculations

    def _counts(self, rule: Rule, inputs: dict[str, Any]) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for key, value in inputs.items():
            if key in SPECIAL_INPUTS or rule.condition(key) is not None:
                continue
            amount = rule.amount(key)
            if amount is not None:
                counts[amount.category] = counts.get(amount.category, 0) + parse_count(value, key)
        if not counts and len(rule.amounts) == 1:
            counts[rule.amounts[0].category] = parse_count(inputs.get("count", 1), "count")
        order = [a.category for a in rule.amounts]
        return sorted(counts.items(), key=lambda kv: order.index(kv[0]))

    def _per_head(self, rule: Rule, inputs: dict[str, Any], result: ToolResult) -> None:
        counts = self._counts(rule, inputs)
        if not counts:
            result.status = "needs_input"
            cats = "、".join(a.label or a.category for a in rule.amounts)
            result.questions.insert(0, f"各类别分别有多少人（个）？可选类别：{cats}")
            return
        # Amounts written in 万元 are computed in 元, so every sum has the same unit.
        scale = Decimal(10000) if rule.unit.startswith("万元") else Decimal(1)
        limited = self._count_limit(rule, counts, result)
        if limited is None:
            return
        counts = limited
        terms = [(n, rule.amount(cat).value * scale) for cat, n in counts]  # type: ignore[union-attr]
        years = None
        if rule.recurrence == "day":
            # 每人每天: the number of days comes from the user, capped by the most days the text allows.
            if "days" not in inputs:
                result.status = "needs_input"
                result.questions.insert(0, "按多少天计算？（文件规定的是每人每天的标准）")
                return
            days = parse_number(inputs["days"])
            if rule.period_months is not None and days > rule.period_months:
                result.warnings.append(f"最长{rule.period_months}天，超出部分不计：按{rule.period_months}天计算。")
                days = Decimal(rule.period_months)
            years = days  # multiplies like years do
            result.details["days"] = calc.fmt(days)
        elif rule.recurrence == "year":
            # 每人每年: the number of years comes from the user, never assumed.
            if "years" not in inputs:
                result.status = "needs_input"
                result.questions.insert(0, "按几年计算？（文件规定的是每人每年的标准）")
                result.details["per_year"] = True
                return
            years = parse_number(inputs["years"])
            if years <= 0 or years != years.to_integral_value():
                raise ToolError(f"years must be a whole number of years, not {inputs['years']!r}")
        total, formula = calc.sum_of_products(terms)
        if years is not None:
            if rule.recurrence == "year" and rule.period_months is not None and years * 12 > rule.period_months:
                capped = Decimal(rule.period_months) / 12
                result.warnings.append(f"补贴期限最长{calc.fmt(capped)}年，超出部分不计：按{calc.fmt(capped)}年计算。")
                years = capped
            total = calc.money(total * years)
            formula = " + ".join(f"{c}×{calc.fmt(a)}×{calc.fmt(years)}" for c, a in terms)
            if rule.recurrence == "year":
                result.details["years"] = calc.fmt(years)
        total, formula = self._total_limits(rule, total, formula, years, result)
        if rule.top_up and "received" in inputs:
            # 晋升等级的，按差额补足: the higher level's amount less what was already paid, never below 0.
            received = parse_number(inputs["received"])
            if received < 0:
                raise ToolError("received must not be negative")
            result.details["received"] = calc.fmt(received)
            total, formula = calc.money(max(total - received, Decimal(0))), f"{formula} − {calc.fmt(received)}"
        total, formula = self._instalment(rule, inputs, total, formula, result)
        result.result, result.formula = total, formula
        if scale != 1:
            result.unit = "元" + rule.unit[2:]
            result.details["unit_in_text"] = rule.unit
        qualifiers = {(rule.amount(cat).qualifier or rule.qualifier) for cat, _ in counts}  # type: ignore[union-attr]
        result.qualifier = qualifiers.pop() if len(qualifiers) == 1 else "mixed"
        unit = result.unit.split("/")[0] or "元"
        prefix = {"cap": "最高 ", "floor": "不少于 ", "after_tax": "（税后）"}.get(result.qualifier, "")
        result.result_text = f"{prefix}{calc.fmt(total)} {unit}"
        if result.qualifier == "mixed":
            result.warnings.append("各项标准性质不同（有的是上限），合计仅供参考。")

    def _count_limit(
        self, rule: Rule, counts: list[tuple[str, int]], result: ToolResult
    ) -> list[tuple[str, int]] | None:
        """每年最多带5名 / 每家企业每年补贴人数不超过100人: counts above the limit are not paid."""
        for lim in rule.limits:
            if lim.kind != "count":
                continue
            n = int(lim.value)
            if sum(c for _, c in counts) <= n:
                continue
            if len(counts) == 1:
                result.warnings.append(f"{lim.quote}：超出的人数不计，按{n}人计算。")
                return [(counts[0][0], n)]
            result.status = "needs_input"
            result.questions.insert(0, f"文件规定{lim.quote}，合计人数超出：请说明按哪{n}人计算")
            return None
        return counts

    def _total_limits(
        self, rule: Rule, total: Decimal, formula: str, years: Decimal | None, result: ToolResult
    ) -> tuple[Decimal, str]:
        """每家企业每年补贴总额最高50万元: the sum is capped; the cap is shown with the formula."""
        for lim in rule.limits:
            if lim.kind != "total":
                continue
            cap = lim.in_yuan() * (
                years if lim.period == "year" and years is not None and rule.recurrence == "year" else 1
            )
            if total > cap:
                result.warnings.append(f"{lim.quote}：按上限{calc.fmt(cap)}元计算。")
                result.details["before_limit"] = calc.fmt(total)
                return calc.money(cap), f"min({formula}, {calc.fmt(cap)})"
        return total, formula

    def _instalment(
        self, rule: Rule, inputs: dict[str, Any], total: Decimal, formula: str, result: ToolResult
    ) -> tuple[Decimal, str]:
        """分3年按40%、30%、30%发放: the amount of the year asked for, when one is."""
        if not rule.installments:
            return total, formula
        shares = "、".join(f"{calc.fmt(x)}%" for x in rule.installments)
        result.details["installments"] = shares
        if "year_index" not in inputs:
            result.warnings.append(f"该项分{len(rule.installments)}年按{shares}的比例发放，以上为合计。")
            return total, formula
        k = parse_count(inputs["year_index"], "year_index")
        if not 1 <= k <= len(rule.installments):
            raise ToolError(f"year_index must be between 1 and {len(rule.installments)}")
        share = rule.installments[k - 1]
        return calc.money(total * share / 100), f"({formula})×{calc.fmt(share)}%"

    def _monthly(self, rule: Rule, inputs: dict[str, Any], result: ToolResult) -> None:
        named = any(k not in SPECIAL_INPUTS and rule.amount(k) is not None for k in inputs)
        counted = [(cat, n) for cat, n in self._counts(rule, inputs) if n] if named else []
        if counted and "people" not in inputs and "category" not in inputs:
            # 领军人才=2 青年才俊=1: people by category, each at its own monthly amount.
            months = self._months(rule, inputs, result)
            if months is None:
                return
            terms = [(n * months, rule.amount(cat).value) for cat, n in counted]  # type: ignore[union-attr]
            total, _ = calc.sum_of_products(terms)
            result.result = total
            result.formula = " + ".join(f"{calc.fmt(rule.amount(c).value)}×{months}×{n}" for c, n in counted)  # type: ignore[union-attr]
            result.result_text = f"{calc.fmt(total)} 元"
            result.details["months"] = months
            return
        amount = rule.amounts[0]
        if len(rule.amounts) > 1:
            cat = inputs.get("category")
            if cat is None:
                result.status = "needs_input"
                cats = "、".join(a.category for a in rule.amounts)
                result.questions.insert(0, f"属于哪一类？可选：{cats}")
                return
            found = rule.amount(str(cat))
            if found is None:
                raise ToolError(
                    f"unknown category {cat!r} for {rule.id}; choose one of {[a.category for a in rule.amounts]}"
                )
            amount = found
        people = parse_count(inputs.get("people", 1), "people")
        period = rule.period_months
        months = self._months(rule, inputs, result)
        if months is None:
            return
        total, formula = calc.monthly(amount.value, months, people)
        result.result, result.formula = total, formula
        result.result_text = f"{calc.fmt(total)} 元（每人每月{calc.fmt(amount.value)}元×{months}个月" + (
            f"×{people}人）" if people != 1 else "）"
        )
        result.details["monthly_amount"] = calc.fmt(amount.value)
        result.details["months"] = months
        if "elapsed_months" in inputs and period is not None:
            left = calc.remaining_months(period, parse_count(inputs["elapsed_months"], "elapsed_months"))
            rest, rest_formula = calc.monthly(amount.value, left, people)
            result.details.update(
                {"remaining_months": left, "remaining_amount": calc.fmt(rest), "remaining_formula": rest_formula}
            )

    def _months(self, rule: Rule, inputs: dict[str, Any], result: ToolResult) -> int | None:
        period = rule.period_months
        if "months" in inputs:
            months = parse_count(inputs["months"], "months")
        elif period is not None:
            months = period
        else:
            result.status = "needs_input"
            result.questions.insert(0, "计算多少个月？（文件未规定期限）")
            return None
        if period is not None and months > period:
            result.warnings.append(f"保障期为{period}个月，超出部分不计：按{period}个月计算。")
            months = period
        return months

    def _base(self, rule: Rule, inputs: dict[str, Any], result: ToolResult) -> Decimal | None:
        if "base" not in inputs:
            result.status = "needs_input"
            result.questions.insert(0, f"请提供计算基数：{rule.base_label or '基数'}（文件未载明，不能代为假设）")
            return None
        return parse_number(inputs["base"])

    def _percentage(self, rule: Rule, inputs: dict[str, Any], result: ToolResult) -> None:
        base = self._base(rule, inputs, result)
        if base is None:
            return
        if rule.deduction_label:
            if "deduction" not in inputs:
                result.status = "needs_input"
                result.questions.insert(0, f"请提供需先扣除的{rule.deduction_label}（文件规定先扣除再按比例计算）")
                return
            deduction = parse_number(inputs["deduction"])
            if deduction < 0 or deduction > base:
                raise ToolError(f"{rule.deduction_label} must be between 0 and the base ({calc.fmt(base)})")
            shown_base = f"({calc.fmt(base)}−{calc.fmt(deduction)})" if deduction else ""
            base = base - deduction
        else:
            shown_base = ""
        rate = (
            rule.rate if rule.rate is not None else Decimal(rule.fraction.numerator * 100) / rule.fraction.denominator
        )
        value, formula = calc.uplift(base, rate) if rule.uplift else calc.percentage_of(base, rate)
        if shown_base:
            formula = formula.replace(calc.fmt(base), shown_base, 1)
        if not rule.uplift:
            value, formula = self._rate_per_person(rule, inputs, value, formula, result)
            if value is None:
                return
        if "count" in inputs and (rule.uplift or self._rate_cap(rule) is not None):
            count = parse_count(inputs["count"], "count")
            value = calc.money(value * count)
            formula = f"{formula}×{count}"
        result.result, result.formula = value, formula
        prefix = {"cap": "最多 ", "floor": "至少 "}.get(rule.qualifier, "")
        result.result_text = f"{prefix}{calc.fmt(value)}"

    @staticmethod
    def _rate_cap(rule: Rule) -> Any:
        """每名师傅每月补助不超过500元 / 每人最高不超过800元: the cap on what the rate gives one person."""
        return next((lim for lim in rule.limits if lim.kind == "per_person" and lim.period in ("", "month")), None)

    def _rate_per_person(
        self, rule: Rule, inputs: dict[str, Any], value: Decimal, formula: str, result: ToolResult
    ) -> tuple[Any, str]:
        """A rate on one person's payment: capped per person (per month when the cap says so), then over
        the months asked, within the stated period."""
        cap = self._rate_cap(rule)
        if cap is not None and value > cap.in_yuan():
            result.warnings.append(f"{cap.quote or '每人上限'}：按上限{calc.fmt(cap.in_yuan())}元计算。")
            result.details["before_limit"] = calc.fmt(value)
            value, formula = calc.money(cap.in_yuan()), f"min({formula}, {calc.fmt(cap.in_yuan())})"
        if rule.recurrence == "month" and cap is not None and cap.period == "month":
            # The rate runs as long as the payment does: the months are the user's (the stated period is
            # only the longest), never assumed.
            if "months" not in inputs:
                result.status = "needs_input"
                result.questions.insert(0, "按几个月计算？（按月发放额的比例补助，需要知道发放的月数）")
                return None, formula
            months = self._months(rule, inputs, result)
            if months is None:
                return None, formula
            result.details["months"] = months
            value, formula = calc.money(value * months), f"{formula}×{months}"
        return value, formula

    def _target(self, rule: Rule, inputs: dict[str, Any], result: ToolResult) -> None:
        base = self._base(rule, inputs, result)
        if base is None:
            return
        needed, formula = calc.people_needed(parse_count(base, "base"), rule.fraction)
        result.result, result.formula = Decimal(needed), formula
        result.result_text = f"{'至少 ' if rule.qualifier == 'floor' else ''}{needed}"

    def _unstated(self, rule: Rule, inputs: dict[str, Any], result: ToolResult) -> None:
        """A benefit the text names without a figure: nothing to compute, and nothing to ask for."""
        result.status = "not_stated"
        result.result_text = f"文件没有写明具体金额（原文：“{rule.vague}”）" if rule.vague else "文件没有写明具体金额"

    def _lookup(self, rule: Rule, inputs: dict[str, Any], result: ToolResult) -> None:
        cat = inputs.get("category")
        if cat is None:
            result.status = "needs_input"
            result.questions.insert(0, f"属于哪一类？可选：{'、'.join(rule.lookup)}")
            return
        if str(cat) not in rule.lookup:
            raise ToolError(f"unknown category {cat!r} for {rule.id}; choose one of {list(rule.lookup)}")
        result.outcome = rule.lookup[str(cat)]
        result.result_text = result.outcome
