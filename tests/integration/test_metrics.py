"""/metrics: the Prometheus text the daemon exposes, checked for validity
and plausibility.

Not exact values (they depend on the machine and the build) but the facts
an operator relies on: every sample belongs to a family with HELP and TYPE,
memory figures in a sane range and agreeing with /proc, counters that count
the requests just made by route, method and status, cumulative latency
buckets whose +Inf matches _count, gauges for open connections, the
database pool and the cache budget that match the configuration, and label
sets that stay bounded whatever paths clients invent.
"""

import re
import unittest
import uuid

import harness

POOL_SIZE = 3
MEMORY_BUDGET = 16 * 1024 * 1024  # configured as "16MiB" below

APP_REGISTRATION = {"client_name": "metrics test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}

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

    def requests_total(self, samples, route, method, status):
        return harness.metric_value(samples, "kith_http_requests_total", route=route,
                                    method=method, status=status) or 0

    def test_metrics_are_valid_prometheus_text(self):
        response = self.kith.get("/metrics")
        content_type = response.header("content-type", "")
        self.assertTrue(content_type.startswith("text/plain"), content_type)
        self.assertIn("version=0.0.4", content_type)
        text = response.text()
        self.assertTrue(text.endswith("\n"))
        samples = harness.parse_metrics(text)  # raises on a malformed line
        self.assertTrue(samples)

        # Each family is declared (HELP, then TYPE) before its samples, once.
        types, helped, series = {}, set(), set()
        suffixes = {"counter": ("",), "gauge": ("",),
                    "histogram": ("_bucket", "_sum", "_count")}
        for line in text.splitlines():
            if line.startswith("# HELP "):
                name = line.split()[2]
                self.assertNotIn(name, helped, f"HELP twice for {name}")
                helped.add(name)
            elif line.startswith("# TYPE "):
                _, _, name, kind = line.split()
                self.assertIn(kind, suffixes, line)
                self.assertIn(name, helped, f"TYPE before HELP for {name}")
                self.assertNotIn(name, types, f"TYPE twice for {name}")
                types[name] = kind
            else:
                self.assertFalse(line.startswith("#"), line)
                m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s", line)
                self.assertIsNotNone(m, line)
                family = [f for f, kind in types.items()
                          if any(m.group(1) == f + s for s in suffixes[kind])]
                self.assertTrue(family, f"sample before (or without) its TYPE: {line}")
                self.assertNotIn((m.group(1), m.group(2)), series, f"duplicate series: {line}")
                series.add((m.group(1), m.group(2)))
        for name, kind in [("kith_process_resident_memory_bytes", "gauge"),
                           ("kith_process_resident_memory_peak_bytes", "gauge"),
                           ("kith_http_requests_total", "counter"),
                           ("kith_http_request_duration_seconds", "histogram"),
                           ("kith_http_open_connections", "gauge"),
                           ("kith_http_rejected_connections_total", "counter"),
                           ("kith_db_pool_connections", "gauge"),
                           ("kith_db_pool_in_use", "gauge"),
                           ("kith_db_pool_waiting", "gauge"),
                           ("kith_memory_budget_bytes", "gauge"),
                           ("kith_cache_bytes", "gauge")]:
            with self.subTest(name):
                self.assertEqual(types.get(name), kind)

    def test_resident_memory_is_plausible_and_matches_proc(self):
        samples = self.scrape()
        rss = self.value(samples, "kith_process_resident_memory_bytes")
        peak = self.value(samples, "kith_process_resident_memory_peak_bytes")
        self.assertGreater(rss, 1_000_000)
        self.assertLess(rss, 1_000_000_000)
        self.assertGreaterEqual(peak, rss)
        self.assertLess(peak, 1_000_000_000)
        # The same figures /proc gives, give or take what moved between reads.
        proc_rss, proc_hwm = self.kith.memory()
        self.assertLess(abs(rss - proc_rss), max(0.5 * proc_rss, 8 << 20))
        self.assertLessEqual(peak, proc_hwm)

    def test_request_counter_counts_by_route_method_and_status(self):
        before = self.scrape()
        for _ in range(5):
            self.assertEqual(self.kith.get("/healthz").status, 200)
        for _ in range(2):
            self.assertEqual(self.kith.post("/api/v1/apps", APP_REGISTRATION).status, 200)
        self.assertEqual(self.kith.post("/api/v1/apps", b"{",
                                        headers={"Content-Type": "application/json"}).status,
                         400)
        self.assertEqual(self.kith.get("/no-such-path").status, 404)
        self.assertEqual(self.kith.request("POST", "/healthz").status, 405)
        after = self.scrape()
        for labels, increase in [(("/healthz", "GET", "200"), 5),
                                 (("/api/v1/apps", "POST", "200"), 2),
                                 (("/api/v1/apps", "POST", "400"), 1),
                                 (("none", "GET", "404"), 1),
                                 (("none", "POST", "405"), 1)]:
            with self.subTest(labels):
                self.assertEqual(self.requests_total(after, *labels)
                                 - self.requests_total(before, *labels), increase)

    def test_latency_histograms_are_cumulative_and_count_matches(self):
        for _ in range(3):
            self.kith.get("/healthz")
        self.kith.post("/api/v1/apps", APP_REGISTRATION)
        samples = self.scrape()
        routes = {l["route"] for n, l, v in samples
                  if n == "kith_http_request_duration_seconds_count"}
        self.assertIn("/healthz", routes)
        self.assertIn("/api/v1/apps", routes)
        for route in routes:
            with self.subTest(route=route):
                buckets = sorted(((float(l["le"]), v) for n, l, v in samples
                                  if n == "kith_http_request_duration_seconds_bucket"
                                  and l.get("route") == route))
                self.assertGreaterEqual(len(buckets), 2)
                self.assertEqual(buckets[-1][0], float("inf"), "no +Inf bucket")
                values = [v for _, v in buckets]
                self.assertEqual(values, sorted(values), "buckets must be cumulative")
                count = self.value(samples, "kith_http_request_duration_seconds_count",
                                   route=route)
                self.assertEqual(count, values[-1], "_count must equal the +Inf bucket")
                total = self.value(samples, "kith_http_request_duration_seconds_sum",
                                   route=route)
                self.assertTrue(0 <= total < 60 * count, total)
        self.assertGreaterEqual(self.value(samples, "kith_http_request_duration_seconds_count",
                                           route="/healthz"), 3)

    def test_open_connections_gauge_counts_held_connections(self):
        baseline = self.value(self.scrape(), "kith_http_open_connections")
        self.assertGreaterEqual(baseline, 1)  # the scraping connection itself
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
        harness.wait_until(
            lambda: self.value(self.scrape(), "kith_http_open_connections") <= baseline, 10,
            message="the open connections gauge to drop after the clients closed")

    def test_pool_gauges_match_configuration(self):
        self.assertEqual(self.kith.post("/api/v1/apps", APP_REGISTRATION).status, 200)
        samples = self.scrape()
        self.assertEqual(self.value(samples, "kith_db_pool_connections"), POOL_SIZE)
        connected = self.value(samples, "kith_db_pool_connected")
        self.assertTrue(1 <= connected <= POOL_SIZE, connected)
        # Nothing else runs a query while /metrics is rendered.
        self.assertEqual(self.value(samples, "kith_db_pool_in_use"), 0)
        self.assertEqual(self.value(samples, "kith_db_pool_waiting"), 0)

    def test_memory_budget_and_document_cache_gauges(self):
        self.assertEqual(self.kith.get("/api/v1/instance").status, 200)  # fills the cache
        samples = self.scrape()
        self.assertEqual(self.value(samples, "kith_memory_budget_bytes"), MEMORY_BUDGET)
        documents = self.value(samples, "kith_cache_bytes", cache="api_documents")
        self.assertGreater(documents, 0, "the cached instance document is not counted")
        self.assertLess(documents, MEMORY_BUDGET)
        caches = [(l, v) for n, l, v in samples if n == "kith_cache_bytes"]
        for labels, v in caches:
            self.assertEqual(set(labels), {"cache"})
            self.assertGreaterEqual(v, 0)
        used = self.value(samples, "kith_memory_budget_used_bytes")
        self.assertEqual(used, sum(v for _, v in caches))
        self.assertLessEqual(used, MEMORY_BUDGET)

    def test_unknown_paths_do_not_create_metric_series(self):
        # Label values must come from route templates, never raw paths, or an
        # attacker could grow the registry without bound.
        token = uuid.uuid4().hex
        self.assertEqual(self.kith.get(f"/{uuid.uuid4().hex}").status, 404)  # first 404 series
        self.scrape()  # and the first /metrics series
        before = len(self.scrape())
        for i in range(20):
            self.assertEqual(self.kith.get(f"/{token}/{i}").status, 404)
            self.assertEqual(self.kith.get(f"/api/v1/{token}?q={i}").status, 404)
        response, samples = self.kith.metrics()
        self.assertNotIn(token, response.text())
        self.assertEqual(len(samples), before, "new series per unknown path")


if __name__ == "__main__":
    unittest.main()
