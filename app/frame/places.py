"""China's administrative divisions, and the places a question names.

The gazetteer is jionlp's ``china_location`` dictionary (province → city →
county, with short names and admin codes, maintained with the official
changes; measured against cpca, which still lists 莱芜市 — merged into 济南 in
2019 — and has no 苏州工业园区). Only its data file is read, straight from the
installed package, so importing jionlp's NLP stack (and its banner on stdout)
is avoided. Reading it takes about half a second, once (see ``gazetteer``).

``find_places(text)`` returns every place named, longest name first, with its
level and enclosing places. Short names are matched for provinces and cities
(大连, 浙江); for counties only where the short name is distinctive (鄞州, but not
城区 or 郊区). Taiwan, Hong Kong and Macao are never the place whose policy is
asked about: in these questions they say where a person comes from.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from app.frame.schema import PlaceMention, Span
from ingest import cachefiles

ORIGIN_ONLY = ("台湾", "香港", "澳门")
# County short names that are ordinary words (or too vague to be a place on their own).
_VAGUE_COUNTY_ALIASES = {
    "城区",
    "郊区",
    "新区",
    "市中",
    "市辖",
    "开发",
    "高新",
    "矿区",
    "东区",
    "西区",
    "南区",
    "北区",
    "中区",
    "江北",
    "江南",
    "河东",
    "河西",
    "城关",
    "城中",
    "新城",
    "新市",
    "长安",
    "和平",
    "平安",
    "永安",
    "永定",
    "安定",
    "宁安",
    "普安",
    "长宁",
    "南山",
    "北山",
    "东山",
    "西山",
    "青山",
    "白云",
    "金山",
    "宝山",
    "铁山",
    "红山",
    "黄山",
    "高明",
    "文明",
    "前进",
    "向阳",
    "胜利",
    "光明",
    "龙华",
    "华容",
    "大方",
    "正安",
    "务川",
    "三都",
    "五华",
    "八步",
    "万山",
    "东方",
    "定安",
    "同心",
    "海城",
    "大同",
    "中山",
    "太和",
    "新华",
    "清河",
    "通道",
    "沙市",
    "丰台",
    "朝阳",
    "上城",
    "下城",
    "东城",
    "西城",
    "海港",
    "中原",
    "二道",
    "城阳",
    "山城",
    "合作",
    "海南",
    "新兴",
    "宁江",
    "桥西",
    "桥东",
    "路北",
    "路南",
    "市北",
    "市南",
}

_VAGUE_COUNTY_ALIASES |= {"城区", "郊区", "矿区"}  # also written as full names
# City short names that are ordinary words; the full name (大同市) still matches.
_WORD_LIKE_CITY_ALIASES = {"来宾", "大同", "长治", "普洱", "安康"}


@dataclass
class Place:
    name: str  # canonical short name: 大连, 鄞州区 (counties keep their suffix), 浙江
    full: str  # 大连市, 宁波市鄞州区's own full name 鄞州区, 浙江省
    level: str  # province | city | district
    code: str
    parents: list[str] = field(default_factory=list)  # canonical names, nearest first
    forms: list[str] = field(default_factory=list)


def _data_path() -> Path | None:
    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "dictionary"


def _lines() -> list[str]:
    folder = _data_path()
    if folder is None:
        return []
    txt = folder / "china_location.txt"
    if txt.exists():
        return txt.read_text(encoding="utf-8").splitlines()
    with zipfile.ZipFile(folder / "china_location.zip") as z:
        text = z.read("china_location.txt").decode("utf-8")
    # Towns (three tabs deep) are most of the file's 700k lines and never used: dropped in one C scan.
    return re.findall(r"^(?!\t\t\t).*$", text, re.M)


def _short(full: str, alias: str, level: str) -> str:
    if level == "district":
        return full
    return alias.split("/")[0] if alias else re.sub(r"(?:省|市|自治区|特别行政区|壮族|回族|维吾尔)+$", "", full)


class FormScanner:
    """Finds the written forms of places in a text as one alternation of every form, longest first,
    would (leftmost match, the longest form there, no overlaps), without compiling a pattern of
    thousands of alternatives (≈0.5 s at start-up): the forms that start with a character, by length."""

    def __init__(self, forms: list[str]):
        by_first: dict[str, set[int]] = {}
        for f in forms:
            by_first.setdefault(f[0], set()).add(len(f))
        self.forms = set(forms)
        self.lengths = {c: sorted(ns, reverse=True) for c, ns in by_first.items()}

    def finditer(self, text: str) -> Iterator[tuple[int, int, str]]:
        i, n = 0, len(text)
        while i < n:
            for length in self.lengths.get(text[i], ()):
                if i + length <= n and text[i : i + length] in self.forms:
                    yield i, i + length, text[i : i + length]
                    i += length
                    break
            else:
                i += 1


@lru_cache(maxsize=1)
def gazetteer() -> tuple[dict[str, list[Place]], FormScanner | None]:
    """All places by every form they are written in, and a scanner finding any form in a text.

    The places are read from jionlp's file once and kept in the cache folder (as ``_places`` made
    them; the key changes with jionlp's file and with this module), which takes a start ~0.05 s
    instead of ~0.4 s."""
    folder = _data_path()
    if folder is None:
        return {}, None
    source = next((f for f in (folder / n for n in ("china_location.txt", "china_location.zip")) if f.exists()), None)
    if source is None:
        return {}, None
    path = cachefiles.cache_dir() / f"places-{cachefiles.key(source, Path(__file__))}.json"
    make = lambda: json.dumps([dataclasses.astuple(p) for p in _places()], ensure_ascii=False).encode()  # noqa: E731
    try:
        places = [Place(*record) for record in json.loads(cachefiles.cached(path, make))]
    except (ValueError, TypeError):  # a damaged file: made again
        path.unlink(missing_ok=True)
        places = [Place(*record) for record in json.loads(cachefiles.cached(path, make))]
    by_form: dict[str, list[Place]] = {}
    for place in places:
        for f in place.forms:
            by_form.setdefault(f, []).append(place)
    if not by_form:
        return {}, None
    return by_form, FormScanner(list(by_form))


def _places() -> list[Place]:
    """Every province, city and district of jionlp's file, in its order, with the forms it is written in."""
    out: list[Place] = []
    province = city = None
    for raw in _lines():
        if raw.startswith("\t\t\t") or not raw.strip():
            continue
        depth = len(raw) - len(raw.lstrip("\t"))
        parts = raw.strip().split("\t")
        if len(parts) != 3:
            continue
        full, code, alias = parts
        level = ("province", "city", "district")[depth]
        name = _short(full, alias, level)
        if level == "province":
            province = Place(name, full, level, code)
            place = province
        elif level == "city":
            if province is None:
                continue
            # Municipalities list themselves again as their own city: keep one place.
            if full == province.full:
                city = province
                continue
            city = Place(name, full, level, code, [province.name])
            place = city
        else:
            if city is None or province is None:
                continue
            parents = [city.name] + ([province.name] if city is not province else [])
            place = Place(name, full, level, code, parents)
        forms = {full} if full not in _VAGUE_COUNTY_ALIASES else set()
        if level != "district":
            forms.update(a for a in alias.split("/") if len(a) >= 2 and a not in _WORD_LIKE_CITY_ALIASES)
        else:
            short = alias.split("/")[0]
            if len(short) >= 2 and short not in _VAGUE_COUNTY_ALIASES and short != full:
                forms.add(short)
        place.forms = sorted(forms, key=len, reverse=True)
        out.append(place)
    return out


