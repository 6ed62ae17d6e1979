"""The weekly brief: the same week's overview as exceptions-only tables, written as an A4 PDF (embedded CJK font,
vector chart, page numbers and the as-of date on every page), an Excel pack (formula-safe) and a PowerPoint deck.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import smtplib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from openpyxl import Workbook, load_workbook

from loaders import settings
from loaders.errors import CockpitError
from metrics import export, overview
from metrics.scope import Scope
from reports.texts import tr

LANGS = ("zh", "en")
LIGHT_RGB = {
    "green": (0x2E, 0x7D, 0x32),
    "amber": (0xF9, 0xA8, 0x25),
    "red": (0xC6, 0x28, 0x28),
    "none": (0x9E, 0x9E, 0x9E),
}
# Fonts with Chinese glyphs that the PDF embeds, first found wins (Debian's fonts-wqy-zenhei is installed by .ci/run).
CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)


# ---------------------------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class Table:
    key: str  # texts key of its heading and sheet
    frame: pd.DataFrame  # columns already headed in the brief's language
    money: tuple[str, ...] = ()
    empty_key: str = ""


def _pct(x: object) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{float(str(x)):.1%}"


def reasons_text(reasons: Sequence[overview.Reason], lang: str) -> str:
    """The amber and red verdicts of a project in words ("CPI 0.84；EAC 超预算 19.8%")."""
    bad = [r for r in reasons if r.level != "green"]
    sep = "；" if lang == "zh" else "; "
    return sep.join(tr(f"reason.{r.rule}", lang, value=r.value) for r in bad)


def rules_frame(rules: overview.StatusRules, lang: str) -> pd.DataFrame:
    rows = [
        tr(f"rule.{name}", lang, amber=getattr(rules, name)[0], red=getattr(rules, name)[1]) for name in overview.RULES
    ]
    return pd.DataFrame({tr("rules", lang): rows})


def change_text(row: Mapping[Any, Any], lang: str) -> str:
    """One "what changed" line: kind, project and subject, before → after."""
    parts = [tr(f"kind.{row['kind']}", lang)]
    project = row.get("project")
    if isinstance(project, str) and project:
        parts.append(project)
    parts.append(str(row["subject"]))
    before, after = row.get("before"), row.get("after")

    def show(v: object) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        if isinstance(v, float):
            return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:g}"
        return str(v)

    moved = " → ".join(x for x in (show(before), show(after)) if x)
    return " · ".join(parts) + (f"（{moved}）" if lang == "zh" and moved else f" ({moved})" if moved else "")


def tables(week: overview.Week, lang: str) -> list[Table]:
    """Every table of the brief, exceptions only, headed in `lang`."""

    def c(k: str) -> str:
        return tr(f"col.{k}", lang)

    p = week.projects
    flagged = p[p["status"].isin(["amber", "red"])]
    status = pd.DataFrame(
        {
            c("project"): flagged["project"],
            c("status"): [tr(f"light.{s}", lang) for s in flagged["status"]],
            c("reasons"): [reasons_text(r, lang) for r in flagged["reasons"]],
            c("plan_complete"): [_pct(x) for x in flagged["plan_complete"]],
            c("spi"): flagged["spi"].round(2),
            c("cpi"): flagged["cpi"].round(2),
        }
    )
    changes = pd.DataFrame(
        {
            c("item"): [change_text(r, lang) for r in week.changes.to_dict("records")],
            c("score_weight"): week.changes["score"].round(1),
        }
    )
    d = week.decisions
    decisions = pd.DataFrame(
        {
            c("kind"): [tr(f"kind.{k}", lang) for k in d["kind"]],
            c("project"): d["project"],
            c("item"): [f"{i} {t}" for i, t in zip(d["id"], d["title"], strict=True)],
            c("age"): [
                None if k in ("gate", "gate_unmet") else a for k, a in zip(d["kind"], d["age_days"], strict=True)
            ],
            c("due"): d["due"],
            c("impact"): d["cost_impact"],
            c("days"): d["schedule_impact_days"],
        }
    )
    late = week.late
    late_t = pd.DataFrame(
        {
            c("project"): late["project"],
            c("task"): late["name"],
            c("owner"): late["owner"],
            c("finish"): pd.to_datetime(late["finish"]).dt.date,
            c("percent"): late["percent_complete"].round(0),
            c("days_late"): late["days_late"].round(0),
        }
    )
    over = p[(p["eac"].notna()) & (p["budget"].notna()) & (p["eac"] > p["budget"])]
    over_t = pd.DataFrame(
        {
            c("project"): over["project"],
            c("budget"): over["budget"],
            c("spent"): over["spent"],
            c("eac"): over["eac"].round(0),
            c("budget_used"): [_pct(x) for x in over["budget_used"]],
            c("cpi"): over["cpi"].round(2),
        }
    )
    red = week.red_risks
    red_t = pd.DataFrame(
        {
            c("project"): red["project"],
            c("risk"): [f"{i} {t}" for i, t in zip(red["risk_id"], red["title"], strict=True)],
            c("owner"): red["owner"],
            c("score"): red["score"],
        }
    )
    below = week.below_target
    below_t = pd.DataFrame(
        {
            c("department"): below["department"],
            c("system"): below["system"],
            c("rate"): [_pct(x) for x in below["rate"]],
            c("target"): [_pct(x) for x in below["target"]],
        }
    )
    k = week.kpis
    kpis = pd.DataFrame(
        {
            c("kpi"): [
                f"{n}（{u}）" if isinstance(u, str) and u else str(n) for n, u in zip(k["kpi"], k["unit"], strict=True)
            ],
            c("baseline"): k["baseline"],
            c("target"): k["target"],
            c("current"): k["current"],
            c("since_go_live"): k["since_go_live"].round(2),
            c("on_target"): ["—" if v is None else tr("yes" if v else "no", lang) for v in k["on_target"]],
        }
    )
    return [
        Table("status", status, (), "all_green"),
        Table("changes", changes, (), "no_changes"),
        Table("decisions", decisions, (c("impact"),), "no_decisions"),
        Table("late", late_t, (), "no_late"),
        Table("over_budget", over_t, (c("budget"), c("spent"), c("eac")), "no_over_budget"),
        Table("red_risks", red_t, (), "no_red_risks"),
        Table("below_target", below_t, (), "no_below_target"),
        Table("kpis", kpis, (), "no_kpis"),
    ]


def headline(week: overview.Week, lang: str) -> list[tuple[str, str]]:
    """The programme tiles: (label, value) in `lang`."""
    t = week.totals

    def n(x: float | None) -> str:
        return "—" if x is None else f"{x:,.0f}"

    return [
        (tr("tile.plan_complete", lang), _pct(t.get("plan_complete"))),
        (tr("tile.late_tasks", lang), n(t.get("late_tasks"))),
        (tr("tile.critical_risks", lang), n(t.get("critical_risks"))),
        (tr("tile.pending_changes", lang), n(t.get("pending_changes"))),
        (tr("tile.budget_used", lang), _pct(t.get("budget_used"))),
        (tr("tile.usage_below", lang), n(t.get("usage_below"))),
    ]


# ---------------------------------------------------------------------------------------------- Excel
SHEET_KEYS = ("status", "changes", "decisions", "late", "over_budget", "red_risks", "below_target", "kpis")


def excel(week: overview.Week, lang: str) -> bytes:
    """One workbook, a sheet per table plus the rules; each sheet written by metrics.export.to_xlsx (text cells
    stay text, so a cell starting with "=" is never a formula) and copied in whole."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    parts = [(tr(f"sheet.{t.key}", lang), t.frame, t.money) for t in tables(week, lang)]
    parts.append((tr("sheet.rules", lang), rules_frame(week.rules, lang), ()))
    for name, frame, money_cols in parts:
        src = load_workbook(io.BytesIO(export.to_xlsx(frame, name, money_cols))).active
        assert src is not None
        ws = wb.create_sheet(export.sheet_title(name))
        for row in src.iter_rows():
            for cell in row:
                out = ws.cell(row=cell.row, column=cell.column)
                out.value = cell.value
                if isinstance(cell.value, str):
                    out.data_type = "s"
                out.number_format = cell.number_format
                out.font = copy.copy(cell.font)
        for letter, dim in src.column_dimensions.items():
            ws.column_dimensions[letter].width = dim.width
        ws.freeze_panes = "A2"
    wb.properties.title = tr("title", lang) + " " + week.week.isoformat()
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- PDF
def cjk_font() -> Path:
    """The first CJK font file present; a clear refusal naming what to install otherwise."""
    for path in CJK_FONTS:
        if path.is_file():
            return path
    raise CockpitError(
        "找不到中文字体，无法生成 PDF：请安装 fonts-wqy-zenhei（apt-get install fonts-wqy-zenhei）。"
        " / No CJK font found for the PDF: install fonts-wqy-zenhei."
    )


