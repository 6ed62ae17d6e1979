"""Upload copies: each uploaded file waits in a private folder (0700) inside the store's folder under a generated
name (0600) until it is loaded or cancelled; copies of ended sessions or older than an hour are removed, and each
session has a quota of files and bytes. Nothing here follows a symlink.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path

from loaders import settings
from loaders.errors import StoreUnavailable

UPLOAD_TTL_SECONDS = 3600
_OWNER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_NAME = re.compile(r"(?P<owner>[A-Za-z0-9_-]{1,64})~[0-9a-f]{32}(\.[A-Za-z0-9]{1,7})?")


def max_files() -> int:
    return int(os.environ.get("COCKPIT_UPLOAD_FILES", "20"))


def max_bytes() -> int:
    return int(float(os.environ.get("COCKPIT_UPLOAD_MB", "500")) * 1e6)


def private_dir(path: Path) -> Path:
    """Create `path` as a directory only we can read (0700), or refuse one that is a symlink or someone else's."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise StoreUnavailable(
            f"上传暂存目录 {path} 不是本程序的私有目录(可能是符号链接)，已拒绝使用。请删除它后重试。"
            f" / The upload folder {path} is not our private folder (a symlink?); remove it and retry."
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def upload_dir(db_file: str | Path | None = None) -> Path:
    """`<store folder>/.uploads`, private."""
    db = Path(db_file) if db_file is not None and str(db_file) != ":memory:" else settings.db_path()
    folder = db.resolve().parent
    folder.mkdir(parents=True, exist_ok=True)
    return private_dir(folder / ".uploads")


def tmp_copy(data: bytes, suffix: str, *, owner: str = "cli", db_file: str | Path | None = None) -> Path:
    """Write uploaded bytes under a generated name (never the user's), owned by the session `owner`."""
    if not _OWNER.fullmatch(owner):
        raise ValueError(f"invalid owner {owner!r}")
    folder = upload_dir(db_file)
    sweep(folder)
    safe_suffix = suffix[:8] if re.fullmatch(r"\.[A-Za-z0-9]{1,7}", suffix[:8]) else ".bin"
    path = folder / f"{owner}~{secrets.token_hex(16)}{safe_suffix}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def usage(owner: str, db_file: str | Path | None = None) -> tuple[int, int]:
    """(files, bytes) the session `owner` holds in the upload folder now."""
    files = size = 0
    for entry in os.scandir(upload_dir(db_file)):
        m = _NAME.fullmatch(entry.name)
        if m and m.group("owner") == owner and entry.is_file(follow_symlinks=False):
            files += 1
            size += entry.stat(follow_symlinks=False).st_size
    return files, size


def quota_left(owner: str, new_bytes: int, db_file: str | Path | None = None) -> bool:
    files, size = usage(owner, db_file)
    return files + 1 <= max_files() and size + new_bytes <= max_bytes()


def sweep(
    folder: Path,
    *,
    alive: Callable[[str], bool] | None = None,
    ttl: float = UPLOAD_TTL_SECONDS,
    now: float | None = None,
) -> int:
    """Remove copies older than `ttl` or whose session is no longer `alive`; anything not ours (a symlink someone
    planted, a directory) is removed as a link or left alone, never followed. Returns how many were removed."""
    cutoff = (now if now is not None else time.time()) - ttl
    removed = 0
    for entry in os.scandir(folder):
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                os.unlink(entry.path)  # the link itself, never its target
                removed += 1
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            m = _NAME.fullmatch(entry.name)
            if m is None:
                continue  # not an upload copy (the importer's staging databases live here too)
            owner = m.group("owner")
            if info.st_mtime < cutoff or (alive is not None and owner != "cli" and not alive(owner)):
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            continue  # another session removed it first
    return removed


def remove(path: str | Path, db_file: str | Path | None = None) -> None:
    """Delete one staged copy, only if it is a regular file directly inside our upload folder."""
    p = Path(path)
    if p.parent.resolve() != upload_dir(db_file).resolve() or not _NAME.fullmatch(p.name):
        return
    try:
        if stat.S_ISREG(os.lstat(p).st_mode):
            os.unlink(p)
    except FileNotFoundError:
        pass


# ------------------------------------------------------------------ kept originals and the store: private, no macros

_MACRO_PARTS = re.compile(r"(^|/)vbaProject\.bin(\.rels)?$|(^|/)vbaData\.xml$|(^|/)_rels/vbaProject\.bin\.rels$", re.I)


def keep_copy(src: Path, dst: Path) -> None:
    """Copy an original to the kept-files folder, readable by us only; an .xlsm loses its macro project (the values
    were imported; the VBA is never kept, so nobody downloads it back from us)."""
    import zipfile

    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out:
        if not zipfile.is_zipfile(src) or not _has_macros(src):
            with open(src, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    out.write(chunk)
            return
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                if _MACRO_PARTS.search(info.filename):
                    continue
                data = zin.read(info.filename)
                if info.filename == "[Content_Types].xml":
                    data = re.sub(rb"<Override[^>]*vbaProject[^>]*/>|<Override[^>]*vbaData[^>]*/>", b"", data)
                    data = data.replace(
                        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    )
                    data = re.sub(rb"<Default[^>]*Extension=\"bin\"[^>]*/>", b"", data)
                elif info.filename.endswith(".rels"):
                    data = re.sub(rb"<Relationship[^>]*vbaProject[^>]*/>", b"", data)
                zout.writestr(info, data)


def _has_macros(path: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return any(_MACRO_PARTS.search(n) for n in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def make_private(db_file: str | Path) -> None:
    """The store, its WAL, the accounts file and the kept originals: 0600 files, 0700 folders (owner only)."""
    db = Path(db_file)
    for f in (db, db.with_name(db.name + ".wal"), db.with_name(db.stem + ".accounts.sqlite")):
        if f.is_file() and not f.is_symlink():
            os.chmod(f, 0o600)
    files = db.with_name(db.stem + ".files")
    if files.is_dir() and not files.is_symlink():
        os.chmod(files, 0o700)
        for root, dirs, names in os.walk(files):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o700, follow_symlinks=False)
            for n in names:
                p = os.path.join(root, n)
                if not os.path.islink(p):
                    os.chmod(p, 0o600)
