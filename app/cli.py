"""The ``policy-assistant`` command line. Thin: it parses, calls services, prints."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import typer
from rich.console import Console
from rich.markup import escape as E
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app import cpu, limits
from app.answer.schema import Answer
from app.retrieval import Filters, IndexNotReady, SearchResult
from app.services import Services, build_services
from app.settings import Settings
from app.tools.result import ToolError, ToolResult
from app.tools.rules import CatalogueError
from ingest.manifest import ManifestError
from ingest.schema import Clause, DocumentMeta

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport

app = typer.Typer(
    help="Chinese skilled-talent policy assistant: ingest policy files, search their clauses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(
    help="Measure the assistant on the golden sets in eval/golden/. Without a subcommand: everything, "
    "written to eval/reports/report.md with plots.",
    invoke_without_command=True,
)
app.add_typer(eval_app, name="eval")


@eval_app.callback()
def eval_all(
    ctx: typer.Context,
    reports: Annotated[Path, typer.Option(help="Folder for the reports.")] = Path("eval/reports"),
    config: ConfigOpt = None,
) -> None:
    """Run every evaluation (retrieval, answers, holdout) and write the full report."""
    if ctx.invoked_subcommand is not None:
        return
    _require_evaluation()
    from evaluation.report import run_all

    services = _services(config)
    try:
        _ingest(services, None, False, quiet=True)
        path = run_all(services, reports)
    finally:
        services.close()
    out.print(f"Report written to {E(str(path))}")


out = Console(soft_wrap=True)
err = Console(stderr=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="YAML settings file (otherwise PA_* environment variables and defaults)."),
]


def _services(config: Path | None) -> Services:
    try:
        return build_services(Settings.load(config))
    except Exception as exc:  # noqa: BLE001 - turn any start-up failure into one clear line
        _fail(f"cannot start: {exc}")


# What the evaluation runners need beyond the product (the ``eval`` extra); imported only by their commands.
_EVALUATION_MODULES = ("evaluation", "matplotlib", "psutil", "langchain_chroma", "langchain_text_splitters")


def _require_evaluation() -> None:
    missing = [m for m in _EVALUATION_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        _fail(f"the evaluation tools are not installed (missing {', '.join(missing)}): pip install -e '.[eval]'")


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {E(str(message))}", highlight=False)
    raise typer.Exit(code)


def _ingest(services: Services, paths: list[Path] | None, force: bool, quiet: bool = False) -> IngestReport:
    manifest = None
    try:
        manifest = services.manifest()
    except ManifestError as exc:
        if not paths:
            _fail(str(exc))
        err.print(f"[yellow]warning:[/] {E(str(exc))}; files not in it get default metadata", highlight=False)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True, disable=quiet) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = {"documents": "documents", "embedding": "embedding clauses"}.get(stage, stage)
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        return services.ingestor.run(manifest, paths, force=force, progress=progress)


def _print_report(report: IngestReport) -> None:
    for path, reason in report.errors:
        err.print(f"[bold red]error:[/] {E(str(path))}: {E(str(reason))}", highlight=False)
    if not report.changed:
        out.print(
            f"Index is up to date: {len(report.unchanged)} documents unchanged, nothing to do "
            f"({report.clauses} clauses, {report.seconds:.1f}s)."
        )
        return
    parts = [
        f"{len(lst)} {name}"
        for name, lst in (
            ("added", report.added),
            ("updated", report.updated),
            ("deleted", report.deleted),
            ("unchanged", report.unchanged),
        )
        if lst
    ]
    out.print(
        f"Ingested: {', '.join(parts) or 'index rebuilt'}; {report.clauses} clauses, {report.windows} windows "
        f"indexed in {report.seconds:.1f}s."
    )


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to ingest. Default: every document in corpus/manifest.yaml."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Re-index even unchanged documents.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Parse, split and index policy files (incremental: unchanged files are skipped)."""
    services = _services(config)
    try:
        report = _ingest(services, paths, force, quiet=as_json)
    finally:
        services.close()
    if as_json:
        payload = {k: v for k, v in vars(report).items()}
        payload["errors"] = [{"file": f, "reason": r} for f, r in report.errors]
        out.print_json(json.dumps(payload, ensure_ascii=False))
    else:
        _print_report(report)
    if report.errors:
        raise typer.Exit(1)


