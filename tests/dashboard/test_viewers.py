"""The JSON and hex viewers in Chromium: a record's payload as a tree that folds by keyboard and copies a node's exact
JSON, a record of raw bytes as hex with offsets and an ASCII column, the formatting itself, and axe with both open in
both themes at a phone's and a desktop's width (with a screenshot of each)."""

import json

import pytest
from kafka import KafkaProducer
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS
from tests.support.hexdump import hexdump
from tests.support.http_orders import post_order
from tests.support.page_checks import assert_accessible, assert_no_sideways_scroll

RAW_KEY = b"\xff\xfe raw key"
RAW_VALUE = bytes(range(256)) + b"tail \x00\x7f\x80 end"  # not UTF-8; printable and unprintable bytes


def produce_raw(bootstrap: str, topic: str) -> tuple[int, int]:
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    metadata = producer.send(topic, key=RAW_KEY, value=RAW_VALUE, partition=0).get(10)
    producer.close()
    return metadata.partition, metadata.offset


@pytest.fixture(scope="module")
def records(stack, kafka_broker):
    """An order event and a record of raw bytes on the module's topic."""
    order_id = post_order(stack.base_url, "viewers")[1]
    return order_id, produce_raw(kafka_broker.bootstrap_servers, stack.topic)


def open_payload(page, selector: str):
    """Open the payload of the feed's row at `selector`; return its detail row."""
    button = page.locator(selector).first.locator("button[data-rove]")
    expect(button).to_be_attached(timeout=15_000)
    button.click()
    return page.locator(f"#{button.get_attribute('aria-controls')}")


def test_a_payload_opens_as_a_tree_that_folds_by_keyboard_and_copies_exact_json(page, stack, records):
    order_id, _ = records
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.base_url)
    detail = open_payload(page, f'#feed tr.record[data-key="{order_id}"]')
    tree = detail.locator(".json-view")
    expect(tree).to_be_visible()
    frame_value = tree.evaluate("node => node.jsonValue")
    assert frame_value["key"] == order_id and frame_value["value"]["order"]["equipment"] == ["KEYBOARD", "MOUSE"]
    for kind, text in [("key", '"event-type"'), ("string", f'"{order_id}"'), ("number", str(frame_value["size"]))]:
        expect(tree.locator(f".jv-{kind}", has_text=text).first).to_be_visible()

    value = tree.locator('button.jv-toggle[aria-label^="value,"]')
    expect(value).to_have_attribute("aria-expanded", "true")
    deep = tree.locator('button.jv-toggle[aria-label^="value.order.equipment,"]')
    expect(deep).to_have_attribute("aria-expanded", "false")  # beyond depth 2: folded, its children not built yet
    assert deep.evaluate("b => b.closest('.jv-node').querySelectorAll('.jv-children .jv-node').length") == 0

    # One tab stop: focus enters at the first button; the arrows move; Enter, Space and the arrows fold and unfold.
    page.locator("#feed tr.detail:not([hidden]) pre.json-box").focus()
    page.keyboard.press("Tab")
    expect(tree.locator("button.jv-toggle").first).to_be_focused()
    value.focus()
    page.keyboard.press("Enter")
    expect(value).to_have_attribute("aria-expanded", "false")
    children = page.locator(f"#{value.get_attribute('aria-controls')}")
    expect(children).to_be_hidden()
    page.keyboard.press("Space")
    expect(value).to_have_attribute("aria-expanded", "true")
    expect(children).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(value).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("ArrowRight")
    expect(value).to_have_attribute("aria-expanded", "true")
    deep.focus()
    page.keyboard.press("Enter")
    expect(deep).to_have_attribute("aria-expanded", "true")
    expect(deep.locator("xpath=ancestor::span[contains(@class,'jv-node')][1]")).to_contain_text('"KEYBOARD","MOUSE"')

    # Copy: the node's JSON, indented by two, exactly; a leaf's JSON is its quoted string.
    headers = tree.locator('button.jv-copy[aria-label="copy headers as JSON"]')
    headers.focus()
    page.keyboard.press("Enter")
    expect(headers).to_have_attribute("data-state", "copied")
    expect(page.locator("#json-view-status")).to_have_text("Copied headers.")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == json.dumps(frame_value["headers"], indent=2, ensure_ascii=False)
    assert json.loads(copied)["event-type"] == "order.created"
    tree.locator('button.jv-copy[aria-label="copy key as JSON"]').click()
    assert page.evaluate("() => navigator.clipboard.readText()") == json.dumps(order_id)
    tree.locator('button.jv-copy[aria-label="copy value.order.equipment as JSON"]').click()
    assert page.evaluate("() => navigator.clipboard.readText()") == '[\n  "KEYBOARD",\n  "MOUSE"\n]'


def test_without_a_clipboard_copy_says_so_and_selects_the_text(page, records):
    order_id, _ = records
    page.evaluate("() => Object.defineProperty(navigator, 'clipboard', { value: undefined })")
    page.evaluate("() => { document.execCommand = () => false; }")
    detail = open_payload(page, f'#feed tr.record[data-key="{order_id}"]')
    button = detail.locator('button.jv-copy[aria-label="copy headers as JSON"]')
    button.click()
    expect(button).to_have_attribute("data-state", "failed")
    expect(page.locator("#json-view-status")).to_contain_text("not available")
    assert '"event-type"' in page.evaluate("() => getSelection().toString()")