def pdf(week: overview.Week, lang: str) -> bytes:
    from reports import pdf as pdf_writer

    return pdf_writer.render(week, lang, cjk_font())


def pptx(week: overview.Week, lang: str) -> bytes:
    from reports import deck

    return deck.render(week, lang)


# ---------------------------------------------------------------------------------------------- files and mail
def file_stem(week: dt.date, lang: str) -> str:
    return f"{'项目群周报' if lang == 'zh' else 'weekly-brief'}_{week.isoformat()}_{lang}"


def brief_files(week: overview.Week, lang: str) -> dict[str, bytes]:
    """{file name: bytes} of the PDF, the Excel pack and the deck."""
    stem = file_stem(week.week, lang)
    return {f"{stem}.pdf": pdf(week, lang), f"{stem}.xlsx": excel(week, lang), f"{stem}.pptx": pptx(week, lang)}


def build(con: duckdb.DuckDBPyConnection, scope: Scope, lang: str) -> dict[str, bytes]:
    """The brief of the scope's week (its as-of date; the latest data without one) in `lang`."""
    return brief_files(overview.week_view(con, scope), lang)


def write(files: dict[str, bytes], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files.items():
        path = out / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def mail(paths: Sequence[Path], week: dt.date, lang: str) -> str:
    """Send the files through the SMTP server of the settings; returns the recipients. Refuses clearly when no
    server or recipient is set."""
    host, to = settings.get("smtp_host").strip(), [a.strip() for a in settings.get("smtp_to").split(",") if a.strip()]
    if not host or not to:
        raise CockpitError(
            "未配置邮件服务器或收件人：请设置 COCKPIT_SMTP_HOST 与 COCKPIT_SMTP_TO。"
            " / No SMTP server or recipients: set COCKPIT_SMTP_HOST and COCKPIT_SMTP_TO."
        )
    msg = EmailMessage()
    msg["Subject"] = tr("mail.subject", lang, week=week.isoformat())
    msg["From"] = settings.get("smtp_from")
    msg["To"] = ", ".join(to)
    msg.set_content(tr("mail.body", lang))
    kinds = {".pdf": ("application", "pdf"),
             ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
             ".pptx": ("application", "vnd.openxmlformats-officedocument.presentationml.presentation")}  # fmt: skip
    for path in paths:
        main, sub = kinds.get(path.suffix, ("application", "octet-stream"))
        msg.add_attachment(path.read_bytes(), maintype=main, subtype=sub, filename=path.name)
    try:
        with smtplib.SMTP(host, settings.get_int("smtp_port"), timeout=30) as server:
            if settings.get("smtp_starttls").strip() in ("1", "true", "yes"):
                server.starttls()
            if settings.get("smtp_user"):
                server.login(settings.get("smtp_user"), settings.get("smtp_password"))
            server.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise CockpitError(f"邮件发送失败：{exc} / Mail could not be sent: {exc}") from exc
    return ", ".join(to)
