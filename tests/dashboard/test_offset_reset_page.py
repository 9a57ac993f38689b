"""Resetting offsets from the Consumer groups view in Chromium, against the real processes and broker: refused while
the worker's group has a member, the group emptied from the page, preview, apply, and the group reading the topic
again from the new offsets; another group moved partition by partition, its error beside the field; keyboard, axe,
a phone's width in the dark theme."""

from kafka import KafkaAdminClient
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS, open_dashboard
from tests.dashboard.test_fulfilment_panel import command, commit_as_group, expect_total_lag
from tests.support.http_orders import post_order
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll

SHOTS = ARTIFACTS / "offset-reset"
ORDERS = 4


def committed(bootstrap: str, topic: str, group: str) -> dict[int, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        offsets = admin.list_group_offsets({group: None})[group]
    finally:
        admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.scrollTo(0, 0)")  # the sticky header at the top of the full-page shot
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_preview_and_apply_a_reset_from_the_page(make_stack, kafka_broker, browser):
    bootstrap = kafka_broker.bootstrap_servers
    stack = make_stack(
        bootstrap, services=("web", "publisher", "worker"), FULFILMENT_STEP_DELAY_MS="0", FULFILMENT_FAILURE_RATE="0"
    )
    worker_group = f"fulfilment-{stack.topic}"
    for index in range(ORDERS):
        assert post_order(stack.base_url, f"reset-{index}")[0] == 201
    commit_as_group(bootstrap, stack.topic, "learners", {0: 0, 1: 0, 2: 0})
    with open_dashboard(browser, stack.base_url, "/groups") as page:
        expect(page.locator("#orders .status-COMPLETED")).to_have_count(ORDERS, timeout=40_000)
        expect_total_lag(page, "0", timeout=20_000)
        records = sum(int(text) for text in page.locator("#partitions td:nth-child(5)").all_text_contents())
        assert records == 3 * ORDERS  # created, PROCESSING, COMPLETED

        worker = page.locator(f'.reset[data-group="{worker_group}"]')
        toggle = worker.locator("button.reset-toggle")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(worker.locator("form")).to_be_hidden()
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
        # While a member is in the group Kafka would refuse the commit: the page says so before anything moves.
        expect(worker.locator(".reset-head")).to_contain_text("1 member: Kafka refuses a reset until it has none")
        worker.locator("button", has_text="Preview").click()
        expect(worker.locator(".field-error").last).to_have_text(
            f"The group '{worker_group}' has 1 member (state Stable): Kafka moves the offsets of an empty group only. "
            "Bring it to 0 members first, then reset."
        )
        shot(page, "refused-while-a-member-reads")

        page.select_option("#members-wanted", "0")
        expect(command(page, "members")).to_have_text("python manage.py fulfilment set --members 0")
        expect(page.locator("#members")).to_contain_text("No member in the group right now.", timeout=30_000)
        expect(worker.locator(".reset-head .status")).to_have_text("Empty", timeout=30_000)
        worker.locator("button", has_text="Preview").click()
        plan = worker.locator("table.reset-plan tbody tr")
        expect(plan).to_have_count(3)
        expect(worker.locator("table.reset-plan td.new")).to_have_text(["0", "0", "0"])
        log_ends = page.locator("#partitions td:nth-child(4)").all_text_contents()
        expect(worker.locator("table.reset-plan td.lag")).to_have_text(log_ends)
        # It had read everything (a partition no order went to has no commit: "–").
        read = page.locator("#partitions td.committed").all_text_contents()
        expect(worker.locator("table.reset-plan td.current")).to_have_text(read)
        expect(worker.locator('code.cmd[data-reset-command="dry_run"]')).to_have_text(
            f"python -m localkafka consumer-groups --bootstrap-server {bootstrap} --group {worker_group} "
            f"--topic {stack.topic} --reset-offsets --to-earliest --dry-run"
        )
        expect(worker.locator('code.cmd[data-reset-command="execute"]')).to_contain_text("--to-earliest --execute")
        assert committed(bootstrap, stack.topic, worker_group) == {p: int(n) for p, n in enumerate(read) if n != "–"}
        assert_no_sideways_scroll(page, "the groups view with a reset previewed")
        assert_accessible(page)
        shot(page, "earliest-previewed")

        worker.locator("button.apply").click()
        expect(worker.locator(".reset-summary")).to_contain_text(f"{worker_group} reads on from these offsets")
        expect(page.locator("#partitions td.committed")).to_have_text(["0", "0", "0"], timeout=10_000)
        expect_total_lag(page, str(records))
        assert committed(bootstrap, stack.topic, worker_group) == {0: 0, 1: 0, 2: 0}
        shot(page, "earliest-applied")

        # Another group, one partition moved (one the orders went to: the keys decide which): a bad offset is
        # refused beside its field, a good one applied.
        moved = max(range(3), key=lambda partition: int(log_ends[partition]))
        learners = page.locator('.reset[data-group="learners"]')
        learners.locator("button.reset-toggle").click()
        learners.get_by_label("an offset per partition").check()
        one = learners.get_by_label(f"new offset of partition {moved}")
        one.fill("999")
        learners.locator("button", has_text="Preview").click()
        expect(learners.locator(f"#{one.get_attribute('aria-describedby')}")).to_contain_text(
            f"Partition {moved}'s log runs from 0 to {log_ends[moved]}"
        )
        one.fill("1")
        learners.locator("button", has_text="Preview").click()
        expect(learners.locator("table.reset-plan td.new")).to_have_text(["1"])
        expect(learners.locator('code.cmd[data-reset-command="dry_run"]')).to_have_text(
            f"printf '%s\\n' {stack.topic},{moved},1 > reset-offsets.csv && python -m localkafka consumer-groups "
            f"--bootstrap-server {bootstrap} --group learners --reset-offsets --from-file reset-offsets.csv --dry-run"
        )
        one.fill("2")  # a change after the preview: Apply waits for a new one
        expect(learners.locator("button.apply")).to_be_disabled()
        one.fill("1")
        learners.locator("button", has_text="Preview").click()
        learners.locator("button.apply").click()
        expect(learners.locator(".reset-summary")).to_contain_text("Applied")
        assert committed(bootstrap, stack.topic, "learners") == {0: 0, 1: 0, 2: 0} | {moved: 1}
        shot(page, "per-partition-applied")

        # The worker's group joins again and reads the topic from offset 0: the records it had processed are
        # skipped by the processed-events record, and the lag goes back to 0.
        page.select_option("#members-wanted", "1")
        expect(page.locator("#members tr[data-member]")).to_have_count(1, timeout=30_000)
        expect_total_lag(page, "0", timeout=60_000)
        expect(page.locator("#orders .status-COMPLETED")).to_have_count(ORDERS)

    context = browser.new_context(viewport={"width": 390, "height": 900}, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(f"{stack.base_url}/groups")
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        learners = page.locator('.reset[data-group="learners"]')
        learners.locator("button.reset-toggle").click()
        learners.get_by_label("a time").check()
        learners.get_by_label("time, in this browser's time zone").fill("2020-01-01T00:00:00.000")
        learners.locator("button", has_text="Preview").click()
        expect(learners.locator("table.reset-plan td.new")).to_have_text(["0", "0", "0"])
        expect(learners.locator(".reset-summary")).to_contain_text("records from 2020-01-01T")
        assert_no_sideways_scroll(page, "a time's reset previewed at 390 px")
        assert_accessible(page)
        shot(page, "datetime-previewed-390-dark")
    finally:
        context.close()
