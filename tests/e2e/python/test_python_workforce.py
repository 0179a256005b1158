"""The workforce calls of the Python client against a fresh daemon: a small district, roster
import (a bad row refuses the file), masking by role, a transfer over quota, occupancy, export;
and clients/python/examples/workforce.py, the guide's example."""

import csv
import io
import os
import subprocess
import sys
import unittest

import grpc
from harness import SOURCE_DIR, Daemon, create_street  # puts clients/python on sys.path
import shequ  # noqa: E402

HEADER = "姓名,身份证号,手机号,单位,岗位,等级,用工性质,状态,学历,入职日期\n"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(seq3: str) -> str:
    """A well-formed resident ID (ISO 7064 MOD 11-2 check character) ending in seq3 + check."""
    first17 = "34011119900101" + seq3
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def row(name: str, seq3: str, unit: str, grade: int = 5) -> str:
    return (f"{name},{id_number(seq3)},13900000{seq3},{unit},主办,{grade},聘用合同,在岗,本科,"
            "2021-03-01\n")


# A step for the clerks of the unit the instance names (decision 0003).
SCOPED_STEP = """
id: e2e-scoped
name: a step scoped to a unit
start: check
nodes:
  check: {type: user, role: clerk, unit: "${unit}", next: done}
  done: {type: end}
"""


class WorkforceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.daemon = Daemon().start()
        cls.hr = cls.daemon.client("zhou", ["personnel"])
        cls.clerk = cls.daemon.client("li", ["street-office"], "bh.hp")
        # The first import of the existing roster (contract workers) is roster-migration's.
        cls.migration = cls.daemon.client("zhao.migration", ["roster-migration"])
        create_street(cls.daemon, df_quota=4)
        # The roster every test reads: 2 at 幸福里 (full), 3 at 东风 (one post vacant).
        good = HEADER + "".join(row(n, s, u) for n, s, u in (
            ("王芳", "101", "bh.hp.xf"), ("李强", "102", "bh.hp.xf"), ("张敏", "103", "bh.hp.df"),
            ("赵丽", "104", "bh.hp.df"), ("孙杰", "105", "bh.hp.df")))
        cls.path = os.path.join(cls.daemon.data_dir, "roster.csv")
        with open(cls.path, "w", encoding="utf-8") as f:
            f.write(good)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.hr.close()
        cls.migration.close()
        cls.daemon.cleanup()

    def imported(self) -> shequ.Client:
        """Imports the good roster once (from its file path, in small chunks)."""
        if not getattr(type(self), "_imported", None):
            seen = []
            resp = self.migration.workforce.import_roster(
                self.path, request_id="roster-1", chunk_size=100,
                progress=lambda sent, total: seen.append((sent, total)))
            self.assertEqual(resp.rows, 5)
            self.assertEqual(resp.last_worker_id - resp.first_worker_id, 4)
            size = os.path.getsize(self.path)
            self.assertEqual(seen[-1], (size, size))
            self.assertEqual(len(seen), -(-size // 100))
            type(self)._imported = resp
        return type(self)._imported

    def test_street_office_takes_its_communities_tasks(self):
        self.daemon.admin.definitions.deploy(SCOPED_STEP)
        started = self.hr.instances.start("e2e-scoped", {"unit": "bh.hp.xf"})
        street = self.daemon.client("wu", ["clerk"], "bh.hp")
        mine = street.tasks.list(unit="bh.hp", within_unit=True).tasks
        task = next(t for t in mine if t.instance_id == started.instance_id)
        self.assertEqual(task.unit, "bh.hp.xf")
        self.assertFalse([t for t in street.tasks.list(unit="bh.hp").tasks
                          if t.instance_id == started.instance_id])
        notices = street.notifications.list(role="clerk", unit="bh.hp", within_unit=True)
        self.assertIn(started.instance_id, [n.instance_id for n in notices.notifications])
        with self.assertRaises(shequ.PermissionDenied):
            self.daemon.client("qian", ["clerk"], "bh.hp.df").tasks.claim(task.id)
        self.assertEqual(street.tasks.claim(task.id).assignee, "wu")

    def test_units_tree_and_quota(self):
        wf = self.clerk.workforce
        ids = [u.id for u in wf.unit_tree()]
        self.assertEqual(ids[:2], ["bh", "bh.hp"])  # parents first
        self.assertEqual(sorted(ids[2:]), ["bh.hp.df", "bh.hp.xf"])
        self.assertEqual([u.id for u in wf.unit_tree("bh.hp.xf")], ["bh.hp.xf"])
        self.assertEqual(wf.get_unit("bh.hp.xf").approved_quota, 2)
        self.assertEqual(wf.get_unit("bh.hp.xf").effective_class, 1)  # the street office's
        q = wf.compute_quota("bh.hp.xf")
        self.assertEqual((q.base, q.staff_quota), (16, 19))
        self.assertIn("class 1", q.basis)
        self.assertEqual([r.approved for r in wf.quota_history("bh.hp.df")], [4])
        updated = self.daemon.admin.workforce.update_unit(
            {"id": "bh.hp.df", "parent_id": "bh.hp", "name": "东风社区", "kind": "community",
             "community_type": "村改居", "households": 1600}, reason="新入住")
        self.assertEqual(updated.households, 1600)
        with self.assertRaises(shequ.NotFound):
            wf.get_unit("bh.nowhere")

    def test_bad_row_refuses_the_file_naming_row_and_column(self):
        bad = HEADER + row("甲", "201", "bh.hp.df") + row("乙", "202", "bh.hp.df", grade=19)
        with self.assertRaises(shequ.InvalidArgument) as caught:
            self.migration.workforce.import_roster(bad.encode())
        self.assertIn("row 2", caught.exception.message)
        self.assertIn("等级", caught.exception.message)
        names = {w.name for w in self.hr.workforce.iter_workers()}
        self.assertNotIn("甲", names)  # nothing of the file was imported
        dry = self.migration.workforce.import_roster(
            (HEADER + row("丙", "203", "bh.hp.df")).encode(), dry_run=True)
        self.assertTrue(dry.dry_run)
        self.assertEqual(dry.rows, 1)
        self.assertNotIn("丙", {w.name for w in self.hr.workforce.iter_workers()})

    def test_masked_for_the_street_office_clear_for_personnel(self):
        first = self.imported().first_worker_id
        clear = self.hr.workforce.get_worker(first)
        masked = self.clerk.workforce.get_worker(first)
        self.assertFalse(clear.masked)
        self.assertEqual(clear.name, "王芳")
        self.assertEqual(clear.id_number, id_number("101"))
        self.assertTrue(masked.masked)
        self.assertNotEqual(masked.name, "王芳")
        self.assertIn("*", masked.id_number)
        self.assertNotIn(id_number("101")[6:14], masked.id_number)
        self.assertEqual(masked.unit_id, "bh.hp.xf")
        # Paging: one worker a page, five pages, same workers as one big page.
        paged = [w.id for w in self.clerk.workforce.iter_workers(unit_id="bh.hp", page_size=1)]
        self.assertEqual(paged, list(range(first, first + 5)))
        page = self.clerk.workforce.list_workers(unit_id="bh.hp.df", page_size=2)
        self.assertEqual(len(page.workers), 2)
        self.assertTrue(page.next_page_token)

    def test_update_status_and_history(self):
        first = self.imported().first_worker_id
        w = self.hr.workforce.update_worker(first + 2, {"grade": 6, "phone": "13911112222"},
                                            reason="年度晋级")
        self.assertEqual((w.grade, w.phone), (6, "13911112222"))
        with self.assertRaises(shequ.InvalidArgument) as caught:
            self.hr.workforce.update_worker(first + 2, {"unit_id": "bh.hp.xf"})
        self.assertIn("update_mask", caught.exception.message)
        w = self.hr.workforce.change_status(first + 2, "on_leave", "产假", date="2026-03-02")
        self.assertEqual(w.status, "on_leave")
        types = [c.type for c in self.hr.workforce.history(worker_id=first + 2)]
        self.assertEqual(types[0], "worker.imported")
        self.assertGreaterEqual(len(types), 3)
        with self.assertRaises(shequ.FailedPrecondition):
            self.hr.workforce.convert_dispatch(first + 2, "不是派遣")

    def test_transfer_refused_over_quota(self):
        first = self.imported().first_worker_id
        with self.assertRaises(shequ.FailedPrecondition) as caught:
            self.clerk.workforce.transfer_worker(first + 4, "bh.hp.xf", "工作需要")
        self.assertEqual(caught.exception.code, grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("to_unit", caught.exception.message)
        self.assertEqual(self.clerk.workforce.get_worker(first + 4).unit_id, "bh.hp.df")

    def test_occupancy_figures(self):
        self.imported()
        report = self.clerk.workforce.occupancy("bh.hp")
        by_unit = {r.unit_id: r for r in report.rows}
        self.assertEqual(report.rows[0].unit_id, "bh.hp")
        total = report.rows[0].subtree
        occupied = {u: by_unit[u].subtree.occupied for u in ("bh.hp.xf", "bh.hp.df")}
        self.assertEqual(occupied, {"bh.hp.xf": 2, "bh.hp.df": 3})
        self.assertEqual(by_unit["bh.hp.df"].subtree.vacant, 1)
        self.assertEqual(by_unit["bh.hp.xf"].subtree.vacant, 0)
        self.assertEqual((total.approved, total.occupied), (6, 5))
        self.assertEqual(by_unit["bh.hp.df"].depth, 1)
        parity = self.clerk.workforce.pay_parity()
        self.assertIn(("officer", 5), {(r.post, r.grade) for r in parity.rows})

    def test_export_round_trip(self):
        self.imported()
        text = self.hr.workforce.export("roster", "bh.hp")
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        got = {(r["姓名"], r["身份证号"], r["单位"]) for r in rows}
        self.assertTrue({("王芳", id_number("101"), "bh.hp.xf"),
                         ("孙杰", id_number("105"), "bh.hp.df")} <= got)
        masked = self.clerk.workforce.export("roster", "bh.hp")
        self.assertNotIn(id_number("101"), masked)
        # The export is a roster the import reads: every ID number is already on it.
        with self.assertRaises(shequ.AlreadyExists):
            self.migration.workforce.import_roster(text.encode(), dry_run=True)
        self.assertIn("幸福里社区", self.clerk.workforce.export("occupancy", "bh.hp"))
        with self.assertRaises(shequ.InvalidArgument) as caught:
            self.clerk.workforce.export("everything", "bh.hp")
        self.assertIn("what", caught.exception.message)


class WorkforceExampleTest(unittest.TestCase):
    def test_example(self):
        daemon = Daemon().start()
        try:
            example = os.path.join(SOURCE_DIR, "clients/python/examples/workforce.py")
            tokens = daemon.write_tokens(os.path.join(daemon.data_dir, "tokens.txt"), [
                ("zhou.personnel", ["personnel"], ""), ("wang.street", ["street-office"], "bh.hp"),
                ("zhang.admin", ["district-admin"], ""),
                ("bianwei", ["establishment-committee"], ""),
                ("migration.hr", ["roster-migration"], "")])
            run = subprocess.run([sys.executable, example, daemon.address], capture_output=True,
                                 text=True, timeout=60, env=dict(os.environ, SHEQU_TOKENS=tokens))
            self.assertEqual(run.returncode, 0, run.stderr)
            out = run.stdout
            self.assertIn("imported 3 workers (dry run found 3 good rows)", out)
            self.assertIn("personnel sees: 王芳", out)
            self.assertRegex(out, r"street office sees: 王\*")
            self.assertRegex(out, r"transfer refused: to_unit: ")
            self.assertIn("  幸福里社区: approved 2, occupied 2, vacant 0", out)
            self.assertIn("  东风社区: approved 4, occupied 1, vacant 3", out)
        finally:
            daemon.cleanup()


if __name__ == "__main__":
    unittest.main()