def lookup(name: str) -> Place | None:
    """The place a canonical or written name stands for (the city or province first when ambiguous)."""
    by_form, _ = gazetteer()
    found = by_form.get(name)
    if not found:
        return None
    return sorted(found, key=lambda p: ("province", "city", "district").index(p.level))[0]


def find_places(
    text: str, extra: dict[str, str] | None = None, aliases: dict[str, str] | None = None
) -> list[PlaceMention]:
    """Places named in ``text``. ``extra`` maps further names (from the manifest) to their level;
    ``aliases`` maps what users call a place to its name (园区 → 苏州工业园区)."""
    by_form, pattern = gazetteer()
    out: list[PlaceMention] = []
    taken = [False] * len(text)
    extra = dict(extra or {})
    forms = {name: name for name in extra}
    for alias, name in (aliases or {}).items():
        if name in extra and alias not in forms:
            forms[alias] = name
    if forms:
        for form in sorted(forms, key=len, reverse=True):
            for m in re.finditer(re.escape(form), text):
                if any(taken[m.start() : m.end()]):
                    continue
                for i in range(m.start(), m.end()):
                    taken[i] = True
                name = forms[form]
                known = lookup(name)
                level = extra[name] if extra[name] in ("province", "city", "district") else "city"
                out.append(
                    PlaceMention(
                        name=known.name if known else name,
                        text=m.group(0),
                        level=level,  # type: ignore[arg-type]
                        parents=known.parents if known else [],
                        span=Span(start=m.start(), end=m.end()),
                    )
                )
    if pattern is not None:
        for start, end, form in pattern.finditer(text):
            if any(taken[start:end]):
                continue
            if form in ORIGIN_ONLY or any(form.startswith(o) for o in ORIGIN_ONLY):
                continue
            places = by_form[form]
            # Ambiguous district names (鼓楼区): prefer one whose city is named in the text too.
            place = (
                next((p for p in places if p.parents and p.parents[0] in text), None)
                or sorted(places, key=lambda p: ("province", "city", "district").index(p.level))[0]
            )
            for i in range(start, end):
                taken[i] = True
            out.append(
                PlaceMention(
                    name=place.name,
                    text=form,
                    level=place.level,  # type: ignore[arg-type]
                    parents=list(place.parents),
                    span=Span(start=start, end=end),
                )
            )
    out.sort(key=lambda p: p.span.start)
    return out


def contains(outer: str, inner: str) -> bool:
    """Whether place ``inner`` lies within (or is) place ``outer`` (宁波 contains 鄞州区; 浙江 contains 宁波)."""
    if outer == inner:
        return True
    place = lookup(inner)
    return place is not None and outer in place.parents
