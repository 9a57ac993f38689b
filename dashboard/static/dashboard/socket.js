// The page's one live websocket: it resumes after a reconnect from the last record seen, and hands every frame to
// its subscribers, so every view sees every record whichever view is showing.

import { config } from "./dom.js";

const subscribers = {
  record: new Set(), status: new Set(), connection: new Set(), partitions: new Set(), refused: new Set(),
  broker: new Set(), batch: new Set(),
};

// Listen for "record" (one record frame), "status" (a status or error frame), "broker" (the broker frame: whether
// the broker's port accepts connections, sent around an outage), "connection" ("open" or "closed"),
// "partitions" (the topic's partition numbers), "refused" (the server refused a start the person chose: the
// error frame, whose message names the valid range) or "batch" (a batch of messages was handed on: what is
// written once per batch, such as counts, is written now); returns the unsubscribe function.
export function subscribe(kind, listener) {
  subscribers[kind].add(listener);
  return () => subscribers[kind].delete(listener);
}

const emit = (kind, value) => subscribers[kind].forEach((listener) => listener(value));

// Messages are handed on in batches, once per animation frame, right before its style, layout and paint: however
// many arrive, the DOM changes once per frame. A batch does at most FRAME_BUDGET_MS of work (parsing and every
// subscriber's), stopping between two frames of a message; the rest waits for the next animation frame, so a burst
// (a replay's history, a backlog after the tab was busy) never holds a frame back. The budget is a quarter of a
// 60 Hz frame: the style, layout and paint of the rows a batch adds cost its frame as much again or more
// (docs/performance.md). A hidden tab gets no animation frames: a timer hands messages on, all of them, as there is
// no frame to keep. Past MAX_PENDING_CHARS of message text waiting (at most twice as many bytes) everything is handed
// on at once: the queue is bounded.
const FRAME_BUDGET_MS = 4;
const FLUSH_WITHOUT_FRAME_MS = 100;
const MAX_PENDING_CHARS = 4 * 1024 * 1024;

// What each batch costs the main thread (parsing its messages and every subscriber's work: feed rows, orders,
// timeline, counts) is a User Timing measure of this name, its detail the messages parsed and the frames handed on,
// for the browser's performance tools and bench/feed_main_thread.py. The page clears them every MAX_MEASURES, so one
// left open for a day holds few.
export const BATCH_MEASURE = "ws-batch";
const MAX_MEASURES = 10000;

