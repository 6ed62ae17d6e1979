"""The data page through app.py under AppTest: preview, load, refusals, column mapping reuse, undo, faults.

AppTest cannot drive st.file_uploader, so tests put uploads where the uploader does: st.session_state["data.pending"].
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from loaders import store
from loaders.datasets import DATASETS
from metrics import imports
from pages.components.i18n import LANGS, catalogue
from pages.components.upload import PENDING
from tests.conftest import app_test, click, deferred_downloads

PAGE = "pages/data.py"
PLAN = [
    ["任务编号", "任务名称", "开始时间", "完成时间", "完成百分比"],
    ["1", "需求调研", "2026-01-05", "2026-01-30", "100%"],
    ["2", "系统上线", "2026-02-02", "2026-03-30", "40%"],
]
LEDGER = [["日期", "项目名称", "费用类别", "钱款", "付款状态"], ["2026/1/5", "HIS", "硬件", "100", "已付款"]]


def text(key: str, lang: str) -> str:
    zh, en = catalogue()[key]
    return zh if lang == "zh" else en


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode("utf-8")


def open_data(db: Path, lang: str = "zh") -> AppTest:
    at = app_test(db, lang).run()
    at.switch_page(PAGE).run()
    assert_clean(at)
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.session_state[PENDING] = [(name, data)]
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def state(db: Path) -> tuple[int, int, int | None, int]:
    """(task rows, cost rows, latest loaded import, data version) as any page would see them."""
    con = duckdb.connect(str(db))  # same process: the app's own database instance
    try:
        tasks = con.execute("SELECT count(*) FROM task_snapshots").fetchone()
        costs = con.execute("SELECT count(*) FROM costs").fetchone()
        assert tasks is not None and costs is not None
        return int(tasks[0]), int(costs[0]), imports.latest_import_id(con), store.data_version(con)
    finally:
        con.close()


def history(db: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(db))
    try:
        df = imports.history(con)
    finally:
        con.close()
    return list(zip(df["file_name"], df["status"], strict=True))


def keys(at: AppTest, kind: str) -> list[str]:
    return [str(w.key) for w in getattr(at, kind)]


# ------------------------------------------------------------------------------------------ the happy path


@pytest.mark.parametrize("lang", LANGS)
def test_upload_preview_load_and_history(empty_db: Path, lang: str) -> None:
    at = open_data(empty_db, lang)
    assert at.title[0].value == text("data.title", lang)
    assert len(at.get("download_button")) == len(DATASETS)  # one template per dataset
    upload(at, "EMR_计划.xlsx", xlsx_bytes(PLAN))
    assert_clean(at)
    assert state(empty_db)[:3] == (0, 0, None)  # the preview stores nothing
    mapping, rows = at.dataframe[0].value, at.dataframe[1].value
    assert mapping["letter"].tolist() == ["A", "B", "C", "D", "E"] and mapping["source"].tolist() == PLAN[0]
    name = "任务名称" if lang == "zh" else "Name"
    assert name in mapping["field"].tolist() and set(mapping["confidence"]) == {"100%"}
    # the preview is headed by the fields' labels, never by internal names (row_no, baseline_start, ...)
    internal = {"row_no", "name", "percent_complete", "baseline_start", "task_id", "project", "stage"}
    assert not internal & set(rows.columns) and not internal & set(mapping["field"])
    pct = "完成百分比" if lang == "zh" else "% complete"
    assert rows[name].tolist() == ["需求调研", "系统上线"] and rows[pct].tolist() == [100.0, 40.0]
    assert any(text("data.file.ok", lang) == s.value for s in at.success)
    assert not at.button(key="data_load_1").disabled and at.button(key="data_skip_1").disabled
    at.button(key="data_load_1").click().run()
    assert_clean(at)
    tasks, _, latest, _ = state(empty_db)
    assert tasks == 2 and latest is not None
    assert any(f"#{latest}" in s.value for s in at.success)
    assert history(empty_db) == [("EMR_计划.xlsx", "loaded")]
    table = at.dataframe[0].value  # the history, on the page
    assert table["import_id"].tolist() == [latest] and table["status"].tolist() == [text("data.status.loaded", lang)]
    assert len(at.get("download_button")) == len(DATASETS) + 1  # the original file can be downloaded again
    assert PENDING not in at.session_state and not at.session_state["data.staged"]


def test_cancel_stores_nothing_and_deletes_the_copy(empty_db: Path) -> None:
    at = upload(open_data(empty_db, "en"), "plan.csv", csv_bytes(PLAN))
    copy = Path(at.session_state["data.staged"][0]["path"])
    assert copy.exists() and copy.name != "plan.csv"  # stored under a generated name
    at.button(key="data_cancel_1").click().run()
    assert_clean(at)
    assert not copy.exists() and state(empty_db)[:3] == (0, 0, None) and history(empty_db) == []


# ------------------------------------------------------------------------------------------ refusals

REFUSED = {
    "empty": ("empty.csv", b"", "文件为空"),
    "missing_required": ("ledger.csv", csv_bytes(LEDGER), "缺少必填列"),
    "invalid_date": ("p.csv", csv_bytes([PLAN[0], ["1", "a", "2024-02-30", "2026-01-09", "10%"]]), "2024-02-30"),
}


@pytest.mark.parametrize("kind", list(REFUSED))
@pytest.mark.parametrize("lang", LANGS)
def test_refused_files_show_their_report_and_store_nothing(empty_db: Path, kind: str, lang: str) -> None:
    name, data, expected = REFUSED[kind]
    at = open_data(empty_db, lang)
    before = state(empty_db)
    upload(at, name, data)
    assert not at.exception
    shown = " ".join(e.value for e in at.error) + " ".join(w.value for w in at.warning)
    tables = " ".join(df.value.to_string() for df in at.dataframe)
    assert expected in shown + tables
    if kind == "invalid_date":  # read, but with errors: the report locates the cell, loading is disabled
        (report,) = [df.value for df in at.dataframe if "problem" in df.value.columns]
        assert report["row"].tolist() == [2] and report["column"].tolist() == ["开始时间"]
        assert at.button(key="data_load_1").disabled and at.button(key="data_skip_1").disabled
        at.button(key="data_cancel_1").click().run()
    assert state(empty_db) == before
    assert history(empty_db) == []  # a preview (or cancelling it) records nothing; only a confirmed import is
    # each message in the user's language only: no Chinese in English, no English gloss in Chinese
    errors = " ".join(e.value for e in at.error)
    if lang == "en":
        assert not re.search(r"[\u4e00-\u9fff]", errors), errors
    else:
        assert "File '" not in errors and "required columns are missing" not in errors, errors


def test_load_valid_rows_only(empty_db: Path) -> None:
    rows = [*PLAN, ["3", "培训", "2026-02-30", "2026-03-01", "0"]]
    at = upload(open_data(empty_db, "en"), "p.csv", csv_bytes(rows))
    assert at.button(key="data_load_1").disabled
    at.button(key="data_skip_1").click().run()
    assert not at.exception
    assert state(empty_db)[0] == 2


def test_dangerous_names_are_shown_escaped(empty_db: Path) -> None:
    at = upload(open_data(empty_db, "en"), "../x\x00.csv", csv_bytes(PLAN))
    assert not at.exception and state(empty_db)[0] == 0  # NUL refused
    upload(at, "../**计划**😀.csv", csv_bytes(PLAN))
    assert not at.exception
    assert any("\\*\\*" in m.value for m in at.markdown)  # markdown shown as text, not bold
    at.button(key="data_load_2").click().run()
    assert not at.exception and state(empty_db)[0] == 2


# ------------------------------------------------------------------------------------------ column mapping


def test_mapping_is_applied_remembered_and_reused(empty_db: Path) -> None:
    at = upload(open_data(empty_db, "en"), "ledger.csv", csv_bytes(LEDGER))
    assert not at.exception
    assert keys(at, "selectbox").count("data_map_1_3") == 1  # 钱款 is not a known header
    at.selectbox(key="data_map_1_3").set_value("amount")
    at.button(key="data_apply_1").click().run()
    assert_clean(at)
    assert not at.button(key="data_load_1").disabled
    at.checkbox(key="data_remember_1").check()
    at.button(key="data_load_1").click().run()
    assert_clean(at)
    assert state(empty_db)[1] == 1
    upload(at, "ledger.csv", csv_bytes(LEDGER))  # the same export next week: it maps itself
    assert_clean(at)
    assert not [k for k in keys(at, "selectbox") if k.startswith("data_map_2")]
    mapping = at.dataframe[0].value
    got = mapping.set_index("source").loc["钱款"]
    assert got[["letter", "field", "how"]].tolist() == ["D", "Amount", text("data.how.saved", "en")]


# ------------------------------------------------------------------------------------------ undo and faults


def test_undo_asks_then_restores_the_store(empty_db: Path) -> None:
    at = upload(open_data(empty_db, "zh"), "EMR_计划.xlsx", xlsx_bytes(PLAN))
    before = state(empty_db)
    at.button(key="data_load_1").click().run()
    loaded = state(empty_db)
    assert loaded[0] == 2
    at.button(key="data_undo").click().run()
    assert state(empty_db) == loaded  # asks first
    at.button(key="data_undo_yes").click().run()
    assert_clean(at)
    after = state(empty_db)
    assert after[:3] == before[:3] and after[3] > loaded[3]
    assert [s for _, s in history(empty_db)] == ["undo", "undone"]
    assert text("data.status.undone", "zh") in at.dataframe[0].value["status"].tolist()


def test_the_original_file_is_read_and_audited_when_its_button_is_clicked(
    empty_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offered = deferred_downloads(monkeypatch)
    original = xlsx_bytes(PLAN)  # once: openpyxl stamps the second it saves into the file
    at = upload(open_data(empty_db, "en"), "EMR_计划.xlsx", original)
    at.button(key="data_load_1").click().run()
    assert_clean(at)
    button = at.get("download_button")[-1]
    assert button.proto.ignore_rerun and offered, sorted(offered)  # a click reruns nothing
    assert click(offered["EMR_计划.xlsx"]) == original
    at.switch_page("pages/audit.py").run()
    log = at.dataframe[0].value
    assert log[log["event"] == "download"][["who", "subject", "result"]].values.tolist() == [
        ["demo", "original #1", "ok"]  # the empty store's first import
    ]


def test_busy_store_says_who_and_keeps_the_upload(empty_db: Path) -> None:
    at = upload(open_data(empty_db, "zh"), "EMR_计划.xlsx", xlsx_bytes(PLAN))
    store.IMPORT_LOCK.acquire("王护士长", "另一个计划.xlsx")
    try:
        at.button(key="data_load_1").click().run()
    finally:
        store.IMPORT_LOCK.release()
    assert not at.exception
    assert any("王护士长" in w.value for w in at.warning)
    assert state(empty_db)[0] == 0 and at.session_state["data.staged"]
    at.button(key="data_load_1").click().run()  # the lock is free again: the retry works
    assert_clean(at)
    assert state(empty_db)[0] == 2


# ------------------------------------------------------------------------------------------ round 2: what was decided


@pytest.mark.parametrize("lang", LANGS)
def test_preview_states_the_unit_and_the_default_stage_and_the_clerk_can_change_it(empty_db: Path, lang: str) -> None:
    ledger = [["单位：万元"], ["报销日期", "项目名称", "费用类别", "金额"], ["2026-01-05", "HIS", "差旅", "1.5"]]
    at = upload(open_data(empty_db, lang), "报销台账.xlsx", xlsx_bytes(ledger))
    assert_clean(at)
    captions = " ".join(c.value for c in at.caption).replace("\\", "")  # shown as escaped markdown
    if lang == "zh":
        assert "单位：万元（取自第 1 行）" in captions and "资金状态：已付款" in captions
        assert "unit" not in captions and "Stage" not in captions  # the user's language only
    else:
        assert "unit: 万元 (from row 1)" in captions and "Stage: paid" in captions
        assert "取自" not in captions
    mapping = at.dataframe[0].value
    row = mapping.set_index("source").loc["报销日期"]
    assert row["how"] == text("data.how.words", lang) and row["confidence"] == "75%"
    at.selectbox(key="data_stage_1").set_value("invoiced").run()
    assert_clean(at)
    at.button(key="data_load_1").click().run()
    assert_clean(at)
    con = duckdb.connect(str(empty_db))  # same process: the app's own database instance
    try:
        assert con.execute("SELECT stage, amount FROM costs").fetchall() == [("invoiced", 15000.0)]
    finally:
        con.close()


@pytest.mark.parametrize("lang", LANGS)
def test_the_uploader_states_the_importers_limit(empty_db: Path, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCKPIT_MAX_FILE_MB", "50")  # the importer's own limit, under the server's 100 MB
    at = open_data(empty_db, lang)
    (uploader,) = at.get("file_uploader")
    assert uploader.proto.max_upload_size_mb == 50
    assert uploader.proto.label == text("data.upload.label", lang).format(mb=50)
    assert uploader.proto.help == text("data.upload.limit", lang).format(mb=50)
    monkeypatch.setenv("COCKPIT_MAX_FILE_MB", "1024")  # over the server's limit: the server's 100 MB is stated
    at.run()
    (uploader,) = at.get("file_uploader")
    assert uploader.proto.max_upload_size_mb == 100


@pytest.mark.parametrize("lang", LANGS)
def test_columns_with_the_same_header_are_mapped_by_their_letter(empty_db: Path, lang: str) -> None:
    register = [["风险编号", "风险描述", "评分", "评分"], ["R1", "接口延期", "4", "5"], ["R2", "人员流失", "2", "3"]]
    at = upload(open_data(empty_db, lang), "PACS风险登记册.csv", csv_bytes(register))
    assert not at.exception
    labels = {w.key: w.label for w in at.selectbox if str(w.key).startswith("data_map_1_")}
    column = "列" if lang == "zh" else "Column"
    assert any(f"C {column}" in v or f"{column} C" in v for v in labels.values()), labels
    at.selectbox(key="data_map_1_2").set_value("likelihood")
    at.selectbox(key="data_map_1_3").set_value("impact")
    at.button(key="data_apply_1").click().run()
    assert_clean(at)
    assert at.session_state["data.staged"][0]["mapping"] == {"#C": "likelihood", "#D": "impact"}
    at.button(key="data_load_1").click().run()
    assert_clean(at)
    con = duckdb.connect(str(empty_db))
    try:
        got = con.execute("SELECT risk_id, likelihood, impact, project FROM risks ORDER BY 1").fetchall()
    finally:
        con.close()
    assert got == [("R1", 4, 5, "PACS"), ("R2", 2, 3, "PACS")]


PAYMENTS = [
    ["日期", "项目名称", "费用类别", "金额", "付款状态", "凭证号"],
    ["2026/3/3", "HIS", "软件", "10000", "已付款", "PZ-001"],
    ["2026/3/10", "HIS", "软件", "20000", "已付款", "PZ-002"],
]


@pytest.mark.parametrize("lang", LANGS)
def test_the_preview_says_what_a_reimport_will_replace(empty_db: Path, lang: str) -> None:
    from loaders import importer

    con = store.open_store(empty_db)
    path = empty_db.with_name("付款台账.csv")
    path.write_bytes(csv_bytes(PAYMENTS))
    (res,) = importer.import_file(con, path)
    assert res.status == "loaded"
    con.close()
    at = open_data(empty_db, lang)
    upload(at, "付款台账(更正).csv", csv_bytes(PAYMENTS[:2]))
    assert_clean(at)
    want = (
        "将替换 3 月 HIS 项目来自《付款台账》的 2 行"
        if lang == "zh"
        else "will replace 2 rows of project HIS for March from 《付款台账》"
    )
    assert want in [c.value for c in at.caption]
    assert state(empty_db)[1] == 2  # the preview stored nothing
