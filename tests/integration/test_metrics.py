"""/metrics: the Prometheus text the daemon exposes, checked for plausibility.

Not exact values (they depend on the machine and the build) but the facts
an operator relies on: memory figures in a sane range, counters that count
the requests just made, pool gauges that match the configuration, and
label sets that stay bounded whatever paths clients invent.
"""

import unittest
import uuid

import harness

POOL_SIZE = 3
MEMORY_BUDGET = 16 * 1024 * 1024

pg = None


def setUpModule():
    global pg
    pg = harness.PgCluster()
    unittest.addModuleCleanup(pg.cleanup)


class MetricsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.kith = harness.Kith(database_url=pg.url(),
                                config={"memory_budget": "16MiB",
                                        "database": {"pool_size": POOL_SIZE}})
        cls.addClassCleanup(cls.kith.cleanup)
        cls.kith.start()

    def scrape(self):
        response, samples = self.kith.metrics()
        self.assertEqual(response.status, 200, response)
        return samples

    def value(self, samples, name, **labels):
        v = harness.metric_value(samples, name, **labels)
        self.assertIsNotNone(v, f"metric {name}{labels or ''} missing")
        return v

    def healthz_requests(self, samples):
        """kith_http_requests_total for GET /healthz answered 200."""
        return sum(v for n, l, v in samples if n == "kith_http_requests_total"
                   and l.get("method") == "GET" and l.get("status") == "200"
                   and l.get("route", "").endswith("healthz"))

    def test_metrics_are_prometheus_text_format(self):
        response, samples = self.kith.metrics()
        content_type = response.header("content-type", "")
        self.assertTrue(content_type.startswith("text/plain"), content_type)
        self.assertIn("version=0.0.4", content_type)
        text = response.text()
        for name in ["kith_process_resident_memory_bytes", "kith_http_requests_total",
                     "kith_http_request_duration_seconds", "kith_http_open_connections",
                     "kith_http_rejected_connections_total", "kith_db_pool_connections",
                     "kith_memory_budget_bytes", "kith_cache_bytes"]:
            with self.subTest(name):
                self.assertIn(f"# TYPE {name} ", text)
        self.assertIn("# TYPE kith_http_requests_total counter", text)
        self.assertIn("# TYPE kith_http_request_duration_seconds histogram", text)
        self.assertTrue(samples)

    def test_resident_memory_is_plausible(self):
        samples = self.scrape()
        rss = self.value(samples, "kith_process_resident_memory_bytes")
        peak = self.value(samples, "kith_process_resident_memory_peak_bytes")
        self.assertGreater(rss, 1_000_000)
        self.assertLess(rss, 1_000_000_000)
        self.assertGreaterEqual(peak, rss)
        # The same figure /proc gives, give or take what moved between reads.
        proc_rss, proc_hwm = self.kith.memory()
        self.assertLess(abs(rss - proc_rss), max(0.5 * proc_rss, 8 << 20))
        self.assertLessEqual(peak, proc_hwm * 1.01 + 1)

    def test_request_counter_counts_requests(self):
        before = self.healthz_requests(self.scrape())
        for _ in range(5):
            self.assertEqual(self.kith.get("/healthz").status, 200)
        after = self.healthz_requests(self.scrape())
        self.assertGreaterEqual(after - before, 5)

    def test_request_counter_labels_status_and_method(self):
        self.assertEqual(self.kith.get("/no-such-path").status, 404)
        self.assertEqual(self.kith.request("POST", "/healthz").status, 405)
        samples = self.scrape()
        statuses = {l.get("status") for n, l, v in samples if n == "kith_http_requests_total"}
        self.assertIn("404", statuses)
        self.assertIn("405", statuses)

    def test_latency_histogram_has_buckets_sum_and_count(self):
        for _ in range(3):
            self.kith.get("/healthz")
        samples = self.scrape()
        buckets = [(l, v) for n, l, v in samples
                   if n == "kith_http_request_duration_seconds_bucket"
                   and l.get("route", "").endswith("healthz")]
        self.assertTrue(buckets, "no histogram buckets for /healthz")
        inf = [v for l, v in buckets if l.get("le") == "+Inf"]
        self.assertEqual(len(inf), 1)
        counts = [v for n, l, v in samples if n == "kith_http_request_duration_seconds_count"
                  and l.get("route", "").endswith("healthz")]
        self.assertEqual(counts, inf, "_count must equal the +Inf bucket")
        self.assertGreaterEqual(inf[0], 3)
        ordered = sorted(buckets, key=lambda b: float(b[0]["le"]))
        values = [v for _, v in ordered]
        self.assertEqual(values, sorted(values), "buckets must be cumulative")
        total = [v for n, l, v in samples if n == "kith_http_request_duration_seconds_sum"
                 and l.get("route", "").endswith("healthz")]
        self.assertTrue(total and 0 <= total[0] < 60 * inf[0])

    def test_open_connections_counts_held_connections(self):
        held = [self.kith.raw() for _ in range(3)]
        try:
            for c in held:
                self.assertEqual(c.request("GET", "/healthz").status, 200)
            samples = self.scrape()
        finally:
            for c in held:
                c.close()
        # Ours plus the scraping connection.
        self.assertGreaterEqual(self.value(samples, "kith_http_open_connections"), 4)
        self.assertGreaterEqual(self.value(samples, "kith_http_rejected_connections_total"), 0)

    def test_pool_gauges_match_configuration(self):
        self.assertEqual(self.kith.get("/api/v1/instance").status, 200)
        samples = self.scrape()
        self.assertEqual(self.value(samples, "kith_db_pool_connections"), POOL_SIZE)
        connected = self.value(samples, "kith_db_pool_connected")
        self.assertGreaterEqual(connected, 1)
        self.assertLessEqual(connected, POOL_SIZE)
        in_use = self.value(samples, "kith_db_pool_in_use")
        self.assertTrue(0 <= in_use <= POOL_SIZE, in_use)
        self.assertGreaterEqual(self.value(samples, "kith_db_pool_waiting"), 0)

    def test_memory_budget_gauges_are_consistent(self):
        samples = self.scrape()
        self.assertEqual(self.value(samples, "kith_memory_budget_bytes"), MEMORY_BUDGET)
        used = self.value(samples, "kith_memory_budget_used_bytes")
        self.assertTrue(0 <= used <= MEMORY_BUDGET, used)
        caches = [(l, v) for n, l, v in samples if n == "kith_cache_bytes"]
        for labels, v in caches:
            self.assertIn("cache", labels)
            self.assertGreaterEqual(v, 0)
        self.assertLessEqual(sum(v for _, v in caches), MEMORY_BUDGET)

    def test_unknown_paths_do_not_create_metric_series(self):
        # Label values must come from route templates, never raw paths, or an
        # attacker could grow the registry without bound.
        token = uuid.uuid4().hex
        self.assertEqual(self.kith.get(f"/{uuid.uuid4().hex}").status, 404)  # first 404 series
        self.scrape()  # and the first /metrics series
        before = len(self.scrape())
        for i in range(20):
            self.assertEqual(self.kith.get(f"/{token}/{i}").status, 404)
        response, samples = self.kith.metrics()
        self.assertNotIn(token, response.text())
        self.assertLess(len(samples) - before, 5, "new series per unknown path")


if __name__ == "__main__":
    unittest.main()
