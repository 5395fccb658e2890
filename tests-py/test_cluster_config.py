"""backend="cluster" and configure(cluster=...): what is refused before any network is touched
(the cluster itself is tested in ClusterPythonTest, in a loopback-only network namespace)."""

import unittest

import makeparallel as mp
from makeparallel import _submit


def square(x):
    return x * x


class ClusterConfigTest(unittest.TestCase):
    def test_cluster_is_a_backend_name(self):
        self.assertIn("cluster", _submit.BACKENDS)
        self.assertEqual("cluster", _submit.resolve_backend("cluster"))

    def test_a_cluster_call_without_a_cluster_says_how_to_name_one(self):
        with self.assertRaises(ValueError) as cm:
            mp.parallel(backend="cluster")(square)(3)
        self.assertIn("configure(cluster=", str(cm.exception))
        self.assertIn("MAKEPARALLEL_CLUSTER", str(cm.exception))
        with self.assertRaises(ValueError):
            mp.parallel_map(square, range(4), backend="cluster")

    def test_bad_settings_are_refused_naming_the_setting(self):
        rows = [
            (5, TypeError, "cluster must be a dict"),
            ({"nam": "x"}, ValueError, "no setting 'nam'"),
            ({"name": "x"}, ValueError, "needs a 'bind'"),
            ({"name": "x", "bind": "127.0.0.1:7800", "plaintext": "yes"}, TypeError, "cluster['plaintext'] must be a bool"),
            ({"name": "x", "bind": 7800}, TypeError, "cluster['bind'] must be a str"),
            ({"name": "x", "bind": "127.0.0.1:7800", "peers": [1]}, TypeError, "HOST:PORT strings"),
            ({"name": "x", "bind": "127.0.0.1:7800", "plaintext": True, "failure_timeout": -1}, ValueError,
             "failure_timeout"),
            ({"name": "x", "bind": "0.0.0.0:7800", "plaintext": True}, ValueError, "not a wildcard"),
            ({"name": "x", "bind": "127.0.0.1:7800", "peers": "10.9.8.7:7800", "plaintext": True}, ValueError,
             "plaintext is allowed only on loopback"),
            ({"name": "x", "bind": "127.0.0.1:7800"}, ValueError, "keystore is required"),
            ({"name": "x y", "bind": "127.0.0.1:7800", "plaintext": True}, ValueError, "cluster name must be"),
        ]
        for settings, exc, text in rows:
            with self.subTest(settings=settings):
                with self.assertRaises(exc) as cm:
                    mp.configure(cluster=settings)
                self.assertIn(text, str(cm.exception))

    def test_a_refused_configure_changes_nothing(self):
        before = _submit.default_backend()
        with self.assertRaises(ValueError):
            mp.configure(backend="cluster", cluster={"name": "x"})
        self.assertEqual(before, _submit.default_backend())


if __name__ == "__main__":
    unittest.main()
