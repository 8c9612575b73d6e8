"""What one place's row of a comparison shows, on a corpus of two invented documents (芜湖, 洛阳 — made up
for this test, not real policy) ranked by BM25 alone (the fake embedder's dense scores are noise):
further provisions of the place about the need, a figureless provision with the measure beside it, 有没有
answered by the text naming the benefit, a follow-up naming only places, a ranking from a row's own
figure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.answer import compare
from app.embeddings import FakeEmbeddings
from app.frame.read import read_question
from app.scope import place_names, scope_for
from app.services import Services, build_services
from app.settings import Settings
from app.tools.rules import Rule, RuleHints

WUHU = """芜湖市技能人才激励若干措施（测试用虚构文件）

一、竞赛激励
（一）健全职业技能大赛体系。加大对职业技能大赛参赛选手的激励和宣传力度。每年举办全市综合类和专项类赛事，由各行业协会协办，赛项对接产业需求。建立经费保障机制，加强裁判队伍建设，提升办赛水平。推动赛训结合、以赛促学，营造崇尚劳动的社会氛围。对职业技能大赛中成绩合格的选手，可晋升一级职业技能等级。对获得大赛第1名的选手，授予“芜湖技能标兵”称号。逐步形成覆盖全市重点产业的格局。（市人社局负责）
（二）对新取得高级工职业技能等级证书的企业职工，按照每人1200元的标准给予技能提升奖励。（市人社局、市财政局负责）

二、毕业生和首席技工
（三）技工院校毕业生来芜就业的，同等享受高校毕业生就业见习补贴。（市人社局负责）
（四）聘为首席技工的人员，比照高级工程师享受同等待遇。用人单位应当提供必要的工作条件和经费保障，支持开展技术攻关和技艺传承。对首席技工，按照每人3万元的标准给予一次性资助。（市人社局负责）

三、公共服务
（五）在市人社局官方网站设置培训专栏，公开补贴性培训机构名称、地址和联系电话。（市人社局负责）
（七）对年满18周岁的台湾地区居民，持有台湾地区职业资格证书的，予以直接采认。（市人社局负责）
"""

LUOYANG = """洛阳市高技能人才培养办法（测试用虚构文件）

一、平台建设
（一）技能工作坊领办人带徒的，按照每带一名徒弟800元的标准给予领办人带徒补贴。（市人社局负责）
（二）每年开展一次洛阳市技能工作坊评选，每次原则上不超过6个。（市人社局、市总工会负责）
（三）组织职工参加职业技能培训，提高职工技能水平。（市人社局负责）

二、技能提升
（四）对新取得高级工职业技能等级证书的企业职工，按照每人900元的标准给予技能提升奖励。（市人社局负责）

三、人才评价
（六）完善技能人才评价制度。技能评价合格人员可按规定晋级相应职业技能等级。评价机构应当规范开展评价活动，加强过程监管。落实境外技能人员职业资格认可清单制度。（市人社局负责）
（五）依托企业培训中心、市级职工书屋等阵地，每年开展职工技能培训。企业培训中心应当面向本行业中小企业开放，承接政府补贴性培训项目，推动培训资源共建共享。鼓励行业协会、龙头企业牵头组建培训联盟，开发培训标准和课程，培养一批能够满足产业发展需要的技能人才，形成政府引导、企业主体、社会参与的培训格局。各县区要统筹用好各类培训资源，加强阵地建设和日常管理，确保阵地发挥实效，定期开展评估，对评估不合格的及时调整，推动阵地建设提质增效。支持职业院校与企业共建实训场所，推行工学一体化培养模式，加强师资队伍建设，提升培训质量和就业匹配度，引导劳动者按需选学、学以致用，做到培训一人、就业一人、技能提升一人。每年新建市级职工书屋12家，给予每家2万元补助资金。（市总工会负责）
"""

MANIFEST = """documents:
  - {id: wuhu-test, title: 芜湖市技能人才激励若干措施, issuer: 芜湖市人力资源和社会保障局, date: "2024-01-10",
     city: 芜湖, status: in_force, source: texts/wuhu.txt}
  - {id: luoyang-test, title: 洛阳市高技能人才培养办法, issuer: 洛阳市人力资源和社会保障局, date: "2024-02-20",
     city: 洛阳, status: in_force, source: texts/luoyang.txt}
