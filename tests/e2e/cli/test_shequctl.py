"""shequctl against the real daemon (fake clock): the guide's example, exit codes and messages,
--json and table output, following streams until Ctrl-C, the workforce, annual-review and
plugins commands.

The daemon authenticates with API tokens. The tests name their callers as development mode
would (STREET, OFFICE, ... below); run_cli gives the command the token of that principal
instead (tokens_for), made by the harness (Daemon.token). A command that names no caller acts
as the bootstrap administrator."""

import json
import os
import pty
import re
import signal
import socket
import subprocess
import sys
import time
import unicodedata
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from harness import (DEPARTMENT_PLUGINS, SOURCE_DIR, Daemon,  # noqa: E402  (clients/python on path)
                     create_street_1, revise_quota)

SHEQUCTL = os.environ.get("SHEQUCTL_BINARY") or os.path.join(SOURCE_DIR, "build", "clients",
                                                             "shequctl")
STREET = ["--user", "wang", "--roles", "street-office", "--unit", "street-1"]
OFFICE = ["--user", "li", "--roles", "leading-group"]
HR = ["--user", "zhou", "--roles", "personnel"]
CLERK = ["--user", "li", "--roles", "street-office", "--unit", "bh.hp"]
# The first import of an existing roster (contract workers included) is roster-migration's.
MIGRATION = ["--user", "zhao.migration", "--roles", "roster-migration"]
HEADER = "姓名,身份证号,手机号,单位,岗位,等级,用工性质,状态,学历,入职日期\n"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(n: int) -> str:
    """A well-formed resident ID (ISO 7064 MOD 11-2 check character), distinct for n < 28000."""
    first17 = f"340111199001{1 + n // 1000:02d}{n % 1000:03d}"
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def row(name: str, n: int, unit: str, grade: int = 5) -> str:
    return f"{name},{id_number(n)},139{n:08d},{unit},主办,{grade},聘用合同,在岗,本科,2021-03-01\n"


def tokens_for(daemon: Daemon, args: tuple) -> list[str]:
    """args with the identity flags before the command (--user, --roles, --unit) replaced by
    --token of that principal; the administrator's token when they name nobody and no --token
    is given."""
    out, user, roles, unit, i = [], "", "", "", 0
    while i < len(args) and args[i].startswith("--"):
        flag = args[i]
        if flag in ("--user", "--roles", "--unit") and i + 1 < len(args):
            user, roles, unit = (args[i + 1] if flag == "--user" else user,
                                 args[i + 1] if flag == "--roles" else roles,
                                 args[i + 1] if flag == "--unit" else unit)
            i += 2
            continue
        out.append(flag)
        if flag in ("--addr", "--timeout", "--token") and i + 1 < len(args):
            out.append(args[i + 1])
            i += 1
        i += 1
    rest = list(args[i:])
    if "--token" in out or "--token" in rest:
        return out + rest
    return ["--token", daemon.token(user, [r for r in roles.split(",") if r], unit)] + out + rest


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def free_port() -> int:
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CliTestCase(unittest.TestCase):
    daemon: Daemon
    plugins = False  # True: the daemon loads the six department plugins

    @classmethod
    def setUpClass(cls) -> None:
        cls.daemon = Daemon(plugins=cls.plugins).start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.daemon.cleanup()

    def run_cli(self, *args: str, addr: str | None = None, **kw) -> subprocess.CompletedProcess:
        env = dict(os.environ, SHEQU_ADDR=addr or self.daemon.address)
        for name in ("SHEQU_USER", "SHEQU_ROLES", "SHEQU_UNIT", "SHEQU_TOKEN"):
            env.pop(name, None)
        if args and args[0] not in ("--help", "-h") and "--help" not in args:
            args = tuple(tokens_for(self.daemon, args))
        return subprocess.run([SHEQUCTL, *args], capture_output=True, text=True, timeout=30,
                              env=env, **kw)

    def ok(self, *args: str) -> str:
        run = self.run_cli(*args)
        self.assertEqual(run.returncode, 0, f"{args}: {run.stderr}")
        return run.stdout

    def fails(self, code: int, *args: str, addr: str | None = None) -> str:
        """Runs a command that must fail with `code`; returns its one-line error message."""
        run = self.run_cli(*args, addr=addr)
        self.assertEqual(run.returncode, code, f"{args}: {run.stdout} {run.stderr}")
        self.assertEqual(run.stdout, "")
        self.assertTrue(run.stderr.startswith("shequctl: "), run.stderr)
        return run.stderr


