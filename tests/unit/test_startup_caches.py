"""What a process derives once and keeps between runs (ingest/cachefiles.py) gives what it is derived from."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.frame.places import FormScanner
from ingest import textproc


def test_the_jieba_dictionary_cache_holds_exactly_what_jieba_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_CACHE_DIR", str(tmp_path))
    textproc._dictionary.cache_clear()
    try:
        first = textproc._dictionary(None)
        (cache,) = tmp_path.glob("jieba-*.bin")
        textproc._dictionary.cache_clear()
        again = textproc._dictionary(None)  # read back from the file
        with textproc.resources.as_file(textproc._RESOURCES / "userdict.txt") as user:
            loaded = textproc._load_dictionary(str(user))
        assert again.freq == loaded.freq == first.freq and again.total == loaded.total
        assert again.user_tags == loaded.user_tags and loaded.user_tags
        cache.write_bytes(cache.read_bytes()[:1000])  # damaged: made again
        textproc._dictionary.cache_clear()
        assert textproc._dictionary(None).freq == loaded.freq
        assert cache.stat().st_size > 1000
    finally:
        textproc._dictionary.cache_clear()


def test_the_part_of_speech_tagger_imported_without_its_dictionary_read_tags_as_jieba_does() -> None:
    code = (
        "import sys, jieba; from ingest import textproc; textproc._import_posseg(); import jieba.posseg as p;"
        "print([tuple(w) for w in p.cut(sys.argv[1])])"
    )
    plain = "import sys, jieba, jieba.posseg as p; print([tuple(w) for w in p.cut(sys.argv[1])])"
    text = "我在大连一家电机厂当高级技师，想申请技能大师工作室补贴"
    ours = subprocess.run([sys.executable, "-c", code, text], capture_output=True, text=True, check=True).stdout
    theirs = subprocess.run([sys.executable, "-c", plain, text], capture_output=True, text=True, check=True).stdout
    assert ours == theirs and ours.count("(") > 10


def test_the_place_scanner_finds_what_one_alternation_of_the_forms_finds() -> None:
    rng = random.Random(7)
    alphabet = "大连市沈阳鼓楼区南京厦门湖里思明"
    for _ in range(200):
        forms = sorted({"".join(rng.choices(alphabet, k=rng.randint(2, 5))) for _ in range(rng.randint(1, 12))})
        text = "".join(rng.choices(alphabet + "的和在", k=rng.randint(0, 40)))
        pattern = re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))
        expected = [(m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]
        assert list(FormScanner(forms).finditer(text)) == expected, (forms, text)


def test_remembered_tags_are_jiebas_and_spare_loading_the_tagger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PA_CACHE_DIR", str(tmp_path))
    textproc._tag_memo.cache_clear()
    try:
        texts = ["签订一年以上劳动合同并缴纳社会保险", "取得高级技师职业资格证书"]
        tagged = [textproc.Tokenizer().tagged(t) for t in texts]
        assert all(len(t) >= 2 for t in tagged)
        (memo,) = tmp_path.glob("jieba-pos-*.json")
        textproc._tag_memo.cache_clear()  # as a new process would find it

        def no_tagger(_: object) -> None:
            raise AssertionError("the tagger was loaded although every text is remembered")

        monkeypatch.setattr(textproc, "_pos_tokenizer", no_tagger)
        assert [textproc.Tokenizer().tagged(t) for t in texts] == tagged
        monkeypatch.undo()
        monkeypatch.setenv("PA_CACHE_DIR", str(tmp_path))
        memo.write_text("{not json", encoding="utf-8")  # damaged: tagged again, and remembered again
        textproc._tag_memo.cache_clear()
        assert [textproc.Tokenizer().tagged(t) for t in texts] == tagged
        assert "劳动合同" in memo.read_text(encoding="utf-8")
        # A tokenizer with words of its own tags by itself: nothing of it is remembered.
        own = textproc.Tokenizer()
        own.add_word("技能提升补贴")
        own.tagged("申请技能提升补贴")
        assert "申请技能提升补贴" not in memo.read_text(encoding="utf-8")
    finally:
        textproc._tag_memo.cache_clear()


def test_the_cached_gazetteer_is_the_one_read_from_jionlps_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.frame import places

    monkeypatch.setenv("PA_CACHE_DIR", str(tmp_path))
    places.gazetteer.cache_clear()
    try:
        read: dict[str, list[places.Place]] = {}
        for p in places._places():
            for f in p.forms:
                read.setdefault(f, []).append(p)
        by_form, scanner = places.gazetteer()
        (cache,) = tmp_path.glob("places-*.json")
        places.gazetteer.cache_clear()
        again, _ = places.gazetteer()  # from the file
        assert again == by_form == read and len(read) > 3000 and scanner is not None
        assert again["大连"][0].parents == ["辽宁"]
        cache.write_text("[[1, 2]", encoding="utf-8")  # damaged: made again
        places.gazetteer.cache_clear()
        assert places.gazetteer()[0] == read
    finally:
        places.gazetteer.cache_clear()


def test_a_cached_manifest_is_the_yaml_as_parsed_and_follows_every_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime

    import yaml

    from ingest.manifest import Manifest, _parsed

    monkeypatch.setenv("PA_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "manifest.yaml"
    text = (
        "documents:\n  - id: a\n    title: 甲\n    source: a.txt\n    date: 2024-03-01\n    tags: [x, 1, true, null]\n"
    )
    path.write_text(text, encoding="utf-8")
    first = _parsed(path)
    assert first == yaml.safe_load(text) and isinstance(first["documents"][0]["date"], datetime.date)
    assert len(list((tmp_path / "cache").glob("manifest-*.json"))) == 1
    assert _parsed(path) == first  # read back from the file, the date a date again
    path.write_text(text.replace("甲", "乙"), encoding="utf-8")  # same size, a new modification time
    assert _parsed(path)["documents"][0]["title"] == "乙"
    plain = tmp_path / "plain.yaml"  # what a manifest holds (its dates are quoted strings)
    plain.write_text(text.replace("2024-03-01", "'2024-03-01'"), encoding="utf-8")
    assert Manifest.load(plain).documents[0].title == Manifest.load(plain).documents[0].title == "甲"
    for stale in (tmp_path / "cache").glob("manifest-*.json"):
        stale.write_text("{damaged", encoding="utf-8")
    assert _parsed(path)["documents"][0]["title"] == "乙"
