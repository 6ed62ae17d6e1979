"""Plan files in XML: MS Project XML (MSPDI, read through MPXJ: loaders.mpp) and GanttProject (loaders.project_xml),
hand-written and the two real samples."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from loaders import importer, mpp
from loaders.errors import FileRefused
from loaders.project_xml import gan_finish, gan_project_name, read_gan

needs_java = pytest.mark.skipif(mpp.java_problem() is not None, reason=f"MPXJ cannot run: {mpp.java_problem()}")


def read_mspdi(p: Path) -> tuple[str | None, list[dict[str, object]]]:
    """(title, task rows) of an MS Project XML file as the importer reads it (MPXJ in its worker)."""
    plan = mpp.read_plan(p, p.name)
    return plan["title"], mpp.plan_tasks(plan)


PLANS = Path(__file__).parents[1].parent / "shared" / "realdata" / "plans"

MSPDI = """<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
 <Name>hit.xml</Name><Title>电子病历升级</Title><MinutesPerDay>480</MinutesPerDay>
 <Tasks>
  <Task><UID>0</UID><ID>0</ID><Name>电子病历升级</Name><OutlineLevel>0</OutlineLevel><Summary>1</Summary></Task>
  <Task><UID>1</UID><ID>1</ID><Name> 需求阶段 </Name><WBS>1</WBS><OutlineLevel>1</OutlineLevel>
   <Start>2024-03-04T08:00:00</Start><Finish>2024-03-15T17:00:00</Finish><Duration>PT80H0M0S</Duration>
   <Milestone>0</Milestone><Summary>1</Summary><PercentComplete>50</PercentComplete></Task>
  <Task><UID>7</UID><ID>2</ID><Name>调研</Name><WBS>1.1</WBS><OutlineLevel>2</OutlineLevel>
   <Start>2024-03-04T08:00:00</Start><Finish>2024-03-08T17:00:00</Finish><Duration>PT40H0M0S</Duration>
   <Milestone>0</Milestone><Summary>0</Summary><PercentComplete>100</PercentComplete>
   <Baseline><Number>1</Number><Start>2024-01-01T08:00:00</Start><Finish>2024-01-02T08:00:00</Finish></Baseline>
   <Baseline><Number>0</Number><Start>2024-03-01T08:00:00</Start><Finish>2024-03-07T17:00:00</Finish></Baseline>
  </Task>
  <Task><UID>8</UID><ID>3</ID><Name>需求评审</Name><WBS>1.2</WBS><OutlineLevel>2</OutlineLevel>
   <Start>2024-03-15T17:00:00</Start><Finish>2024-03-15T17:00:00</Finish><Duration>PT0H0M0S</Duration>
   <Milestone>1</Milestone><Summary>0</Summary><PercentComplete>0</PercentComplete>
   <PredecessorLink><PredecessorUID>7</PredecessorUID><Type>1</Type></PredecessorLink>
   <PredecessorLink><PredecessorUID>9</PredecessorUID><Type>1</Type></PredecessorLink></Task>
  <Task><UID>9</UID><ID>4</ID><Name></Name><OutlineLevel>2</OutlineLevel></Task>
  <Task><UID>10</UID><ID>5</ID><Name>上线</Name><WBS>2</WBS><OutlineLevel>1</OutlineLevel>
   <Start>2024-04-01T08:00:00</Start><Finish>2024-04-02T12:00:00</Finish><Duration>PT12H0M0S</Duration>
   <Milestone>0</Milestone><Summary>0</Summary></Task>
 </Tasks>
 <Resources><Resource><UID>0</UID></Resource><Resource><UID>1</UID><Name>张伟</Name></Resource>
  <Resource><UID>2</UID><Name>信息科</Name></Resource></Resources>
 <Assignments>
  <Assignment><TaskUID>7</TaskUID><ResourceUID>1</ResourceUID></Assignment>
  <Assignment><TaskUID>7</TaskUID><ResourceUID>2</ResourceUID></Assignment>
  <Assignment><TaskUID>8</TaskUID><ResourceUID>-65535</ResourceUID></Assignment>
 </Assignments>