class ExampleTest(CliTestCase):
    def test_quickstart_script(self):
        create_street_1(self.daemon)  # wang's street-1 and its community-7
        script = os.path.join(SOURCE_DIR, "clients/cli/examples/quickstart.sh")
        tokens = self.daemon.write_tokens(os.path.join(self.daemon.data_dir, "tokens.txt"), [
            ("wang", ["street-office"], "street-1"), ("li", ["leading-group"], ""),
            ("zhang.admin", ["district-admin"], "")])
        run = subprocess.run([script, self.daemon.address], capture_output=True, text=True,
                             timeout=60, env=dict(os.environ, SHEQUCTL=SHEQUCTL,
                                                  SHEQU_TOKENS=tokens))
        self.assertEqual(run.returncode, 0, run.stderr)
        out = run.stdout
        self.assertRegex(out.splitlines()[0], r"^started instance \d+ \(vacancy-approval version \d+\)$")
        self.assertRegex(out, r"\n\s*\d+\s+\d+\s+领导小组审批补员.*\s+open\s+leading-group\s")
        self.assertRegex(out, r"reminder: .*task\.reminder")
        self.assertRegex(out, r"completed task \d+ \(领导小组审批补员.*\): approved")
        self.assertRegex(out, r"instance\.completed\s.*\"status\":\"approved\"")
        self.assertRegex(out, r"state\s+completed")
        self.assertRegex(out, r"end status\s+approved")


