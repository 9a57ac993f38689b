"""The Charts view in Chromium against the real processes (web, publisher, worker, sample_metrics) on the real
broker: orders placed over REST give a rate, a lag and produce -> consume latencies from the real spans; the
browser's click and shown spans are written by hand (the page's own spans come from another branch, with the
contract in docs/charts.md). And the chart library comes from this server, never a CDN."""

from __future__ import annotations

import re
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from harness.processes import Stack
from harness.topics import create_topic
from tests.conftest import ARTIFACTS
from tests.support.http_orders import burst
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll
from tests.support.waiting import wait_until

SHOTS = ARTIFACTS / "charts"
# Twelve clicks, each shown 60 + 5 i ms later: p50 85 ms, max 115 ms.
BROWSER_SPANS = """
import secrets, time
from tracing.models import SpanRecord
now = time.time_ns()
for i in range(12):
    trace, click, start = secrets.token_hex(16), secrets.token_hex(8), now - (5 + 20 * i) * 10**9
    SpanRecord.objects.create(trace_id=trace, span_id=click, name="click", kind="INTERNAL", service="browser",
                              instance="page", start_ns=start, end_ns=start + 10**6)
    SpanRecord.objects.create(trace_id=trace, span_id=secrets.token_hex(8), parent_span_id=click, name="shown",
                              kind="INTERNAL", service="browser", instance="page",
                              start_ns=start + (55 + 5 * i) * 10**6, end_ns=start + (60 + 5 * i) * 10**6)
"""


@pytest.fixture(scope="module")
def charts_stack(kafka_broker):
    topic = f"orders-charts-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, topic)
    running = Stack(
        bootstrap_servers=kafka_broker.bootstrap_servers,
        topic=topic,
        log_dir=ARTIFACTS / "stacks",
        services=("web", "publisher", "worker", "metrics"),
        extra_env={"METRICS_SAMPLE_SECONDS": "0.5", "FULFILMENT_STEP_DELAY_MS": "20", "FULFILMENT_FAILURE_RATE": "0"},
    ).start()
    yield running
    running.stop()


def test_the_chart_library_is_served_by_this_server(charts_stack):
    with urllib.request.urlopen(f"{charts_stack.base_url}/static/uplot/uPlot.esm.js", timeout=10) as response:
        assert response.status == 200
        assert "javascript" in response.headers["Content-Type"]
        assert b"export { uPlot as default }" in response.read()
    with urllib.request.urlopen(f"{charts_stack.base_url}/charts", timeout=10) as response:
        page = response.read().decode()
    assert '"uplot_url": "/static/uplot/uPlot.esm.js"' in page
    assert 'href="/static/uplot/uPlot.min.css"' in page
    assert not re.search(r'(src|href)="(https?:)?//', page), "nothing from another host"


def test_the_charts_view_draws_rate_lag_and_latencies_at_every_width(charts_stack, browser):
    stack = charts_stack
    assert all(status == 201 for status, _, _ in burst(stack.base_url, 20, prefix="charts", concurrency=4))
    stack.manage("shell", "-c", BROWSER_SPANS)
    wait_until(
        lambda: (
            any((rate or 0) > 0 for rates in stack.get_json("/metrics/rates")["series"].values() for rate in rates)
            and stack.get_json("/metrics/latency")["produce_consume"]["count"] >= 1
        ),
        timeout=60,
        message=lambda: f"no rate or no latency: {stack.get_json('/metrics/rates')}",
    )
    group = f"fulfilment-{stack.topic}"
    for width, theme in [(390, "light"), (390, "dark"), (1440, "light"), (1440, "dark")]:
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=theme)
        # uPlot sizes and places its elements through the CSSOM, which the page's policy allows: no violation.
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', (e) =>"
            " console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));"
        )
        page = context.new_page()
        violations = []
        page.on("console", lambda message, seen=violations: "Content Security" in message.text and seen.append(message))
        try:
            page.goto(f"{stack.base_url}/charts")
            expect(page.locator("#view-title")).to_have_text("Charts")
            expect(page.locator("#charts .chart-plot canvas")).to_have_count(4, timeout=15_000)
            expect(page.locator("#chart-rates .chart-figures tbody tr")).to_have_count(3)
            expect(page.locator("#chart-rates .chart-figures tbody tr").first).to_contain_text(re.compile(r"^0"))
            expect(page.locator("#chart-lag .chart-figures tbody")).to_contain_text(group)
            counted = page.locator("#chart-produce-consume .chart-figures tbody td").first
            expect(counted).to_have_text(re.compile(r"^[1-9]\d*$"))
            expect(page.locator("#chart-click-shown .chart-figures tbody tr")).to_have_text(
                re.compile(r"12\s*85\.0\s*110\.0\s*115\.0\s*115\.0")
            )
            expect(page.locator("#charts-status")).to_contain_text("sampled every 0.5 s; last sample")
            # The legend names each series in the theme's colours.
            expect(page.locator("#chart-rates .u-legend")).to_contain_text("partition 2")
            assert_no_sideways_scroll(page, f"the charts at {width}")
            assert_accessible(page)
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"charts-{width}-{theme}.png"), full_page=True)
            assert [message.text for message in violations] == []
            if (width, theme) == (1440, "light"):
                # The theme's switch draws the charts again in the other theme's colours.
                page.evaluate("() => { window.drawnBefore = document.querySelector('#chart-rates .uplot'); }")
                page.click("#theme-toggle")
                page.wait_for_function("() => !window.drawnBefore.isConnected")
                expect(page.locator("#charts .chart-plot canvas")).to_have_count(4)
        finally:
            context.close()