</Project>
"""

GAN = """<?xml version="1.0" encoding="UTF-8"?>
<project name="HIS 切换" version="3.3">
 <calendars><day-types><default-week id="1" name="default" sun="1" mon="0" tue="0" wed="0" thu="0" fri="0" sat="1"/>
 </day-types></calendars>
 <tasks empty-milestones="true">
  <task id="0" name="准备 " meeting="false" start="2024-03-04" duration="7" complete="40">
   <task id="3" name="培训" meeting="false" start="2024-03-04" duration="5" complete="100">
    <depend id="4" type="2" difference="0" hardness="Strong"/>
   </task>
   <task id="4" name="演练" meeting="false" start="2024-03-11" duration="2" complete="0">
    <depend id="5" type="2" difference="0" hardness="Strong"/>
   </task>
  </task>
  <task id="5" name="切换完成" meeting="true" start="2024-03-13" duration="0" complete="0"/>
  <task id="6" name="单日任务" meeting="false" start="2024-03-08" duration="1" complete="0">
   <depend id="5" type="2" difference="0" hardness="Strong"/>
  </task>
 </tasks>
 <resources><resource id="1" name="李娜"/><resource id="2" name="王强"/></resources>
 <allocations>
  <allocation task-id="3" resource-id="1" load="100.0"/><allocation task-id="3" resource-id="2" load="50.0"/>
 </allocations>