class CommandsTest(CliTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # wang's street-1 and the communities its vacancy requests name.
        create_street_1(cls.daemon, community_quota=1,
                        communities=("community-9", "community-3"))
        env = dict(os.environ, SHEQU_ADDR=cls.daemon.address)
        started = subprocess.run(
            [SHEQUCTL, *tokens_for(cls.daemon, STREET), "start", "vacancy-approval", "--vars",
             '{"community": "community-9", "street": "street-1", "posts": 1}', "--var",
             "vacancies=2", "--var", "round=2", "--business-key", "community-9",
             "--unit", "community-9",
             "--request-id", "cli-1"],
            capture_output=True, text=True, env=env, check=True)
        cls.instance = int(re.search(r"started instance (\d+)", started.stdout).group(1))

    def test_exit_codes_and_messages(self):
        # usage: 2
        self.assertIn("Usage: shequctl", self.run_cli().stderr)
        self.assertEqual(self.run_cli().returncode, 2)
        self.assertIn("unknown command 'frobnicate'", self.fails(2, "frobnicate"))
        self.assertIn("missing argument", self.fails(2, "get"))
        self.assertIn("INSTANCE must be a positive number", self.fails(2, "get", "forty-two"))
        self.assertIn("unknown flag --colour", self.fails(2, "list", "--colour"))
        self.assertIn("--timeout", self.fails(2, "--timeout", "soon", "list"))
        # INVALID_ARGUMENT: 3 (from the daemon, and found before the call)
        err = self.fails(3, "start", "vacancy-approval", "--vars", '{"posts": "x"', "--user", "a")
        self.assertEqual(err, "shequctl: INVALID_ARGUMENT: --vars: not a JSON object\n")
        broken = os.path.join(self.daemon.data_dir, "broken.yaml")
        with open(broken, "w") as f:
            f.write("id: broken\nstart: nowhere\nnodes:\n  a: {type: end}\n")
        err = self.fails(3, "deploy", broken)
        self.assertRegex(err, r"^shequctl: INVALID_ARGUMENT: .*start.*\n$")
        # NOT_FOUND: 4
        err = self.fails(4, "get", "987654")
        self.assertRegex(err, r"^shequctl: NOT_FOUND: .*987654.*\n$")
        self.assertEqual(err.count("\n"), 1)
        self.fails(4, "deploy", "/nonexistent/flow.yaml")
        self.fails(4, "resolve", "424242")
        # FAILED_PRECONDITION, ALREADY_EXISTS: 5 in the tests below
        # UNAVAILABLE: 6
        port = free_port()
        err = self.fails(6, "list", addr=f"127.0.0.1:{port}")
        self.assertTrue(err.startswith(f"shequctl: UNAVAILABLE: 127.0.0.1:{port}"), err)
        self.fails(6, "--addr", f"127.0.0.1:{port}", "tasks")

    def test_completing_twice_is_a_conflict(self):
        started = self.ok(*STREET, "start", "vacancy-approval", "--var", "posts=1",
                          "--var", "vacancies=1", "--var", "community=community-3",
                          "--unit", "community-3")
        instance = re.search(r"instance (\d+)", started).group(1)
        tasks = json.loads(self.ok("--json", "tasks", "--instance", instance))
        task = tasks["tasks"][0]["id"]
        claimed = self.ok(*OFFICE, "claim", task)
        self.assertIn(f"claimed task {task}", claimed)
        self.assertIn("assignee li", claimed)
        self.ok(*OFFICE, "complete", task, "--outcome", "rejected", "--comment", "不同意")
        err = self.fails(5, *OFFICE, "complete", task, "--outcome", "approved")
        self.assertTrue(err.startswith("shequctl: FAILED_PRECONDITION: "), err)
        got = json.loads(self.ok("--json", "get", instance))
        self.assertEqual((got["state"], got["end_status"]), ("completed", "rejected"))

    def test_json_output_parses(self):
        got = json.loads(self.ok("--json", "get", str(self.instance)))
        self.assertEqual(got["definition_id"], "vacancy-approval")
        self.assertEqual(got["business_key"], "community-9")
        # --var parsed as JSON (vacancies itself is the registry's figure, never the caller's)
        self.assertEqual(json.loads(got["variables"])["round"], 2)
        listed = json.loads(self.ok("list", "--json", "--business-key", "community-9"))
        self.assertEqual([int(i["id"]) for i in listed["instances"]], [self.instance])
        self.assertIn("next_page_token", listed)
        tasks = json.loads(self.ok("--json", "tasks", "--role", "leading-group"))
        self.assertIn(self.instance, [int(t["instance_id"]) for t in tasks["tasks"]])
        notes = json.loads(self.ok("--json", "notify", "--role", "leading-group"))
        self.assertIsInstance(notes["notifications"], list)
        self.assertEqual(json.loads(self.ok("--json", "incidents")).get("incidents", []), [])
        # More posts than vacancies: refused at once, so watching it ends by itself.
        ended = json.loads(self.ok("--json", *STREET, "start", "vacancy-approval", "--var",
                                   "posts=3", "--var", "vacancies=1", "--var",
                                   "community=community-3", "--unit", "community-3"))
        events = [json.loads(line) for line in
                  self.ok("--json", "watch", ended["instance_id"]).splitlines()]
        self.assertEqual(events[0]["type"], "instance.started")
        self.assertEqual(events[-1]["type"], "instance.completed")
        self.assertEqual(json.loads(events[-1]["data"])["status"], "over-quota")

    def test_table_output(self):
        out = self.ok("list", "--definition", "vacancy-approval")
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^\s*ID\s+DEFINITION\s+STATE\s+STATUS\s+BUSINESS KEY\s+UNIT")
        mine = [ln for ln in lines if re.match(rf"^\s*{self.instance}\s", ln)]
        self.assertEqual(len(mine), 1, out)
        self.assertRegex(mine[0], r"vacancy-approval v\d+\s+active\s+community-9")
        # Columns line up by display width, with Chinese task names in them.
        out = self.ok("tasks", "--role", "leading-group")
        lines = out.splitlines()
        at = lines[0].index("STATE")
        for line in lines[1:]:
            name_end = line.index("领导小组") if "领导小组" in line else None
            self.assertIsNotNone(name_end, line)
            chars, w = 0, 0
            while w < at:
                w += width(line[chars])
                chars += 1
            self.assertEqual(w, at, line)
            self.assertRegex(line[chars:], r"^(open|claimed)", line)
        self.assertEqual(self.ok("tasks", "--role", "nobody"), "no tasks\n")

    def test_help(self):
        top = self.ok("--help")
        for code in ("2  usage", "3  INVALID_ARGUMENT", "4  NOT_FOUND", "5  FAILED_PRECONDITION",
                     "6  UNAVAILABLE"):
            self.assertIn(code, top)
        for command in ("deploy", "start", "get", "list", "watch", "tasks", "claim", "complete",
                        "incidents", "resolve", "notify", "workforce", "plugins"):
            self.assertRegex(top, rf"\n  {command} ")
        self.assertIn("--business-key KEY", self.ok("start", "--help"))
        self.assertIn("-o, --output FILE", self.ok("workforce", "export", "--help"))
        group = self.ok("workforce", "--help")
        for sub in ("units", "tree", "quota", "revise", "workers", "worker", "transfer", "status",
                    "import", "export", "occupancy", "pay-parity", "history"):
            self.assertRegex(group, rf"\n  {sub} ")
            self.assertIn(f"Usage: shequctl workforce {sub}", self.ok("workforce", sub, "--help"))
        group = self.ok("plugins", "--help")
        for sub in ("list", "describe", "invoke"):
            self.assertRegex(group, rf"\n  {sub} ")
            self.assertIn(f"Usage: shequctl plugins {sub}", self.ok("plugins", sub, "--help"))
        self.assertIn("--input-file FILE", self.ok("plugins", "invoke", "--help"))
        bare = self.run_cli("plugins")  # no subcommand: the group's help, as a usage error
        self.assertEqual(bare.returncode, 2)
        self.assertIn("Usage: shequctl plugins SUBCOMMAND", bare.stderr)

    def test_follow_streams_until_ctrl_c(self):
        env = dict(os.environ, SHEQU_ADDR=self.daemon.address)
        for args in (["watch"], [*OFFICE, "notify", "--follow", "--role", "leading-group"]):
            proc = subprocess.Popen([SHEQUCTL, *tokens_for(self.daemon, tuple(args))],
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=env)
            first = proc.stdout.readline()  # the backlog arrives: the stream is open
            self.assertTrue(first.strip(), args)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=10)
            self.assertEqual(proc.returncode, 0, f"{args}: {err}")


