"""The HTTP service through the real app, over the real corpus and the real model."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.embeddings import E5OnnxEmbeddings
from app.server.app import create_app
from app.server.launch import start_service, stop_service
from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from tests.conftest import wait_for_job

TOKEN = "test-admin-token"


@pytest.fixture(scope="module")
def client(real_services: Services) -> Iterator[TestClient]:
    real_services.settings.server.admin_token = ""  # admin disabled unless a test enables it
    app = create_app(services=real_services)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def admin_client(real_services: Services, client: TestClient) -> Iterator[TestClient]:
    real_services.settings.server.admin_token = TOKEN
    yield client
    real_services.settings.server.admin_token = ""


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["documents"] == 5


def test_ask_returns_the_cli_json(client: TestClient) -> None:
    r = client.post(
        "/api/ask", json={"question": "大连技能大师工作室带徒补贴，2个高级技师3个技师1个高级工，领办人能拿多少"}
    )
    assert r.status_code == 200
    data = r.json()
    assert data["calculation"]["result"] == 7500
    assert set(data) >= {"answer", "citations", "calculation", "eligibility", "refused", "warnings", "session_id"}
    follow = client.post("/api/ask", json={"question": "那技师呢？", "session_id": data["session_id"]}).json()
    assert follow["session_id"] == data["session_id"]


def test_ask_stream_sends_citations_first(client: TestClient) -> None:
    with client.stream("POST", "/api/ask/stream", json={"question": "大连 带徒补贴 标准"}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line[len("event: ") :] for line in r.iter_lines() if line.startswith("event: ")]
    assert events[0] == "citations" and events[-1] == "done" and "answer" in events


def test_search_documents_and_clauses(client: TestClient) -> None:
    hits = client.post("/api/search", json={"query": "大连 带徒补贴 标准", "k": 3}).json()
    assert hits[0]["clause_id"] == "dalian-2023/三/（七）"
    assert {"clause_id", "doc_id", "doc_title", "doc_number", "city", "status", "heading_path", "text", "score"} <= set(
        hits[0]
    )
    docs = client.get("/api/documents").json()
    assert {d["id"]: d["status"] for d in docs}["nantong-draft"] == "draft"
    doc = client.get("/api/documents/nantong-draft").json()
    assert "征求意见稿" in doc["caution"] and doc["clauses"]
    clause = client.get("/api/clauses/dalian-2023/三/（七）").json()
    assert "高级技师每人2000元" in clause["text"] and clause["document"]["number"] == "大政办发〔2023〕34号"


def test_rules_calc_and_check(client: TestClient) -> None:
    rules = client.get("/api/rules", params={"city": "大连"}).json()
    assert rules and all(r["city"] == "大连" for r in rules)
    calc = client.post(
        "/api/calc/xiamen.student-apprenticeship",
        json={
            "inputs": {
                "中职": 3,
                "高职": 2,
                "training_completed": "是",
                "internship_assessment_passed": "是",
                "formal_contract": "是",
                "social_insurance_months": 2,
            }
        },
    ).json()
    assert calc["result"] == 17000 and calc["formula"] == "3×3000 + 2×4000" and calc["payee"] == "enterprise"
    check = client.post("/api/check/xiamen.taiwan-credential-recognition", json={"inputs": {"age": 17}}).json()
    assert check["status"] == "not_eligible"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/api/ask", {"question": ""}, 422),
        ("post", "/api/ask", {"question": "   "}, 400),
        ("post", "/api/ask", {"question": "补贴" * 1500}, 413),
        ("post", "/api/ask", {"q": "wrong field"}, 422),
        ("post", "/api/search", {"query": "补贴", "k": 0}, 422),
        ("post", "/api/search", {"query": "补贴", "status": "bogus"}, 422),
        ("post", "/api/calc/no.such-rule", {"inputs": {}}, 404),
        ("post", "/api/calc/xiamen.student-apprenticeship", {"inputs": {"中职": "很多"}}, 400),
        ("get", "/api/documents/no-such-doc", None, 404),
        ("get", "/api/clauses/no/such", None, 404),
    ],
)
def test_bad_input_gets_a_bilingual_4xx(client: TestClient, method: str, path: str, body: object, status: int) -> None:
    r = client.request(method.upper(), path, json=body)
    assert r.status_code == status, r.text
    data = r.json()
    assert data["message"] and data["message_en"] and "Traceback" not in r.text


def test_malformed_json_body(client: TestClient) -> None:
    r = client.post("/api/ask", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_admin_is_disabled_without_a_configured_token(client: TestClient) -> None:
    r = client.post("/api/admin/ingest", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 403 and r.json()["error"] == "admin_disabled"


def test_admin_refuses_missing_or_wrong_tokens(admin_client: TestClient) -> None:
    assert admin_client.post("/api/admin/ingest").status_code == 401
    assert admin_client.post("/api/admin/ingest", headers={"X-Admin-Token": "wrong"}).status_code == 403
    ok = admin_client.post("/api/admin/ingest", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and len(ok.json()["unchanged"]) == 5


def test_admin_upload_search_and_delete(admin_client: TestClient) -> None:
    auth = {"X-Admin-Token": TOKEN}
    text = "一、青岛测试补贴。对取得青岛测试证书的，给予每人1234元测试补贴。\n二、附则。本办法自发布之日起施行。\n"
    up = admin_client.post(
        "/api/admin/documents",
        headers=auth,
        files={"file": ("qingdao-test.txt", text.encode("utf-8"), "text/plain")},
        data={"title": "青岛测试办法", "city": "青岛", "status": "draft"},
    )
    job = wait_for_job(admin_client, up, auth)
    assert job["state"] == "done", job
    doc_id = job["result"]["doc_id"]
    assert doc_id == "upload-qingdao-test"
    hits = admin_client.post("/api/search", json={"query": "青岛测试补贴 1234元", "k": 1}).json()
    assert hits[0]["doc_id"] == doc_id and hits[0]["status"] == "draft"
    # A manifest sync keeps uploaded documents.
    sync = admin_client.post("/api/admin/ingest", headers=auth).json()
    assert doc_id not in sync["deleted"]
    assert admin_client.delete(f"/api/admin/documents/{doc_id}", headers=auth).status_code == 200
    assert all(d["id"] != doc_id for d in admin_client.get("/api/documents").json())


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [("virus.exe", b"MZ...", 415), ("empty.txt", b"   ", 400), ("big.txt", b"x" * (2 * 1024 * 1024), 413)],
)
def test_admin_upload_limits(
    admin_client: TestClient, real_services: Services, name: str, content: bytes, status: int
) -> None:
    real_services.settings.server.max_upload_bytes = 1024 * 1024
    try:
        r = admin_client.post("/api/admin/documents", headers={"X-Admin-Token": TOKEN}, files={"file": (name, content)})
    finally:
        real_services.settings.server.max_upload_bytes = 20 * 1024 * 1024
    assert r.status_code == status and r.json()["message_en"]


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in [
        "/api/ask",
        "/api/ask/stream",
        "/api/search",
        "/api/documents",
        "/api/documents/{doc_id}",
        "/api/clauses/{clause_id}",
        "/api/rules",
        "/api/calc/{rule_id}",
        "/api/check/{rule_id}",
        "/api/admin/ingest",
        "/api/admin/documents",
        "/api/admin/documents/{doc_id}",
        "/healthz",
        "/readyz",
    ]:
        assert p in paths, p


def test_ui_is_mounted(client: TestClient) -> None:
    r = client.get("/ui/")
    assert r.status_code == 200 and "gradio" in r.text.lower()


def test_api_against_a_chroma_server(chroma_server: tuple[str, int], tmp_path: Path, e5: E5OnnxEmbeddings) -> None:
    host, port = chroma_server
    settings = Settings(
        data_dir=tmp_path / "data",
        manifest=REPO_ROOT / "corpus" / "manifest.yaml",
        chroma={"mode": "server", "host": host, "port": port, "collection": "api_server_test"},
        server={"ui": False},
    )
    services = build_services(settings, embedder=e5)
    services.ingestor.run(services.manifest())
    with TestClient(create_app(services=services)) as c:
        hits = c.post("/api/search", json={"query": "大连 带徒补贴 标准", "k": 1}).json()
        assert hits[0]["clause_id"] == "dalian-2023/三/（七）"
        assert c.post("/api/ask", json={"question": "南通人才公寓租金补贴一个月多少钱"}).json()["refused"] is True
    services.close()


# ------------------------------------------------------------------ several worker processes


def start_server(data_dir: Path, *, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    return start_service(data_dir, workers=workers)


def test_follow_up_reaches_another_worker(real_services: Services) -> None:
    proc, url = start_server(real_services.settings.data_dir, workers=2)
    try:
        first = httpx.post(
            f"{url}/api/ask",
            json={"question": "大连技能大师工作室带徒补贴，2个高级技师3个技师，领办人能拿多少"},
            timeout=60,
        )
        assert first.json()["calculation"]["result"] == 7000
        session, pid = first.json()["session_id"], first.headers["x-served-by"]
        others = []
        # A new connection each time: the OS spreads them over the workers. /readyz answered as soon as
        # one worker was ready; the other may still be loading, so keep asking for a while.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            time.sleep(0.05)
            r = httpx.post(
                # A follow-up that replaces a count, so asking it again gives the same answer (再加 would add again).
                f"{url}/api/ask",
                json={"question": "如果技师是5个呢？", "session_id": session},
                timeout=60,
            )
            assert r.json()["calculation"]["result"] == 9000, json.dumps(r.json(), ensure_ascii=False)[:500]
            if r.headers["x-served-by"] != pid:
                others.append(r.headers["x-served-by"])
                break
        assert others, "every request reached the same worker"
    finally:
        stop_service(proc)
