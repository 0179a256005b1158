"""A full run of the Python end-to-end suites leaves no ID number, phone or name in the daemon's
logs: the suites run again here with the daemons at --log-level debug, every request the client
sends is recorded, and the logs are searched for the personal data those requests carried
(workers, applications, roster rows) and for anything shaped like a resident ID number or a
mobile phone number."""

import csv
import io
import re
import unittest

import grpc
import harness  # puts clients/python on sys.path
import shequ  # noqa: E402

# The suites that send personal data or fail with it (bad rows, refused applications), and the
# one that exercises tokens.
SUITES = ("test_python_workforce", "test_python_recruitment", "test_python_tasks",
          "test_python_errors", "test_python_auth")
PERSONAL_FIELDS = ("name", "id_number", "phone")
# Messages whose name/id_number/phone are a person's (a Unit's name is not).
PERSONAL_MESSAGES = ("shequ.v1.Worker", "shequ.v1.Application")
ROSTER_COLUMNS = ("姓名", "身份证号", "手机号")
ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


class _Recorder(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Keeps every request message the client sends."""

    def __init__(self, sent: list):
        self.sent = sent

    def intercept_unary_unary(self, continuation, details, request):
        self.sent.append(request)
        return continuation(details, request)

    def intercept_unary_stream(self, continuation, details, request):
        self.sent.append(request)
        return continuation(details, request)

    def _tee(self, requests):
        for request in requests:
            self.sent.append(request)
            yield request

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(details, self._tee(requests))

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(details, self._tee(requests))


def personal_data(message, out: set) -> None:
    """The names, ID numbers and phones in `message`: fields of workers and applications, and the
    columns of CSV rosters in `data` chunks."""
    if message.DESCRIPTOR.full_name in PERSONAL_MESSAGES:
        for field in PERSONAL_FIELDS:
            value = getattr(message, field, "")
            if value:
                out.add(value)
    for field, value in message.ListFields():
        if field.type == field.TYPE_MESSAGE:
            for item in (value if field.label == field.LABEL_REPEATED else [value]):
                personal_data(item, out)
        elif field.name == "data" and isinstance(value, bytes):
            out.add(value.decode("utf-8", "replace"))  # roster chunks: split up below


def roster_values(text: str) -> set:
    values = set()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or not any(c in rows[0] for c in ROSTER_COLUMNS):
        return values
    columns = [rows[0].index(c) for c in ROSTER_COLUMNS if c in rows[0]]
    for row in rows[1:]:
        values.update(row[i] for i in columns if i < len(row) and row[i])
    return values


class LogsTest(unittest.TestCase):
    def test_no_personal_data_in_the_logs(self):
        sent: list = []
        recorder = _Recorder(sent)
        insecure = grpc.insecure_channel
        harness.LOG_LEVEL, harness.KEPT_LOGS = "debug", []
        grpc.insecure_channel = lambda *a, **kw: grpc.intercept_channel(insecure(*a, **kw),
                                                                        recorder)
        try:
            suites = unittest.defaultTestLoader.loadTestsFromNames(SUITES)
            out = io.StringIO()
            result = unittest.TextTestRunner(stream=out, verbosity=1).run(suites)
        finally:
            grpc.insecure_channel = insecure
            logs, harness.LOG_LEVEL, harness.KEPT_LOGS = harness.KEPT_LOGS, "warn", None
        self.assertTrue(result.wasSuccessful(), out.getvalue())
        self.assertGreaterEqual(result.testsRun, 15)

        found: set = set()
        for message in sent:
            personal_data(message, found)
        used = set()
        for value in found:
            used |= roster_values(value) if "\n" in value else {value}
        self.assertGreater(len([v for v in used if ID_NUMBER.fullmatch(v)]), 10)
        self.assertGreater(len([v for v in used if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", v)]),
                           10)

        text = "\n".join(logs)
        self.assertGreater(len(text), 1000)  # debug logs were kept: the search means something
        # A one-character name (甲) or a malformed short number ("34", sent to be refused) would
        # match ordinary text; the rest must not appear.
        telling = [v for v in used if len(v) >= 6 or re.fullmatch(r"[\u4e00-\u9fff]{2,}", v)]
        leaks = sorted(v for v in telling if v in text)
        self.assertEqual(leaks, [], "personal data in the daemon's logs")
        self.assertEqual(ID_NUMBER.findall(text), [], "an ID number in the daemon's logs")
        self.assertEqual(MOBILE.findall(text), [], "a phone number in the daemon's logs")


if __name__ == "__main__":
    unittest.main()
