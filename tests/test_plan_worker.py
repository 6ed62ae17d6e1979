"""The MPXJ worker: one JVM per worker reused across files, a time limit that kills only the worker (the next file
gets a fresh one), a memory cap, and a clear message when Java is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.schedule_bench import mspdi_text, synthetic_plan
from loaders import mpp
from loaders.errors import FileRefused

pytestmark = pytest.mark.skipif(mpp.java_problem() is not None, reason=f"MPXJ cannot run: {mpp.java_problem()}")


def small_plan(tmp_path: Path, tasks: int = 20) -> Path:
    path = tmp_path / f"plan{tasks}.xml"
    path.write_text(mspdi_text(synthetic_plan(tasks, tasks, seed=3)), encoding="utf-8")
    return path


def test_one_jvm_serves_many_files(tmp_path: Path) -> None:
    worker = mpp.PlanWorker()
    try:
        first = worker.read(small_plan(tmp_path, 20))
        assert worker._proc is not None
        pid = worker._proc.pid
        second = worker.read(small_plan(tmp_path, 30))
        assert worker._proc is not None and worker._proc.pid == pid  # the JVM was not started again
        assert len(first["tasks"]) == 20 and len(second["tasks"]) == 30
    finally:
        worker.stop()


def test_a_file_over_the_time_limit_costs_only_the_worker(tmp_path: Path) -> None:
    worker = mpp.PlanWorker()
    try:
        worker.read(small_plan(tmp_path, 10))
        big = small_plan(tmp_path, 3000)
        with pytest.raises(TimeoutError):
            worker.read(big, timeout=0.01)
        assert worker._proc is None  # killed
        again = worker.read(small_plan(tmp_path, 10))  # a fresh worker takes the next file
        assert len(again["tasks"]) == 10
    finally:
        worker.stop()


def test_the_worker_memory_is_capped(tmp_path: Path) -> None:
    import subprocess
    import sys

    # a JVM heap above the address-space cap cannot even start: the cap holds whatever the file asks for
    code = (
        "import resource, sys; from loaders import mpp; mpp._limit_memory(256);"
        "print(resource.getrlimit(resource.RLIMIT_AS)[0])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) == (256 + 2048) * 1024 * 1024


def test_a_damaged_plan_file_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "坏文件.mpx"
    bad.write_text("MPX,garbage\n1,2,3\n", encoding="utf-8")
    with pytest.raises(FileRefused) as exc:
        mpp.read_plan(bad, bad.name)
    assert "坏文件.mpx" in exc.value.message and " / " in exc.value.message


def test_missing_java_is_said_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    problem = mpp.java_problem()
    assert problem is not None and "openjdk-17-jre-headless" in problem and "java" in problem
