"""The clause schema that every other part of the system reads.

A *document* is one policy file with the metadata from the manifest; a
*clause* is the smallest unit the documents number themselves (一、 /（一）/ 1.
or one row of a table); in an unnumbered page, a paragraph, a "key：value"
line or a question with its answer. Clause text is always a verbatim slice of the
decoded source: ``source[start:end] == text``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ingest.provisions import Provision

Status = Literal["in_force", "draft", "unknown"]
ClauseKind = Literal["header", "preamble", "clause", "row", "qa", "signature"]
Segmenter = Literal["auto", "numbered", "table", "paragraph", "qa"]


class DocumentMeta(BaseModel):
    """Metadata of one policy document, as written in ``corpus/manifest.yaml``."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="stable slug, e.g. dalian-2023")
    title: str
    short_title: str = ""
    issuer: str = "未注明"
    number: str = Field("", description="document number, e.g. 大政办发〔2023〕34号")
    date: str = Field("", description="ISO date when the document states one")
    city: str = Field("未知", description="city (or district) the document applies to; 未知 when not stated")
    province: str = Field("", description="the province, when known (derived from the gazetteer otherwise)")
    parent_city: str = Field("", description="for a district's document: the city it belongs to")
    place_aliases: list[str] = Field(
        default_factory=list, description="what users call the place besides its name (苏州工业园区: 园区)"
    )
    status: Status = "unknown"
    source: str = Field(description="path of the source file, relative to the manifest")
    segmenter: Segmenter = Field(
        "auto",
        description="auto, numbered (一、/（一）/1.), table (tab-indented rows), paragraph (unnumbered page), qa (问/答)",
    )
    notes: str = ""
    from_text: tuple[str, ...] = Field(
        (), description="fields the manifest left empty and the document's text stated (issuer, number, date)"
    )

    @property
    def display_title(self) -> str:
        return self.short_title or self.title

    def caution(self) -> str:
        """What a reader must be told before relying on this document, if anything."""
        if self.status == "draft":
            return f"注意：《{self.title}》是征求意见稿，尚未正式生效，内容可能调整，请以正式印发的文件为准。"
        if self.status == "unknown":
            return f"注意：《{self.title}》来源不详（未注明发文机关、日期或适用地区），仅供参考。"
        return ""


class Clause(BaseModel):
    """One citable unit of a document."""

    model_config = ConfigDict(frozen=True)

    clause_id: str = Field(description="document id + clause path, e.g. dalian-2023/二/（四）")
    doc_id: str
    kind: ClauseKind
    path: tuple[str, ...] = Field(description="numbering labels from the top, e.g. ('二', '（四）')")
    heading_path: tuple[str, ...] = Field(description="headings from the top, each with its label")
    title: str = Field(description="the clause's own heading, without its label")
    text: str = Field(description="verbatim text, source[start:end]")
    start: int
    end: int
    order: int = Field(description="position of the clause in its document")
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="named cells of a table row; the key and value of a 'key：value' clause; 问 and 答 of a qa clause",
    )
    provisions: list[Provision] = Field(
        default_factory=list, description="quantified provisions extracted from the text at ingest"
    )

    @property
    def label(self) -> str:
        """Human reading of the path, e.g. 二（四） or 第3行."""
        return "".join(self.path)
