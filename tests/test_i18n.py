"""The string catalogue: every key used exists in both languages, no key is defined twice, no CJK in pages."""

from __future__ import annotations

import io
import re
import string
import tokenize
from pathlib import Path

import pytest

from loaders import errors
from pages.components import i18n, nav
from tests.conftest import ROOT

SOURCES = sorted([ROOT / "app.py", *(ROOT / "pages").rglob("*.py")])
T_CALL = re.compile(r"""\bt\(\s*(?:f?)["']([A-Za-z0-9_.]+)["']""")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def used_keys() -> set[tuple[str, str]]:
    found = set()
    for path in SOURCES:
        for key in T_CALL.findall(path.read_text(encoding="utf-8")):
            found.add((key, path.relative_to(ROOT).as_posix()))
    return found


def test_every_used_key_exists_in_both_languages() -> None:
    cat = i18n.catalogue()
    missing = sorted(f"{where}: {key}" for key, where in used_keys() if key not in cat)
    assert missing == []


def test_navigation_and_error_keys_exist() -> None:
    cat = i18n.catalogue()
    keys = [section for section, _ in nav.SECTIONS] + [title for _, pages in nav.SECTIONS for _, title, *_ in pages]
    keys += [
        f"common.error.{c.__name__}"
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.CockpitError)
    ]
    assert [k for k in keys if k not in cat] == []


def test_every_entry_has_both_languages_and_the_same_placeholders() -> None:
    bad = []
    for key, pair in i18n.catalogue().items():
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(s, str) and s.strip() for s in pair)):
            bad.append(key)
            continue
        fields = [{f for _, f, _, _ in string.Formatter().parse(s) if f} for s in pair]
        if fields[0] != fields[1]:
            bad.append(f"{key}: {fields}")
    assert bad == []


def test_no_duplicate_keys_across_modules() -> None:
    seen: dict[str, str] = {}
    duplicates = []
    for module, table in i18n.sources():
        for key in table:
            if key in seen:
                duplicates.append(f"{key} in {seen[key]} and {module}")
            seen[key] = module
    assert duplicates == []


@pytest.mark.parametrize("module,table", i18n.sources(), ids=lambda v: v if isinstance(v, str) else "")
def test_keys_carry_their_area_prefix(module: str, table: dict[str, tuple[str, str]]) -> None:
    assert [k for k in table if not k.startswith(module + ".")] == []


def cjk_literals(path: Path) -> list[str]:
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if tok.type in (tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1)) and CJK.search(tok.string):
            found.append(f"{path.name}:{tok.start[0]}: {tok.string[:40]}")
    return found


def test_no_cjk_literals_in_page_files() -> None:
    assert [hit for p in sorted((ROOT / "pages").glob("*.py")) for hit in cjk_literals(p)] == []
