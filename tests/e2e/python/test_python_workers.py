"""Job workers through the Python client: handlers complete service jobs; a handler that raises
fails the job with its message, the engine retries after its back-off (on the fake clock) and
raises an incident when attempts run out; stop() lets running handlers finish and report.
One worker serves the class: a job dispatched to a stream that is being cancelled stays locked to
it until its lock expires, so tests do not hand a job type from one worker to the next."""

import threading
import unittest

from harness import DaemonTestCase, wait_for  # puts clients/python on sys.path
import shequ  # noqa: E402

JOBS_YAML = """
id: {type}
start: work
nodes:
  work: {{type: service, job: {type}, retries: 3, backoff: PT10S, next: done}}
  done: {{type: end, status: ok}}
"""


def handle(job: shequ.Job) -> dict:
    """What the handler does depends on the instance's `mode`."""
    mode = job.variables.get("mode", "ok")
    if mode == "flaky" and job.attempt == 1:
        raise RuntimeError("registry timed out")
    if mode == "broken":
        raise RuntimeError(f"registry refused attempt {job.attempt}")
    if mode == "fatal":
        raise shequ.JobError("ID number malformed", retries_left=0)
    return {"doubled": job.variables.get("n", 0) * 2, "attempt_seen": job.attempt}


class WorkerTest(DaemonTestCase):
    calls: list = []

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for job_type in ("py.work", "py.slow"):
            cls.daemon.admin.definitions.deploy(JOBS_YAML.format(type=job_type))
        # The leading group office starts and reads the instances; the workers are system
        # principals with the job-worker role; the clock and incidents are the administrator's.
        cls.office = cls.daemon.client("li", ["leading-group"])
        cls.jobs = cls.daemon.client("system:py-test", ["job-worker"])
        cls.worker = cls.jobs.worker("py-test", concurrency=4)

        @cls.worker("py.work")
        def work(job):
            cls.calls.append((job.instance_id, job.attempt))
            return handle(job)

        cls.worker.start()

    @classmethod
    def tearDownClass(cls):
        cls.worker.stop()
        cls.jobs.close()
        cls.office.close()
        super().tearDownClass()

    def setUp(self):
        self.calls.clear()

    def start(self, job_type="py.work", **variables) -> int:
        return self.office.instances.start(job_type, variables).instance_id

    def failures(self, iid):
        return [e for e in self.office.instances.history(iid) if e.type == "job.failed"]

    def test_completes_service_jobs(self):
        ids = [self.start(n=i) for i in range(6)]
        for i, iid in enumerate(ids):
            inst = self.office.instances.wait_ended(iid, timeout=15)
            self.assertEqual((inst.state, inst.end_status), ("completed", "ok"))
            self.assertEqual(shequ.variables(inst)["doubled"], 2 * i)
        self.assertEqual(sorted(iid for iid, _ in self.calls), sorted(ids))
        wait_for(lambda: self.worker.completed >= 6, what="6 completions counted")

    def test_failure_is_retried_after_backoff(self):
        iid = self.start(mode="flaky")
        failed = wait_for(lambda: self.failures(iid), what="job.failed")
        self.assertIn("registry timed out", failed[0].data)
        self.assertEqual(self.office.instances.get(iid).state, "active")
        self.assertEqual(self.daemon.admin.admin.advance_clock("PT9S").timers_fired, 0)
        self.assertEqual(self.daemon.admin.admin.advance_clock("PT1S").timers_fired, 1)
        inst = self.office.instances.wait_ended(iid, timeout=15)
        self.assertEqual(shequ.variables(inst)["attempt_seen"], 2)
        self.assertEqual([a for i, a in self.calls if i == iid], [1, 2])

    def test_incident_when_attempts_run_out(self):
        iid = self.start(mode="broken")
        for attempt in (1, 2):
            wait_for(lambda: len(self.failures(iid)) == attempt, what=f"failure {attempt}")
            self.daemon.admin.admin.advance_clock("PT1H")  # past the back-off (10 s, then 20 s)
        incidents = wait_for(lambda: self.daemon.admin.incidents.list(instance_id=iid).incidents,
                             what="incident")
        self.assertEqual(incidents[0].kind, "job-failed")
        self.assertIn("registry refused attempt 3", incidents[0].message)
        self.assertEqual([a for i, a in self.calls if i == iid], [1, 2, 3])

        # Resolving gives the job a new attempt; this time the data is fixed.
        self.daemon.admin.incidents.resolve(incidents[0].id, retries=1, variables={"mode": "ok"})
        self.assertEqual(self.office.instances.wait_ended(iid, timeout=15).end_status, "ok")

    def test_job_error_without_retries_raises_incident_at_once(self):
        iid = self.start(mode="fatal")
        incidents = wait_for(lambda: self.daemon.admin.incidents.list(instance_id=iid).incidents,
                             what="incident")
        self.assertIn("ID number malformed", incidents[0].message)
        self.assertEqual(len(self.failures(iid)), 1)

    def test_stop_waits_for_running_handlers(self):
        gate, entered = threading.Event(), threading.Event()
        slow = self.jobs.worker("py-slow")

        @slow("py.slow")
        def work(job):
            entered.set()
            gate.wait(10)
            return {"slow": True}

        slow.start()
        iid = self.start("py.slow")
        self.assertTrue(entered.wait(10))
        stopper = threading.Thread(target=slow.stop)
        stopper.start()
        stopper.join(0.2)
        self.assertTrue(stopper.is_alive())  # still waiting for the handler
        gate.set()
        stopper.join(10)
        self.assertFalse(stopper.is_alive())
        self.assertEqual(slow.completed, 1)
        self.assertEqual(self.office.instances.get(iid).state, "completed")


if __name__ == "__main__":
    unittest.main()