def _print_results(results: list[SearchResult]) -> None:
    if not results:
        out.print("No matching clause found.")
        return
    for i, r in enumerate(results, 1):
        d = r.doc
        tag = (
            " [bold red]【征求意见稿】[/]"
            if d.status == "draft"
            else (" [yellow]【来源不详】[/]" if d.status == "unknown" else "")
        )
        meta = " · ".join(p for p in (d.city, d.number, d.date) if p and p != "未知")
        out.print(f"[bold cyan]{E(str(i))}. {E(str(r.clause.clause_id))}[/]  score {r.score:.4f}", highlight=False)
        out.print(f"   《{E(str(d.title))}》{tag}  {E(str(meta))}", highlight=False)
        out.print(f"   {E(str(' > '.join(r.clause.heading_path)))}", highlight=False)
        out.print("   " + r.clause.text.replace("\n", "\n   "), highlight=False)
        out.print()


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="A question or keywords, Simplified or Traditional Chinese.")],
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=100, help="Number of clauses to return.")] = 5,
    city: Annotated[str | None, typer.Option("--city", help="Only this city's documents, e.g. 厦门.")] = None,
    doc: Annotated[str | None, typer.Option("--doc", help="Only this document id.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="in_force, draft or unknown.")] = None,
    mode: Annotated[str, typer.Option("--mode", help="hybrid (default), bm25 or dense.")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of clauses.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Find the clauses that answer QUERY (hybrid BM25 + dense retrieval)."""
    if mode not in ("hybrid", "bm25", "dense"):
        _fail(f"--mode must be hybrid, bm25 or dense, not {mode!r}")
    if status not in (None, "in_force", "draft", "unknown"):
        _fail(f"--status must be in_force, draft or unknown, not {status!r}")
    services = _services(config)
    try:
        results = services.retriever.search(query, k=k, filters=Filters(city, doc, status), mode=mode)  # type: ignore[arg-type]
    except IndexNotReady as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(str(exc))
    finally:
        services.close()
    if as_json:
        out.print_json(json.dumps([r.to_dict() for r in results], ensure_ascii=False))
    else:
        _print_results(results)


@app.command()
def start(config: ConfigOpt = None) -> None:
    """Bring the index up to date, then answer questions interactively (the main job)."""
    services = _services(config)
    try:
        report = _ingest(services, None, False)
        _print_report(report)
        if report.errors:
            err.print("[yellow]Some files could not be indexed (see above); continuing with the rest.[/]")
        _chat_loop(services, None)
    finally:
        services.close()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Interface to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Worker processes (default: one per core).")
    ] = None,
    no_ingest: Annotated[bool, typer.Option("--no-ingest", help="Do not bring the index up to date first.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Start the HTTP service: API at /api (docs at /docs) and the web UI at /ui."""
    import uvicorn

    settings = Settings.load(config) if config else Settings()
    server = settings.server
    policy = cpu.plan(settings, workers)  # workers, and threads per worker, from the cores
    host, port, workers = host or server.host, port or server.port, policy.workers
    if not no_ingest:
        services = _services(config)  # this process alone: every core
        try:
            _print_report(_ingest(services, None, False))
        finally:
            services.close()
    threads = cpu.apply(policy)  # the workers' share, inherited by the worker processes
    os.environ["PA_SERVER__HOST"], os.environ["PA_SERVER__PORT"] = host, str(port)
    out.print(f"UI:       http://{host}:{port}/ui/", highlight=False)
    out.print(f"API docs: http://{host}:{port}/docs", highlight=False)
    spin = f"bounded spin {threads['GOMP_SPINCOUNT']}" if "GOMP_SPINCOUNT" in threads else "library default"
    adaptive = ", fewer while other processes hold cores" if policy.adaptive and policy.threads > 1 else ""
    out.print(
        f"workers:  {workers} × {threads.get('OMP_NUM_THREADS')} thread(s){adaptive}, "
        f"OpenMP wait policy {threads.get('OMP_WAIT_POLICY', spin)}",
        highlight=False,
    )
    uvicorn.run("app.server.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


@app.command()
def documents(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """List the indexed documents with their metadata."""
    services = _services(config)
    try:
        docs = services.store.documents()
        counts = {d.meta.id: len(services.store.clauses(d.meta.id)) for d in docs}
    finally:
        services.close()
    if as_json:
        out.print_json(
            json.dumps([{**d.meta.model_dump(), "clauses": counts[d.meta.id]} for d in docs], ensure_ascii=False)
        )
        return
    if not docs:
        out.print("No documents indexed yet: run `policy-assistant ingest`.")
    for d in docs:
        m = d.meta
        out.print(
            f"[bold]{E(m.id)}[/]  {E(m.title)}  ({m.status}) {E(m.city)} {E(m.number)} {E(m.date)}  {counts[m.id]} clauses",
            highlight=False,
        )


def _print_answer(ans: Answer) -> None:
    out.print(ans.answer, highlight=False)
    if ans.citations:
        out.print()
        for c in ans.citations:
            tag = " 【征求意见稿】" if c.status == "draft" else (" 【来源不详】" if c.status == "unknown" else "")
            meta = "，".join(p for p in (c.doc_number, c.doc_date) if p)
            out.print(
                f"[{E(str(c.n))}] {E(str(c.clause_id))} 《{E(str(c.doc_title))}》{E(str(('（' + meta + '）') if meta else ''))}{tag}",
                highlight=False,
            )
    for w in ans.warnings:
        if w not in ans.answer:
            err.print(f"[yellow]注意:[/] {E(str(w))}", highlight=False)


def _ask_once(services: Services, question: str, session: str | None, city: str | None) -> Answer:
    if session is not None:
        resolved = services.sessions.resolve(session)
        if resolved != session:
            err.print("[yellow]注意:[/] unknown or expired session; a new conversation was started", highlight=False)
        session = resolved
    try:
        limits.check_question(question)
        return services.assistant.ask(question, session_id=session, city=city)
    except IndexNotReady as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(str(exc))


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in Simplified or Traditional Chinese.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the full answer as JSON.")] = False,
    session: Annotated[str | None, typer.Option("--session", help="Conversation id, to ask a follow-up.")] = None,
    city: Annotated[str | None, typer.Option("--city", help="Only this city's documents, e.g. 厦门.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Answer a question with quoted clauses, exact amounts and honest refusals."""
    services = _services(config)
    try:
        ans = _ask_once(services, question, session, city)
    finally:
        services.close()
    if as_json:
        out.print_json(ans.model_dump_json())
    else:
        _print_answer(ans)
        err.print(f"[dim]session: {E(str(ans.session_id))}[/]")


@app.command()
def chat(
    city: Annotated[str | None, typer.Option("--city", help="Only this city's documents.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Interactive conversation: follow-ups like “那大连呢？” keep the topic."""
    services = _services(config)
    try:
        _chat_loop(services, city)
    finally:
        services.close()


def _chat_loop(services: Services, city: str | None) -> None:
    session = services.sessions.new_id()
    out.print("请输入问题；空行或 Ctrl-D 退出。 Ask a question; empty line or Ctrl-D quits.")
    out.print(
        "例如：大连 带徒补贴 标准 ｜ 我们厂在厦门，3个中职2个高职学徒，企业能拿多少补贴？ ｜ 我是台灣人，證照在廈門能被承認嗎？"
    )
    while True:
        try:
            line = input("问> ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not line:
            break
        try:
            limits.check_question(line)
            ans = services.assistant.ask(line, session_id=session, city=city)
        except (IndexNotReady, ValueError) as exc:
            err.print(f"[bold red]error:[/] {E(str(exc))}", highlight=False)
            continue
        _print_answer(ans)
        out.print()


def _parse_pairs(pairs: list[str]) -> dict[str, str]:
    inputs: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            _fail(f"inputs are key=value pairs, e.g. 中职=3 social_insurance_months=2; got {pair!r}")
        inputs[key.strip()] = value.strip()
    return inputs


def _print_tool_result(res: ToolResult) -> None:
    out.print(f"[bold]{E(str(res.title))}[/]  ({E(str(res.rule_id))})", highlight=False)
    status = {
        "complete": "[green]计算完成[/]",
        "conditional": "[yellow]有待确认的条件[/]",
        "needs_input": "[yellow]缺少输入[/]",
        "not_eligible": "[red]不符合条件[/]",
        "eligible": "[green]符合条件[/]",
    }[res.status]
    out.print(f"状态: {status}")
    if res.formula:
        out.print(f"算式: {E(str(res.formula))} = {E(str(res.result_text))}", highlight=False)
    elif res.result_text:
        out.print(f"结果: {E(str(res.result_text))}", highlight=False)
    if res.payee != "none":
        out.print(f"领取方: {E(str(res.payee_zh))}", highlight=False)
    for c in res.conditions:
        mark = {"met": "[green]✔[/]", "not_met": "[red]✘[/]", "unknown": "[yellow]?[/]"}[c.status]
        extra = c.remedy or c.question
        out.print(f"  {mark} {E(str(c.label))}" + (f" — {extra}" if extra else ""), highlight=False)
        if c.alternative:
            out.print(f"     另有途径: {E(str(c.alternative))}", highlight=False)
    for q in res.questions:
        out.print(f"[yellow]请补充:[/] {E(str(q))}", highlight=False)
    for w in res.warnings:
        out.print(f"[yellow]注意:[/] {E(str(w))}", highlight=False)
    for cit in res.citations:
        out.print(f"依据: 《{E(str(cit.doc_title))}》{E(str(cit.doc_number))} {E(str(cit.clause_id))}", highlight=False)
        out.print(f"  “{E(str(cit.quote))}”", highlight=False)


def _run_tool(rule_id: str, pairs: list[str], as_json: bool, config: Path | None, check_only: bool) -> None:
    inputs = _parse_pairs(pairs)
    services = _services(config)
    try:
        res = services.engine.run(rule_id, inputs, check_only=check_only)
    except (ToolError, CatalogueError) as exc:
        _fail(str(exc))
    finally:
        services.close()
    if as_json:
        out.print_json(res.model_dump_json())
    else:
        _print_tool_result(res)


rules_app = typer.Typer(
    help="The rule catalogue. Without a subcommand: list the curated rules; `draft` and `diff` for reviewers.",
    invoke_without_command=True,
)
app.add_typer(rules_app, name="rules")


@rules_app.callback()
def rules(
    ctx: typer.Context,
    city: Annotated[str | None, typer.Option("--city", help="Only this city's rules, e.g. 大连.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """List the rules of the catalogue: benefits and eligibility checks, each with its clause."""
    if ctx.invoked_subcommand is not None:
        return
    services = _services(config)
    try:
        found = services.catalogue.for_city(city)
        names = {r.id: services.engine.input_names(r) for r in found}
    except CatalogueError as exc:
        _fail(str(exc))
    finally:
        services.close()
    if as_json:
        out.print_json(
            json.dumps([{**r.model_dump(mode="json"), "inputs": names[r.id]} for r in found], ensure_ascii=False)
        )
        return
    for r in found:
        amounts = "、".join(f"{a.label or a.category} {a.value}" for a in r.amounts)
        out.print(
            f"[bold]{E(str(r.id))}[/]  {E(str(r.city))} · {E(str(r.title))} [{E(str(r.kind))}] {E(str(amounts))} {E(str(r.unit))}",
            highlight=False,
        )
        out.print(f"   inputs: {E(str(' '.join(names[r.id]) or '—'))}   clause: {E(str(r.clause_id))}", highlight=False)


def _indexed(services: Services, doc_id: str | None) -> tuple[list[Clause], dict[str, DocumentMeta]]:
    docs = {d.meta.id: d.meta for d in services.store.documents()}
    if doc_id is not None and doc_id not in docs:
        _fail(f"no indexed document {doc_id!r} (see `policy-assistant documents`)")
    return services.store.clauses(doc_id), docs


@rules_app.command("draft")
def rules_draft(
    doc_id: Annotated[str, typer.Argument(help="An indexed document id, see `policy-assistant documents`.")],
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the YAML here instead of printing it.")] = None,
    config: ConfigOpt = None,
) -> None:
    """The provisions extracted from one document as a draft rule file (reviewed: false) for corpus/rules/."""
    from app.tools.drafts import draft_yaml, extracted_rules

    services = _services(config)
    try:
        clauses, docs = _indexed(services, doc_id)
        text = draft_yaml(docs[doc_id], extracted_rules(clauses, docs, doc_id))
    finally:
        services.close()
    if out_file is None:
        out.print(text, highlight=False, markup=False, end="")
        return
    out_file.write_text(text, encoding="utf-8")
    err.print(f"draft written to {E(str(out_file))}", highlight=False)


@rules_app.command("diff")
def rules_diff(
    doc_id: Annotated[str | None, typer.Argument(help="Only this document's rules (default: every document).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Each curated rule beside the provisions extracted from its clause, and where they disagree."""
    from app.tools.drafts import diff

    services = _services(config)
    try:
        clauses, docs = _indexed(services, doc_id)
        report = diff(services.catalogue, clauses, docs, doc_id)
    except CatalogueError as exc:
        _fail(str(exc))
    finally:
        services.close()
    if as_json:
        out.print_json(json.dumps(report.as_json(), ensure_ascii=False))
        return
    for line in report.lines():
        out.print(line, highlight=False, markup=False)


@app.command("calc")
def calc_command(
    rule_id: Annotated[str, typer.Argument(help="Rule id, see `policy-assistant rules`.")],
    inputs: Annotated[
        list[str] | None, typer.Argument(help="key=value inputs, e.g. 中职=3 高职=2 social_insurance_months=2")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Compute a benefit exactly from its rule, checking its conditions first."""
    _run_tool(rule_id, inputs or [], as_json, config, check_only=False)


@app.command("check")
def check_command(
    rule_id: Annotated[str, typer.Argument(help="Rule id, see `policy-assistant rules`.")],
    facts: Annotated[
        list[str] | None, typer.Argument(help="key=value facts, e.g. age=25 holds_listed_certificate=yes")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Check eligibility: each condition met / not met / unknown, with what to ask next."""
    _run_tool(rule_id, facts or [], as_json, config, check_only=True)


@eval_app.command("retrieval")
def eval_retrieval(
    golden: Annotated[Path, typer.Option(help="Golden question set (YAML).")] = Path("eval/golden/retrieval.yaml"),
    reports: Annotated[Path, typer.Option(help="Folder for the report.")] = Path("eval/reports"),
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="Skip the naive LangChain baseline.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Recall@1, Recall@5 and MRR@10 for BM25, dense, hybrid and a naive baseline, in one run."""
    _require_evaluation()
    from evaluation.retrieval import run_retrieval_eval

    services = _services(config)
    try:
        report = _ingest(services, None, False, quiet=True)
        for path, reason in report.errors:
            err.print(f"[yellow]warning:[/] {E(str(path))}: {E(str(reason))}", highlight=False)
        result = run_retrieval_eval(services, golden, reports, baseline=not no_baseline)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    finally:
        services.close()
    out.print(result.markdown_table(), highlight=False)
    out.print(f"Report written to {E(str(result.report_path))}")


@app.command("entitlements")
def entitlements_command(
    profile: Annotated[
        Path, typer.Option("--profile", help="The profile: a YAML or JSON file (see README, 能享受哪些).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Also write the list as CSV (UTF-8 with BOM) to this file.")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Every provision a person, an enterprise or an institution meets or may meet, with amounts and clauses."""
    import yaml
    from pydantic import ValidationError

    from app.answer.entitlements_text import answer_text
    from app.tools.entitlements import Profile

    try:
        data = yaml.safe_load(profile.read_text(encoding="utf-8")) or {}
        prof = Profile.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        _fail(f"{profile}: {exc}")
    services = _services(config)
    try:
        result = services.entitlements(prof)
        text = answer_text(result, services.clause_result)
    except IndexNotReady as exc:
        _fail(str(exc))
    finally:
        services.close()
    if csv_path is not None:
        csv_path.write_text("\ufeff" + result.csv(), encoding="utf-8")
    if as_json:
        out.print_json(result.model_dump_json())
        return
    out.print(E(text), highlight=False)
    if csv_path is not None:
        err.print(f"[dim]CSV: {E(str(csv_path))}[/]")


@app.command()
def bench(
    reports: Annotated[Path, typer.Option(help="Folder for bench.md / bench.json.")] = Path("eval/reports"),
    quick: Annotated[bool, typer.Option("--quick", help="Fewer queries (for a fast look).")] = False,
    condition: Annotated[
        list[str] | None,
        typer.Option("--condition", help="quiet and/or contended (a CPU-bound process on one core); default both."),
    ] = None,
    st_model: Annotated[
        str | None,
        typer.Option(
            "--st-model", help="Local model folder for the sentence-transformers batch sizes (e.g. e5-small)."
        ),
    ] = None,
) -> None:
    """Benchmarks with the real model, quiet and contended: latency against BM25-only and the naive LangChain
    retriever, the threading policy, ingest and batch sizes, cold start, memory, Chroma server."""
    _require_evaluation()
    from evaluation.bench import CONDITIONS, run_bench

    chosen = condition or list(CONDITIONS)
    if any(c not in CONDITIONS for c in chosen):
        _fail(f"--condition must be one of {', '.join(CONDITIONS)}")
    result = run_bench(reports, quick=quick, conditions=chosen, st_model=st_model)
    out.print((reports / "bench.md").read_text(encoding="utf-8"), highlight=False, markup=False)
    out.print(f"Figures written to {E(str(reports / 'bench.json'))} ({'quick' if result['quick'] else 'full'} run)")


@eval_app.command("answers")
def eval_answers(
    golden: Annotated[Path, typer.Option(help="Golden answer set (YAML).")] = Path("eval/golden/answers.yaml"),
    reports: Annotated[Path, typer.Option(help="Folder for the report.")] = Path("eval/reports"),
    config: ConfigOpt = None,
) -> None:
    """Key-fact accuracy, citation precision, refusals, false premises, calculations, drafts, script."""
    _require_evaluation()
    from evaluation.answers import run_answer_eval

    services = _services(config)
    try:
        _ingest(services, None, False, quiet=True)
        result = run_answer_eval(services, golden, reports)
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    finally:
        services.close()
    out.print(result.markdown(), highlight=False)
    out.print(f"Report written to {E(str(result.report_path))}")


@eval_app.command("loo")
def eval_loo(
    reports: Annotated[Path, typer.Option(help="Folder for loo.md / loo.json.")] = Path("eval/reports"),
    config: ConfigOpt = None,
) -> None:
    """Leave-one-document-out: each bundled document's items with its curated rules removed (extraction only)."""
    _require_evaluation()
    from evaluation.loo import run_loo, table

    services = _services(config)
    try:
        _ingest(services, None, False, quiet=True)
        settings = services.settings
    finally:
        services.close()
    result = run_loo(settings, reports)
    out.print("\n".join(table(result)), highlight=False, markup=False)
    out.print(f"Report written to {E(str(reports / 'loo.md'))}")


@eval_app.command("cities")
def eval_cities(
    reports: Annotated[Path, typer.Option(help="Folder for cities.md / cities.json.")] = Path("eval/reports"),
    work: Annotated[
        Path | None, typer.Option(help="Folder for the runs' data folders (default: a temporary one, removed after).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="A seeded sample of this many questions.")] = None,
    config: ConfigOpt = None,
) -> None:
    """eval/golden/cities.yaml over the fixture documents alone and mixed with the bundled corpus."""
    import tempfile

    _require_evaluation()
    from evaluation.cities import run_cities, table

    settings = Settings.load(config)
    with tempfile.TemporaryDirectory(prefix="pa-cities-") as tmp:
        summary = run_cities(settings, reports, work or Path(tmp), limit=limit)
    out.print("\n".join(table(summary)), highlight=False, markup=False)
    out.print(f"Report written to {E(str(reports / 'cities.md'))}")


@eval_app.command("profiles")
def eval_profiles(
    golden: Annotated[Path, typer.Option(help="Golden profile set (YAML).")] = Path("eval/golden/profiles.yaml"),
    reports: Annotated[Path, typer.Option(help="Folder for profiles.md / profiles.json.")] = Path("eval/reports"),
    config: ConfigOpt = None,
) -> None:
    """能享受哪些: the hand-written profiles (from the question and from the structured profile) and generated ones."""
    _require_evaluation()
    from evaluation.profiles import run_profiles_eval

    services = _services(config)
    try:
        _ingest(services, None, False, quiet=True)
        summary = run_profiles_eval(services, golden, reports)
    finally:
        services.close()
    out.print_json(json.dumps(summary, ensure_ascii=False, default=str))
    out.print(f"Report written to {E(str(reports / 'profiles.md'))}")


@eval_app.command("load")
def eval_loadtest(
    clients: Annotated[
        int, typer.Option("--clients", min=1, help="Concurrent clients for a single run (ignored with --sweep).")
    ] = 20,
    seconds: Annotated[float, typer.Option("--seconds", min=0.1, help="Duration of each run, in seconds.")] = 60.0,
    sweep: Annotated[
        bool, typer.Option("--sweep", help="Run at 1, 2, 5, 10 and 20 clients in turn, --seconds each.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=0, help="Worker processes of the service started here (not with --url); 0: its default."
        ),
    ] = 0,
    url: Annotated[
        str | None,
        typer.Option(
            "--url", help="Load an already running service, e.g. http://127.0.0.1:8000, instead of one started here."
        ),
    ] = None,
    server_pid: Annotated[
        int | None, typer.Option("--server-pid", help="With --url: the service's PID, to report its memory.")
    ] = None,
    reports: Annotated[Path, typer.Option(help="Folder for load.md, load.json and load.png.")] = Path("eval/reports"),
    name: Annotated[str, typer.Option("--name", help="File name of the report, e.g. load-20x60.")] = "load",
    config: ConfigOpt = None,
) -> None:
    """Load the HTTP service: N concurrent clients for a fixed time, mixed ask / search / calc.

    Without --url, the index is brought up to date and the service is started on a free loopback port (the settings' data folder, --workers processes), then stopped at the end. Requests: 50 % ask and 30 % search with the golden single-turn questions, 20 % calc with valid inputs.

    Reports requests/s, p50/p95/p99, errors by kind, the server's memory before → after, and the concurrency at which p95 first exceeds 1 s. Exits 1 if any request failed (non-2xx status or exception).

    Examples: policy-assistant eval load --clients 20 --seconds 60 ; policy-assistant eval load --sweep --seconds 20 --workers 2
    """
    import asyncio
    import tempfile

    _require_evaluation()
    from evaluation import loadtest as lt

    proc = None
    log_path: Path | None = None
    if url is None:
        services = _services(config)
        try:
            report = _ingest(services, None, False, quiet=True)
            data_dir = services.settings.data_dir
        finally:
            services.close()
        for path, reason in report.errors:
            err.print(f"[yellow]warning:[/] {E(str(path))}: {E(str(reason))}", highlight=False)
        fd, log_name = tempfile.mkstemp(prefix="pa-loadtest-", suffix=".log")
        os.close(fd)
        log_path = Path(log_name)
        env = {"PA_CONFIG": str(config.resolve())} if config else None
        shown = workers or f"{cpu.plan(Settings()).workers} (default)"
        err.print(f"starting the service ({shown} worker(s), data {E(str(data_dir))}) …", highlight=False)
        try:
            proc, url = lt.start_service(data_dir, lt.free_port(), workers or None, env=env, log_path=log_path)
        except RuntimeError as exc:
            _fail(str(exc))
        server_pid = proc.pid
    try:
        mix = lt.default_mix()
        try:
            asyncio.run(lt.warm_up(url, mix))
        except Exception as exc:  # noqa: BLE001 - a dead or wrong URL is one clear line
            _fail(f"cannot reach the service at {url}: {exc}")
        lt.settle(url, server_pid)  # the UI built, the memory steady: then "before" is read

        def show(r: lt.LoadResult) -> None:
            err.print(
                f"{r.clients:>3} clients: {r.requests} requests, {r.rps:.1f} req/s, p50 {r.p50:.0f} ms, "
                f"p95 {r.p95:.0f} ms, errors {r.error_count}",
                highlight=False,
            )

        levels = lt.DEFAULT_LEVELS if sweep else (clients,)
        err.print(f"loading {url} for {seconds:g} s at {', '.join(map(str, levels))} client(s) …", highlight=False)
        results = lt.sweep(url, levels, seconds, server_pid=server_pid, mix=mix, progress=show)
    finally:
        if proc is not None:
            lt.stop_service(proc)
    started_workers = (workers or cpu.plan(Settings()).workers) if log_path else None
    info = lt.machine_info(
        url=url,
        workers=started_workers,
        seconds_per_level=seconds,
        query_cache=Settings().embedding.query_cache if log_path else None,
    )
    png = lt.write_report(results, reports / f"{name}.md", reports / f"{name}.json", info)
    out.print(lt.markdown_table(results), highlight=False)
    out.print(lt.over_line(results) + ".", highlight=False)
    out.print(f"Report written to {E(str(reports / (name + '.md')))} (and {E(name)}.json, {E(png.name)})")
    if any(r.error_count for r in results):
        where = f"; server log: {log_path}" if log_path else ""
        _fail(f"{sum(r.error_count for r in results)} request(s) failed{where}")
    if log_path is not None:
        log_path.unlink(missing_ok=True)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