export const relay = {
  socket: null,
  connects: 0,  // how many sockets this page opened: switching views must not open another
  positions: {},  // next offset per partition: what a reconnect resumes from
  endOffsets: {},  // the topic's end per partition when the socket connected
  retryMs: 500,
  measured: 0,  // BATCH_MEASURE entries since the last clear
  pending: [],  // the text of messages not parsed yet, oldest first
  arrivals: [],  // when each of them arrived (ms since the epoch)
  receivedAt: 0,  // when the message whose frames are handed on now arrived: a "shown" span starts there
  pendingChars: 0,
  frames: [],  // the frames of the last message parsed; those from `next` on are not handed on yet
  next: 0,
  flushFrame: 0,
  flushTimer: 0,
  newestPending: false,
  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${config.ws_path}`);
    this.socket = socket;
    this.connects += 1;
    socket.addEventListener("open", () => {
      this.retryMs = 500;
      emit("connection", "open");
      // A socket streams nothing until asked: resume exactly after the last record seen; a fresh page asks for
      // the newest records once the "connected" status says where the topic ends.
      if (Object.keys(this.positions).length) this.replay(this.positions);
    });
    socket.addEventListener("message", (message) => this.queue(message.data));
    socket.addEventListener("close", () => {
      this.flush(Infinity);
      this.unanswered = 0;
      emit("connection", "closed");
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    });
  },
  queue(data) {
    this.pending.push(data);
    this.arrivals.push(performance.timeOrigin + performance.now());
    this.pendingChars += data.length;
    if (this.pendingChars > MAX_PENDING_CHARS) this.flush(Infinity);
    else this.schedule();
  },
  schedule() {
    if (this.flushFrame) return;
    this.flushFrame = requestAnimationFrame(() => this.flush());
    this.flushTimer = setTimeout(() => this.flush(), FLUSH_WITHOUT_FRAME_MS);
  },
  flush(budgetMs = document.hidden ? Infinity : FRAME_BUDGET_MS) {
    cancelAnimationFrame(this.flushFrame);
    clearTimeout(this.flushTimer);
    this.flushFrame = 0;
    const start = performance.now();
    let messages = 0;
    let handed = 0;
    while (performance.now() - start < budgetMs) {
      try {
        if (this.next < this.frames.length) {
          handed += 1;
          this.receive(this.frames[this.next++]);
        } else if (this.pending.length) {
          const data = this.pending.shift();
          this.receivedAt = this.arrivals.shift();
          this.pendingChars -= data.length;
          messages += 1;
          const message = JSON.parse(data);
          // Several records that were ready at once come coalesced in one message; each is handed on on its own.
          this.frames = message.type === "records" ? message.records : [message];
          this.next = 0;
        } else break;
      } catch (error) {
        reportError(error);  // one bad message or subscriber must not cost the rest
      }
    }
    if (!messages && !handed) return;
    emit("batch", handed);
    performance.measure(BATCH_MEASURE, { start, detail: { messages, frames: handed } });
    if ((this.measured += 1) >= MAX_MEASURES) {
      performance.clearMeasures(BATCH_MEASURE);
      this.measured = 0;
    }
    if (this.next < this.frames.length || this.pending.length) this.schedule();
  },
  chosenStart: false,  // whether the last replay asked for was a person's choice (Topic view) or the page's own
  everChosen: false,  // once a person chose a start, the page never asks for "the newest records" on its own again
  unanswered: 0,  // replays asked for on this socket that the server has not answered yet ("replaying" or an error)
  replay(from, { chosen = false } = {}) {
    this.chosenStart = chosen;
    this.everChosen ||= chosen;
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ action: "replay", from }));
      this.unanswered += 1;
    }
  },
  // The newest records already on the topic: the last few of each partition (a partition's log start is the
  // server's to apply), or only new ones when the ends are not known.
  ends() {
    const ends = { ...this.endOffsets };
    for (const [partition, offset] of Object.entries(this.positions)) ends[partition] = Math.max(ends[partition] || 0, offset);
    return ends;
  },
  newest() {
    const ends = this.ends();
    if (!Object.keys(ends).length) return "latest";
    return Object.fromEntries(Object.entries(ends).map(([partition, end]) =>
      [partition, Math.max(0, end - config.newest_per_partition)]));
  },
  connected(frame) {
    this.endOffsets = frame.end_offsets || {};
    emit("partitions", frame.partitions || []);
    // A later "connected" (the shared reader found the broker) must not replace a start chosen meanwhile.
    if (Object.keys(this.positions).length || this.everChosen) return;
    // The first socket of a web process may connect before the shared reader knows the topic's ends: then go
    // live first, and ask for the newest records once the live status says where the topic ends.
    this.newestPending = !Object.keys(this.endOffsets).length;
    this.replay(this.newest());
  },
  wentLive(positions) {
    emit("partitions", Object.keys(positions || {}));
    if (!this.newestPending || this.everChosen) return;
    this.newestPending = false;
    this.endOffsets = positions || {};
    if (Object.keys(this.endOffsets).length) this.replay(this.newest());
  },
  // The server refused a start and left the stream as it was. A person's choice is told at its field; the page's
  // own resume (offsets of a topic that was since recreated, say) starts over from the newest records instead.
  refused(frame) {
    if (this.chosenStart) return emit("refused", frame);
    this.positions = {};
    this.replay(this.newest());
  },
  receive(frame) {
    if (frame.type === "record") {
      this.positions[frame.partition] = Math.max(this.positions[frame.partition] || 0, frame.offset + 1);
      emit("record", frame);
      return;
    }
    if (frame.type === "broker") return emit("broker", frame);
    if ((frame.type === "error" && frame.action === "replay") || (frame.type === "status" && frame.state === "replaying")) {
      this.unanswered = Math.max(0, this.unanswered - 1);
    }
    if (frame.type === "error" && frame.action === "replay") return this.refused(frame);
    if (frame.type === "status" && frame.state === "connected") this.connected(frame);
    if (frame.type === "status" && frame.state === "live") {
      this.wentLive(frame.positions);
      // Partitions with no record seen yet resume from here too, not from their beginning.
      for (const [partition, offset] of Object.entries(frame.positions || {})) {
        this.positions[partition] = Math.max(this.positions[partition] || 0, offset);
      }
    }
    emit("status", frame);
  },
};