class WorkforceCliTest(CliTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # The administrator creates the units; the establishment committee approves the quotas.
        wf = cls.daemon.admin.workforce
        wf.create_unit({"id": "bh", "name": "包河区", "kind": "district"})
        wf.create_unit({"id": "bh.hp", "parent_id": "bh", "name": "和平街道",
                        "kind": "street", "unit_class": 1})
        for uid, name, quota in (("bh.hp.xf", "幸福里社区", 2), ("bh.hp.df", "东风社区", 4),
                                 ("bh.hp.big", "大社区", 1000)):
            wf.create_unit({"id": uid, "parent_id": "bh.hp", "name": name,
                            "kind": "community", "community_type": "城市社区",
                            "households": 2400})
            revise_quota(cls.daemon, uid, quota)
        cls.dir = cls.daemon.data_dir

    def write(self, name: str, text: str) -> str:
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_import_export_and_reports(self):
        bad = self.write("bad.csv", HEADER + row("甲", 1, "bh.hp.df")
                         + row("乙", 2, "bh.hp.df", grade=19))
        err = self.fails(3, *MIGRATION, "workforce", "import", bad)
        self.assertRegex(err, r"^shequctl: INVALID_ARGUMENT: .*row 2.*等级")
        self.assertEqual(self.ok(*HR, "workforce", "workers"), "no workers\n")  # none imported

        good = self.write("good.csv", HEADER + row("王芳", 11, "bh.hp.xf")
                          + row("李强", 12, "bh.hp.xf") + row("张敏", 13, "bh.hp.df"))
        self.assertIn("dry run: 3 rows are valid",
                      self.ok(*MIGRATION, "workforce", "import", good, "--dry-run"))
        imported = self.ok(*MIGRATION, "workforce", "import", good, "--request-id", "r-1")
        m = re.match(r"imported 3 workers \(ids (\d+)–(\d+)\)", imported)
        self.assertIsNotNone(m, imported)
        first = int(m.group(1))

        # Masked for a street office, in the clear for personnel.
        clear = self.ok(*HR, "workforce", "workers", "--unit", "bh.hp.xf")
        masked = self.ok(*CLERK, "workforce", "workers", "--unit", "bh.hp.xf")
        self.assertIn("王芳", clear)
        self.assertIn(id_number(11), clear)
        self.assertNotIn("王芳", masked)
        self.assertNotIn(id_number(11), masked)
        self.assertEqual(len(masked.splitlines()), 3)  # header + 2 workers
        self.assertIn("(masked)", self.ok(*CLERK, "workforce", "worker", str(first)))
        lines = [json.loads(x) for x in self.ok(*HR, "--json", "workforce", "workers",
                                                "--limit", "2").splitlines()]
        self.assertEqual([int(w["id"]) for w in lines], [first, first + 1])

        # A transfer into the full community is refused: 5.
        err = self.fails(5, *CLERK, "workforce", "transfer", str(first + 2), "bh.hp.xf",
                         "--reason", "工作需要")
        self.assertRegex(err, r"^shequctl: FAILED_PRECONDITION: to_unit: ")
        self.fails(4, *CLERK, "workforce", "worker", "999999")

        occupancy = self.ok("workforce", "occupancy", "--unit", "bh.hp")
        rows = {ln.split()[0]: ln.split() for ln in occupancy.splitlines()[2:]}
        # UNIT ID APPROVED OCCUPIED ON-POST VACANT OVER HOLLOW OUTSIDE
        self.assertEqual(rows["幸福里社区"][2:6], ["2", "2", "2", "0"])
        self.assertEqual(rows["东风社区"][2:6], ["4", "1", "1", "3"])
        self.assertEqual(rows["和平街道"][2:4], ["1006", "3"])
        tree = self.ok("workforce", "tree")
        self.assertRegex(tree, r"\n  和平街道\s+bh\.hp\s+street\s+1\s")
        self.assertRegex(tree, r"\n    幸福里社区\s+bh\.hp\.xf\s+community\s+\(1\)\s+2400\s+2\n")
        self.assertIn("base 16", self.ok("workforce", "quota", "bh.hp.xf"))
        self.assertIn("officer", self.ok("workforce", "pay-parity"))
        history = self.ok("workforce", "history", "--worker", str(first))
        self.assertIn("worker.imported", history)

        # Export to a file, and the round trip: the file is a roster the import reads.
        path = os.path.join(self.dir, "roster-out.csv")
        said = self.ok(*HR, "workforce", "export", "roster", "--unit", "bh.hp", "-o", path)
        self.assertIn(f"wrote roster to {path}", said)
        with open(path, encoding="utf-8-sig") as f:
            exported = f.read()
        self.assertIn(id_number(13), exported)
        self.assertEqual(len(exported.strip().splitlines()), 4)
        err = self.fails(5, *MIGRATION, "workforce", "import", path, "--dry-run")
        self.assertTrue(err.startswith("shequctl: ALREADY_EXISTS: "), err)
        self.assertIn("东风社区", self.ok("workforce", "export", "occupancy"))
        self.assertIn("what", self.fails(3, "workforce", "export", "everything"))

    def test_street_office_lists_its_communities_tasks(self):
        path = self.write("scoped.yaml", "id: cli-scoped\nname: a scoped step\nstart: check\n"
                          "nodes:\n"
                          "  check: {type: user, role: clerk, unit: \"${unit}\", next: done}\n"
                          "  done: {type: end}\n")
        self.ok("deploy", path)
        self.ok("start", "cli-scoped", "--var", "unit=bh.hp.df")
        within = self.ok("tasks", "--unit", "bh.hp", "--within")
        self.assertEqual(len(within.splitlines()), 2, within)  # header + the community's task
        self.assertIn("bh.hp.df", within)
        self.assertNotIn("bh.hp.df", self.ok("tasks", "--unit", "bh.hp"))
        self.assertIn("bh.nowhere", self.fails(4, "tasks", "--unit", "bh.nowhere", "--within"))

    def test_recruitment_campaigns(self):
        # Not CLERK's li: a principal of its own for the campaign.
        with self.daemon.client("li.hp", ["street-office"], "bh.hp") as street:
            street.recruitment.create_campaign({
                "id": "cli-2026", "street_unit_id": "bh.hp", "title": "和平街道招聘",
                "opens": "2026-03-02", "closes": "2026-03-06",
                "posts": [{"id": "P01", "unit_id": "bh.hp.big", "post": "assistant",
                           "count": 2}]})
        listed = self.ok("recruitment", "campaigns", "--street", "bh.hp")
        self.assertRegex(listed, r"\ncli-2026\s+bh\.hp\s+draft\s+2026-03-02 – 2026-03-06\s+2\s+"
                                 r"0 → 0 → 0 → 0 → 0 → 0\s+和平街道招聘\n")
        self.assertEqual(self.ok("recruitment", "campaigns", "--state", "done"), "no campaigns\n")
        shown = self.ok("recruitment", "campaign", "cli-2026")
        self.assertIn("state draft", shown)
        self.assertRegex(shown, r"\nP01\s+bh\.hp\.big\s+assistant\s+2\n")
        self.assertRegex(shown, r"waiting for:\nSTEP\s+TASK\s+ROLE\s+DUE\napprove\s+\d+\s+"
                                r"leading-group\s")
        as_json = json.loads(self.ok("--json", "recruitment", "campaign", "cli-2026"))
        self.assertEqual(as_json["open_steps"][0]["step"], "approve")
        self.assertIn("no campaign 'nope'", self.fails(4, "recruitment", "campaign", "nope"))

    def test_progress_bar_on_a_terminal(self):
        # A large file (> one 64 KiB chunk) whose last row is bad: the bar reaches 100 %, then
        # the daemon refuses the file naming that row.
        rows = [row(f"员{i}", i, "bh.hp.big") for i in range(1000, 1900)]
        rows.append(row("末", 9999, "bh.hp.big", grade=19))
        path = self.write("large.csv", HEADER + "".join(rows))
        self.assertGreater(os.path.getsize(path), 64 << 10)
        leader, follower = pty.openpty()
        env = dict(os.environ, SHEQU_ADDR=self.daemon.address)
        proc = subprocess.Popen([SHEQUCTL, *tokens_for(self.daemon, (*MIGRATION, "workforce",
                                                                    "import", path))],
                                stdout=subprocess.DEVNULL, stderr=follower, env=env)
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the other side closed
                break
            if not chunk:
                break
            seen += chunk
        proc.wait(timeout=30)
        os.close(leader)
        text = seen.decode("utf-8", "replace")
        self.assertEqual(proc.returncode, 3, text)
        self.assertIn("100%", text)
        self.assertIn("\r", text)
        self.assertRegex(text, r"row 901.*等级")
        # Not a terminal: no bar, just the message.
        quiet = self.run_cli(*MIGRATION, "workforce", "import", path)
        self.assertNotIn("%", quiet.stderr)
        self.assertEqual(quiet.stderr.count("\n"), 1)


class ReviewsCliTest(CliTestCase):
    def test_annual_review(self):
        workforce = self.daemon.admin.workforce
        workforce.create_unit({"id": "bh", "name": "包河区", "kind": "district"})
        workforce.create_unit({"id": "bh.rv", "parent_id": "bh", "name": "复兴街道",
                               "kind": "street", "unit_class": 1})
        workforce.create_unit({"id": "bh.rv.c1", "parent_id": "bh.rv", "name": "复兴社区",
                               "kind": "community", "community_type": "城市社区",
                               "households": 2000})
        revise_quota(self.daemon, "bh.rv.c1", 2)
        with self.daemon.client("zhao.migration", ["roster-migration"]) as hr:
            worker = hr.workforce.create_worker({
                "name": "周敏", "id_number": id_number(901), "phone": "13900000901",
                "education": "bachelor", "employment": "contract", "post": "officer",
                "grade": 5, "unit_id": "bh.rv.c1", "hired_on": "2020-05-01",
                "number": "W901"}).id
        street = ["--user", "xu", "--roles", "street-office", "--unit", "bh.rv"]
        voter = ["--user", "voter-cli", "--roles", "resident-representative", "--unit",
                 "bh.rv.c1"]
        self.assertIn("bh.rv/2026", self.ok(*street, "reviews", "open", "bh.rv", "2026"))
        self.assertIn("is open already",
                      self.fails(5, *street, "reviews", "open", "bh.rv", "2026"))
        self.assertRegex(self.ok(*street, "reviews", "get", "bh.rv/2026"),
                         r"state\s+open\n(.*\n)*workers\s+1 \(1 rated, 0 not rated\)")
        self.ok(*voter, "reviews", "ballot", "bh.rv/2026", str(worker), "competent")
        self.assertIn("ALREADY_EXISTS", self.fails(5, *voter, "reviews", "ballot", "bh.rv/2026",
                                                   str(worker), "excellent"))
        shown = self.ok(*street, "reviews", "worker", "bh.rv/2026", str(worker))
        self.assertIn("1 ballots", shown)
        self.assertNotIn("voter-cli", shown)  # the tally only
        as_json = json.loads(self.ok(*street, "--json", "reviews", "worker", "bh.rv/2026",
                                     str(worker)))
        self.assertEqual(as_json["tally"]["ballots"], 1)
        self.assertIn("scores missing",
                      self.fails(5, *street, "reviews", "calibrate", "bh.rv/2026"))
        self.ok(*street, "reviews", "scores", "bh.rv/2026", str(worker), "--satisfaction", "88",
                "--target", "90", "--absence", "0")
        self.assertIn("satisfaction",
                      self.fails(3, *street, "reviews", "scores", "bh.rv/2026", str(worker),
                                 "--satisfaction", "120"))
        self.ok(*street, "reviews", "finish", "bh.rv/2026", str(worker), "scores")
        self.assertIn("nothing overdue", self.ok(*street, "reviews", "overdue", "bh.rv/2026"))
        self.fails(4, *street, "reviews", "get", "bh.rv/1999")


class AuthCliTest(CliTestCase):
    """Tokens from the terminal: refusals without a valid token, whoami, principals put/list,
    tokens create (shown once), list and revoke, and a revoked token refused."""

    def test_without_a_token(self):
        run = subprocess.run([SHEQUCTL, "whoami"], capture_output=True, text=True, timeout=30,
                             env=dict(os.environ, SHEQU_ADDR=self.daemon.address))
        self.assertEqual(run.returncode, 7, run.stderr)
        self.assertEqual(run.stdout, "")
        self.assertRegex(run.stderr, r"^shequctl: UNAUTHENTICATED: .*\(no token was sent: pass "
                                     r"--token or set SHEQU_TOKEN\)\n$")
        err = self.fails(7, "--token", "not-a-token", "whoami")
        self.assertTrue(err.startswith("shequctl: UNAUTHENTICATED: "), err)
        self.assertNotIn("no token was sent", err)

    def test_whoami(self):
        out = self.ok(*STREET, "whoami")
        self.assertRegex(out, r"(?m)^name\s+wang$")
        self.assertRegex(out, r"(?m)^roles\s+street-office$")
        self.assertRegex(out, r"(?m)^unit\s+street-1$")
        me = json.loads(self.ok(*STREET, "--json", "whoami"))
        self.assertEqual(me["name"], "wang")
        self.assertTrue(me["via"])

    def test_principals_and_tokens_round_trip(self):
        said = self.ok("principals", "put", "auth.cli", "--role", "leading-group",
                       "--role", "roster-migration@2026-06-30", "--display-name", "测试",
                       "--reason", "e2e")
        self.assertIn("principal auth.cli (person): roles leading-group, roster-migration "
                      "(until 2026-07-01 00:00:00)", said)
        listed = self.ok("principals", "list", "--role", "leading-group")
        self.assertRegex(listed, r"(?m)^auth\.cli\s+person\s+leading-group, roster-migration")
        self.assertIn("--role", self.fails(2, "principals", "put", "x", "--role", "a@soon"))

        run = self.run_cli("tokens", "create", "auth.cli", "--description", "cli e2e",
                           "--expires-in", "P30D")
        self.assertEqual(run.returncode, 0, run.stderr)
        secret = run.stdout.strip()
        self.assertEqual(run.stdout, secret + "\n")  # the token alone on stdout
        self.assertIn("This is the only time the token is shown", run.stderr)
        token_id = re.search(r"token (\S+) for auth\.cli, expires 2026-04-01 09:00:00",
                             run.stderr).group(1)
        self.assertNotIn(secret, run.stderr)

        me = json.loads(self.ok("--token", secret, "--json", "whoami"))
        self.assertEqual(me["name"], "auth.cli")
        tokens = self.ok("tokens", "list", "--principal", "auth.cli")
        self.assertRegex(tokens, r"^ID\s+PRINCIPAL\s+CREATED\s+EXPIRES\s+REVOKED")
        self.assertRegex(tokens, rf"(?m)^{re.escape(token_id)}\s+auth\.cli\s+")
        self.assertIn("cli e2e", tokens)
        self.assertNotIn(secret, tokens)

        revoked = self.ok("tokens", "revoke", token_id, "--reason", "e2e")
        self.assertRegex(revoked, rf"^revoked token {re.escape(token_id)} of auth\.cli at ")
        err = self.fails(7, "--token", secret, "whoami")
        self.assertRegex(err, r"^shequctl: UNAUTHENTICATED: .*revoked")
        self.assertNotIn(token_id, self.ok("tokens", "list", "--principal", "auth.cli"))
        every = json.loads(self.ok("--json", "tokens", "list", "--principal", "auth.cli",
                                   "--all"))["tokens"]
        self.assertTrue(any(t["id"] == token_id and t["revoked_at_ms"] != "0" for t in every),
                        every)
        self.fails(4, "tokens", "revoke", "no-such-token")


class PluginsCliTest(CliTestCase):
    plugins = True
    LEDGER = {"community_name": "芜湖路社区", "inspection_date": "2026-03-02",
              "household_count": 2400, "elderly_over_60": 1500, "elderly_over_80": 100,
              "low_income_households": 40, "disabled_persons": 90,
              "old_age_allowance_recipients": 100, "home_care_served": 300,
              "care_station_area": 120.5}  # low_income_reviewed is missing

    def test_list(self):
        deadline = time.monotonic() + 15
        while True:  # plugin states change on the daemon's schedule: poll
            listed = json.loads(self.ok("--json", "plugins", "list"))["plugins"]
            if all(p["state"] == "isolated" for p in listed) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual([p["name"] for p in listed], list(DEPARTMENT_PLUGINS))
        self.assertEqual({p["state"] for p in listed}, {"isolated"})
        lines = self.ok("plugins", "list").splitlines()
        self.assertRegex(lines[0], r"^NAME\s+STATE\s+KIND\s+DEPARTMENT\s+VERSION\s+JOB TYPES\s+"
                                   r"LAST ERROR$")
        self.assertEqual([ln.split()[0] for ln in lines[1:]], list(DEPARTMENT_PLUGINS))
        self.assertRegex(lines[1], r"^civil_affairs\s+isolated\s+isolated\s+民政局 / civil "
                                   r"affairs bureau\s+1\.0\.0\s+civil-affairs\.elderly-care-check$")
        # Columns line up by display width, with the departments' Chinese names in them.
        at = width(lines[0][:lines[0].index("VERSION")])
        for line in lines[1:]:
            version = re.search(r"\s(\d+\.\d+\.\d+)\s", line)
            self.assertIsNotNone(version, line)
            self.assertEqual(width(line[:version.start(1)]), at, line)

    def test_describe(self):
        out = self.ok("plugins", "describe", "civil_affairs")
        self.assertRegex(out, r"(?m)^state\s+isolated \(isolated, 0 restarts\)$")
        self.assertIn("\nJob types:\n  civil-affairs.elderly-care-check  ", out)
        self.assertRegex(out, r"(?m)^  validate-ledger\s+Which of this checklist's fields")
        self.assertIn("\nChecklist civil-affairs-yearly: 民政工作年度检查表", out)
        fields = out[out.index("  Fields:\n"):out.index("\nLedger fields:")]
        self.assertRegex(fields, r"(?m)^    FIELD\s+LABEL\s+TYPE\s+UNIT\s+REQUIRED$")
        self.assertRegex(fields, r"(?m)^    household_count\s+户数\s+integer\s+户\s+yes$")
        self.assertRegex(fields, r"(?m)^    care_station_area\s+养老服务站面积\s+decimal\s+㎡\s+yes$")
        self.assertRegex(fields, r"(?m)^    volunteers_count\s+.*\sno$")
        self.assertIn("\nSignboards:\n  home-care-station  社区居家养老服务站\n", out)
        self.assertIn("\nNotification channels:\n  civil-affairs-platform  platform  ", out)
        described = json.loads(self.ok("--json", "plugins", "describe", "civil_affairs"))
        self.assertEqual(described["status"]["name"], "civil_affairs")
        fields = {f["id"]: f for f in described["plugin"]["checklists"][0]["fields"]}
        self.assertEqual(fields["household_count"]["type"], "integer")
        self.assertEqual(described["plugin"]["signboards"][0]["title"], "社区居家养老服务站")

    def test_invoke(self):
        ledger = json.dumps({"ledger": self.LEDGER}, ensure_ascii=False)
        out = self.ok("plugins", "invoke", "civil_affairs", "validate-ledger", "--input", ledger,
                      "--request-id", "cli-validate-1")
        self.assertTrue(out.startswith("{\n  "), out)  # indented
        self.assertEqual(json.loads(out), {"complete": False, "missing": ["low_income_reviewed"],
                                           "invalid": []})
        path = os.path.join(self.daemon.data_dir, "ledger.json")
        with open(path, "w") as f:
            f.write(ledger)
        out = self.ok("--json", "plugins", "invoke", "civil_affairs", "validate-ledger",
                      "--input-file", path)
        self.assertEqual(out.count("\n"), 1, out)  # one line
        self.assertEqual(json.loads(out)["missing"], ["low_income_reviewed"])
        run = self.run_cli("plugins", "invoke", "civil_affairs", "validate-ledger",
                           "--input-file", "-", input=ledger)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(json.loads(run.stdout)["missing"], ["low_income_reviewed"])

    def test_exit_codes(self):
        err = self.fails(4, "plugins", "invoke", "no_such_plugin", "validate-ledger")
        self.assertRegex(err, r"^shequctl: NOT_FOUND: .*no_such_plugin.*\n$")
        self.fails(4, "plugins", "describe", "no_such_plugin")
        err = self.fails(4, "plugins", "invoke", "civil_affairs", "shout")
        self.assertIn("validate-ledger", err)  # names what is offered
        # The plugin refuses an input without "ledger": 3.
        self.fails(3, "plugins", "invoke", "civil_affairs", "validate-ledger", "--input", "{}")
        # Found before the call.
        err = self.fails(3, "plugins", "invoke", "civil_affairs", "validate-ledger",
                         "--input", "[1, 2]")
        self.assertEqual(err, "shequctl: INVALID_ARGUMENT: --input: not a JSON object\n")
        err = self.fails(4, "plugins", "invoke", "civil_affairs", "validate-ledger",
                         "--input-file", "/nonexistent/ledger.json")
        self.assertIn("/nonexistent/ledger.json: cannot read the file", err)
        self.assertIn("not both", self.fails(2, "plugins", "invoke", "civil_affairs", "x",
                                             "--input", "{}", "--input-file", "f.json"))
        self.assertIn("missing argument", self.fails(2, "plugins", "invoke", "civil_affairs"))
        self.assertIn("unknown command 'plugins frob'", self.fails(2, "plugins", "frob"))
        self.fails(6, "plugins", "list", addr=f"127.0.0.1:{free_port()}")


if __name__ == "__main__":
    unittest.main()
