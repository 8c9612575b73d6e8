"""Unit tests for conversation memory (app.answer.sessions) and follow-up condensing (app.answer.condense)."""

from __future__ import annotations

import string
import types
from pathlib import Path
from typing import Any

import pytest

from app.answer import sessions as sessions_module
from app.answer.sessions import SessionStore, Turn

CITIES = ("厦门", "大连", "南通")


class Clock:
    """Stands in for the ``time`` module inside app.answer.sessions."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(sessions_module, "time", types.SimpleNamespace(time=c.time))
    return c


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "sessions.sqlite"


def turn(question: str, **kw: Any) -> Turn:
    return Turn(question=question, standalone=kw.pop("standalone", question), answer=f"答：{question}", **kw)


def questions(store: SessionStore, sid: str) -> list[str]:
    return [t.question for t in store.history(sid)]


# =========================================================================== SessionStore


def test_unknown_session_has_no_history(db: Path) -> None:
    store = SessionStore(db)
    assert store.history("nope") == []
    store.close()


def test_creates_the_folder_and_round_trips_a_turn(db: Path) -> None:
    store = SessionStore(db)
    assert db.parent.is_dir()
    t = Turn(
        question="如果是高职生呢？",
        standalone="厦门学生学徒制企业补贴标准是多少？ 高职生",
        answer="高职（高级工）：4000元/人，发给企业。",
        city="厦门",
        rule_id="xiamen.student-apprenticeship",
        inputs={"高职": "2", "social_insurance_months": "2"},
        clause_ids=["xiamen-tasks/创新学徒制培养模式"],
    )
    store.append("s", t)
    assert store.history("s") == [t]
    store.close()


def test_sessions_are_kept_apart(db: Path) -> None:
    store = SessionStore(db)
    store.append("a", turn("厦门学徒制补贴"))
    store.append("b", turn("大连带徒补贴"))
    store.append("a", turn("如果是高职生呢？"))
    assert questions(store, "a") == ["厦门学徒制补贴", "如果是高职生呢？"]
    assert questions(store, "b") == ["大连带徒补贴"]
    store.close()


def test_keeps_only_the_last_max_turns(db: Path) -> None:
    store = SessionStore(db, max_turns=3)
    for i in range(1, 6):
        store.append("s", turn(f"问题{i}"))
    assert questions(store, "s") == ["问题3", "问题4", "问题5"]
    store.close()


def test_new_ids_are_unique_and_unguessable() -> None:
    ids = {SessionStore.new_id() for _ in range(100)}
    assert len(ids) == 100
    # secrets.token_urlsafe(24): 192 random bits, URL-safe; never a counter or a uuid4's 122 bits.
    assert all(len(i) == 32 and set(i) <= set(string.ascii_letters + string.digits + "-_") for i in ids)


@pytest.mark.parametrize("client_id", ["1", "admin", "0" * 32, "not a token at all", "", None])
def test_a_client_chosen_id_is_never_adopted(db: Path, client_id: str | None) -> None:
    store = SessionStore(db)
    store.append("1", turn("我的身份证号是…"))  # a conversation under an id a client picked, before ids were issued
    resolved = store.resolve(client_id)
    assert resolved != client_id and len(resolved) == 32
    assert store.history(resolved) == []
    store.close()


def test_an_issued_live_id_is_kept_and_an_expired_one_replaced(db: Path, clock: Clock) -> None:
    store = SessionStore(db, ttl_seconds=10)
    sid = store.new_id()
    assert store.resolve(sid) != sid  # issued but never used: nothing to continue
    store.append(sid, turn("厦门学徒制补贴"))
    assert store.resolve(sid) == sid
    clock.now += 11
    assert store.resolve(sid) != sid
    store.close()


def test_a_session_idle_longer_than_ttl_is_forgotten(db: Path, clock: Clock) -> None:
    store = SessionStore(db, ttl_seconds=10)
    store.append("s", turn("厦门学徒制补贴"))
    clock.now += 10
    assert questions(store, "s") == ["厦门学徒制补贴"]  # exactly ttl: still there
    clock.now += 0.5
    assert store.history("s") == []
    store.close()


def test_activity_keeps_a_session_alive(db: Path, clock: Clock) -> None:
    store = SessionStore(db, ttl_seconds=10)
    store.append("s", turn("问题1"))
    clock.now += 8
    store.append("s", turn("问题2"))
    clock.now += 8  # 16 s after the first turn, 8 s after the last
    assert questions(store, "s") == ["问题1", "问题2"]
    store.close()


def test_a_turn_after_expiry_starts_a_new_conversation(db: Path, clock: Clock) -> None:
    store = SessionStore(db, ttl_seconds=10)
    store.append("s", turn("问题1"))
    clock.now += 11
    store.append("s", turn("问题2"))
    assert questions(store, "s") == ["问题2"]
    store.close()


def test_expired_sessions_are_deleted_not_just_hidden(db: Path, clock: Clock) -> None:
    store = SessionStore(db, ttl_seconds=10)
    start = clock.now
    store.append("old", turn("旧问题"))
    clock.now += 20
    store.append("new", turn("新问题"))  # writing prunes
    clock.now = start  # were "old" only hidden by its age, it would be back now
    assert store.history("old") == []
    assert questions(store, "new") == ["新问题"]
    store.close()


def test_sessions_beyond_max_sessions_are_pruned_oldest_first(db: Path, clock: Clock) -> None:
    store = SessionStore(db, max_sessions=2)
    for sid in ("s1", "s2", "s3"):
        clock.now += 1
        store.append(sid, turn(sid))
    assert store.history("s1") == []
    assert questions(store, "s2") == ["s2"]
    assert questions(store, "s3") == ["s3"]
    clock.now += 1
    store.append("s2", turn("s2 again"))  # s2 is now the most recent
    clock.now += 1
    store.append("s4", turn("s4"))
    assert store.history("s3") == []
    assert questions(store, "s2") == ["s2", "s2 again"]
    store.close()


def test_history_is_shared_by_two_stores_on_one_file(db: Path) -> None:
    """Like two `policy-assistant ask --session` processes, or two service workers."""
    one, two = SessionStore(db), SessionStore(db)
    one.append("s", turn("厦门学生学徒制企业补贴标准是多少？"))
    assert questions(two, "s") == ["厦门学生学徒制企业补贴标准是多少？"]
    two.append("s", turn("如果是高职生呢？"))
    assert questions(one, "s") == ["厦门学生学徒制企业补贴标准是多少？", "如果是高职生呢？"]
    one.close()
    two.close()
    three = SessionStore(db)
    assert len(three.history("s")) == 2
    three.close()


def test_concurrent_appends_from_two_stores_keep_every_turn(db: Path) -> None:
    """Two stores on one file (two processes) appending to one session at once lose nothing."""
    import threading

    one, two = SessionStore(db, max_turns=100), SessionStore(db, max_turns=100)

    def write(store: SessionStore, tag: str) -> None:
        for i in range(20):
            store.append("s", turn(f"{tag}{i}"))

    threads = [threading.Thread(target=write, args=(one, "一")), threading.Thread(target=write, args=(two, "二"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(questions(one, "s")) == 40
    one.close()
    two.close()
