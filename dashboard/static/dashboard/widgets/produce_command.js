// The terminal command that writes the same record as the produce form: Kafka's console producer when its line
// reader can say it (a key, headers, a null value through null.marker), else manage.py kafka_produce, which can also
// choose a partition and keep line breaks in a value. Separators are picked from characters the record does not use.

import { config, shellQuote } from "../dom.js";

const FIELD_SEPARATORS = ["|", "^", "~", "#", "¦"];
const HEADER_SEPARATORS = [",", ";", "&", "%"];  // a regex to Kafka's reader: none of these is special there
const HEADER_KEY_SEPARATORS = [":", "=", "@", "!"];
const NULL_MARKERS = ["<null>", "<tombstone>", "<none>"];

const unused = (candidates, texts, taken = []) =>
  candidates.find((mark) => !taken.includes(mark) && texts.every((text) => !text.includes(mark)));

// Kafka's console producer, or null with the reason it cannot write this record.
function consoleProducer(record) {
  if (record.partition !== null) return { reason: "Kafka's console producer has no option to choose a partition." };
  if (!record.tombstone && /[\r\n]/.test(record.value)) return { reason: "Kafka's console producer reads one record per line." };
  if ([record.key || "", ...record.headers.flat()].some((text) => /[\r\n]/.test(text))) {
    return { reason: "Kafka's console producer reads one record per line." };
  }
  const names = record.headers.map(([name]) => name);
  const values = record.headers.map(([, value]) => value);
  const field = unused(FIELD_SEPARATORS, [record.key || "", ...names, ...values]);
  const between = unused(HEADER_SEPARATORS, [...names, ...values], [field]);
  const inside = unused(HEADER_KEY_SEPARATORS, names, [field, between]);
  const marker = NULL_MARKERS.find((mark) => ![record.key, record.value, ...values].includes(mark));
  if (!field || !between || !inside || !marker) return { reason: "no separator is free for Kafka's console producer." };
  const parts = [];
  const options = [];
  if (record.headers.length) {
    parts.push(record.headers.map(([name, value]) => `${name}${inside}${value}`).join(between));
    options.push("parse.headers=true", `headers.delimiter=${field}`, `headers.separator=${between}`,
      `headers.key.separator=${inside}`);
  }
  if (record.key !== null) {
    parts.push(record.key);
    options.push("parse.key=true", `key.separator=${field}`);
  }
  parts.push(record.tombstone ? marker : record.value);
  if (record.tombstone) options.push(`null.marker=${marker}`);
  return {
    tool: "Kafka's console producer",
    command: `printf '%s\\n' ${shellQuote(parts.join(field))} | .venv/bin/python -m localkafka console-producer `
      + `--bootstrap-server ${config.bootstrap_servers} --topic ${shellQuote(record.topic)}`
      + options.map((option) => ` --reader-property ${shellQuote(option)}`).join(""),
  };
}

function kafkaProduce(record) {
  const options = [`--topic ${shellQuote(record.topic)}`,
    ...(record.partition !== null ? [`--partition ${record.partition}`] : []),
    ...(record.key !== null ? [`--key ${shellQuote(record.key)}`] : []),
    ...record.headers.map(([name, value]) => `--header ${shellQuote(`${name}:${value}`)}`),
    record.tombstone ? "--tombstone" : "--whole"];
  const run = `KAFKA_BOOTSTRAP_SERVERS=${config.bootstrap_servers} .venv/bin/python manage.py kafka_produce ${options.join(" ")}`;
  return { tool: "manage.py kafka_produce", command: record.tombstone ? run : `printf '%s' ${shellQuote(record.value)} | ${run}` };
}

// {tool, command, note}: the command for `record` ({topic, partition, key, headers: [[name, value]], value,
// tombstone}), with the page's own hand-made header, as the server adds it.
export function produceCommand(record, handMade) {
  const marked = { ...record, headers: [...record.headers.filter(([name]) => name !== handMade[0]), handMade] };
  const console = consoleProducer(marked);
  if (console.command) return { ...console, note: "" };
  return { ...kafkaProduce(marked), note: console.reason };
}
