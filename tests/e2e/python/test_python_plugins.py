"""client.plugins against the daemon loading the six department plugins (isolated, each in its
own shequ-plugin-host): list, describe, invoke, and the errors."""

import unittest

import grpc
from harness import DEPARTMENT_PLUGINS, DaemonTestCase, wait_for  # puts clients/python on sys.path
import shequ  # noqa: E402
from shequ.v1 import plugins_pb2  # noqa: E402


class PluginsTest(DaemonTestCase):
    plugins = True

    @property
    def office(self) -> shequ.Client:
        """The leading group office, which may invoke any department's plugin."""
        return self.daemon.client("li", ["leading-group"])

    def test_list_shows_the_six_department_plugins_isolated(self):
        def all_isolated():
            plugins = self.client.plugins.list()
            return plugins if plugins and all(p.state == "isolated" for p in plugins) else None

        listed = wait_for(all_isolated, what="the plugins to be isolated")
        self.assertEqual([p.name for p in listed], list(DEPARTMENT_PLUGINS))
        for p in listed:
            self.assertIsInstance(p, plugins_pb2.PluginStatus)
            self.assertEqual(p.isolation, "isolated", p.name)
            self.assertEqual(p.last_error, "", p.name)
            self.assertTrue(p.department, p.name)
            self.assertTrue(p.job_types, p.name)
        civil = listed[0]
        self.assertEqual(civil.department, "民政局 / civil affairs bureau")
        self.assertEqual(list(civil.job_types), ["civil-affairs.elderly-care-check"])

    def test_describe_civil_affairs_shows_its_checklist_fields(self):
        d = self.client.plugins.describe("civil_affairs")
        self.assertEqual(d.status.name, "civil_affairs")
        self.assertEqual(d.plugin.name, "civil_affairs")
        self.assertEqual([o.name for o in d.plugin.operations], ["validate-ledger"])
        checklist = d.plugin.checklists[0]
        self.assertEqual(checklist.id, "civil-affairs-yearly")
        fields = {f.id: f for f in checklist.fields}
        self.assertEqual((fields["household_count"].type, fields["household_count"].label,
                          fields["household_count"].required), ("integer", "户数", True))
        self.assertEqual(fields["care_station_area"].type, "decimal")
        self.assertFalse(fields["volunteers_count"].required)
        self.assertEqual(d.plugin.signboards[0].title, "社区居家养老服务站")

    def test_invoke_validate_ledger_names_the_missing_field(self):
        ledger = {"community_name": "芜湖路社区", "inspection_date": "2026-03-02",
                  "household_count": 2400, "elderly_over_60": 1500, "elderly_over_80": 100,
                  "low_income_households": 40, "disabled_persons": 90,
                  "old_age_allowance_recipients": 100, "low_income_reviewed": 40,
                  "home_care_served": 300, "care_station_area": 120.5}
        out = self.office.plugins.invoke("civil_affairs", "validate-ledger", {"ledger": ledger},
                                         request_id="py-validate-1")
        self.assertEqual(out, {"complete": True, "missing": [], "invalid": []})
        del ledger["low_income_reviewed"]
        ledger["household_count"] = "many"
        out = self.office.plugins.invoke("civil_affairs", "validate-ledger", {"ledger": ledger})
        self.assertIsInstance(out, dict)
        self.assertFalse(out["complete"])
        self.assertEqual(out["missing"], ["low_income_reviewed"])
        self.assertEqual([i["field"] for i in out["invalid"]], ["household_count"])

    def test_errors(self):
        with self.assertRaises(shequ.NotFound) as caught:
            self.office.plugins.invoke("no_such_plugin", "validate-ledger", {"ledger": {}})
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)
        self.assertIn("no_such_plugin", caught.exception.message)
        with self.assertRaises(shequ.NotFound):
            self.client.plugins.describe("no_such_plugin")
        with self.assertRaises(shequ.NotFound) as op:
            self.office.plugins.invoke("civil_affairs", "shout", {})
        self.assertIn("validate-ledger", op.exception.message)  # names what is offered
        with self.assertRaises(shequ.InvalidArgument):  # no "ledger": the plugin refuses it
            self.office.plugins.invoke("civil_affairs", "validate-ledger", {})


if __name__ == "__main__":
    unittest.main()
