// A hex view of bytes, as `hexdump -C` prints them: the offset, 16 bytes in hex (a wider gap after the eighth) and the
// bytes as ASCII, "." for what is not printable. On a phone (NARROW) a line holds 8 bytes, single-spaced, and its
// offset as few hex digits as the length needs (at least 4): 39 characters, which fit a payload box at 390 px. The
// box scrolls by keyboard (tabindex 0, a label); long values show their first SHOWN_BYTES and a button for the rest,
// so a 128 KiB record does not build 8,000 lines at once.

import { el } from "../dom.js";

export const BYTES_PER_LINE = 16;
const SHOWN_BYTES = 4096;
const NARROW = "(max-width: 600px)";

export function fromBase64(text) {
  const binary = atob(text || "");
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

export function fromHex(text) {
  const clean = (text || "").replace(/[^0-9a-f]/gi, "");
  return Uint8Array.from({ length: clean.length >> 1 }, (_, index) => parseInt(clean.slice(index * 2, index * 2 + 2), 16));
}

const byteHex = (byte) => byte.toString(16).padStart(2, "0");
const printable = (byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".");

// hexdump -C's lines, and a phone's.
const WIDE = { perLine: BYTES_PER_LINE, digits: () => 8, gap: "  " };
const PHONE = { perLine: 8, digits: (length) => Math.max(4, Math.max(0, length - 1).toString(16).length), gap: " " };

// The three columns of the line at `offset`: ["00000010", "48 65 …  6c 6f", "Hello"] (the hex padded to full width).
export function hexLine(bytes, offset, layout = WIDE) {
  const chunk = [...bytes.subarray(offset, offset + layout.perLine)];
  const cells = Array.from({ length: layout.perLine }, (_, index) => (index < chunk.length ? byteHex(chunk[index]) : "  "));
  const hex = layout.perLine > 8 ? `${cells.slice(0, 8).join(" ")}  ${cells.slice(8).join(" ")}` : cells.join(" ");
  return [offset.toString(16).padStart(layout.digits(bytes.length), "0"), hex, chunk.map(printable).join("")];
}

// Every line as text, like `hexdump -C` without its closing offset line: "00000000  48 65 … |Hello|".
export function hexLines(bytes) {
  const lines = [];
  for (let offset = 0; offset < bytes.length; offset += BYTES_PER_LINE) {
    const [at, hex, ascii] = hexLine(bytes, offset);
    lines.push(`${at}  ${hex}  |${ascii}|`);
  }
  return lines;
}

function appendLines(box, bytes, from, to, layout) {
  const nodes = [];
  for (let offset = from; offset < to; offset += layout.perLine) {
    const [at, hex, ascii] = hexLine(bytes, offset, layout);
    nodes.push(el("span", { className: "hx-offset", text: at }), `${layout.gap}${hex}${layout.gap}`,
      el("span", { className: "hx-ascii", text: `|${ascii}|` }), "\n");
  }
  box.append(...nodes);
}

// Fill `box` (a <pre>) with the hex view of `bytes` (a Uint8Array), laid out for the window's width at the time.
export function fillHex(box, bytes) {
  box.classList.add("hex-view");
  box.replaceChildren();
  if (!bytes.length) {
    box.append(el("span", { className: "hx-offset", text: "(no bytes)" }));
    return box;
  }
  const layout = matchMedia(NARROW).matches ? PHONE : WIDE;
  let shown = Math.min(bytes.length, SHOWN_BYTES);
  appendLines(box, bytes, 0, shown, layout);
  if (shown < bytes.length) {
    const more = el("button", { type: "button", className: "hx-more" });
    const label = () => { more.textContent = `show the next ${Math.min(SHOWN_BYTES, bytes.length - shown)} of ${bytes.length - shown} more bytes`; };
    label();
    more.addEventListener("click", () => {
      const to = Math.min(bytes.length, shown + SHOWN_BYTES);
      more.remove();
      appendLines(box, bytes, shown, to, layout);
      shown = to;
      if (shown < bytes.length) {
        label();
        box.append(more);
        more.focus();
      } else {
        box.focus();
      }
    });
    box.append(more);
  }
  return box;
}

// A keyboard-scrollable, labelled box with the hex view of `bytes` in it.
export function hexView(bytes, label) {
  return fillHex(el("pre", { className: "payload hex-view", tabindex: "0", role: "region", "aria-label": label }), bytes);
}
