// A Postman collection (format v2.1.0) of REST requests, for the REST workbench's export: each request with its
// method, headers, raw JSON body and URL, the server's origin as the collection variable {{baseUrl}}.

const SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

function headerList(text) {
  return text.split("\n").filter((line) => line.includes(":"))
    .map((line) => ({ key: line.slice(0, line.indexOf(":")).trim(), value: line.slice(line.indexOf(":") + 1).trim() }));
}

function postmanUrl(url) {
  const [path, query = ""] = url.split("?", 2);
  return {
    raw: `{{baseUrl}}${url}`,
    host: ["{{baseUrl}}"],
    path: path.split("/").filter(Boolean),
    ...(query ? { query: [...new URLSearchParams(query)].map(([key, value]) => ({ key, value })) } : {}),
  };
}

// One item: a stored REST request ({method, url, headers: "Name: value" lines, body}) under `name`.
function item(name, request) {
  return {
    name,
    request: {
      method: request.method,
      header: headerList(request.headers),
      url: postmanUrl(request.url),
      ...(request.body !== null ? { body: { mode: "raw", raw: request.body, options: { raw: { language: "json" } } } } : {}),
    },
  };
}

// The collection: the saved requests, then a folder of the recent calls (newest first).
export function postmanCollection({ name, id, baseUrl, saved, calls }) {
  const items = saved.map((entry) => item(entry.name, entry.request));
  if (calls.length) {
    items.push({ name: "History", item: calls.map((call) => item(`${call.request.method} ${call.request.url}`, call.request)) });
  }
  return { info: { _postman_id: id, name, schema: SCHEMA }, item: items, variable: [{ key: "baseUrl", value: baseUrl }] };
}