</project>
"""


def _file(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _by_id(tasks: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(t["task_id"]): t for t in tasks}


@needs_java
def test_mspdi_small(tmp_path: Path) -> None:
    p = _file(tmp_path, "plan.xml", MSPDI)
    title, tasks = read_mspdi(p)
    assert title == "电子病历升级"
    assert [t["task_id"] for t in tasks] == ["1", "7", "8", "10"]  # UID 0 and the nameless UID 9 skipped
    t = _by_id(tasks)
    assert t["1"]["name"] == "需求阶段" and t["1"]["is_summary"] is True and t["1"]["phase"] == "需求阶段"
    assert t["7"]["start"] == date(2024, 3, 4) and t["7"]["finish"] == date(2024, 3, 8)
    assert t["7"]["baseline_start"] == date(2024, 3, 1) and t["7"]["baseline_finish"] == date(2024, 3, 7)
    assert t["7"]["percent_complete"] == 100.0 and t["7"]["duration_days"] == 5.0
    assert t["7"]["owner"] == "张伟, 信息科" and t["7"]["wbs"] == "1.1" and t["7"]["outline_level"] == 2
    assert t["7"]["phase"] == "需求阶段"
    assert t["8"]["is_milestone"] is True and t["8"]["duration_days"] == 0.0
    assert t["8"]["predecessors"] == "7" and t["8"]["owner"] is None  # the link to the nameless UID 9 is dropped
    assert t["10"]["duration_days"] == 1.5 and t["10"]["phase"] is None  # top-level leaf: no phase
    assert t["1"]["baseline_start"] is None


def test_gan_small(tmp_path: Path) -> None:
    p = _file(tmp_path, "plan.gan", GAN)
    assert gan_project_name(p) == "HIS 切换"
    tasks = read_gan(p, p.name)
    assert [(t["task_id"], t["wbs"], t["outline_level"]) for t in tasks] == [
        ("0", "1", 1),
        ("3", "1.1", 2),
        ("4", "1.2", 2),
        ("5", "2", 1),
        ("6", "3", 1),
    ]
    t = _by_id(tasks)
    assert t["0"]["name"] == "准备" and t["0"]["is_summary"] is True and t["3"]["phase"] == "准备"
    # Mon 4 Mar + 5 working days ends Fri 8 Mar; Mon 11 Mar + 2 → Tue 12; 7 days from Mon 4 → Tue 12.
    assert (t["3"]["start"], t["3"]["finish"]) == (date(2024, 3, 4), date(2024, 3, 8))
    assert t["4"]["finish"] == date(2024, 3, 12) and t["0"]["finish"] == date(2024, 3, 12)
    assert t["6"]["finish"] == date(2024, 3, 8)  # a 1-day task finishes on its start
    assert t["5"]["is_milestone"] is True and t["5"]["finish"] == date(2024, 3, 13)
    assert t["5"]["predecessors"] == "4,6" and t["4"]["predecessors"] == "3" and t["3"]["predecessors"] is None
    assert t["3"]["percent_complete"] == 100.0 and t["0"]["percent_complete"] == 40.0
    assert t["3"]["owner"] == "李娜, 王强" and t["4"]["owner"] is None
    assert t["3"]["duration_days"] == 5.0 and t["5"]["phase"] is None and t["6"]["is_summary"] is False


def test_gan_finish_rules() -> None:
    fri = date(2024, 3, 8)
    assert gan_finish(fri, 1) == fri
    assert gan_finish(fri, 2) == date(2024, 3, 11)  # over the weekend
    assert gan_finish(fri, 0) == fri
    assert gan_finish(date(2024, 3, 9), 1) == date(2024, 3, 11)  # a Saturday start works from Monday
    assert gan_finish(fri, 2, weekend=set()) == date(2024, 3, 9)


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("broken.xml", '<Project xmlns="http://schemas.microsoft.com/project"><Tasks><Task>', "已损坏"),
        (
            "dtd.xml",
            '<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY x "y">]>'
            '<Project xmlns="http://schemas.microsoft.com/project"/>',
            "DTD",
        ),
        ("other.xml", "<root/>", "不是支持的文件格式"),
    ],
)
def test_mspdi_refusals(tmp_path: Path, name: str, text: str, fragment: str) -> None:
    p = _file(tmp_path, name, text)
    with pytest.raises(FileRefused) as exc:
        importer.prepare(p, dataset="tasks")
    assert fragment in exc.value.message and name in exc.value.message and " / " in exc.value.message


def test_gan_refusals(tmp_path: Path) -> None:
    p = _file(tmp_path, "bad.gan", '<project name="x"><tasks><task id="1" name="a"></tasks></project>')
    with pytest.raises(FileRefused) as exc:
        read_gan(p, p.name)
    assert "XML 格式错误" in exc.value.message
    p2 = _file(tmp_path, "ms.gan", MSPDI)
    with pytest.raises(FileRefused, match="不是 GanttProject"):
        read_gan(p2, p2.name)


@pytest.mark.realdata
@needs_java
def test_real_mspdi_sample() -> None:
    p = PLANS / "mpxj_mspdi_sample_project2003.xml"
    if not p.is_file():
        pytest.skip("shared/realdata absent")
    title, tasks = read_mspdi(p)
    assert title == "sample"
    assert len(tasks) == 19  # 20 <Task> elements minus the project summary task UID 0
    t = _by_id(tasks)
    assert "0" not in t
    assert sum(bool(x["is_summary"]) for x in tasks) == 3 and sum(bool(x["is_milestone"]) for x in tasks) == 1
    assert t["2"]["name"] == "Second Task" and t["2"]["duration_days"] == 100.0  # PT800H0M0S / 8
    assert t["2"]["owner"] == "First Resource, Second Resource"
    # finish 2003-01-08T08:00 is the start of a working day: the work ends on 7 Jan (MS Project shows 1 day)
    assert (t["21"]["start"], t["21"]["finish"]) == (date(2003, 1, 7), date(2003, 1, 7))
    assert t["21"]["predecessors"] == "20SF" and t["21"]["wbs"] == "3.12" and t["21"]["phase"] == "Task Relationships"
    assert t["3"]["is_milestone"] is True and t["3"]["finish"] == date(2003, 1, 7)
    assert sum(len(str(x["predecessors"]).split(",")) for x in tasks if x["predecessors"]) == 6


@pytest.mark.realdata
def test_real_gan_sample() -> None:
    p = PLANS / "ganttproject_HouseBuildingSample.gan"
    if not p.is_file():
        pytest.skip("shared/realdata absent")
    assert gan_project_name(p) is None  # name="" in the sample
    tasks = read_gan(p, p.name)
    assert len(tasks) == 20
    assert sum(bool(x["is_milestone"]) for x in tasks) == 4
    assert sum(len(str(x["predecessors"]).split(",")) for x in tasks if x["predecessors"]) == 17
    t = _by_id(tasks)
    assert t["17"]["name"] == "Agreement on architectural plan"  # trailing space stripped
    assert t["1"]["start"] == date(2024, 7, 1) and t["1"]["finish"] == date(2024, 7, 19)  # 15 working days
    assert t["1"]["phase"] == "Construction phase" and t["1"]["wbs"] == "3.1"
    assert t["20"]["predecessors"] == "7,15"
    assert t["9"]["percent_complete"] == 100.0 and t["9"]["owner"] == "Jack House, Michelangelo"
