"""Evaluation of "what can we get?" on ``eval/golden/profiles.yaml`` and on generated profiles.

The hand-written set (27 profiles from employers, citizens and Taiwan
residents, written before the code and never edited) is measured twice:

* **from the question** — the product's path: the question read into a frame
  (``Assistant.read``), the profile taken from it (``profile_from_frame``),
  matched (``Services.entitlements``). This measures the reader and the
  matcher together. It also records whether the conversation itself answers the
  question with the list (intent ``entitlements``).
* **from the structured profile** — the item's ``profile`` block translated
  into a ``Profile`` by ``golden_profile`` below: a generic translation of the
  set's keys (counts, levels, categories, statuses and free-text facts read by
  the same reader), written after seeing the set's format but not tuned to its
  answers. This measures the matcher when the facts are given.

Per item: each expected provision is looked up among the listed ones by its
clause (and amount, when a clause has several); it is *found* when listed,
*right* when its status is right and its amount — or, with no amount, its
follow-up question — is right. Also: provisions on ``not_matched`` clauses
listed as met (false met), people excluded as expected, the certain one-off
total, any stated amount or total that is wrong, and the draft flag.

Generated profiles (``evaluation.profiles_generated``): precision and recall of
the provisions met, wrong amounts, totals mixing one-off and recurring amounts,
and flipped conditions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.frame.read import read_question
from app.services import Services
from app.tools.engine import RuleEngine
from app.tools.entitlements import Entitlements, Entry
from app.tools.profile import MoneyFigure, People, Profile, ProfileFact, Unit, facts_from_text, profile_from_frame
from evaluation import load_golden_set
from evaluation.profiles_generated import GeneratedResult, run_generated
from ingest.textproc import to_simplified


class ExpectedMatch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    clause: str
    what: str = ""
    amount: Decimal | None = None
    recurring: bool = False
    status: str = "met"
    follow_up: str | None = None
    per: str | None = None
    period_total: Decimal | None = None
    span_total: Decimal | None = None


class Excluded(BaseModel):
    model_config = ConfigDict(extra="ignore")

    count: int
    clause: str
    reason: str = ""


class ProfileExpect(BaseModel):
    model_config = ConfigDict(extra="ignore")

    matches: list[ExpectedMatch] = Field(default_factory=list)
    not_matched: list[str] = Field(default_factory=list)
    excluded: list[Excluded] = Field(default_factory=list)
    certain_total_one_off: Decimal | None = None
    draft_warning: bool = False


class ProfileItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    question: str
    persona: str
    place: str = ""
    turns: list[str] = Field(default_factory=list)
    profile: dict[str, Any] = Field(default_factory=dict)
    expect: ProfileExpect


@dataclass
class MatchScore:
    expected: ExpectedMatch
    entry: Entry | None
    status_ok: bool = False
    amount_ok: bool | None = None  # None: no amount expected
    follow_up_ok: bool | None = None  # None: no follow-up expected
    totals_ok: bool | None = None

    @property
    def right(self) -> bool:
        if self.entry is None or not self.status_ok:
            return False
        if self.expected.amount is not None:
            return bool(self.amount_ok)
        return self.follow_up_ok is not False and self.amount_ok is not False


@dataclass
class ItemScore:
    item: ProfileItem
    result: Entitlements
    matches: list[MatchScore] = field(default_factory=list)
    false_met: list[str] = field(default_factory=list)  # entries met on a not_matched clause
    extra_met: list[str] = field(default_factory=list)  # met on an expected clause beyond the expected ones
    excluded_ok: list[bool] = field(default_factory=list)
    total_ok: bool = False
    wrong_total: bool = False
    incomplete_total: bool = False
    wrong_amounts: list[str] = field(default_factory=list)
    draft_ok: bool = True
    listed_by_chain: bool | None = None

    @property
    def passed(self) -> bool:
        return all(m.right for m in self.matches) and not self.false_met and self.total_ok and not self.wrong_amounts


def load_items(path: Path) -> list[ProfileItem]:
    return load_golden_set(path, ProfileItem)


# ---------------------------------------------------------------------------------------------- scoring


def _figure(e: Entry) -> Decimal | None:
    return e.amount if e.amount is not None else e.amount_if_met


def score_item(item: ProfileItem, result: Entitlements) -> ItemScore:
    s = ItemScore(item=item, result=result)
    listed = list(result.entries)
    used: set[int] = set()
    for exp in item.expect.matches:
        same = [i for i, e in enumerate(listed) if e.clause_id == exp.clause and i not in used]
        pick = next((i for i in same if exp.amount is not None and _figure(listed[i]) == exp.amount), None)
        if pick is None:
            pick = next(
                (
                    i
                    for i in same
                    if listed[i].status == exp.status and (exp.amount is None) == (_figure(listed[i]) is None)
                ),
                None,
            )
        if pick is None:
            pick = next((i for i in same if (exp.amount is None) == (_figure(listed[i]) is None)), None)
        if pick is None and same:
            pick = same[0]
        entry = listed[pick] if pick is not None else None
        if pick is not None:
            used.add(pick)
        m = MatchScore(expected=exp, entry=entry)
        if entry is not None:
            m.status_ok = entry.status == exp.status
            if exp.amount is not None:
                m.amount_ok = (entry.amount if exp.status == "met" else _figure(entry)) == exp.amount
            elif _figure(entry) is not None:
                m.amount_ok = False  # a figure the text does not give
            if exp.follow_up:
                m.follow_up_ok = any(exp.follow_up in q for q in entry.questions)
            checks = []
            if exp.period_total is not None:
                checks.append(entry.period_total == exp.period_total)
            if exp.span_total is not None:
                checks.append(entry.span_total == exp.span_total)
            m.totals_ok = all(checks) if checks else None
            stated = entry.amount if entry.status == "met" else None
            if stated is not None and exp.amount is not None and stated != exp.amount:
                s.wrong_amounts.append(f"{entry.rule_id}: {stated} ≠ {exp.amount}")
        s.matches.append(m)
    expected_clauses = {m.clause for m in item.expect.matches}
    for i, e in enumerate(listed):
        if e.status != "met":
            continue
        if e.clause_id in item.expect.not_matched:
            s.false_met.append(f"{e.rule_id} ({e.clause_id})")
        elif e.clause_id in expected_clauses and i not in used:
            s.extra_met.append(f"{e.rule_id} ({e.clause_id})")
    for x in item.expect.excluded:
        counts = [
            sum(int(g["count"] or 0) for g in e.excluded)
            for e in [*result.entries, *result.not_met]
            if e.clause_id == x.clause
        ]
        s.excluded_ok.append(x.count in counts)
    stated = result.summary.certain_one_off
    want = item.expect.certain_total_one_off
    s.total_ok = stated == want
    # A stated total other than the expected one is *incomplete* when every amount in it is an expected,
    # right, one-off amount (a provision the set says is met is still unknown here); otherwise it is wrong.
    counted = [e for e in listed if e.status == "met" and e.amount is not None and not e.recurring and e.money]
    right = {id(m.entry) for m in s.matches if m.entry is not None and m.right and not m.expected.recurring}
    s.wrong_total = stated is not None and stated != want and any(id(e) not in right for e in counted)
    s.incomplete_total = stated is not None and stated != want and not s.wrong_total
    s.draft_ok = any("征求意见稿" in w for w in result.warnings) == item.expect.draft_warning
    return s


@dataclass
class ModeResult:
    name: str
    items: list[ItemScore] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        matches = [m for s in self.items for m in s.matches]
        amounts = [m for m in matches if m.expected.amount is not None]
        follow = [m for m in matches if m.expected.follow_up]
        totals = [m.totals_ok for m in matches if m.totals_ok is not None]
        excluded = [ok for s in self.items for ok in s.excluded_ok]
        chain = [s.listed_by_chain for s in self.items if s.listed_by_chain is not None]

        def rate(values: list[bool]) -> float | None:
            return round(sum(values) / len(values), 4) if values else None

        return {
            "items": len(self.items),
            "items fully right": rate([s.passed for s in self.items]),
            "expected provisions": len(matches),
            "found (listed)": rate([m.entry is not None for m in matches]),
            "right (status + amount or follow-up)": rate([m.right for m in matches]),
            "status right": rate([m.status_ok for m in matches]),
            "amount right (where one is expected)": rate([bool(m.amount_ok) for m in amounts]),
            "follow-up question right (where one is expected)": rate([bool(m.follow_up_ok) for m in follow]),
            "period / span totals right": rate(totals),
            "listed as met on a not-matched clause": sum(len(s.false_met) for s in self.items),
            "met beyond the expected on an expected clause": sum(len(s.extra_met) for s in self.items),
            "excluded people right": rate(excluded),
            "certain one-off total right": rate([s.total_ok for s in self.items]),
            "totals stated that leave out a provision still unknown": sum(int(s.incomplete_total) for s in self.items),
            "wrong totals stated": sum(int(s.wrong_total) for s in self.items),
            "wrong amounts stated": sum(len(s.wrong_amounts) for s in self.items),
            "draft flag right": rate([s.draft_ok for s in self.items]),
            **({"conversation answers with the list": rate(chain)} if chain else {}),
        }


# ---------------------------------------------------------------------------------------------- the structured profile

# The set's yes/no keys, in words the reader knows (True, False).
_FLAGS: dict[str, tuple[str, str]] = {
    "recognized": ("经认定", "未经认定"),
    "introduced": ("新引进", "不是引进"),
    "student": ("在校学生", "不是学生"),
    "new_to_city": ("新到本市就业", ""),
    "shortage_list": ("在紧缺工种目录内", "不在紧缺工种目录内"),
}
# Keys whose values are a verdict without its noun (assessment: 未通过), in the words the reader knows.
_NOUNS: dict[str, str] = {"assessment": "考核", "theory": "理论考试", "practical": "实操考试", "training": "培训"}
# Keys whose words name who the people are (their category) rather than a fact about them.
_TITLE_KEYS = ("category", "tier", "title", "shortage", "program", "role", "education", "origin")
_SKIP = (
    "count",
    "level",
    "subset_of",
    "year",
    "job",
    "employer_city",
    "base_per_person",
    "span_years",
    "months_received",
    "age",
    "rank",
)


_UNSAID = re.compile(r"[：:]\s*(?:未说|未提|不详|未知|没说)\s*$")


def golden_profile(item: ProfileItem) -> Profile:
    """The item's ``profile`` block as a ``Profile`` (a generic reading of the set's keys)."""
    raw = item.profile
    entity = raw.get("entity")
    profile = Profile(
        place=item.place if item.place not in ("", "未知") else "",
        entity=entity if entity in ("enterprise", "individual", "institution") else None,
    )
    for p in raw.get("people") or []:
        words: list[str] = []
        titles = [str(p[k]) for k in _TITLE_KEYS if isinstance(p.get(k), str) and p.get(k) != "本人"]
        if isinstance(p.get("competition"), str):
            titles.append(str(p["competition"]) + ("" if "赛" in str(p["competition"]) else "竞赛"))
        if isinstance(p.get("rank"), int) and not isinstance(p.get("rank"), bool):
            titles.append(f"第{p['rank']}名")  # a place won in the competition, as a user says it
        for key, value in p.items():
            if key in _SKIP or key in _TITLE_KEYS or key == "competition":
                continue
            if isinstance(value, bool) and key in _FLAGS:
                words.append(_FLAGS[key][0] if value else _FLAGS[key][1])
            elif isinstance(value, str):
                noun = _NOUNS.get(key, "")
                words.append(value if noun[:2] in value else noun + value)
        words += [str(p[k]) for k in ("origin", "education") if isinstance(p.get(k), str)]  # said of them, too
        facts = [f for w in words if w for f in facts_from_text(w)]
        # Words no concept reads (在紧缺工种目录内) stay the group's words, as a question's group keeps them.
        titles += [w for w in words if w and not facts_from_text(w) and w not in titles]
        if p.get("social_insurance_months") is not None:
            facts.append(
                ProfileFact(
                    concept="社保",
                    value=Decimal(str(p["social_insurance_months"])),
                    holds=p["social_insurance_months"] > 0,
                )
            )
        if p.get("age") is not None:
            facts.append(ProfileFact(concept="年龄", value=Decimal(str(p["age"]))))
        is_self = p.get("role") == "本人" or (
            entity == "individual" and not profile.people and p.get("role") in (None, "本人")
        )
        part_of = 0 if p.get("subset_of") and profile.people else None
        mine = next((q for q in profile.people if q.is_self), None) if is_self else None
        if mine is not None:
            # The applicant described over several rows (大连工匠 in one, 首席技师 in another): one person.
            level = str(p.get("level") or "")
            if level and not mine.level:
                mine.level = level
            elif level and level != mine.level:
                mine.titles.append(level)
            mine.titles += [t for t in titles if t not in mine.titles]
            mine.facts += facts
        else:
            profile.people.append(
                People(
                    count=p.get("count", 1),
                    label="本人" if is_self else "",
                    level=str(p.get("level") or ""),
                    titles=titles,
                    facts=facts,
                    part_of=part_of,
                    is_self=is_self and not any(q.is_self for q in profile.people),
                )
            )
        if p.get("months_received") is not None:
            profile.elapsed_months = Decimal(str(p["months_received"]))
        if p.get("span_years") is not None:
            profile.months = Decimal(str(p["span_years"])) * 12
        if p.get("base_per_person") is not None:
            profile.money.append(MoneyFigure(label="补贴标准", value=Decimal(str(p["base_per_person"]))))
    for st in raw.get("studios") or []:
        profile.units.append(
            Unit(
                kind=str(st.get("kind", "")),
                level=str(st.get("level") or ""),
                new=st.get("new"),
                leader=st.get("role") == "领办人",
            )
        )
    if raw.get("social_insurance_months") is not None:
        months = Decimal(str(raw["social_insurance_months"]))
        profile.social_insurance_months = months
    for c in raw.get("certificates") or []:
        profile.certificates.append(c if isinstance(c, str) else str(c.get("name", "")))
    texts = [str(raw["residence"])] if raw.get("residence") else []
    # A fact the set marks as not said (是否已取得…：未说) states nothing: it is left out, not read as said.
    texts += [str(f) for f in raw.get("facts") or [] if not _UNSAID.search(str(f))]
    profile.facts_text = "；".join(texts)
    for text in texts:  # sums said in a fact (投资200万元, 直接成本50万元), read as the question reader reads them
        profile.money += [m for m in profile_from_frame(read_question(text)).money if m not in profile.money]
    return profile


# ---------------------------------------------------------------------------------------------- the run


def run_profiles_eval(
    services: Services, golden: Path, reports: Path | None, *, generated: bool = True
) -> dict[str, Any]:
    items = load_items(golden)
    question = ModeResult("from the question")
    structured = ModeResult("from the structured profile")
    for item in items:
        frame = services.assistant.read(item.question)
        s = score_item(item, services.entitlements(profile_from_frame(frame)))
        s.listed_by_chain = frame.intent == "entitlements"
        question.items.append(s)
        structured.items.append(score_item(item, services.entitlements(golden_profile(item))))
    gen: dict[str, Any] = {}
    gen_result: GeneratedResult | None = None
    if generated:
        docs = {d.id: d for d in services.retriever.documents()}
        gen_result = run_generated(
            services.entitlement_rules().rules,
            RuleEngine(services.entitlement_rules(), docs),
            docs,
            seed=7,
            per_place=60,
        )
        gen = gen_result.summary()
    out = {"question": question.summary(), "structured": structured.summary(), "generated": gen}
    if reports is not None:
        write_report(out, [question, structured], gen_result, reports, golden)
    return out


def _table(modes: list[ModeResult]) -> list[str]:
    sums = [m.summary() for m in modes]
    lines = ["| measure | " + " | ".join(m.name for m in modes) + " |", "|---|" + "---:|" * len(modes)]
    for key in sums[0]:
        lines.append(
            f"| {key} | " + " | ".join(str(s.get(key, "—")) if s.get(key) is not None else "—" for s in sums) + " |"
        )
    return lines


def _problems(s: ItemScore) -> list[str]:
    out = []
    for m in s.matches:
        what = f"{m.expected.clause} {m.expected.what}".strip()
        if m.entry is None:
            out.append(f"not listed: {what}")
        elif not m.right:
            got = f"{m.entry.status} {_figure(m.entry)}"
            need = f"{m.expected.status} {m.expected.amount}" + (
                f" (ask: {m.expected.follow_up})" if m.expected.follow_up else ""
            )
            out.append(f"{what}: got {got}, expected {need}")
    out += [f"met on a not-matched clause: {x}" for x in s.false_met]
    if not s.total_ok:
        out.append(f"one-off total {s.result.summary.certain_one_off} ≠ {s.item.expect.certain_total_one_off}")
    out += [f"wrong amount {x}" for x in s.wrong_amounts]
    return out


def write_report(
    out: dict[str, Any], modes: list[ModeResult], gen: GeneratedResult | None, reports: Path, golden: Path
) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    lines = [
        "# “What can we get?” — entitlements evaluation",
        "",
        f"- hand-written set: `{golden}` ({len(modes[0].items)} profiles, written before the code, not edited)",
        f"- generated: {datetime.now(UTC).isoformat(timespec='seconds')} by `policy-assistant eval profiles`",
        "",
        "## The hand-written set",
        "",
        "*From the question*: the question read by the offline reader, the profile taken from its frame, then matched — "
        "the reader and the matcher together. *From the structured profile*: the item's `profile` block translated "
        "generically (`evaluation.profiles.golden_profile`), then matched — the matcher with the facts given. "
        "An expected provision is *right* when listed with the right status and the right amount (or, without an "
        "amount, the right follow-up question).",
        "",
        *_table(modes),
        "",
    ]
    if gen is not None:
        lines += [
            "## Generated profiles",
            "",
            "Profiles built from the provisions of the indexed documents to meet chosen conditions (and the same "
            "profiles with one condition flipped), judged against an oracle computed from the rule data "
            "(`evaluation.profiles_generated`).",
            "",
            "| measure | value |",
            "|---|---:|",
            *[f"| {k} | {v} |" for k, v in gen.summary().items()],
            "",
        ]
        fails = gen.failures()
        if fails:
            lines += ["Failures:", "", *[f"- {f}" for f in fails], ""]
    for mode in modes:
        bad = [s for s in mode.items if not s.passed]
        lines += [f"## Items not fully right — {mode.name} ({len(bad)})", ""]
        for s in bad:
            lines.append(
                f"- **{s.item.id}** ({s.item.persona}) {to_simplified(s.item.question)[:60]}… — "
                + "; ".join(_problems(s))
            )
        lines.append("")
    path = reports / "profiles.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (reports / "profiles.json").write_text(
        json.dumps(out, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return path
