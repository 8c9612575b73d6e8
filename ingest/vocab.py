"""The shared vocabulary: ordered level ladders and condition concepts.

Both are data (``ingest/resources/levels.yaml``, ``concepts.yaml``) read by
provision extraction at ingest and by the question reader alike, so a
condition in a document and a fact in a question meet on the same concept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from ingest.yamlio import load_yaml


@dataclass(frozen=True)
class Level:
    ladder: str
    level: str
    rank: int
    forms: tuple[str, ...]


@dataclass(frozen=True)
class Concept:
    name: str
    forms: tuple[str, ...]
    place: bool = False
    employer: bool = False
    unit: str = ""
    negative_forms: tuple[str, ...] = ()
    negative_context: tuple[str, ...] = ()
    same_as: tuple[str, ...] = ()
    # Says who counts rather than what they did (团队成员取得相应等级): see Condition.subject.
    subject: bool = False
    # Said of the subject of a provision (公办职业院校…取得的收入…), it restricts who it is for.
    restricts: bool = False
    # Its value is the length of an arrangement (合同签了18个月): also the span of what is received.
    term: bool = False
    # Verbs that name the concept only when a skill level follows them (拿了高级技师, 考下技师证):
    # 拿了第1名 or 拿到哪些钱 is not obtaining a level.
    before_level: tuple[str, ...] = ()
    # Forms made of a lead and a verb (新拿到): each states the act done by itself.
    composed: tuple[str, ...] = ()

    def states_done(self, form: str) -> bool:
        """The form is a verb of the act done (新拿到, 拿了): a fact by itself, not a topic named."""
        return form in self.composed or form in self.before_level


@dataclass
class Vocabulary:
    levels: list[Level]
    concepts: list[Concept]
    negation_before: tuple[str, ...]
    negation_after: tuple[str, ...]
    elsewhere: tuple[str, ...]
    asked: tuple[str, ...]
    not_yet: tuple[str, ...]
    at_least: tuple[str, ...]
    at_most: tuple[str, ...]
    classes: dict[str, tuple[str, int]] = field(default_factory=dict)  # 高技能人才 → (skill, rank of 高级工)
    _level_forms: list[tuple[str, Level]] = field(default_factory=list)
    _concept_forms: list[tuple[str, Concept]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._level_forms = sorted(((f, lv) for lv in self.levels for f in lv.forms), key=lambda p: -len(p[0]))
        self._concept_forms = sorted(
            ((f, c) for c in self.concepts for f in (*c.forms, *c.negative_forms)), key=lambda p: -len(p[0])
        )
        self.level_pattern = re.compile("|".join(re.escape(f) for f, _ in self._level_forms))
        self.concept_pattern = re.compile("|".join(re.escape(f) for f, _ in self._concept_forms))

    def level(self, form: str) -> Level | None:
        return next((lv for f, lv in self._level_forms if f == form), None)

    def level_by_name(self, ladder: str, name: str) -> Level | None:
        return next((lv for lv in self.levels if lv.ladder == ladder and lv.level == name), None)

    def levels_in(self, text: str) -> list[tuple[int, int, Level]]:
        """Levels named in ``text``, longest form first, no overlaps."""
        return [(m.start(), m.end(), lv) for m in self.level_pattern.finditer(text) if (lv := self.level(m.group(0)))]

    def levels_held(self, text: str) -> list[tuple[int, int, Level]]:
        """Levels the words say someone or something has: not a level naming a school or a class
        (预备技师班, 高级工班, 技师学院), which says where they studied."""
        return [
            (s, e, lv) for s, e, lv in self.levels_in(text) if not re.match(r"班|学院|院校|学校|专业", text[e : e + 2])
        ]

    def concept(self, name: str) -> Concept | None:
        return next((c for c in self.concepts if c.name == name), None)

    def concepts_in(self, text: str) -> list[tuple[int, int, Concept, bool]]:
        """(start, end, concept, negative) for every concept form in ``text``; ``negative`` for a
        form that states the concept is false by itself (无关). A ``before_level`` verb followed by a
        skill level (拿了高级技师) names its concept there, in place of any shorter form it overlaps."""
        out = []
        for m in self.concept_pattern.finditer(text):
            form = m.group(0)
            c = next(c for f, c in self._concept_forms if f == form)
            out.append((m.start(), m.end(), c, form in c.negative_forms))
        verbs = [(f, c) for c in self.concepts for f in c.before_level]
        if not verbs:
            return out
        skill_starts = {s for s, _, lv in self.levels_in(text) if lv.ladder == "skill"}
        for form, c in sorted(verbs, key=lambda p: -len(p[0])):
            for m in re.finditer(re.escape(form), text):
                if m.end() not in skill_starts:
                    continue
                if any(s <= m.start() and m.end() <= e for s, e, _, _ in out):
                    continue  # inside a longer form already read (新拿到)
                out = [o for o in out if not (o[0] < m.end() and m.start() < o[1])]
                out.append((m.start(), m.end(), c, False))
        return sorted(out, key=lambda o: o[0])


def _forms(entry: dict) -> tuple[str, ...]:
    """A concept's forms: those listed, then each ``compose`` lead before each of its verbs (新 + 拿到)."""
    forms = [str(f) for f in entry["forms"]]
    for rule in entry.get("compose", []) or []:
        tails = rule.get("verbs") or rule.get("tails") or []
        forms += [f"{lead}{tail}" for lead in rule["lead"] for tail in tails if f"{lead}{tail}" not in forms]
    return tuple(forms)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    base = resources.files("ingest") / "resources"
    lv = load_yaml((base / "levels.yaml").read_text(encoding="utf-8"))
    cp = load_yaml((base / "concepts.yaml").read_text(encoding="utf-8"))
    levels = [
        Level(ladder, str(e["level"]), int(e["rank"]), _forms(e))
        for ladder, entries in lv["ladders"].items()
        for e in entries
    ]
    concepts = [
        Concept(
            name,
            _forms(e),
            bool(e.get("place")),
            bool(e.get("employer")),
            str(e.get("unit", "")),
            tuple(str(f) for f in e.get("negative_forms", [])),
            tuple(str(f) for f in e.get("negative_context", [])),
            tuple(str(f) for f in e.get("same_as", [])),
            bool(e.get("subject")),
            bool(e.get("restricts")),
            bool(e.get("term")),
            tuple(str(f) for f in e.get("before_level", [])),
            _forms(e)[len(e["forms"]) :],
        )
        for name, e in cp["concepts"].items()
    ]
    return Vocabulary(
        levels,
        concepts,
        tuple(cp["negation"]["before"]),
        tuple(cp["negation"]["after"]),
        tuple(cp["elsewhere"]),
        tuple(cp["asked"]),
        tuple(cp.get("not_yet", [])),
        tuple(lv["at_least"]),
        tuple(lv["at_most"]),
        {
            name: (str(e["ladder"]), next(x.rank for x in levels if x.ladder == e["ladder"] and x.level == e["min"]))
            for name, e in (lv.get("classes") or {}).items()
        },
    )
