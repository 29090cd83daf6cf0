// masto.js's streaming client, as Elk and Phanpy use it: it finds the streaming URL in the v2
// instance, connects to /api/v1/streaming with the token as the WebSocket subprotocol, and
// subscribes with messages. Run by tests/e2e/test_masto_js.py. Input: TOPI_URL, TOPI_TOKEN,
// TOPI_TAG. Posts a status tagged TOPI_TAG through the REST client and waits for it on the user
// and hashtag streams. Prints one JSON summary; on an error {"error": ...} and exit 1.
import { createRestAPIClient, createStreamingAPIClient } from "masto";
import WebSocket from "isomorphic-ws";

const { TOPI_URL: url, TOPI_TOKEN: accessToken, TOPI_TAG: tag } = process.env;
const WAIT_MS = 15_000;

// Iterating is what opens masto.js's socket and sends the subscription, so it starts before the
// post; updates are collected until the one with `id` is seen.
function collect(subscription) {
  const seen = [];
  (async () => {
    for await (const event of subscription) seen.push(event);
  })().catch(() => {});
  return seen;
}

async function update(seen, id, ms, what) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const found = seen.find((event) => event.event === "update" && event.payload.id === id);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${what} within ${ms} ms`);
}

try {
  const rest = createRestAPIClient({ url, accessToken, timeout: 30_000 });
  const instance = await rest.v2.instance.fetch();
  const streamingApiUrl = instance.configuration.urls.streaming;
  const streaming = createStreamingAPIClient({ streamingApiUrl, accessToken, implementation: WebSocket, retry: false });
  const onUserStream = collect(streaming.user.subscribe());
  const onTagStream = collect(streaming.hashtag.subscribe({ tag }));
  // The socket opens and the subscriptions reach the hub meanwhile.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const status = await rest.v1.statuses.create({ status: `streamed to masto.js #${tag}`, visibility: "public" });
  const onUser = await update(onUserStream, status.id, WAIT_MS, "user update");
  const onTag = await update(onTagStream, status.id, WAIT_MS, "hashtag update");
  streaming.close();
  console.log(JSON.stringify({
    streamingApiUrl,
    posted: status.id,
    user: { stream: onUser.stream, id: onUser.payload.id, accountId: onUser.payload.account.id },
    hashtag: { stream: onTag.stream, id: onTag.payload.id, tags: onTag.payload.tags.map((t) => t.name) },
  }));
  process.exit(0);
} catch (error) {
  console.log(JSON.stringify({ error: String(error?.stack ?? error) }));
  process.exit(1);
}
