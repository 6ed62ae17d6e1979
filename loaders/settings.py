"""One settings module: every setting with its name, default and help, overridable by environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str

    def get(self) -> str:
        return os.environ.get(self.env, self.default)


SETTINGS: dict[str, Setting] = {
    "db_path": Setting("COCKPIT_DB", str(ROOT / "data" / "cockpit.duckdb"), "The DuckDB store file."),
    "store": Setting(
        "COCKPIT_STORE",
        "",
        "Unset or a file path: the embedded DuckDB file. ducklake:postgres:dbname=... host=...: the group store.",
    ),
    "data_path": Setting("COCKPIT_DATA_PATH", "", "Group store: where the lake's Parquet files and kept originals go."),
    "duckdb_extensions": Setting(
        "COCKPIT_DUCKDB_EXTENSIONS", "", "A local folder of DuckDB extension files (no network on the intranet)."
    ),
    "max_file_mb": Setting("COCKPIT_MAX_FILE_MB", "1024", "Largest file the importer reads, in MB."),
    "max_rows": Setting("COCKPIT_MAX_ROWS", "20000000", "Most data rows one file may hold (CSV)."),
    "max_sheet_rows": Setting("COCKPIT_MAX_SHEET_ROWS", "1000000", "Most rows one Excel sheet may declare."),
    "max_sheet_cols": Setting("COCKPIT_MAX_SHEET_COLS", "500", "Most columns one Excel sheet may declare."),
    "max_zip_ratio": Setting("COCKPIT_MAX_ZIP_RATIO", "200", "Largest uncompressed:compressed ratio of a member."),
    "max_unzipped_mb": Setting("COCKPIT_MAX_UNZIPPED_MB", "1000", "Largest total uncompressed size of an .xlsx."),
    "min_free_mb": Setting("COCKPIT_MIN_FREE_MB", "200", "Imports are refused when the store's disk has less free."),
    "eac_threshold": Setting("COCKPIT_EAC_THRESHOLD", "0.05", "Warn when EAC exceeds BAC by more than this share."),
    "usage_target": Setting("COCKPIT_USAGE_TARGET", "0.80", "Default usage-rate target per system."),
    "risk_bands": Setting(
        "COCKPIT_RISK_BANDS",
        "5,10,20",
        "Lowest score of the medium, high and critical risk bands (likelihood x impact).",
    ),
    "anonymous": Setting(
        "COCKPIT_ANONYMOUS", "0", "1 = the adoption page hides other departments' names (median only) for everyone."
    ),
    "near_critical_days": Setting(
        "COCKPIT_NEAR_CRITICAL_DAYS", "2", "Open tasks with total float up to this many working days are near-critical."
    ),
    "calendar_file": Setting(
        "COCKPIT_CALENDAR_FILE",
        "",
        "A hospital calendar (CSV date,工作日/休息日) overriding days of the default China calendar.",
    ),
    "plan_worker_mb": Setting("COCKPIT_PLAN_WORKER_MB", "768", "JVM heap of the MPXJ plan reader (address cap +2 GB)."),
    "plan_timeout_s": Setting("COCKPIT_PLAN_TIMEOUT_S", "60", "Longest time the MPXJ reader may spend on one file."),
    "money_unit_zh": Setting(
        "COCKPIT_MONEY_UNIT_ZH", "wan", "Money in Chinese tables and Excel: wan = 万元 (two decimals), yuan = 元."
    ),
    "status_rules": Setting(
        "COCKPIT_STATUS_RULES",
        "slip=7,30;spi=0.95,0.90;cpi=0.95,0.90;eac=0,0.10;risks=1,3;usage=0.10,0.30",
        "Status light thresholds (amber, red): finish slip in days against baseline (P80 forecast where"
        " available), SPI and CPI below, EAC over budget share, open critical risks, share of live department x"
        " system pairs below their usage target.",
    ),
    "sla_targets": Setting(
        "COCKPIT_SLA_TARGETS",
        "P1=15,240;P2=30,480;P3=120,1440;P4=480,4320",
        "Help-desk SLA per ticket priority: response and resolution targets in minutes (clock time from opened).",
    ),
    "smtp_host": Setting("COCKPIT_SMTP_HOST", "", "SMTP server the weekly brief is mailed through (blank = no mail)."),
    "smtp_port": Setting("COCKPIT_SMTP_PORT", "25", "SMTP port."),
    "smtp_user": Setting("COCKPIT_SMTP_USER", "", "SMTP login (blank = no login)."),
    "smtp_password": Setting("COCKPIT_SMTP_PASSWORD", "", "SMTP password."),
    "smtp_starttls": Setting("COCKPIT_SMTP_STARTTLS", "0", "1 = STARTTLS before login."),
    "smtp_from": Setting("COCKPIT_SMTP_FROM", "cockpit@localhost", "Sender of the weekly brief."),
    "smtp_to": Setting("COCKPIT_SMTP_TO", "", "Recipients of the weekly brief, comma separated."),
    "inbox_dir": Setting(
        "COCKPIT_INBOX",
        "",
        "Folder export jobs drop files into for the running app to import (default: inbox/ beside the store; off = no inbox).",
    ),
    "inbox_poll": Setting("COCKPIT_INBOX_POLL", "2", "Seconds between two looks of the running app at the inbox."),
    "inbox_settle": Setting(
        "COCKPIT_INBOX_SETTLE",
        "2",
        "Seconds a dropped file must stay unchanged before it is imported (still being written).",
    ),
    "warm": Setting(
        "COCKPIT_WARM",
        "1",
        "1 = the running app builds the overview in the background after start and after every import; 0 = off.",
    ),
    "hospital": Setting(
        "COCKPIT_HOSPITAL",
        "",
        "Group store: the hospital whose imports this app or import job records (its rows' key).",
    ),
    "user": Setting("COCKPIT_USER", os.environ.get("USER", "pmo"), "Name recorded as the importer of a file."),
}


def get(name: str) -> str:
    return SETTINGS[name].get()


def get_float(name: str) -> float:
    return float(get(name))


def get_int(name: str) -> int:
    return int(float(get(name)))


def db_path() -> Path:
    """The embedded store file: COCKPIT_STORE when it is a path, else COCKPIT_DB, else data/cockpit.duckdb."""
    chosen = get("store")
    if chosen and not chosen.startswith("ducklake:"):
        return Path(chosen)
    return Path(get("db_path"))
