"""Starts the real shequd for the Python end-to-end tests, as tests/integration/daemon_process.cc
does: its own temporary data directory, port 0, the fixture config and the fake clock.

The daemon authenticates with API tokens (its default). Its first start makes an administrator
whose token it writes to <data_dir>/admin.token; the harness reads it, and Daemon.client(user,
roles, unit) gives a client acting as that principal: created with Principals/Put, given a token
with Principals/CreateToken, both once per daemon (the tokens are cached)."""

from __future__ import annotations

import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE_DIR = os.environ.get("SHEQU_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SHEQUD = os.environ.get("SHEQUD_BINARY") or os.path.join(SOURCE_DIR, "build", "daemon", "shequd")
# The department plugin libraries (build/plugins, next to build/daemon/shequd).
PLUGIN_DIR = os.path.abspath(os.environ.get("SHEQU_PLUGIN_DIR") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(SHEQUD))), "plugins"))
DEPARTMENT_PLUGINS = ("civil_affairs", "comprehensive_governance", "culture_sports",
                      "health_family_planning", "hr_social_security", "party_building")
sys.path.insert(0, os.path.join(SOURCE_DIR, "clients", "python"))

import shequ  # noqa: E402

# The tests name their callers themselves: nothing from the environment.
for _name in ("SHEQU_TOKEN", "SHEQU_CA", "SHEQU_CERT", "SHEQU_KEY", "SHEQU_SERVER_NAME"):
    os.environ.pop(_name, None)

MONDAY_0900 = 1772413200000  # 2026-03-02 09:00 Beijing, a working day
# The daemons' --log-level; test_python_logs.py runs the suites at debug.
LOG_LEVEL = "warn"
# When a list, each daemon's log is appended to it at cleanup (test_python_logs.py reads them).
KEPT_LOGS: list[str] | None = None
_READY = re.compile(rb"serving gRPC on [^:]+:(\d+) and HTTP on [^:]+:(\d+)")


def write_config(dir: str, *, plugins: bool = False) -> str:
    """<dir>/shequd.yaml: the shipped calendar, workflows and policy, API tokens (auth: tokens,
    the default, rather than the fixture's development mode), and with `plugins` a plugins_dir
    (write_plugin_config). Returns its path."""
    os.makedirs(dir, exist_ok=True)
    config = os.path.join(dir, "shequd.yaml")
    with open(config, "w") as f:
        f.write(f"calendar_dir: {SOURCE_DIR}/config/calendar\n"
                f"workflows_dir: {SOURCE_DIR}/config/workflows\n"
                f"policy_dir: {SOURCE_DIR}/config/policy\n"
                + (f"plugins_dir: {write_plugin_config(dir)}\n" if plugins else "")
                + "auth:\n  mode: tokens\n"
                "store:\n  synchronous: FULL\n")
    return config


def write_plugin_config(dir: str) -> str:
    """<dir>/plugins.d loading the six department plugins, isolated (the default), as
    config/plugins.d does. Returns its path."""
    for name in DEPARTMENT_PLUGINS:
        if not os.path.exists(os.path.join(PLUGIN_DIR, f"libshequ_{name}.so")):
            raise RuntimeError(f"{PLUGIN_DIR}/libshequ_{name}.so is missing: build the plugins "
                               "(or set SHEQU_PLUGIN_DIR)")
    plugins_d = os.path.join(dir, "plugins.d")
    os.makedirs(plugins_d, exist_ok=True)
    for name in DEPARTMENT_PLUGINS:
        with open(os.path.join(plugins_d, f"{name}.yaml"), "w") as f:
            f.write(f"name: {name}\npath: {PLUGIN_DIR}/libshequ_{name}.so\n")
    return plugins_d


