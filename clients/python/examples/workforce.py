"""The workforce registry from a department system (docs/integration.md, "Workforce").

    /usr/bin/python3 clients/python/examples/workforce.py 127.0.0.1:7070

Against a daemon with an empty registry (not `make run`'s demo district): sets up a street
office with two communities and their quotas, imports a roster, reads it back masked and in
the clear, tries a transfer into a full community, and prints the occupancy report.

It acts as five principals, with their API tokens from a file of `<name> <roles> <unit> <token>`
lines ($SHEQU_TOKENS; var/demo-tokens.txt has that form): zhou.personnel (personnel),
wang.street (street-office, unit bh.hp), zhang.admin (district-admin), bianwei
(establishment-committee) and migration.hr (roster-migration); $SHEQU_TOKEN, when set, is
zhou.personnel's. Make them
with `shequctl principals put` and `shequctl tokens create` (docs/integration.md).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))  # run from a checkout
import shequ  # noqa: E402

DEMO_TOKENS = os.path.join(HERE, "..", "..", "..", "var", "demo-tokens.txt")

ROSTER = """姓名,身份证号,手机号,单位,岗位,等级,用工性质,状态,学历,入职日期
王芳,340111199001010010,13900000011,bh.hp.xf,主办,5,聘用合同,在岗,本科,2021-03-01
李强,340111199001010037,13900000012,bh.hp.xf,主办,5,聘用合同,在岗,本科,2021-03-01
张敏,340111199001010045,13900000013,bh.hp.df,主办,5,聘用合同,在岗,大专,2022-07-01
"""


def read_tokens(path: str) -> dict[str, str]:
    """Tokens by principal name, from lines `<name> <roles> <unit> <token>` (# comments)."""
    with open(path) as f:
        rows = [line.split() for line in f if line.strip() and not line.startswith("#")]
    return {row[0]: row[3] for row in rows if len(row) == 4}


def main(address: str) -> None:
    tokens = read_tokens(os.environ.get("SHEQU_TOKENS") or DEMO_TOKENS)
    # The district's personnel office sees personal data; a street office sees it masked.
    hr = shequ.Client(address, token=os.environ.get("SHEQU_TOKEN") or tokens["zhou.personnel"])
    street = hr.as_caller(token=tokens["wang.street"])
    wf = hr.workforce
    # Units are the administrator's, quotas the establishment committee's (编委), and the first
    # import of an existing roster the roster-migration role's.
    admin = hr.as_caller(token=tokens["zhang.admin"]).workforce
    committee = hr.as_caller(token=tokens["bianwei"]).workforce
    migration = hr.as_caller(token=tokens["migration.hr"]).workforce

    # 1. A district, a street office and two communities, each with an approved quota.
    admin.create_unit({"id": "bh", "name": "包河区", "kind": "district"}, request_id="unit-bh")
    admin.create_unit({"id": "bh.hp", "parent_id": "bh", "name": "和平街道", "kind": "street",
                       "unit_class": 1}, request_id="unit-bh.hp")
    for uid, name, kind, households, quota in (("bh.hp.xf", "幸福里社区", "城市社区", 2400, 2),
                                               ("bh.hp.df", "东风社区", "村改居", 1500, 4)):
        admin.create_unit({"id": uid, "parent_id": "bh.hp", "name": name, "kind": "community",
                           "community_type": kind, "households": households},
                          request_id=f"unit-{uid}")
        committee.revise_quota(uid, quota, "2026-01-01", "初始核定",
                               approval_document="区编办〔2026〕3号", request_id=f"quota-{uid}")

    # 2. The roster, all rows or none (a dry run first: it checks everything, stores nothing).
    checked = migration.import_roster(ROSTER.encode(), dry_run=True)
    imported = migration.import_roster(ROSTER.encode(), request_id="roster-2026-03")
    print(f"imported {imported.rows} workers (dry run found {checked.rows} good rows)")

    # 3. The same worker, as each caller sees it.
    first = imported.first_worker_id
    print("personnel sees:", wf.get_worker(first).name)
    print("street office sees:", street.workforce.get_worker(first).name)

    # 4. 幸福里 is full (2 of 2): a transfer into it is refused.
    zhang = next(street.workforce.iter_workers(unit_id="bh.hp.df"))
    try:
        street.workforce.transfer_worker(zhang.id, "bh.hp.xf", "工作需要")
    except shequ.FailedPrecondition as err:
        print("transfer refused:", err.message)

    # 5. Occupancy, from the street office down.
    for row in wf.occupancy("bh.hp").rows:
        f = row.subtree
        print(f"{'  ' * row.depth}{row.unit_name}: approved {f.approved}, occupied {f.occupied}, "
              f"vacant {f.vacant}")
    hr.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:7070")
