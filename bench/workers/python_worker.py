#!/usr/bin/python3
"""The Python side of bench/client_workers_bench: a shequ.Worker (clients/python) serving one job
type until --jobs jobs are completed. The handler parses the variables (the client does) and
returns {"done": true}. Prints `jobs=N seconds=S`: from the first job handed to the handler to
the last completion acknowledged.

    python_worker.py --address HOST:PORT --type TYPE --jobs N [--concurrency C]
"""

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"))
import shequ  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--address", default="127.0.0.1:7070")
    p.add_argument("--type", default="bench.python")
    p.add_argument("--jobs", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=16)
    args = p.parse_args()

    client = shequ.Client(args.address, user="bench", roles="job-worker")
    worker = client.worker("python-bench", concurrency=args.concurrency)
    first = []
    lock = threading.Lock()

    @worker(args.type)
    def handle(job):
        if not first:
            with lock:
                if not first:
                    first.append(time.perf_counter())
        return {"done": True}

    worker.start()
    while worker.completed + worker.lost < args.jobs:
        time.sleep(0.001)
    last = time.perf_counter()
    worker.stop()
    if worker.completed != args.jobs:
        print(f"python_worker: {worker.completed} of {args.jobs} completed", file=sys.stderr)
        return 1
    print(f"jobs={args.jobs} seconds={last - first[0]:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