class Daemon:
    def __init__(self, fake_clock_ms: int = MONDAY_0900, *, plugins: bool = False):
        """plugins: load the six department plugins (write_plugin_config); off by default, as
        each is a shequ-plugin-host process of its own. The daemon runs with auth: tokens."""
        self.data_dir = tempfile.mkdtemp(prefix="shequ-e2e-py-")
        self.fake_clock_ms = fake_clock_ms
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.config = write_config(os.path.join(self.data_dir, "conf"), plugins=plugins)
        self._admin: shequ.Client | None = None
        self._tokens: dict[str, tuple[tuple[str, ...], str, str]] = {}  # name -> roles, unit, token

    @property
    def admin_token(self) -> str:
        """The bootstrap administrator's token (district-admin), from <data_dir>/admin.token."""
        with open(os.path.join(self.data_dir, "admin.token")) as f:
            return f.read().strip()

    @property
    def admin(self) -> shequ.Client:
        """A client acting as the bootstrap administrator."""
        if self._admin is None:
            self._admin = shequ.Client(self.address, token=self.admin_token, timeout=15)
        return self._admin

    def token(self, user: str = "", roles: str | tuple | list = (), unit: str = "") -> str:
        """The token of the principal `user` with `roles` and `unit`, created the first time.
        No user and no roles: the administrator. A user without a name is named after its
        roles. One name keeps one identity in a daemon: asking for it with other roles fails."""
        roles = tuple(roles.split(",")) if isinstance(roles, str) else tuple(roles)
        if not user and not roles:
            return self.admin_token
        name = user or "e2e." + ".".join(roles) + (f"@{unit}" if unit else "")
        known = self._tokens.get(name)
        if known is not None:
            if known[:2] != (roles, unit):
                raise AssertionError(f"principal {name} acts as {known[:2]} in this daemon, "
                                     f"not {(roles, unit)}: give the test another name")
            return known[2]
        kind = "system" if name.startswith("system:") else "person"
        self.admin.principals.put(name, roles=roles, unit=unit, kind=kind, reason="e2e")
        secret = self.admin.principals.create_token(name, description="e2e").secret
        self._tokens[name] = (roles, unit, secret)
        return secret

    def write_tokens(self, path: str, principals) -> str:
        """A tokens file as `make run` writes var/demo-tokens.txt (`<name> <roles> <unit>
        <token>` lines) for (name, roles, unit) triples, as the examples read it. Returns path."""
        with open(path, "w") as f:
            f.write("# e2e principals: <name> <roles> <unit> <token>\n")
            for name, roles, unit in principals:
                f.write(f"{name} {','.join(roles) or '-'} {unit or '-'} "
                        f"{self.token(name, roles, unit)}\n")
        return path

    def client(self, user: str = "", roles: str | tuple | list = (), unit: str = "", *,
               timeout: float | None = 15) -> shequ.Client:
        """A client acting as the principal `user` with `roles` and `unit` (see token()), on the
        administrator's connection."""
        return shequ.Client(self.address, token=self.token(user, roles, unit), timeout=timeout,
                            channel=self.admin.channel)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "Daemon":
        """Starts on self.port (0 the first time: any free port) and waits for the ready line."""
        args = [SHEQUD, "--config", self.config,
                "--data-dir", self.data_dir, "--listen", f"127.0.0.1:{self.port}",
                "--http", "127.0.0.1:0", f"--fake-clock={self.fake_clock_ms}",
                "--log-level", LOG_LEVEL]
        log = open(os.path.join(self.data_dir, "shequd.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log)
        log.close()
        seen = b""
        deadline = time.monotonic() + 60
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while not (m := _READY.search(seen)):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self.kill()
                    raise RuntimeError("shequd did not start in time:\n" + self.log())
                chunk = os.read(self.proc.stdout.fileno(), 512)
                if not chunk:
                    self.proc.wait()
                    raise RuntimeError("shequd exited at start:\n" + self.log())
                seen += chunk
        self.proc.stdout.close()  # the daemon prints nothing else on stdout
        self.port = int(m.group(1))
        return self

    def restart_after_kill(self, now_ms: int) -> None:
        """kill -9, then start again on the same data directory and port, the clock at now_ms."""
        self.kill()
        self.fake_clock_ms = now_ms
        self.start()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        try:
            with open(os.path.join(self.data_dir, "shequd.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def cleanup(self) -> None:
        if self._admin is not None:
            self._admin.close()
        self.stop()
        if KEPT_LOGS is not None:
            KEPT_LOGS.append(self.log())
        shutil.rmtree(self.data_dir, ignore_errors=True)


class DaemonTestCase(unittest.TestCase):
    """One daemon per test class, a client acting as the street office wang (street-1)."""

    daemon: Daemon
    client: shequ.Client
    plugins = False  # True: the daemon loads the six department plugins

    @classmethod
    def setUpClass(cls) -> None:
        cls.daemon = Daemon(plugins=cls.plugins).start()
        cls.client = cls.daemon.client("wang", ["street-office"], "street-1")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.close()
        cls.daemon.cleanup()


def revise_quota(daemon: "Daemon", unit_id: str, approved: int, effective_from: str = "2026-01-01",
                 reason: str = "初始核定", document: str = "包编〔2026〕1号"):
    """A quota revision as the establishment committee (区委编委) records it: the only role that
    may, and only with the committee's approval document."""
    committee = daemon.client("bianwei", ["establishment-committee"])
    return committee.workforce.revise_quota(unit_id, approved, effective_from, reason,
                                            approval_document=document)


def create_street(daemon: "Daemon", df_quota: int) -> None:
    """The street 和平街道 (bh.hp) of district bh with two communities: 幸福里 (bh.hp.xf, quota 2)
    and 东风 (bh.hp.df, quota `df_quota`), as the workforce and recruitment tests use them. The
    administrator creates the units; the establishment committee approves the quotas."""
    workforce = daemon.admin.workforce
    workforce.create_unit({"id": "bh", "name": "包河区", "kind": "district"})
    workforce.create_unit({"id": "bh.hp", "parent_id": "bh", "name": "和平街道", "kind": "street",
                           "unit_class": 1})
    workforce.create_unit({"id": "bh.hp.xf", "parent_id": "bh.hp", "name": "幸福里社区",
                           "kind": "community", "community_type": "城市社区", "households": 2400})
    workforce.create_unit({"id": "bh.hp.df", "parent_id": "bh.hp", "name": "东风社区",
                           "kind": "community", "community_type": "村改居", "households": 1500})
    revise_quota(daemon, "bh.hp.xf", 2)
    revise_quota(daemon, "bh.hp.df", df_quota)


def create_street_1(daemon: "Daemon", community_quota: int = 3,
                    communities: tuple[str, ...] = ("community-7",)) -> None:
    """The street office wang's street, street-1, with its communities (community-7 unless told;
    quota `community_quota` each, nobody employed), as the vacancy-approval tests and the
    quickstarts use them: a street office acts only for its own units."""
    workforce = daemon.admin.workforce
    workforce.create_unit({"id": "bh", "name": "包河区", "kind": "district"})
    workforce.create_unit({"id": "street-1", "parent_id": "bh", "name": "一号街道",
                           "kind": "street", "unit_class": 1})
    for community in communities:
        workforce.create_unit({"id": community, "parent_id": "street-1", "name": community,
                               "kind": "community", "community_type": "城市社区",
                               "households": 2000})
        revise_quota(daemon, community, community_quota)


def wait_for(predicate, timeout: float = 15.0, what: str = "condition"):
    """Polls predicate() until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