"""

# Curated provisions without a figure, as a rule file would give them.
CONTEST_LEVEL = Rule(
    id="wuhu.contest-level",
    title="职业技能大赛成绩合格晋升职业技能等级",
    city="芜湖",
    doc_id="wuhu-test",
    clause_id="wuhu-test/一/（一）",
    quote="对职业技能大赛中成绩合格的选手，可晋升一级职业技能等级。",
    kind="eligibility",
    payee="individual",
    outcome="晋升一级职业技能等级",
    hints=RuleHints(keywords=["职业技能大赛"]),
)
PROMOTION = Rule(
    id="luoyang.winner-promotion",
    title="技能评价合格人员晋级技能等级",
    city="洛阳",
    doc_id="luoyang-test",
    clause_id="luoyang-test/三/（六）",
    quote="技能评价合格人员可按规定晋级相应职业技能等级。",
    kind="eligibility",
    payee="individual",
    outcome="晋级相应职业技能等级",
    hints=RuleHints(keywords=["技能等级"]),
)
CHIEF_TREATMENT = Rule(
    id="wuhu.chief-treatment",
    title="首席技工比照高级工程师待遇",
    city="芜湖",
    doc_id="wuhu-test",
    clause_id="wuhu-test/二/（四）",
    quote="聘为首席技工的人员，比照高级工程师享受同等待遇。",
    kind="eligibility",
    payee="individual",
    outcome="比照高级工程师享受同等待遇",
)


@pytest.fixture(scope="module")
def two_places(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("two-places")
    (root / "texts").mkdir()
    (root / "texts" / "wuhu.txt").write_text(WUHU, encoding="utf-8")
    (root / "texts" / "luoyang.txt").write_text(LUOYANG, encoding="utf-8")
    (root / "manifest.yaml").write_text(MANIFEST, encoding="utf-8")
    settings = Settings(
        data_dir=root / "data",
        manifest=root / "manifest.yaml",
        embedding={"backend": "fake"},
        retrieval={"bm25_weight": 1.0},
    )
    services = build_services(settings, embedder=FakeEmbeddings(size=64))
    report = services.ingestor.run(services.manifest())
    assert report.errors == [] and len(report.added) == 2
    yield services
    services.close()


def rows_of(services: Services, question: str, extra: list[Rule] | None = None) -> list[compare.Row]:
    a = services.assistant
    comparer = compare.Comparer(a.retriever, a.router, a.scorer, lambda: [*services.rules().rules, *(extra or [])])
    docs = a.retriever.documents()
    frame = read_question(question, places=place_names(docs), tokenizer=services.tokenizer)
    assert compare.is_comparison(frame)
    return comparer.rows(frame, scope_for(frame, docs))


def shown(row: compare.Row) -> str:
    """Everything the row says: its quote, its figures and its further provisions' quotes."""
    return " ".join([row.quote, *row.figures, *(q for _, q, _ in row.also)])


def test_a_further_provision_of_another_clause_is_shown(two_places: Services) -> None:
    rows = rows_of(two_places, "洛阳、芜湖的技能工作坊都有哪些政策？")
    luoyang = rows[0]
    assert luoyang.place == "洛阳" and luoyang.covered
    text = shown(luoyang)
    assert "800元" in text and "不超过6个" in text  # the subsidy and the yearly selection, two clauses
    # A clause sharing only common words (参加、职业技能) with the need is not shown.
    assert "组织职工参加职业技能培训" not in text
    for result, quote, _ in luoyang.also:
        assert quote in result.clause.text  # verbatim


def test_a_treatment_beside_a_grant_in_one_clause_is_shown(two_places: Services) -> None:
    rows = rows_of(two_places, "芜湖 洛阳 首席技工 待遇", extra=[CHIEF_TREATMENT])
    wuhu = rows[0]
    assert wuhu.place == "芜湖" and wuhu.covered
    text = shown(wuhu)
    assert "3万元" in text and "高级工程师" in text
    assert rows[1].place == "洛阳" and not rows[1].covered and "未提及" in rows[1].note


