"""The recruitment calls of the Python client against a fresh daemon (fake clock), as
tests/integration/recruitment_test.cc drives them: a campaign for two posts is approved, seven
apply (one too old, refused by the eligibility rules when the window closes), the thin post is
cut, written and interview scores are imported, the post is ranked; a failed check promotes the
next candidate, an objection is dismissed, and after the notice the candidate is hired. Bad
input is refused with the error class and the field."""

import pathlib
import unittest

from harness import MONDAY_0900, Daemon, create_street  # puts clients/python on sys.path
import shequ  # noqa: E402

DAY_MS = 86_400_000
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    """A well-formed resident ID: first17 and its ISO 7064 MOD 11-2 check character."""
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


# Applications 2026-03-02..06: one assistant at 幸福里 (P01), one at 东风 (P02).
def campaign(id: str, p01: int = 1, p02: int = 1) -> dict:
    return {"id": id, "street_unit_id": "bh.hp", "title": "和平街道2026年社区工作者招聘",
            "opens": "2026-03-02", "closes": "2026-03-06",
            "posts": [{"id": "P01", "unit_id": "bh.hp.xf", "post": "assistant", "count": p01},
                      {"id": "P02", "unit_id": "bh.hp.df", "post": "assistant", "count": p02}]}


def applicant(post: str, name: str, first17: str, **more) -> dict:
    return dict({"post_id": post, "name": name, "id_number": id_number(first17),
                 "phone": "13812345678", "education": "bachelor", "source": "graduate"}, **more)


# P01's applicants in the order they apply; the last one was born in 1970 (55: too old).
P01 = (("王小明", "34010419950101001"), ("李小红", "34010419960202002"),
       ("张大伟", "34010419970303003"), ("刘芳", "34010419980404004"),
       ("陈老", "34010419700505005"))


class RecruitmentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.daemon = Daemon().start()
        cls.lg = cls.daemon.client("chen.lg", ["leading-group"])
        cls.street = cls.daemon.client("li.clerk", ["street-office"], "bh.hp")
        cls.hr = cls.daemon.client("zhou.hr", ["personnel"])
        cls.public = cls.daemon.client("applicant")
        create_street(cls.daemon, df_quota=1)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.lg.close()
        cls.daemon.cleanup()

    def test_a_bad_input_names_the_field(self) -> None:
        # Runs first (the flow moves the clock). A bad announcement names the field at fault;
        # one beyond the quota is refused; nothing is created.
        bad = campaign("bad-date")
        bad["opens"] = "2026-13-01"
        with self.assertRaises(shequ.InvalidArgument) as cm:
            self.street.recruitment.create_campaign(bad)
        self.assertIn("campaign.opens", str(cm.exception))
        bad = campaign("bad-count")
        bad["posts"][0]["count"] = 0
        with self.assertRaises(shequ.InvalidArgument) as cm:
            self.street.recruitment.create_campaign(bad)
        self.assertIn("campaign.posts[0].count", str(cm.exception))
        with self.assertRaises(shequ.InvalidArgument) as cm:  # a unit the registry lacks
            self.street.recruitment.create_campaign(dict(campaign("bad-unit"), posts=[
                {"id": "P01", "unit_id": "bh.nowhere", "post": "assistant", "count": 1}]))
        self.assertIn("campaign.posts[0].unit_id", str(cm.exception))
        with self.assertRaises(shequ.FailedPrecondition) as cm:
            self.street.recruitment.create_campaign(campaign("too-many", p01=3))
        self.assertIn("vacant", str(cm.exception))
        self.assertEqual(self.street.recruitment.list_campaigns(), [])

    def test_b_campaign_from_announcement_to_hire(self) -> None:
        rec = self.street.recruitment
        c = rec.create_campaign(campaign("hp-2026"), request_id="create-hp-2026")
        self.assertEqual(c.state, "draft")
        self.assertEqual(c.spec.posts[1].unit_id, "bh.hp.df")
        self.assertEqual([(s.step, s.role) for s in c.open_steps], [("approve", "leading-group")])
        # Nobody applies before approval; only the leading group approves.
        with self.assertRaises(shequ.FailedPrecondition):
            self.public.recruitment.apply("hp-2026", applicant("P01", *P01[0]))
        with self.assertRaises(shequ.PermissionDenied):
            rec.approve_campaign("hp-2026")
        c = self.lg.recruitment.approve_campaign("hp-2026", "approved", comment="同意")
        self.assertEqual(c.state, "published")
        self.assertEqual([x.spec.id for x in self.lg.recruitment.list_campaigns(
            street_unit_id="bh.hp")], ["hp-2026"])
        self.assertEqual(self.lg.recruitment.list_campaigns(state="draft"), [])

        # Seven apply: five on P01 (王小明 did community work since 2019), two on P02.
        apply = self.public.recruitment.apply
        p01 = [apply("hp-2026", applicant("P01", name, first17,
                                          community_since="2019-06-01" if i == 0 else ""))
               for i, (name, first17) in enumerate(P01)]
        self.assertEqual(len(set(p01)), 5)
        apply("hp-2026", applicant("P02", "赵一", "34010419950606006"))
        apply("hp-2026", {"post_id": "P02", "name": "钱二",
                          "id_number": id_number("34010419950707007"),
                          "phone": "13812345678", "education": "本科", "source": "graduate"})
        # A bad ID number names the field; the same person twice is AlreadyExists.
        with self.assertRaises(shequ.InvalidArgument) as cm:
            apply("hp-2026", dict(applicant("P01", "孙某", "34010419950808008"),
                                  id_number="34010419950808008X"))
        self.assertIn("id_number", str(cm.exception))
        with self.assertRaises(shequ.AlreadyExists):
            apply("hp-2026", applicant("P01", *P01[1]))
        self.assertEqual(rec.get_campaign("hp-2026").funnel.applied, 7)

        # The window closes (Saturday 2026-03-07): the automatic rules run.
        self.daemon.admin.admin.advance_clock(to_ms=MONDAY_0900 + 5 * DAY_MS)
        c = rec.get_campaign("hp-2026")
        self.assertEqual(c.state, "applications_closed")
        apps = rec.list_applications("hp-2026", post_id="P01")
        self.assertEqual([a.id for a in apps], p01)
        status = {a.id: a.status for a in apps}
        self.assertEqual([status[i] for i in p01], ["eligible"] * 4 + ["ineligible"])
        too_old = apps[-1]
        self.assertEqual(len(too_old.refusals), 1)
        self.assertIn("年龄", too_old.refusals[0])  # 55 when the window closed; 18–35 wanted
        self.assertEqual(too_old.name, "陈*")  # masked for the street office
        self.assertEqual([a.id for a in rec.list_applications("hp-2026", status="ineligible")],
                         [p01[4]])
        # The reviewer confirms the refusal (a refusal needs a reason).
        with self.assertRaises(shequ.InvalidArgument):
            rec.review_application("hp-2026", p01[4], False)
        reviewed = rec.review_application("hp-2026", p01[4], False, "年龄超过招聘公告规定",
                                          request_id="review-5")
        self.assertEqual(reviewed.status, "ineligible")

        # P02 has two eligible applicants for one post, below 3:1: the leading group decides.
        c = rec.finish_review("hp-2026")
        self.assertEqual(c.state, "applications_closed")
        self.assertEqual([(s.post_id, s.posts, s.eligible) for s in c.shortfalls],
                         [("P02", 1, 2)])
        self.assertEqual([s.step for s in rec.get_campaign("hp-2026").open_steps],
                         ["shortfall"])
        with self.assertRaises(shequ.PermissionDenied):
            rec.decide_shortfall("hp-2026", cut={"P02": 0})
        c = self.lg.recruitment.decide_shortfall("hp-2026", cut={"P02": 0}, comment="核减")
        self.assertEqual(c.state, "eligibility_reviewed")
        self.assertEqual(c.funnel.eligible, 4)
        dropped = rec.list_applications("hp-2026", post_id="P02")
        self.assertEqual([a.status for a in dropped], ["post_cancelled", "post_cancelled"])
        self.assertEqual(dropped[0].refusals[-1], "报考岗位P02因开考比例不足取消")

        # Written scores (刘芳 absent); a bad score refuses the whole file, naming the column.
        with self.assertRaises(shequ.InvalidArgument) as cm:
            rec.import_scores("hp-2026", f"报名号,笔试成绩\n{p01[0]},91\n{p01[1]},高分\n")
        self.assertIn("笔试成绩", str(cm.exception))
        written = (f"报名号,笔试成绩\n{p01[0]},91\n{p01[1]},88.5\n{p01[2]},80\n"
                   f"{p01[3]},缺考\n")
        self.assertEqual(rec.import_scores("hp-2026", written.encode()), 4)
        c = rec.shortlist("hp-2026")
        self.assertEqual(c.state, "shortlisted")
        shortlisted = rec.list_applications("hp-2026", status="shortlisted")
        self.assertEqual([a.id for a in shortlisted], p01[:3])
        self.assertEqual(shortlisted[1].written, "88.5")

        # Interview scores, then the ranking: composite 50/50, 李小红 (88.5, 90) 89.25 first,
        # 王小明 (91, 85) 88 second, 张大伟 (80, 70) 75 third.
        interview = pathlib.Path(self.daemon.data_dir, "interview.csv")  # from a file
        interview.write_text(f"报名号,面试成绩\n{p01[0]},85\n{p01[1]},90\n{p01[2]},70\n",
                             encoding="utf-8")
        self.assertEqual(rec.import_scores("hp-2026", interview, request_id="interview-1"), 3)
        c = rec.rank("hp-2026")
        self.assertEqual(c.state, "checking")
        ranking = rec.get_ranking("hp-2026", "P01")
        self.assertEqual([a.id for a in ranking], [p01[1], p01[0], p01[2]])
        self.assertEqual([a.rank for a in ranking], [1, 2, 3])
        self.assertEqual(ranking[0].status, "selected")
        self.assertEqual(ranking[0].name, "李*红")
        self.assertEqual(ranking[0].composite, "89.250")
        self.assertEqual(ranking[1].composite, "88.000")

        # 李小红 fails the physical examination: 王小明 is promoted (递补) and checked too.
        checked = rec.record_check("hp-2026", p01[1], "physical", False, "体检不合格")
        self.assertEqual((checked.removed_id, checked.promoted_id), (p01[1], p01[0]))
        with self.assertRaises(shequ.FailedPrecondition):
            rec.start_notice("hp-2026")  # 王小明's checks are pending
        self.assertEqual([a.status for a in rec.get_ranking("hp-2026", "P01")],
                         ["removed", "selected", "ranked"])
        with self.assertRaises(shequ.FailedPrecondition) as cm:
            rec.withdraw("hp-2026", p01[2], "另有工作")  # 张大伟 is third, not a candidate
        self.assertIn("not a candidate", str(cm.exception))
        rec.record_check("hp-2026", p01[0], "physical", True)
        rec.record_check("hp-2026", p01[0], "background", True)
        c = rec.start_notice("hp-2026")
        self.assertEqual(c.state, "notice")

        # An objection during the notice; investigated and dismissed, the candidate stays.
        objection = self.public.recruitment.file_objection("hp-2026", p01[0], "反映该考生学历造假")
        self.assertEqual(objection.state, "open")
        self.assertGreater(objection.instance_id, 0)
        objection = rec.decide_objection("hp-2026", objection.id, False, "经核查学历属实")
        self.assertEqual(objection.state, "dismissed")

        # After the notice the workflow hires him into the reserved post.
        self.daemon.admin.admin.advance_clock("P14D")
        c = rec.get_campaign("hp-2026")
        self.assertEqual(c.state, "done")
        f = c.funnel  # 刘芳 missed the written exam; P02's two left with their post
        self.assertEqual((f.applied, f.eligible, f.examined, f.interviewed, f.notified, f.hired),
                         (7, 4, 3, 3, 1, 1))
        self.assertEqual([s.state for s in c.stages], [
            "draft", "approved", "published", "applications_closed", "eligibility_reviewed",
            "written_scored", "shortlisted", "interviewed", "ranked", "checking", "notice",
            "hiring", "done"])
        self.assertEqual(len(c.hired_workers), 1)
        worker = self.hr.workforce.get_worker(c.hired_workers[0])
        self.assertEqual((worker.name, worker.unit_id, worker.post),
                         ("王小明", "bh.hp.xf", "assistant"))
        self.assertEqual(worker.grade, 5)  # assistant 1 + 6 years ÷ 3 + 2 for a bachelor's
        self.assertEqual([x.state for x in self.lg.recruitment.list_campaigns()], ["done"])


if __name__ == "__main__":
    unittest.main()
