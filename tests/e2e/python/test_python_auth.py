"""API tokens through the Python client: a call without a token (or with a wrong one) is
UNAUTHENTICATED saying why; WhoAmI; an administrator puts a principal and creates, lists and
revokes its token; a revoked token is refused, and the stream it opened is closed."""

import unittest

from harness import MONDAY_0900, DaemonTestCase  # puts clients/python on sys.path
import shequ  # noqa: E402

DAY_MS = 86_400_000


class AuthTest(DaemonTestCase):
    def test_a_call_without_a_token_is_unauthenticated(self):
        with shequ.Client(self.daemon.address, timeout=5) as anonymous:
            self.assertEqual(anonymous.token, "")
            with self.assertRaises(shequ.Unauthenticated) as caught:
                anonymous.principals.whoami()
            self.assertEqual(caught.exception.code.name, "UNAUTHENTICATED")
            self.assertIn("no token was sent: pass token= or set SHEQU_TOKEN",
                          caught.exception.message)
            with self.assertRaises(shequ.Unauthenticated):
                next(iter(anonymous.notifications.subscribe(roles=["leading-group"])))
        with shequ.Client(self.daemon.address, token="not-a-token", timeout=5) as wrong:
            with self.assertRaises(shequ.Unauthenticated) as caught:
                wrong.principals.whoami()
            self.assertNotIn("no token was sent", caught.exception.message)

    def test_whoami(self):
        me = self.client.principals.whoami()
        self.assertEqual(me.name, "wang")
        self.assertEqual([g.role for g in me.roles], ["street-office"])
        self.assertEqual(me.unit, "street-1")
        self.assertTrue(me.via)

    def test_create_list_revoke(self):
        admin = self.daemon.admin
        put = admin.principals.put("auth.py", roles=["leading-group"], display_name="测试",
                                   reason="e2e")
        self.assertEqual((put.name, put.kind, [g.role for g in put.roles]),
                         ("auth.py", "person", ["leading-group"]))
        self.assertIn("auth.py", [p.name for p in admin.principals.list(role="leading-group")])

        created = admin.principals.create_token("auth.py", description="py e2e",
                                                expires_in="P30D")
        token = created.token
        self.assertTrue(created.secret)
        self.assertEqual((token.principal, token.description), ("auth.py", "py e2e"))
        self.assertEqual(token.expires_at_ms, MONDAY_0900 + 30 * DAY_MS)
        self.assertNotIn(created.secret, str(admin.principals.list_tokens("auth.py")))
        self.assertIn(token.id, [t.id for t in admin.principals.list_tokens("auth.py")])

        user = admin.as_caller(token=created.secret)
        self.assertEqual(user.principals.whoami().name, "auth.py")
        inbox = user.notifications.subscribe(roles=["leading-group"])

        revoked = admin.principals.revoke_token(token.id, reason="e2e")
        self.assertGreater(revoked.revoked_at_ms, 0)
        with self.assertRaises(shequ.Unauthenticated) as caught:
            user.principals.whoami()
        self.assertIn("revoked", caught.exception.message)
        with self.assertRaises(shequ.Unauthenticated):  # the stream it opened is closed
            while True:
                inbox.next(timeout=10)
        self.assertNotIn(token.id, [t.id for t in admin.principals.list_tokens("auth.py")])
        listed = admin.principals.list_tokens("auth.py", include_revoked=True)
        self.assertEqual([t.revoked_at_ms for t in listed if t.id == token.id],
                         [revoked.revoked_at_ms])


if __name__ == "__main__":
    unittest.main()
