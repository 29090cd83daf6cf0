// A client session written with masto.js (JSON request bodies, camelCase entities), run by
// tests/e2e/test_masto_js.py. Input from the environment: TOPI_URL, TOPI_TOKEN (a user token with
// read write follow), TOPI_TAG (a fresh hashtag name) and TOPI_WORD (a fresh search word).
// Prints one JSON summary on stdout; on an error prints {"error": ...} and exits 1.
import { createRestAPIClient } from "masto";

const { TOPI_URL: url, TOPI_TOKEN: accessToken, TOPI_TAG: tag, TOPI_WORD: word } = process.env;
if (!url || !accessToken || !tag || !word) {
  console.error("TOPI_URL, TOPI_TOKEN, TOPI_TAG and TOPI_WORD are required");
  process.exit(2);
}

const masto = createRestAPIClient({ url, accessToken, timeout: 30_000 });
const summary = { steps: [] };

function step(name) {
  summary.steps.push(name);
}

/** The HTTP status of a failing masto.js call (MastoHttpError.statusCode), or "ok". */
async function statusOf(promise) {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error && typeof error.statusCode === "number") return error.statusCode;
    throw error;
  }
}

function brief(status) {
  return {
    id: status.id,
    content: status.content,
    visibility: status.visibility,
    tags: status.tags.map((t) => t.name),
    inReplyToId: status.inReplyToId ?? null,
    inReplyToAccountId: status.inReplyToAccountId ?? null,
    favourited: status.favourited ?? null,
    reblogged: status.reblogged ?? null,
    favouritesCount: status.favouritesCount,
    reblogsCount: status.reblogsCount,
    repliesCount: status.repliesCount,
    editedAt: status.editedAt ?? null,
    reblog: status.reblog ? { id: status.reblog.id, reblogged: status.reblog.reblogged ?? null } : null,
    accountId: status.account.id,
  };
}

try {
  step("verifyCredentials");
  const me = await masto.v1.accounts.verifyCredentials();
  summary.me = { id: me.id, username: me.username, acct: me.acct, hasSource: Boolean(me.source) };

  step("create");
  const status = await masto.v1.statuses.create({ status: `Hello from masto.js #${tag} ${word}`, visibility: "public" });
  summary.status = brief(status);

  step("tagTimeline");
  const tagged = await masto.v1.timelines.tag.$select(tag).list({ limit: 20 });
  summary.tagTimeline = tagged.map((s) => s.id);

  step("tagFetch");
  const tagEntity = await masto.v1.tags.$select(tag).fetch();
  summary.tag = { name: tagEntity.name, historyLength: tagEntity.history?.length ?? null, todayUses: tagEntity.history?.[0]?.uses ?? null };

  step("favourite");
  summary.favourite = brief(await masto.v1.statuses.$select(status.id).favourite());

  step("reblog");
  summary.reblog = brief(await masto.v1.statuses.$select(status.id).reblog());

  step("reply");
  const reply = await masto.v1.statuses.create({ status: "A reply from masto.js", inReplyToId: status.id, visibility: "public" });
  summary.reply = brief(reply);

  step("context");
  const context = await masto.v1.statuses.$select(status.id).context.fetch();
  summary.context = { ancestors: context.ancestors.map((s) => s.id), descendants: context.descendants.map((s) => s.id) };

  step("update");
  summary.edited = brief(await masto.v1.statuses.$select(reply.id).update({ status: "An edited reply from masto.js", spoilerText: "edited" }));

  step("history");
  const history = await masto.v1.statuses.$select(reply.id).history.list();
  summary.history = history.map((h) => h.content);

  step("remove");
  const removed = await masto.v1.statuses.$select(reply.id).remove();
  summary.removed = { id: removed.id, text: removed.text ?? null };
  summary.fetchRemoved = await statusOf(masto.v1.statuses.$select(reply.id).fetch());

  step("search");
  const found = await masto.v2.search.list({ q: word, type: "statuses" });
  summary.search = found.statuses.map((s) => s.id);

  step("refetch");
  summary.original = brief(await masto.v1.statuses.$select(status.id).fetch());

  step("homePaging");
  const posted = [];
  for (let i = 0; i < 5; i++) {
    const s = await masto.v1.statuses.create({ status: `masto.js page ${i} ${word}`, visibility: "public" });
    posted.push(s.id);
  }
  summary.posted = posted;
  const pages = [];
  for await (const page of masto.v1.timelines.home.list({ limit: 2 })) {
    pages.push(page.map((s) => s.id));
    if (pages.length === 2) break;
  }
  summary.homePages = pages;

  step("notifications");
  const notifications = await masto.v1.notifications.list({ limit: 10 });
  summary.notifications = { isArray: Array.isArray(notifications), count: notifications.length };

  step("unknownStatus");
  summary.unknownStatus = await statusOf(masto.v1.statuses.$select("1").fetch());

  step("cleanup");
  await masto.v1.statuses.$select(status.id).unreblog();
  await masto.v1.statuses.$select(status.id).unfavourite();
  summary.deletedOriginal = (await masto.v1.statuses.$select(status.id).remove()).id;
  summary.tagTimelineAfter = (await masto.v1.timelines.tag.$select(tag).list()).map((s) => s.id);

  step("done");
  process.stdout.write(JSON.stringify(summary) + "\n");
} catch (error) {
  summary.error = {
    name: error?.name ?? null,
    message: String(error?.message ?? error),
    statusCode: error?.statusCode ?? null,
    description: error?.description ?? null,
    step: summary.steps[summary.steps.length - 1] ?? null,
  };
  process.stdout.write(JSON.stringify(summary) + "\n");
  process.exit(1);
}
