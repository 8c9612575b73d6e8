"""Admin endpoints, behind a token from settings. No token configured → disabled, not open.

The token is also checked by ``app.server.guard`` from the headers alone, before
a request's body is read. Uploads are accepted at once (202) and parsed and
indexed by a job (``GET /api/admin/jobs/{id}``). Every index change runs in the
index worker (``app.server.worker``: a child process) and builds a new
generation while the current one keeps serving.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Header, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from app.server.errors import ApiError, responses
from app.server.jobs import JobRunner
from app.server.schemas import Job
from app.server.uploads import UploadForm, stage
from app.server.worker import IndexWorker
from app.services import Services
from app.settings import Settings

router = APIRouter(prefix="/api/admin", responses=responses(401, 403, 413, 422))


def admin_problem(settings: Settings, headers: Headers) -> ApiError | None:
    """Why these request headers do not authorise an admin request, or None if they do."""
    expected = settings.server.admin_token
    if not expected:
        return ApiError(
            403,
            "admin_disabled",
            "管理接口未启用（未配置管理令牌）。",
            "Admin endpoints are disabled: no admin token is configured.",
        )
    authorization = headers.get("authorization", "")
    given = headers.get("x-admin-token") or (authorization[7:] if authorization.lower().startswith("bearer ") else "")
    if not given:
        return ApiError(401, "admin_token_missing", "缺少管理令牌。", "The admin token is missing.")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return ApiError(403, "admin_token_wrong", "管理令牌不正确。", "The admin token is wrong.")
    return None


def admin(
    request: Request, authorization: str | None = Header(None), x_admin_token: str | None = Header(None)
) -> Services:
    svc: Services = request.app.state.services
    problem = admin_problem(svc.settings, request.headers)
    if problem is not None:
        raise problem
    return svc


def jobs(request: Request) -> JobRunner:
    return request.app.state.jobs  # type: ignore[no-any-return]


def worker(request: Request) -> IndexWorker:
    return request.app.state.index_worker  # type: ignore[no-any-return]


@router.post("/ingest", summary="Bring the index up to date with the manifest (a new generation, switched atomically)")
def ingest(force: bool = False, svc: Services = Depends(admin), index: IndexWorker = Depends(worker)) -> dict[str, Any]:
    return index.ingest(force)


@router.post(
    "/documents",
    status_code=202,
    response_model=Job,
    responses=responses(400, 415),
    summary="Upload a policy file (txt, md, html, docx, pdf); it is parsed and indexed by a job",
)
async def upload(
    response: Response,
    file: UploadFile = File(...),
    title: str = Form("", max_length=200),
    city: str = Form("未知", max_length=20),
    status: str = Form("unknown"),
    number: str = Form("", max_length=100),
    date: str = Form("", max_length=40),
    replace: bool = Form(False, description="replace the document already stored under this file's id"),
    svc: Services = Depends(admin),
    runner: JobRunner = Depends(jobs),
    index: IndexWorker = Depends(worker),
) -> Job:
    from ingest.loaders import SUPPORTED_SUFFIXES  # python-docx, bs4, pypdf: not at start-up

    name = Path(file.filename or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ApiError(
            415,
            "unsupported_type",
            f"不支持的文件类型：{suffix or '无'}。",
            f"Unsupported file type {suffix!r}; use {', '.join(SUPPORTED_SUFFIXES)}.",
        )
    if status not in ("in_force", "draft", "unknown"):
        raise ApiError(
            400,
            "bad_status",
            "status 只能是 in_force、draft 或 unknown。",
            "status must be in_force, draft or unknown.",
        )
    limit = svc.settings.server.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(
            413, "file_too_large", f"文件过大（上限{limit}字节）。", f"The file is too large (limit {limit} bytes)."
        )
    if not data.strip():
        raise ApiError(400, "empty_file", "文件为空。", "The file is empty.")
    staged = await run_in_threadpool(stage, svc.settings.uploads_dir, data, suffix)
    form = UploadForm(name, title, city, status, number, date, replace)
    job_id = runner.submit("upload", lambda: index.upload(staged, form))
    response.headers["Location"] = f"/api/admin/jobs/{job_id}"
    job = runner.store.get(job_id)
    assert job is not None
    return job


@router.get("/jobs/{job_id}", response_model=Job, responses=responses(404), summary="An admin job's state and result")
def job(job_id: str, svc: Services = Depends(admin), runner: JobRunner = Depends(jobs)) -> Job:
    found = runner.store.get(job_id)
    if found is None:
        raise ApiError(404, "job_not_found", f"没有编号为 {job_id} 的任务。", f"No job with id {job_id!r}.")
    return found


@router.delete(
    "/documents/{doc_id}",
    responses=responses(404),
    summary="Remove a document from the index (uploaded files are deleted too)",
)
def delete(doc_id: str, svc: Services = Depends(admin), index: IndexWorker = Depends(worker)) -> dict[str, Any]:
    return index.delete(doc_id)
