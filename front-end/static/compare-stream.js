// One /compare run as a stream of server-sent events, read from fetch's body
// (EventSource cannot POST). Loaded after app.js (brokerFetch).
"use strict";

// Feeds an SSE body to `onEvent(name, data)`, event by event, as the
// EventSource parser does: `field: value` lines, `data` lines joined with
// "\n", a blank line ends the event, lines starting with ":" are comments.
// Resolves when the body ends; rejects when it is aborted.
async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let name = "";
  let data = [];
  const line = (text) => {
    if (text === "") {
      if (data.length > 0) onEvent(name || "message", data.join("\n"));
      name = "";
      data = [];
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    // A "\r" last in the buffer may be half of a "\r\n": wait for the next chunk.
    let end;
    while ((end = buffer.search(/\r\n|\n|\r(?=.)/s)) >= 0) {
      const breakLength = buffer.startsWith("\r\n", end) ? 2 : 1;
      line(buffer.slice(0, end));
      buffer = buffer.slice(end + breakLength);
    }
  }
  if (buffer !== "") line(buffer.replace(/\r$/, ""));
  line("");
}

// Starts one comparison of `body` and calls `on[event](data)` for each
// `progress`, `step`, `result` and `report` event. Resolves with
// `{ report }` (the report event's whole answer) or, when the broker answered
// plain JSON instead of a stream (an error found before the run: 400, 401,
// 429), with `{ status, answer }`. Rejects with an AbortError when `signal` is
// aborted: closing the stream cancels the run in the broker.
async function streamCompare(body, on, signal) {
  const response = await brokerFetch("/compare", JSON.stringify(body), {
    headers: { Accept: "text/event-stream" },
    signal,
  });
  const type = response.headers.get("Content-Type") ?? "";
  if (!type.startsWith("text/event-stream")) {
    const answer = await response.json();
    return { status: response.status, answer };
  }
  let report = null;
  await readEvents(response.body, (name, text) => {
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      return; // not an event of the contract
    }
    if (name === "report") report = data;
    on[name]?.(data);
  });
  return { status: response.status, report };
}
