"""The vacancy-approval workflow through the Python client: start, task, reminders on a
Notifications/Subscribe stream as the fake clock moves, claim and complete, Watch to the end;
and delegate / transfer / return on a two-step workflow."""

import unittest

from harness import DaemonTestCase, create_street_1  # puts clients/python on sys.path
import shequ  # noqa: E402

TWO_STEP_YAML = """
id: py-two-step
start: draft
nodes:
  draft: {type: user, assignees: ["${author}"], next: review}
  review: {type: user, role: reviewer, outcomes: [pass, fail], next: done}
  done: {type: end}
"""


class VacancyApprovalTest(DaemonTestCase):
    def test_start_remind_complete_watch(self):
        create_street_1(self.daemon)  # wang's street-1 and its community-7
        street = self.client
        office = self.daemon.client("li", ["leading-group"])
        admin = self.daemon.admin
        vars = {"community": "community-7", "street": "street-1", "posts": 2, "vacancies": 3}
        started = street.instances.start("vacancy-approval", vars, business_key="community-7",
                                         unit="community-7", request_id="py/vacancy-1")
        again = street.instances.start("vacancy-approval", vars, business_key="community-7",
                                       unit="community-7", request_id="py/vacancy-1")
        self.assertEqual(again.instance_id, started.instance_id)  # a retry, not a second one
        iid = started.instance_id

        tasks = office.tasks.list(role="leading-group", instance_id=iid).tasks
        self.assertEqual(len(tasks), 1)
        task = tasks[0]
        self.assertEqual((task.node_id, task.state, task.role), ("approve", "open",
                                                                  "leading-group"))

        def mine(stream):  # the next notification of this instance
            while True:
                n = stream.next(timeout=10)
                if n.instance_id == iid:
                    return n

        with office.notifications.subscribe(roles=["leading-group"]) as inbox, \
                street.instances.watch(iid) as events:
            self.assertEqual(mine(inbox).kind, "task.created")  # the backlog first
            self.assertGreaterEqual(admin.admin.advance_clock("3wd").timers_fired, 1)
            reminder = mine(inbox)
            self.assertEqual(reminder.kind, "task.reminder")
            self.assertEqual(reminder.task_id, task.id)
            office.notifications.ack(reminder.id)
            admin.admin.advance_clock("1wd")
            self.assertEqual(mine(inbox).kind, "task.reminder")
            admin.admin.advance_clock("1wd")
            self.assertEqual(mine(inbox).kind, "task.due")

            claimed = office.tasks.claim(task.id)
            self.assertEqual((claimed.state, claimed.assignee), ("claimed", "li"))
            done = office.tasks.complete(task.id, "approved", {"note": "同意"})
            self.assertEqual(done.state, "completed")
            seen = []
            for event in events:
                seen.append(event.type)
                if event.type == "instance.completed":
                    break
            self.assertEqual(seen[0], "instance.started")
            self.assertIn("task.reminded", seen)
            self.assertIn("task.completed", seen)

        inst = street.instances.get(iid)
        self.assertEqual((inst.state, inst.end_status), ("completed", "approved"))
        self.assertEqual(shequ.variables(inst)["approved_posts"], 2)
        self.assertEqual(shequ.variables(inst)["note"], "同意")
        listed = street.instances.list(definition_id="vacancy-approval", state="completed",
                                       unit="community-7")
        self.assertIn(iid, [i.id for i in listed.instances])
        with self.assertRaises(shequ.FailedPrecondition):
            office.tasks.complete(task.id, "approved")


class TaskMovesTest(DaemonTestCase):
    def test_delegate_return_transfer(self):
        self.daemon.admin.definitions.deploy(TWO_STEP_YAML)
        office = self.daemon.client("chen", ["leading-group"])  # may start any workflow
        li = self.daemon.client("li")
        wu = self.daemon.client("wu", ["reviewer"])
        iid = office.instances.start("py-two-step", {"author": "li"}).instance_id

        draft = li.tasks.list(instance_id=iid).tasks[0]
        delegated = li.tasks.delegate(draft.id, "zhang", "please look")
        self.assertEqual((delegated.state, delegated.assignee, delegated.owner),
                         ("delegated", "zhang", "li"))
        back = self.daemon.client("zhang").tasks.complete(draft.id)
        self.assertEqual((back.state, back.assignee), ("claimed", "li"))
        li.tasks.complete(draft.id)

        review = wu.tasks.list(role="reviewer", instance_id=iid).tasks[0]
        self.assertEqual(review.node_id, "review")
        returned = wu.tasks.return_to(review.id, "draft", "please redo")
        self.assertEqual(returned.state, "cancelled")

        redraft = li.tasks.list(instance_id=iid).tasks[0]
        self.assertEqual((redraft.node_id, redraft.assignee), ("draft", "li"))
        moved = li.tasks.transfer(redraft.id, "zhao")
        self.assertEqual(moved.assignee, "zhao")
        with self.assertRaises(shequ.PermissionDenied):
            li.tasks.complete(redraft.id)
        self.daemon.client("zhao").tasks.complete(redraft.id)

        review2 = wu.tasks.list(instance_id=iid).tasks[0]
        wu.tasks.claim(review2.id)
        wu.tasks.complete(review2.id, "pass")
        self.assertEqual(office.instances.wait_ended(iid, timeout=10).state, "completed")


if __name__ == "__main__":
    unittest.main()
