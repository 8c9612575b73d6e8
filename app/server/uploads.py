"""Uploaded documents: named so that none is lost, parsed before anything changes, indexed off the event loop.

* The id comes from the original file name, transliterated (``大连补贴.txt`` →
  ``upload-dalian-butie``). When that id is taken by a different document, the
  upload gets its own id with a short hash of its content; an existing document
  is replaced only when the request says ``replace``. The same file uploaded
  again under the same name changes nothing.
* The file is read and split into clauses first; a file that cannot be read or
  holds no text is refused with the reason, and the previous file and its index
  stay exactly as they were.
* Each version is stored under a name of its own (``<id>.<hash><suffix>``);
  the previous version's file is removed only once the new generation serves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.server.errors import ApiError
from app.services import Services
from ingest.ids import short_hash, slug
from ingest.schema import DocumentMeta

STAGING = ".staging"
_STALE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class UploadForm:
    name: str  # the original file name
    title: str
    city: str
    status: str
    number: str
    date: str
    replace: bool


def rejected(reason: str) -> ApiError:
    return ApiError(400, "unreadable_file", f"文件无法导入：{reason}", f"The file could not be ingested: {reason}")


def stage(folder: Path, data: bytes, suffix: str) -> Path:
    """Write the upload where no ingest looks (``uploads/.staging``); old leftovers are cleared."""
    staging = folder / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    for old in staging.iterdir():
        if time.time() - old.stat().st_mtime > _STALE_SECONDS:
            old.unlink(missing_ok=True)
    path = staging / f"{time.time_ns()}-{short_hash(data)}{suffix}"
    path.write_bytes(data)
    return path


def _same_file(source: str, digest: str) -> bool:
    path = Path(source)
    return path.is_file() and short_hash(path.read_bytes()) == digest


def ingest_upload(svc: Services, staged: Path, form: UploadForm) -> dict[str, Any]:
    """The upload job: parse, choose the id, index into a new generation, tidy up."""
    # The loaders' libraries (python-docx, BeautifulSoup, pypdf) are imported by the process that
    # runs the job (the index worker), not by every serving process at start-up.
    from ingest.loaders import LoaderError, load_text
    from ingest.segment import segment

    folder = svc.settings.uploads_dir
    try:
        data = staged.read_bytes()
        digest = short_hash(data)
        stem, suffix = Path(form.name).stem, Path(form.name).suffix.lower()
        meta = DocumentMeta(
            id="upload-" + (slug(stem) or "doc"),
            title=form.title or stem or "未命名文件",
            city=form.city,
            status=form.status,  # type: ignore[arg-type]
            number=form.number,
            date=form.date,
            source="",
        )
        try:  # a file that cannot be read changes nothing
            if not segment(load_text(staged).text, meta):
                raise rejected("no text to index was found in the file")
        except LoaderError as exc:
            raise rejected(exc.reason) from exc

        existing = svc.store.document(meta.id)
        if existing is not None and not form.replace:
            if _same_file(existing.source, digest):
                return {"doc_id": meta.id, "unchanged": True}
            meta = meta.model_copy(update={"id": f"{meta.id}-{digest}"})
            existing = svc.store.document(meta.id)
            if existing is not None:  # this very content is already there under its own id
                return {"doc_id": meta.id, "unchanged": True}
        final = folder / f"{meta.id}.{digest}{suffix}"
        owned = None
        if final.exists():  # these very bytes are stored under this name already (a replace with the same file)
            staged.unlink()
        else:
            staged.replace(final)
            owned = final
        staged = Path()
        meta = meta.model_copy(update={"source": f"uploads/{final.name}"})
        report = svc.ingestor.run_documents([(meta, final)], replace=True)
        if report.errors:
            if owned is not None:
                owned.unlink(missing_ok=True)
            raise rejected(report.errors[0][1])
        if existing is not None and Path(existing.source) != final.resolve():
            Path(existing.source).unlink(missing_ok=True)  # the new version serves: the old file is not needed
        return {
            "doc_id": meta.id,
            "replaced": existing is not None,
            **{k: v for k, v in vars(report).items() if k != "errors"},
        }
    finally:
        if staged != Path():
            staged.unlink(missing_ok=True)