def test_a_figureless_provision_is_quoted_with_the_measure_beside_it(two_places: Services) -> None:
    rows = rows_of(two_places, "芜湖和洛阳对职业技能大赛选手分别有什么激励？", extra=[CONTEST_LEVEL])
    wuhu = rows[0]
    assert wuhu.covered and wuhu.rules and wuhu.rules[0].id == CONTEST_LEVEL.id
    assert CONTEST_LEVEL.quote in wuhu.quote and "芜湖技能标兵" in wuhu.quote
    assert wuhu.result is not None and wuhu.quote in wuhu.result.clause.text
    assert not rows[1].covered  # 洛阳 has no competition provision


def test_whether_a_benefit_exists_is_answered_without_a_figure(two_places: Services) -> None:
    asked = rows_of(two_places, "芜湖、洛阳的技工院校毕业生有没有补贴？")
    assert asked[0].covered and "就业见习补贴" in asked[0].quote and "未写明具体金额" in asked[0].note
    assert not asked[1].covered
    how_much = rows_of(two_places, "芜湖、洛阳的技工院校毕业生补贴是多少？")
    assert not how_much[0].covered and "未写明具体金额" in how_much[0].note


def test_a_follow_up_naming_only_places_is_asked_the_earlier_need(two_places: Services) -> None:
    a = two_places.assistant
    first = a.ask("芜湖新取得高级工证书的技能提升奖励是多少？")
    ans = a.ask("那洛阳和芜湖呢，各给多少？", session_id=first.session_id)
    rows = ans.comparison or []
    assert [r["place"] for r in rows] == ["洛阳", "芜湖"]
    assert rows[0]["covered"] and any("900元" in f for f in rows[0]["figures"])
    assert rows[1]["covered"] and any("1200元" in f for f in rows[1]["figures"])


def test_a_ranking_compares_each_rows_own_figure(two_places: Services) -> None:
    rows = rows_of(two_places, "洛阳和芜湖新取得高级工证书的技能提升奖励哪个更高？")
    ranking = compare.rank(rows)
    assert ranking.order == ["芜湖", "洛阳"]
    # A further provision with a figure of its own, shown on a row, is not a second tier of that row.
    wuhu = rows[1]
    grant = next(r for r in two_places.rules().rules if r.doc_id == "wuhu-test" and "3万元" in r.quote)
    assert wuhu.result is not None
    wuhu.also.append((wuhu.result, grant.quote, grant))
    assert len(wuhu.figures) == 2
    assert compare.rank(rows).order == ["芜湖", "洛阳"]


def test_a_later_part_asking_what_one_may_enjoy_keeps_the_question_on_its_provision(two_places: Services) -> None:
    ans = two_places.assistant.ask("我是技工院校毕业生，准备去芜湖就业，要满足什么条件？能享受什么待遇？")
    assert ans.entitlements is None  # not the list of every provision
    assert "就业见习补贴" in ans.answer
    assert any(c.clause_id == "wuhu-test/二/（三）" for c in ans.citations)


def test_a_where_part_naming_its_own_subject_is_answered_from_its_clause(two_places: Services) -> None:
    ans = two_places.assistant.ask("芜湖对技工院校毕业生来芜就业是怎么规定的？培训机构的资讯要去哪里查？")
    assert "就业见习补贴" in ans.answer
    assert "培训专栏" in ans.answer and any(c.clause_id == "wuhu-test/三/（五）" for c in ans.citations)


def test_a_where_part_naming_nothing_of_its_own_is_said_to_be_not_stated(two_places: Services) -> None:
    ans = two_places.assistant.ask("芜湖 首席技工 资助 找哪个部门 去哪里办")
    assert "没有写明具体办理地点" in ans.answer
    assert "培训专栏" not in ans.answer  # a clause naming a website, but about something else


def test_the_lead_amount_is_quoted_in_its_own_words(two_places: Services) -> None:
    ans = two_places.assistant.ask("洛阳 职工书屋 补助 每年几家")
    assert "2万元" in ans.answer and "12家" in ans.answer
    for c in ans.citations:
        clause = two_places.retriever.clause(c.clause_id)
        assert clause is not None and c.quote in clause.text


