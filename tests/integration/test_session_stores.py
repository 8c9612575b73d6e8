"""One contract for every session store: SQLite (default) and Redis (a real redis-server)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.answer.sessions import RedisSessionStore, SessionStore, Turn
from app.embeddings import E5OnnxEmbeddings
from app.server.launch import free_port
from app.services import Services, build_services
from app.settings import Settings


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exe = shutil.which("redis-server")
    if exe is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=True, capture_output=True)
        exe = shutil.which("redis-server")
    assert exe, "redis-server could not be installed"
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


Factory = Callable[..., Any]


@pytest.fixture(params=["sqlite", "redis"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    made: list[Any] = []
    prefix = f"pa:test:{time.time_ns()}:"

    def make(**kwargs: Any) -> Any:
        if request.param == "sqlite":
            store: Any = SessionStore(tmp_path / "sessions.sqlite", **kwargs)
        else:
            store = RedisSessionStore(request.getfixturevalue("redis_url"), prefix=prefix, **kwargs)
        made.append(store)
        return store

    yield make
    for s in made:
        s.close()


def turn(q: str) -> Turn:
    return Turn(question=q, standalone=q, answer="…")


def test_unknown_session_is_empty(make_store: Factory) -> None:
    assert make_store().history("nobody") == []


def test_turns_in_order_and_bounded(make_store: Factory) -> None:
    store = make_store(max_turns=3)
    for i in range(5):
        store.append("s", turn(f"q{i}"))
    assert [t.question for t in store.history("s")] == ["q2", "q3", "q4"]


def test_shared_between_instances(make_store: Factory) -> None:
    one, two = make_store(), make_store()
    one.append("s", turn("from one"))
    two.append("s", turn("from two"))
    assert [t.question for t in one.history("s")] == ["from one", "from two"]


def test_idle_sessions_are_forgotten(make_store: Factory) -> None:
    store = make_store(ttl_seconds=1)
    store.append("s", turn("old"))
    time.sleep(2.1)
    assert store.history("s") == []


def test_only_issued_live_ids_are_kept(make_store: Factory) -> None:
    store = make_store()
    store.append("1", turn("someone else's question"))  # an id a client picked, stored before ids were issued
    for client_id in ("1", "guess", "x" * 32, None):
        fresh = store.resolve(client_id)
        assert fresh != client_id and store.history(fresh) == []
    issued = store.new_id()
    store.append(issued, turn("mine"))
    assert store.resolve(issued) == issued
    assert store.new_id() != store.new_id()


def test_concurrent_appends_keep_every_turn(make_store: Factory) -> None:
    stores = [make_store(max_turns=200), make_store(max_turns=200)]

    def write(store: Any, tag: str) -> None:
        for i in range(25):
            store.append("s", turn(f"{tag}{i}"))

    threads = [threading.Thread(target=write, args=(s, str(n))) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stores[0].history("s")) == 50


def test_follow_up_across_two_assistants_with_redis(
    redis_url: str, real_services: Services, e5: E5OnnxEmbeddings
) -> None:
    """Two service instances (as two workers would be) share a conversation through Redis."""

    def instance() -> Services:
        settings = Settings(
            data_dir=real_services.settings.data_dir,
            manifest=real_services.settings.manifest,
            sessions={"backend": "redis", "redis_url": redis_url},
        )
        return build_services(settings, embedder=e5)

    a, b = instance(), instance()
    try:
        first = a.assistant.ask("大连技能大师工作室带徒补贴，2个高级技师3个技师，领办人能拿多少")
        second = b.assistant.ask("如果再加1个高级工呢？", session_id=first.session_id)
        assert second.calculation is not None and second.calculation["result"] == 7500
    finally:
        a.close()
        b.close()
