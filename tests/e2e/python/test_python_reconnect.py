"""A dropped connection: shequd is killed (-9) while a Python worker holds jobs, and restarted on
the same data directory and port. The worker reconnects with back-off, reports what its
handlers finished (retrying with the same request id), serves new jobs, and no job is lost or
completed twice."""

import threading
import unittest
from collections import Counter

from harness import DaemonTestCase, wait_for

YAML = """
id: py-reconnect
start: work
nodes:
  work: {type: service, job: py.reconnect, next: done}
  done: {type: end}
"""


class ReconnectTest(DaemonTestCase):
    def test_worker_survives_daemon_restart(self):
        admin = self.daemon.admin
        admin.definitions.deploy(YAML)
        c = self.daemon.client("li", ["leading-group"])  # starts and reads the instances
        gate = threading.Event()
        held = threading.Semaphore(0)
        handled = Counter()
        jobs = self.daemon.client("system:py-reconnect", ["job-worker"])  # the worker's principal
        worker = jobs.worker("py-reconnect", concurrency=8, timeout_ms=60_000, max_backoff=1.0)

        @worker("py.reconnect")
        def work(job):
            handled[job.instance_id] += 1
            if job.variables.get("hold"):
                held.release()
                gate.wait(30)
            return {"done": True}

        worker.start()
        try:
            ids = [c.instances.start("py-reconnect", {}).instance_id for _ in range(5)]
            wait_for(lambda: worker.completed == 5, what="the first 5 jobs")
            ids += [c.instances.start("py-reconnect", {"hold": True}).instance_id
                    for _ in range(3)]
            for _ in range(3):
                self.assertTrue(held.acquire(timeout=15))  # 3 handlers are running

            now_ms = admin.admin.stats().now_ms
            self.daemon.kill()
            gate.set()  # the handlers finish while the daemon is down
            wait_for(lambda: worker.report_retries >= 3, what="reports retried")
            self.daemon.fake_clock_ms = now_ms
            self.daemon.start()  # same data directory, same port

            wait_for(lambda: worker.completed == 8, timeout=30, what="held jobs reported")
            self.assertGreaterEqual(worker.reconnects, 1)
            ids += [c.instances.start("py-reconnect", {}).instance_id for _ in range(4)]
            for iid in ids:
                self.assertEqual(c.instances.wait_ended(iid, timeout=20).state, "completed")
            self.assertEqual(worker.completed, 12)
            self.assertEqual(worker.lost, 0)
        finally:
            gate.set()
            worker.stop()
        for iid in ids:
            events = [e.type for e in c.instances.history(iid)]
            self.assertEqual(events.count("job.completed"), 1, iid)
            self.assertEqual(handled[iid], 1, iid)


if __name__ == "__main__":
    unittest.main()