def test_each_places_own_count_is_computed_by_the_calculator(two_places: Services) -> None:
    ans = two_places.assistant.ask("芜湖和洛阳新取得高级工证书的技能提升奖励各多少？我们芜湖工厂有4个、洛阳车间有3个。")
    rows = {r["place"]: r for r in ans.comparison or []}
    assert rows["芜湖"]["total"] == 4800 and rows["芜湖"]["formula"] == "4×1200"
    assert rows["洛阳"]["total"] == 2700 and rows["洛阳"]["formula"] == "3×900"
    assert "4800元" in ans.answer and "2700元" in ans.answer
    assert ans.calculation is None  # no one total across places


def test_a_count_no_place_owns_gives_no_amount(two_places: Services) -> None:
    ans = two_places.assistant.ask("芜湖和洛阳新取得高级工证书的技能提升奖励各多少？我们一共有4个。")
    for r in ans.comparison or []:
        assert r["total"] is None
    assert "4800" not in ans.answer and "3600" not in ans.answer


def test_the_clause_named_answers_with_its_words_about_the_need(two_places: Services) -> None:
    rows = rows_of(two_places, "芜湖和洛阳对境外或台湾来的人的职业资格、技能等级分别有什么说法？", extra=[PROMOTION])
    wuhu, luoyang = rows
    assert wuhu.covered and "台湾地区居民" in wuhu.quote
    # The provision named by 技能等级 is about those who pass an evaluation; the same clause's words about the need
    # (境外技能人员) answer for 洛阳.
    assert luoyang.covered and "境外技能人员职业资格认可清单制度" in luoyang.quote
    assert luoyang.result is not None and luoyang.quote in luoyang.result.clause.text


def test_either_of_two_alternatives_asked_is_the_topic(two_places: Services) -> None:
    a = two_places.assistant
    comparer = compare.Comparer(a.retriever, a.router, a.scorer, lambda: two_places.rules().rules)
    topic = comparer._topic("对境外或台湾来的人的职业资格有什么规定")
    assert {"境外", "台湾"} <= topic  # both alternatives, whichever the best clause of the corpus carries
    one = comparer._on_topic(topic, "落实境外技能人员职业资格认可清单制度")
    other = comparer._on_topic(topic, "台湾技能人员职业资格认可清单制度")
    assert one == other  # a text carrying either alternative carries the pair
    assert comparer._on_topic(topic, "技能人员职业资格认可清单制度") == 0  # neither: not about those asked


def test_two_places_each_with_its_own_people_are_compared(two_places: Services) -> None:
    ans = two_places.assistant.ask("我们芜湖工厂有4个新取得高级工证书的职工，洛阳车间有3个，技能提升奖励各多少？")
    rows = {r["place"]: r for r in ans.comparison or []}
    assert set(rows) == {"芜湖", "洛阳"}  # not one sum with 洛阳's people priced by 芜湖's provision
    assert rows["芜湖"]["total"] == 4800 and rows["洛阳"]["total"] == 2700
    assert ans.calculation is None


def test_a_facts_place_owns_no_one(two_places: Services) -> None:
    # 洛阳 is where some of them pay social insurance (a fact), not a place whose provision is asked.
    frame = two_places.assistant.read(
        "我们总部在洛阳、工厂在芜湖。5个新取得高级工证书的职工都在芜湖工厂，其中2个的社保挂在洛阳总部交，另外3个在芜湖交。技能提升奖励一共多少？"
    )
    assert not compare.is_comparison(frame)


def test_a_traditional_question_gets_its_rows_in_traditional(two_places: Services) -> None:
    ans = two_places.assistant.ask("蕪湖、洛陽的技工院校畢業生有沒有補貼？")
    rows = ans.comparison or []
    assert rows and rows[0]["note"] == "未寫明具體金額"  # the row's own words converted
    assert rows[1]["note"] and "洛陽" in rows[1]["note"]
    assert (
        rows[0]["quote"] == "（三）技工院校毕业生来芜就业的，同等享受高校毕业生就业见习补贴。（市人社局负责）"
    )  # verbatim
