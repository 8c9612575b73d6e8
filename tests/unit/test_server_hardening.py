"""One test per defect found by trying the service as an operator and an attacker would (issue 12).

Each of these failed on the code before the fix. The service runs in-process
(``TestClient``) over the real corpus with the fake embedder; the defects that
need a real server process, the real model or a browser (re-ingest under load,
kill -9, remote images in the chat) are in tests/integration.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.answer.sentences import SentenceScorer
from app.embeddings import FakeEmbeddings
from app.server.app import create_app
from app.server.ui import as_text, document_choices
from app.services import Services, build_services
from app.settings import REPO_ROOT, Settings
from tests.conftest import docx_with_body, wait_for_job

TOKEN = "unit-admin-token"
AUTH = {"X-Admin-Token": TOKEN}
POLICY = (
    "一、{name}测试补贴。对取得{name}测试证书的，给予每人{amount}元测试补贴。\n二、附则。本办法自发布之日起施行。\n"
)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("hardening") / "data",
        manifest=REPO_ROOT / "corpus" / "manifest.yaml",
        embedding={"backend": "fake"},
        server={"admin_token": TOKEN, "ui": False, "index_worker": "thread"},  # the embedder is injected
    )
    svc = build_services(settings, embedder=FakeEmbeddings(size=64))
    assert not svc.ingestor.run(svc.manifest()).errors
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services)) as c:
        yield c


@pytest.fixture(autouse=True)
def no_uploads_left(client: TestClient, services: Services) -> Iterator[None]:
    yield
    for d in services.store.documents():
        if d.meta.id.startswith("upload-"):
            assert client.delete(f"/api/admin/documents/{d.meta.id}", headers=AUTH).status_code == 200


def upload(client: TestClient, name: str, content: bytes, **form: Any) -> dict[str, Any]:
    """Upload a file and wait for its job; returns the finished job."""
    accepted = client.post("/api/admin/documents", headers=AUTH, files={"file": (name, content)}, data=form)
    assert accepted.status_code == 202 and accepted.json()["state"] in ("queued", "running", "done", "failed")
    return wait_for_job(client, accepted, AUTH)


def policy(name: str, amount: int) -> bytes:
    return POLICY.format(name=name, amount=amount).encode("utf-8")


# ------------------------------------------------------------------ uploads never lose a document


def test_two_uploads_with_chinese_names_are_two_documents(client: TestClient, services: Services) -> None:
    first = upload(client, "大连补贴.txt", policy("大连甲", 1111))
    second = upload(client, "厦门政策.txt", policy("厦门乙", 2222))
    assert first["state"] == second["state"] == "done"
    assert (first["result"]["doc_id"], second["result"]["doc_id"]) == ("upload-dalian-butie", "upload-xiamen-zhengce")
    ids = {d["id"] for d in client.get("/api/documents").json()}
    assert {"upload-dalian-butie", "upload-xiamen-zhengce"} <= ids
    for query, doc_id in (
        ("大连甲测试补贴 1111元", "upload-dalian-butie"),
        ("厦门乙测试补贴 2222元", "upload-xiamen-zhengce"),
    ):
        assert client.post("/api/search", json={"query": query, "k": 1}).json()[0]["doc_id"] == doc_id


def test_an_existing_document_is_replaced_only_when_asked(client: TestClient, services: Services) -> None:
    original = upload(client, "政策.txt", policy("甲", 1000))["result"]["doc_id"]
    other = upload(client, "政策.txt", policy("乙", 2000))  # another file, the same name
    assert other["state"] == "done" and other["result"]["doc_id"].startswith(f"{original}-")
    again = upload(client, "政策.txt", policy("甲", 1000))  # the same file again
    assert again["result"] == {"doc_id": original, "unchanged": True}
    assert "1000元" in services.store.clauses(original)[0].text

    replaced = upload(client, "政策.txt", policy("丙", 3000), replace="true")
    assert replaced["state"] == "done" and replaced["result"]["doc_id"] == original and replaced["result"]["replaced"]
    assert "3000元" in services.store.clauses(original)[0].text
    files = sorted(p.name for p in services.settings.uploads_dir.iterdir() if p.is_file())
    assert len(files) == 2  # the replaced version's file is gone; the other document's stays


@pytest.mark.parametrize("replace", ["false", "true"])
def test_a_rejected_reupload_leaves_the_document_and_its_file(
    client: TestClient, services: Services, replace: str
) -> None:
    good = upload(client, "x.txt", policy("好", 4321))
    doc_id = good["result"]["doc_id"]
    source = Path(services.store.document(doc_id).source)
    bad = upload(client, "x.txt", b"\x00\x01\x02binary\x00" * 100, replace=replace)
    assert bad["state"] == "failed" and bad["error"]["error"] == "unreadable_file"
    assert "binary" in bad["error"]["message_en"]
    assert source.is_file() and "4321元" in source.read_text(encoding="utf-8")
    sync = client.post("/api/admin/ingest", headers=AUTH).json()
    assert doc_id not in sync["deleted"]
    assert client.post("/api/search", json={"query": "好测试补贴 4321元", "k": 1}).json()[0]["doc_id"] == doc_id


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<w:p/>" * 3_500_000, "word/document.xml is"),  # 65 KB on the wire, 3.5 M paragraphs
        (b"<w:p/>" * 30_000, "30,000 paragraphs"),
        (b"<w:p><w:r><w:t>" + b"a" * 300_000_000 + b"</w:t></w:r></w:p>", "unpacks to"),  # 300 MB inside
    ],
    ids=["3.5M-paragraphs", "30k-paragraphs", "300MB-inside"],
)
def test_a_docx_that_expands_too_far_is_refused_by_a_job(client: TestClient, body: bytes, reason: str) -> None:
    content = docx_with_body(body)
    assert len(content) < 400_000
    job = upload(client, "膨胀.docx", content)  # accepted at once (202): parsing is the job's, off the event loop
    assert job["state"] == "failed" and reason in job["error"]["message_en"], job
    assert client.get("/healthz").status_code == 200


def test_a_pdf_with_too_many_pages_is_refused_by_a_job(client: TestClient) -> None:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    for _ in range(501):
        pdf.drawString(72, 720, "1")
        pdf.showPage()
    pdf.save()
    job = upload(client, "页数.pdf", buf.getvalue())
    assert job["state"] == "failed" and "501 pages" in job["error"]["message_en"], job


# ------------------------------------------------------------------ bounded numbers


HUGE = [
    ({"技师": "1e999999"}, "10^15"),  # once ~90 s of one core, then an enormous number
    ({"技师": 1e308}, "10^15"),
    ({"技师": 10**30}, "10^15"),
    ({"技师": "9" * 20}, "10^15"),  # 20-digit head count: once silently truncated
    ({"技师": 12345678901234567890}, "10^15"),
    ({"技师": "1.5万"}, "whole number"),  # a head count is not an amount in 万
    ({"技师": 100_001}, "at most 100,000"),
    ({"技师": "1" * 45}, "at most 40 characters"),
]


@pytest.mark.parametrize(("inputs", "bound"), HUGE)
def test_huge_counts_get_a_400_naming_the_bound(client: TestClient, inputs: dict[str, Any], bound: str) -> None:
    r = client.post("/api/calc/dalian.studio-apprentice-subsidy", json={"inputs": inputs})
    assert r.status_code == 400, r.text
    assert bound in r.json()["message_en"]


@pytest.mark.parametrize("age", ["1e999999", 1e308, 10**30, "-1e999999", "1" * 45])
def test_huge_facts_in_a_check_get_a_400(client: TestClient, age: Any) -> None:
    r = client.post("/api/check/xiamen.taiwan-credential-recognition", json={"inputs": {"age": age}})
    assert r.status_code == 400, r.text
    assert "10^15" in r.json()["message_en"] or "40 characters" in r.json()["message_en"]


def test_a_4300_digit_text_is_a_4xx_not_a_500(client: TestClient) -> None:
    # Once a 500: Python refuses to turn a 4,300-digit number into text.
    r = client.post("/api/calc/dalian.studio-apprentice-subsidy", json={"inputs": {"技师": "9" * 4301}})
    assert r.status_code == 422 and "100" in json.dumps(r.json()["details"])


def test_a_4300_digit_number_is_a_4xx_not_a_500(client: TestClient) -> None:
    raw = b'{"inputs": {"\\u6280\\u5e08": ' + b"9" * 4301 + b"}}"
    r = client.post(
        "/api/calc/dalian.studio-apprentice-subsidy", content=raw, headers={"content-type": "application/json"}
    )
    assert 400 <= r.status_code < 500 and r.json()["message_en"]


@pytest.mark.parametrize("number", ["1e999999", "10^30", "九亿亿亿"])
def test_odd_numbers_in_a_question_are_answered(client: TestClient, number: str) -> None:
    r = client.post("/api/ask", json={"question": f"大连技能大师工作室带徒补贴，技师{number}个，领办人能拿多少"})
    assert r.status_code == 200, r.text
    calculation = r.json()["calculation"]
    assert calculation is None or calculation["result"] is None or len(str(calculation["result"])) < 16


@pytest.mark.parametrize("endpoint", ["/api/ask", "/api/search"])
@pytest.mark.parametrize("number", ["9" * 1500, "9" * 16, "99999999999999999999亿", "九" * 30])
def test_a_huge_number_in_a_question_is_a_400_naming_the_bound(client: TestClient, endpoint: str, number: str) -> None:
    body = (
        {"question": f"大连带徒补贴，技师{number}个"} if endpoint == "/api/ask" else {"query": f"带徒补贴 {number}元"}
    )
    r = client.post(endpoint, json=body)  # once a 500: the answer's checks formatted the number
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "number_out_of_bounds" and "10^15" in r.json()["message_en"]


# ------------------------------------------------------------------ private sessions


def test_client_chosen_session_ids_are_never_adopted(client: TestClient) -> None:
    first = client.post("/api/ask", json={"question": "南通人才公寓租金补贴一个月多少钱", "session_id": "1"}).json()
    assert first["session_id"] != "1" and len(first["session_id"]) == 32
    other = client.post("/api/ask", json={"question": "我刚才问的是什么？", "session_id": "1"}).json()
    assert other["session_id"] not in ("1", first["session_id"])
    assert "人才公寓" not in other["standalone_question"] and "人才公寓" not in other["answer"]
    # The id the server issued does continue the conversation.
    follow = client.post("/api/ask", json={"question": "那大连呢？", "session_id": first["session_id"]}).json()
    assert follow["session_id"] == first["session_id"]


# ------------------------------------------------------------------ request bodies


def test_an_oversized_upload_is_refused_before_auth_and_before_reading(client: TestClient) -> None:
    big = b"x" * (21 * 1024 * 1024)
    r = client.post("/api/admin/documents", files={"file": ("big.txt", big)})  # no token
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"


def test_an_unauthenticated_upload_is_refused_from_its_headers(client: TestClient) -> None:
    def endless() -> Iterator[bytes]:  # a body without a length that would never end
        raise AssertionError("the body was read")
        yield b""

    r = client.post("/api/admin/documents", content=endless(), headers={"content-type": "multipart/form-data; b=x"})
    assert r.status_code == 401


def test_a_json_body_over_the_limit_is_refused(client: TestClient) -> None:
    padded = {"question": "大连带徒补贴", "pad": "x" * (2 * 1024 * 1024)}
    assert client.post("/api/ask", json=padded).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it is read
        yield b'{"question": "\\u5927\\u8fde", "pad": "'
        for _ in range(2048):
            yield b"x" * 1024
        yield b'"}'

    r = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"


# ------------------------------------------------------------------ HTTP conventions


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("PUT", "/api/ask", "POST"), ("DELETE", "/api/documents/dalian-2023", "GET"), ("GET", "/api/ask", "POST")],
)
def test_405_names_the_allowed_methods(client: TestClient, method: str, path: str, allow: str) -> None:
    r = client.request(method, path)
    assert r.status_code == 405 and r.headers["allow"] == allow and r.json()["message_en"]


def test_every_error_status_is_declared_with_the_error_model(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    expected = {
        ("post", "/api/ask"): {400, 413, 422, 503},
        ("post", "/api/search"): {400, 413, 422, 503},
        ("get", "/api/documents/{doc_id}"): {404, 503},
        ("get", "/api/clauses/{clause_id}"): {404, 503},
        ("post", "/api/calc/{rule_id}"): {400, 404, 413, 422},
        ("post", "/api/check/{rule_id}"): {400, 404, 413, 422},
        ("post", "/api/admin/documents"): {400, 401, 403, 413, 415, 422},
        ("delete", "/api/admin/documents/{doc_id}"): {401, 403, 404},
        ("get", "/api/admin/jobs/{job_id}"): {401, 403, 404},
        ("post", "/api/admin/ingest"): {401, 403},
    }
    for (method, path), codes in expected.items():
        declared = paths[path][method]["responses"]
        assert codes <= {int(c) for c in declared if c.isdigit()}, (method, path, sorted(declared))
    for path, methods in paths.items():
        for method, op in methods.items():
            for code, response in op["responses"].items():
                if code.startswith(("4", "5")) and path != "/readyz":
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), (method, path, code)
    assert "202" in paths["/api/admin/documents"]["post"]["responses"]


@pytest.mark.parametrize("path", ["/api/documents", "/healthz", "/api/no-such-thing", "/docs"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    img = next(part for part in policy.split(";") if part.strip().startswith("img-src"))
    assert "http:" not in img and "*" not in img


def test_public_sources_are_never_server_paths(client: TestClient) -> None:
    upload(client, "来源.txt", policy("来源", 1))
    for doc in client.get("/api/documents").json():
        assert not doc["source"].startswith("/") and str(REPO_ROOT) not in doc["source"], doc["source"]
        if doc["id"].startswith("upload-"):
            assert doc["source"].startswith("uploads/")


def test_the_ui_document_list_and_answer_caches_follow_an_upload(client: TestClient, services: Services) -> None:
    before = services.assistant
    upload(client, "青岛办法.txt", policy("青岛丙", 7777))
    assert "upload-qingdao-banfa" in document_choices(services).values()
    after = services.assistant
    assert after is not before
    assert "upload-qingdao-banfa" in after.engine.documents
    fresh = SentenceScorer(services.tokenizer, (c.text for c in services.store.clauses()))
    tokens = set(services.tokenizer.tokenize("青岛丙测试证书"))
    sentence = "对取得青岛丙测试证书的，给予每人7777元测试补贴"
    assert after.backend.scorer.score(tokens, sentence, wants_figure=False) == pytest.approx(
        fresh.score(tokens, sentence, wants_figure=False)
    )


def test_chat_text_is_shown_as_text() -> None:
    shown = as_text('见![图](http://example.com/x.png)与<img src="http://example.com/y.png">\n第二行')
    assert "<img" not in shown and "&lt;img" in shown and shown.endswith("<br>第二行")


def test_an_unknown_job_is_a_404(client: TestClient) -> None:
    r = client.get("/api/admin/jobs/no-such-job", headers=AUTH)
    assert r.status_code == 404 and r.json()["error"] == "job_not_found"
