"""The annual-review calls of the Python client against a fresh daemon (fake clock), as
tests/integration/reviews_test.cc drives them: the street office opens 和平街道's 2026 cycle
with one worker, who submits and finishes the report; fifteen residents' representatives and
party members vote (a second ballot by the same voter is AlreadyExists); the street office
records the scores, finishes the appraisal and the scores, and calibration shows the rating.
No answer names a voter."""

import unittest

from harness import Daemon, revise_quota  # puts clients/python on sys.path
import shequ  # noqa: E402

CYCLE = "bh.hp/2026"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    """A well-formed resident ID: first17 and its ISO 7064 MOD 11-2 check character."""
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


class ReviewsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.daemon = Daemon().start()
        workforce = cls.daemon.admin.workforce
        workforce.create_unit({"id": "bh", "name": "包河区", "kind": "district"})
        workforce.create_unit({"id": "bh.hp", "parent_id": "bh", "name": "和平街道",
                               "kind": "street", "unit_class": 1})
        workforce.create_unit({"id": "bh.hp.xf", "parent_id": "bh.hp", "name": "幸福里社区",
                               "kind": "community", "community_type": "城市社区",
                               "households": 6000})
        revise_quota(cls.daemon, "bh.hp.xf", 12)
        # A contract worker (a quota post): the first import of an existing roster.
        migration = cls.daemon.client("zhao.migration", ["roster-migration"])
        cls.worker_id = migration.workforce.create_worker({
            "name": "工作者100", "id_number": id_number("34011119900101100"),
            "phone": "13900000100", "education": "bachelor", "employment": "contract",
            "post": "officer", "grade": 5, "unit_id": "bh.hp.xf", "hired_on": "2020-05-01",
            "number": "W100"}).id
        cls.street = cls.daemon.client("li.clerk", ["street-office"], "bh.hp")
        # The worker acts as the principal named by their employee number.
        cls.own = cls.daemon.client("W100", ["worker"], "bh.hp.xf")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.daemon.cleanup()

    def voter(self, i: int) -> shequ.Client:
        """voter-0..7 residents' representatives, voter-8.. party members of 幸福里."""
        role = "resident-representative" if i < 8 else "party-member"
        return self.daemon.client(f"voter-{i}", [role], "bh.hp.xf")

    def assertNoVoter(self, answer) -> None:  # noqa: N802 - unittest's style
        self.assertNotIn("voter-", str(answer))

    def test_a_worker_from_the_report_to_the_calibrated_rating(self) -> None:
        rv = self.street.reviews
        w = self.worker_id
        cycle = rv.open_cycle("bh.hp", 2026, request_id="open-bh.hp-2026")
        self.assertEqual(cycle.id, CYCLE)
        self.assertEqual((cycle.workers, cycle.rated, cycle.not_rated), (1, 1, 0))
        self.assertEqual(cycle.state, "open")
        with self.assertRaises(shequ.AlreadyExists):
            rv.open_cycle("bh.hp", 2026)
        self.assertEqual([c.id for c in rv.list_cycles(street_unit_id="bh.hp", year=2026)],
                         [CYCLE])
        self.assertEqual(rv.get_cycle(CYCLE).street_unit_id, "bh.hp")

        # The report, by the worker; finished by the worker.
        review = self.own.reviews.submit_report(CYCLE, w, "2026年度述职报告",
                                                ["doc:report-100"])
        self.assertEqual(review.report, "2026年度述职报告")
        self.assertEqual(list(review.attachments), ["doc:report-100"])
        self.assertEqual(list(self.own.reviews.finish_step(CYCLE, w, "report").steps_done),
                         ["report"])

        # Fifteen ballots, eight from residents' representatives; the receipt counts them.
        for i in range(15):
            receipt = self.voter(i).reviews.cast_ballot(CYCLE, w, "competent")
            self.assertEqual(receipt.ballots, i + 1)
        with self.assertRaises(shequ.AlreadyExists):
            self.voter(0).reviews.cast_ballot(CYCLE, w, "excellent")
        tally = rv.get_review(CYCLE, w).tally
        self.assertEqual((tally.ballots, tally.residents, tally.party_members, tally.competent),
                         (15, 8, 7, 15))
        self.assertEqual(tally.shortfall, "")

        # The scores, then the appraisal and the scores finished by the street office.
        review = rv.record_scores(CYCLE, w, satisfaction="80", target="80",
                                  unexcused_absence_days=0)
        self.assertEqual((review.satisfaction, review.target, review.unexcused_absence_days),
                         ("80", "80", 0))
        rv.finish_step(CYCLE, w, "appraisal", comment="民主评议结束")
        review = rv.finish_step(CYCLE, w, "scores")
        self.assertEqual(sorted(review.steps_done), ["appraisal", "report", "scores"])
        self.assertNoVoter(review)
        self.assertEqual([r.worker_id for r in rv.iter_reviews(CYCLE, unit_id="bh.hp.xf")], [w])

        # Calibration: the rating sign-off would fix, nothing changed.
        results = rv.calibrate(CYCLE)
        self.assertNoVoter(results)
        self.assertEqual([(r.worker_id, r.result.rating) for r in results.results],
                         [(w, "competent")])
        self.assertEqual(rv.get_cycle(CYCLE).state, "open")


if __name__ == "__main__":
    unittest.main()