def test_a_record_of_raw_bytes_shows_hex_with_offsets_and_ascii(page, records):
    _, (partition, offset) = records
    detail = open_payload(page, f'#feed tr.record[data-partition="{partition}"][data-offset="{offset}"]')
    value = detail.locator(f'pre.hex-view[aria-label="value of partition {partition}, offset {offset}, hex"]')
    expect(value).to_be_visible()
    expect(value).to_have_attribute("tabindex", "0")
    assert value.text_content().rstrip("\n").split("\n") == hexdump(RAW_VALUE)
    assert value.text_content().startswith(
        "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|"
    )
    assert "00000100  74 61 69 6c 20 00 7f 80  20 65 6e 64              |tail ... end|" in value.text_content()
    key = detail.locator("pre.hex-view").first
    assert key.text_content().rstrip("\n").split("\n") == hexdump(RAW_KEY)
    expect(detail.locator(".bytes-label").last).to_have_text(f"value: {len(RAW_VALUE)} bytes, not UTF-8")
    assert detail.locator(".json-view").evaluate("node => node.jsonValue")["value_reason"] == "not UTF-8"


def test_the_formatting_of_the_widgets(page):
    lines = page.evaluate(
        """async () => {
          const hex = await import('/static/dashboard/widgets/hex_view.js');
          const bytes = hex.fromBase64(btoa('Hello, World!\\n\\u0000\\u00ff'));
          return [hex.hexLines(bytes), hex.hexLines(hex.fromHex('00ff41')), hex.hexLines(new Uint8Array())];
        }"""
    )
    assert lines == [hexdump(b"Hello, World!\n\x00\xff"), hexdump(b"\x00\xffA"), []]
    big = page.evaluate(
        """async () => {
          const { jsonView } = await import('/static/dashboard/widgets/json_view.js');
          const value = { list: Array.from({ length: 250 }, (_, i) => i), a: { b: { c: { d: 1 } } }, empty: [] };
          const box = jsonView(value, 'test');
          document.body.append(box);
          const toggle = (path) => box.querySelector(`button.jv-toggle[aria-label^="${path},"]`);
          const built = (path) => toggle(path).closest('.jv-node')
            .querySelectorAll(':scope > .jv-line > .jv-children > .jv-node').length;
          const result = { listOpen: toggle('list').getAttribute('aria-expanded'), listBuilt: built('list'),
            cOpen: toggle('a.b.c').getAttribute('aria-expanded'), bOpen: toggle('a.b').getAttribute('aria-expanded') };
          toggle('list').click();
          result.afterOpen = built('list');
          box.querySelector('.jv-more').click();
          result.afterMore = built('list');
          box.querySelector('.jv-more').click();
          result.afterAll = built('list');
          result.text = box.textContent;
          box.remove();
          return result;
        }"""
    )
    assert big["listOpen"] == "false" and big["listBuilt"] == 0, "over 100 children: folded, nothing built"
    assert big["bOpen"] == "true" and big["cOpen"] == "false", "folded beyond depth 2"
    assert (big["afterOpen"], big["afterMore"], big["afterAll"]) == (100, 200, 250)
    assert big["text"].startswith('{"list": [0,1,2,') and '"empty": []' in big["text"]


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1440])
def test_a_tree_and_a_hex_view_open_pass_axe_and_fit(browser, stack, records, width, theme):
    order_id, (partition, offset) = records
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=theme)
    try:
        page = context.new_page()
        page.goto(stack.base_url + "/topic")
        expect(page.locator("html")).to_have_attribute("data-theme", theme)
        raw = open_payload(page, f'#feed tr.record[data-partition="{partition}"][data-offset="{offset}"]')
        event = open_payload(page, f'#feed tr.record[data-key="{order_id}"]')
        hex_box = raw.locator("pre.hex-view").last
        expect(hex_box).to_be_visible()
        # A phone's line holds 8 bytes and a 4-digit offset, and fits the box; a desktop's is hexdump -C's.
        first_line = hex_box.text_content().split("\n")[0]
        if width == 390:
            assert first_line == "0000 00 01 02 03 04 05 06 07 |........|"
        else:
            assert first_line == "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|"
        assert hex_box.evaluate("box => box.scrollWidth <= box.clientWidth"), "the hex view scrolls sideways"
        expect(event.locator(".json-view")).to_be_visible()
        event.locator("button.jv-toggle").nth(3).click()  # one more node unfolded
        event.locator("button.jv-copy").first.focus()  # a copy button in sight
        assert_no_sideways_scroll(page, f"the page at {width}px")
        assert_accessible(page)
        shots = ARTIFACTS / "viewers"
        shots.mkdir(parents=True, exist_ok=True)
        page.evaluate("() => window.scrollTo(0, 0)")  # the sticky header at the top of the full-page shot
        page.screenshot(path=str(shots / f"feed-{width}-{theme}.png"), full_page=True)
        event.screenshot(path=str(shots / f"tree-{width}-{theme}.png"))
        raw.screenshot(path=str(shots / f"hex-{width}-{theme}.png"))
    finally:
        context.close()
