"""Admin endpoints, behind a token from settings. No token configured → disabled, not open."""

from __future__ import annotations

import hmac
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Header, Request, UploadFile

from app.server.errors import ApiError
from app.server.schemas import ErrorBody
from app.services import Services
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.pipeline import IngestReport
from ingest.schema import DocumentMeta

router = APIRouter(prefix="/api/admin", responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}})


def admin(
    request: Request, authorization: str | None = Header(None), x_admin_token: str | None = Header(None)
) -> Services:
    svc: Services = request.app.state.services
    expected = svc.settings.server.admin_token
    if not expected:
        raise ApiError(
            403,
            "admin_disabled",
            "管理接口未启用（未配置管理令牌）。",
            "Admin endpoints are disabled: no admin token is configured.",
        )
    given = x_admin_token or (
        authorization[7:] if authorization and authorization.lower().startswith("bearer ") else ""
    )
    if not given:
        raise ApiError(401, "admin_token_missing", "缺少管理令牌。", "The admin token is missing.")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(403, "admin_token_wrong", "管理令牌不正确。", "The admin token is wrong.")
    return svc


def _report(report: IngestReport) -> dict[str, Any]:
    return {**vars(report), "errors": [{"file": f, "reason": r} for f, r in report.errors]}


@router.post("/ingest", summary="Bring the index up to date with the manifest")
def ingest(force: bool = False, svc: Services = Depends(admin)) -> dict[str, Any]:
    return _report(svc.ingestor.run(svc.manifest(), force=force))


@router.post("/documents", summary="Upload a policy file (txt, md, html, docx, pdf) and index it")
async def upload(
    file: UploadFile = File(...),
    title: str = Form(""),
    city: str = Form("未知"),
    status: str = Form("unknown"),
    number: str = Form(""),
    date: str = Form(""),
    svc: Services = Depends(admin),
) -> dict[str, Any]:
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
    slug = re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-") or "upload"
    folder = svc.settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}{suffix}"
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)  # never a half-written file under the real name
    meta = DocumentMeta(
        id=f"upload-{slug}",
        title=title or Path(name).stem,
        city=city,
        status=status,
        number=number,
        date=date,
        source=str(path),
    )
    report = svc.ingestor.run_documents([(meta, path)])
    if report.errors:
        path.unlink(missing_ok=True)
        raise ApiError(
            400,
            "unreadable_file",
            f"文件无法导入：{report.errors[0][1]}",
            f"The file could not be ingested: {report.errors[0][1]}",
        )
    return {"doc_id": meta.id, **_report(report)}


@router.delete("/documents/{doc_id}", summary="Remove a document from the index (uploaded files are deleted too)")
def delete(doc_id: str, svc: Services = Depends(admin)) -> dict[str, Any]:
    stored = svc.store.document(doc_id)
    if stored is None:
        raise ApiError(404, "document_not_found", f"没有编号为 {doc_id} 的文件。", f"No document with id {doc_id!r}.")
    svc.ingestor.delete(doc_id)
    source = Path(stored.source)
    if source.parent == (svc.settings.data_dir / "uploads").resolve():
        source.unlink(missing_ok=True)
    return {"deleted": doc_id}
