"""A department system's integration with shequd, start to finish (docs/integration.md).

    /usr/bin/python3 clients/python/examples/quickstart.py 127.0.0.1:7070

Each party acts with its own API token, taken from a file of `<name> <roles> <unit> <token>`
lines: `make run`'s var/demo-tokens.txt, or the file $SHEQU_TOKENS names. The example acts as the
demo principals wang (street office), li (leading group), zhang.admin (administrator) and
system:civil-affairs (a department system); $SHEQU_TOKEN, when set, is the street office's.

1. A street office starts a vacancy-approval request.
2. The leading group office subscribes to its reminders (here the daemon must run with
   --fake-clock: the example moves time three working days so a reminder falls due).
3. The district archive runs a job worker for `archive.file` jobs.
4. The leading group approves; the instance ends and the worker files the decision.
"""

import os
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))  # run from a checkout
import shequ  # noqa: E402

DEMO_TOKENS = os.path.join(HERE, "..", "..", "..", "var", "demo-tokens.txt")

# A small workflow with a service node: file the approved request in the archive system.
ARCHIVE_YAML = """
id: archive-decision
name: 归档 / file a decision
start: file
nodes:
  file: {type: service, job: archive.file, retries: 3, next: done}
  done: {type: end}
"""


def read_tokens(path: str) -> dict[str, str]:
    """Tokens by principal name, from lines `<name> <roles> <unit> <token>` (# comments)."""
    with open(path) as f:
        rows = [line.split() for line in f if line.strip() and not line.startswith("#")]
    return {row[0]: row[3] for row in rows if len(row) == 4}


def main(address: str) -> None:
    tokens = read_tokens(os.environ.get("SHEQU_TOKENS") or DEMO_TOKENS)
    # 1. Connect as the street office and start a workflow. The request id makes a retry safe.
    street = shequ.Client(address, token=os.environ.get("SHEQU_TOKEN") or tokens["wang"])
    started = street.instances.start(
        "vacancy-approval",
        {"community": "community-7", "street": "street-1", "posts": 2, "vacancies": 3},
        business_key="community-7", unit="community-7", request_id="street-1/2026-001")
    print("started instance", started.instance_id)

    # 2. The leading group office: its open task, and a reminder on the subscription.
    office = street.as_caller(token=tokens["li"])  # the same connection, another caller
    admin = street.as_caller(token=tokens["zhang.admin"])
    task = office.tasks.list(role="leading-group", instance_id=started.instance_id).tasks[0]
    print("task", task.id, task.name)
    with office.notifications.subscribe(roles=["leading-group"]) as inbox:
        admin.admin.advance_clock("3wd")  # demo only: a --fake-clock daemon
        for note in inbox:
            if note.kind == "task.reminder" and note.instance_id == started.instance_id:
                print("reminder:", note.subject)
                office.notifications.ack(note.id)
                break

    # 3. The archive's job worker, running beside the rest of the program.
    admin.definitions.deploy(ARCHIVE_YAML)
    archive = street.as_caller(token=tokens["system:civil-affairs"])
    worker = archive.worker("district-archive")

    @worker("archive.file")
    def file_decision(job: shequ.Job) -> dict:
        return {"archive_no": f"A-{job.variables['request']}"}

    threading.Thread(target=worker.run, daemon=True).start()

    # 4. Approve; watch the instance end; file the decision and wait for the worker.
    office.tasks.complete(task.id, "approved", {"comment": "同意"})
    done = street.instances.wait_ended(started.instance_id, timeout=30)
    print("vacancy-approval ended:", done.end_status)
    # The leading group office files the decision; the archive's worker does the job.
    filed = office.instances.start("archive-decision", {"request": started.instance_id})
    result = office.instances.wait_ended(filed.instance_id, timeout=30)
    print("archived as", shequ.variables(result)["archive_no"])
    worker.stop()
    street.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:7070")
