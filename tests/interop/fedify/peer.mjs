// A small ActivityPub server built on Fedify, for kith's interop test
// (tests/interop/test_fedify.py).
//
// Tests where kith talks to kith cannot catch a misreading of a spec that
// both ends share. This peer is written with an implementation we did not
// write: Fedify makes its actor, WebFinger and key documents, signs what it
// sends, and verifies the HTTP signature of everything that reaches its
// inbox (unsigned or badly signed activities are answered 401 by Fedify
// itself, before any code here runs). The one idea: the peer does nothing on
// its own; the test drives it through a small control API and reads back
// what it received, so every assertion about "what Fedify saw" is made by
// the test.
//
// One user, `bob`, at https://localhost:<port>/users/bob, served over HTTPS
// on 127.0.0.1 with a certificate from the test's CA (Node trusts the CA
// through NODE_EXTRA_CA_CERTS). Posts, boosts and deletes go to shared
// inboxes, as servers send them; follows, likes and undos to the actor's own
// inbox, so both of kith's inboxes are used. Nothing is persisted and
// nothing is queued: activities are sent at once, so a delivery that kith
// refuses makes the control request fail with the reason. What it must
// never do: listen beyond loopback, or record as received an activity that
// Fedify did not accept.
//
// Control API, plain HTTP on another loopback port, JSON in and out (each
// action answers the id of what it sent and `sent_to`, the actors it was
// delivered to; 502 with {"error"} if Fedify could not look up or deliver):
//   POST /follow    {"handle": "alice@localhost:8443"}
//   POST /note      {"content", "inReplyTo"?, "mention"?}  (public; -> "create" too)
//   POST /like      {"object"}
//   POST /announce  {"object"}
//   POST /delete    {"object"}    (one of bob's notes)
//   POST /undo      {"activity"}  (a Follow, Like or Announce bob sent)
//   POST /lookup    {"uri", "signed"?}  -> {"found", "type", "json"}: a fetch
//                   as Fedify makes it, signed by bob when asked
//   GET  /received  activities that reached bob's inboxes, in order, each with
//                   the key whose HTTP signature Fedify verified
//   GET  /rejected  inbox requests Fedify refused (status >= 400)
//   GET  /state     followers, and bob's follows with their Accept/Reject
//
// Usage: node peer.mjs --cert CERT --key KEY [--port N] [--debug]
// (port 0, the default: any free one). Prints one line of JSON on stdout
// when ready: {"port", "control_port", "actor"}. Exits when its stdin closes,
// so it never outlives the test that started it.

import { readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createHttpServer } from "node:http";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { Temporal } from "@js-temporal/polyfill";
import { configure, getConsoleSink } from "@logtape/logtape";
import {
  Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  Like,
  MemoryKvStore,
  Mention,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Tombstone,
  Undo,
  createFederation,
  generateCryptoKeyPair,
  verifyRequest,
} from "@fedify/fedify";

const USER = "bob";
// Bodies the peer reads, from kith or from the test.
const MAX_BODY_BYTES = 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    cert: { type: "string" },
    key: { type: "string" },
    port: { type: "string", default: "0" },
    debug: { type: "boolean", default: false },
  },
});
if (!args.cert || !args.key) {
  console.error("usage: node peer.mjs --cert CERT --key KEY [--port N] [--debug]");
  process.exit(2);
}

if (args.debug) {
  await configure({
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: "fedify", lowestLevel: "debug", sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
}

// ---------------------------------------------------------------------------
// State (in memory, for one test run)

const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const received = []; // what reached bob's inboxes and Fedify accepted
const rejected = []; // inbox requests Fedify answered with an error
const followers = new Map(); // actor id -> Actor (who follows bob)
const follows = new Map(); // Follow id -> {object, state: "pending"|"accepted"|"rejected"}
const notes = new Map(); // note id -> Note (bob's, until deleted)
const sent = new Map(); // activity id -> {activity, recipients} (for Undo)

// ---------------------------------------------------------------------------
// The HTTPS server; the federation is made once its port is known, so that
// every URL it makes names the origin kith will use.

const tls = { cert: readFileSync(args.cert), key: readFileSync(args.key) };
let federation = null;
const server = createHttpsServer(tls, (req, res) => {
  serveFederation(req, res).catch((error) => fail(res, error));
});
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(Number(args.port), "127.0.0.1", resolve);
});
const port = server.address().port;
const origin = `https://localhost:${port}`;

federation = createFederation({
  kv: new MemoryKvStore(),
  origin,
  // kith and this peer live on loopback; Fedify refuses private addresses
  // unless told otherwise.
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== USER) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Bob (Fedify peer)",
      summary: "A Fedify peer for kith's interop test.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      following: ctx.getFollowingUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      manuallyApprovesFollowers: false,
      discoverable: true,
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === USER ? [keyPair] : []));

federation.setOutboxDispatcher("/users/{identifier}/outbox", async (_ctx, identifier) =>
  identifier === USER ? { items: [] } : null,
);
federation.setFollowersDispatcher("/users/{identifier}/followers", async (_ctx, identifier) =>
  identifier === USER ? { items: [...followers.values()] } : null,
);
federation.setFollowingDispatcher("/users/{identifier}/following", async (_ctx, identifier) =>
  identifier === USER
    ? { items: [...follows.values()].filter((f) => f.state === "accepted").map((f) => new URL(f.object)) }
    : null,
);
federation.setObjectDispatcher(Note, "/users/{identifier}/notes/{id}", async (ctx, values) => {
  if (values.identifier !== USER) return null;
  return notes.get(ctx.getObjectUri(Note, values).href) ?? null;
});

// Every activity is recorded with the key whose signature verified (see
// serveFederation); Follow is also answered, Accept and Reject settle bob's
// own follows.
async function record(ctx, activity) {
  received.push({
    type: activity.constructor.name,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
    recipient: ctx.recipient,
    signature: ctx.data?.signature ?? null,
    json: await activity.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader }),
    at: new Date().toISOString(),
  });
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    if (follow.objectId?.href !== ctx.getActorUri(USER).href) return;
    const follower = await follow.getActor(ctx);
    if (follower?.id == null) return;
    followers.set(follower.id.href, follower);
    await ctx.sendActivity(
      { identifier: USER },
      follower,
      new Accept({
        id: new URL(`${origin}/activities/${randomUUID()}`),
        actor: ctx.getActorUri(USER),
        object: follow,
      }),
    );
  })
  .on(Accept, async (ctx, accept) => {
    await record(ctx, accept);
    settle(accept, "accepted");
  })
  .on(Reject, async (ctx, reject) => {
    await record(ctx, reject);
    settle(reject, "rejected");
  })
  .on(Undo, async (ctx, undo) => {
    await record(ctx, undo);
    // Undo{Follow}: the follower goes.
    const inner = await undo.getObject(ctx).catch(() => null);
    if (inner instanceof Follow && undo.actorId != null) followers.delete(undo.actorId.href);
  })
  .on(Activity, record)
  .onError((_ctx, error) => console.error(`inbox error: ${error?.stack ?? error}`));

function settle(response, state) {
  const followId = response.objectId?.href;
  const entry = followId != null ? follows.get(followId) : null;
  if (entry != null && response.actorId?.href === entry.object) entry.state = state;
}

// Node request -> Fetch API Request -> Fedify -> Node response. For an
// inbox POST the HTTP signature is verified here too, with Fedify's own
// verifier, so that what the test reads names the key that signed it.
async function serveFederation(req, res) {
  const body = await readBody(req);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const url = new URL(req.url, origin);
  const init = { method: req.method, headers };
  if (req.method !== "GET" && req.method !== "HEAD") init.body = body;
  const request = new Request(url, init);

  const contextData = { signature: null };
  const isInbox = req.method === "POST" && (url.pathname === "/inbox" || url.pathname.endsWith("/inbox"));
  if (isInbox) {
    const ctx = federation.createContext(request, contextData);
    const key = await verifyRequest(request.clone(), {
      documentLoader: ctx.documentLoader,
      contextLoader: ctx.contextLoader,
    }).catch(() => null);
    if (key != null) {
      contextData.signature = { keyId: key.id?.href ?? null, owner: key.ownerId?.href ?? null };
    }
  }
  const response = await federation.fetch(request, {
    contextData,
    onNotFound: () => new Response("Not found", { status: 404 }),
    onNotAcceptable: () => new Response("Not acceptable", { status: 406 }),
  });
  const answer = Buffer.from(await response.arrayBuffer());
  if (isInbox && response.status >= 400) {
    rejected.push({
      path: url.pathname,
      status: response.status,
      reason: answer.toString("utf8").slice(0, 500),
      signature: req.headers.signature ?? null,
      body: body.toString("utf8").slice(0, 2000),
    });
  }
  const out = {};
  response.headers.forEach((value, name) => {
    out[name] = value;
  });
  res.writeHead(response.status, out);
  res.end(answer);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("body too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function fail(res, error) {
  console.error(`peer error: ${error?.stack ?? error}`);
  if (!res.headersSent) res.writeHead(500, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ error: String(error?.message ?? error) }));
}

// ---------------------------------------------------------------------------
// Actions the test asks for.

function ctx() {
  return federation.createContext(new URL(origin), { signature: null });
}

function newId(kind) {
  return new URL(`${origin}/activities/${kind}/${randomUUID()}`);
}

async function lookupActor(context, idOrHandle) {
  const actor = await context.lookupObject(idOrHandle);
  if (actor == null || actor.inboxId == null) throw new Error(`cannot look up actor ${idOrHandle}`);
  return actor;
}

// The author of `objectUrl`, looked up through its origin.
async function authorOf(context, objectUrl) {
  const object = await context.lookupObject(objectUrl);
  if (object == null || object.attributionId == null) {
    throw new Error(`cannot look up the author of ${objectUrl}`);
  }
  return lookupActor(context, object.attributionId.href);
}

// To each recipient's own inbox, or with `shared` (what servers do for
// posts to many) to the shared inbox of each server once.
async function send(context, activity, recipients, { shared = false } = {}) {
  const unique = new Map();
  for (const r of recipients) if (r?.id != null) unique.set(r.id.href, r);
  const list = [...unique.values()];
  if (list.length > 0) {
    await context.sendActivity({ identifier: USER }, list, activity, { preferSharedInbox: shared });
  }
  sent.set(activity.id.href, { activity, recipients: list });
  return list.map((r) => r.id.href);
}

const actions = {
  // Fetches `uri` as Fedify does, unsigned or (signed: true) signed by bob
  // (what servers in authorized-fetch mode, and private posts, require).
  async lookup({ uri, signed }) {
    const context = ctx();
    const documentLoader = signed
      ? await context.getDocumentLoader({ identifier: USER })
      : context.documentLoader;
    const object = await context.lookupObject(uri, { documentLoader });
    return {
      found: object != null,
      type: object?.constructor.name ?? null,
      json:
        object == null
          ? null
          : await object.toJsonLd({ format: "compact", contextLoader: context.contextLoader }),
    };
  },

  async follow({ handle }) {
    const context = ctx();
    const target = await lookupActor(context, handle);
    const follow = new Follow({ id: newId("follow"), actor: context.getActorUri(USER), object: target.id });
    follows.set(follow.id.href, { object: target.id.href, state: "pending" });
    const to = await send(context, follow, [target]);
    return { id: follow.id.href, object: target.id.href, sent_to: to };
  },

  async note({ content, inReplyTo, mention }) {
    const context = ctx();
    const id = context.getObjectUri(Note, { identifier: USER, id: randomUUID() });
    const recipients = [...followers.values()];
    const tags = [];
    const ccs = [context.getFollowersUri(USER)];
    if (inReplyTo) recipients.push(await authorOf(context, inReplyTo));
    if (mention) {
      const actor = await lookupActor(context, mention);
      recipients.push(actor);
      ccs.push(actor.id);
      tags.push(new Mention({ href: actor.id, name: `@${mention.replace(/^@/, "")}` }));
    }
    const published = Temporal.Now.instant();
    const note = new Note({
      id,
      attribution: context.getActorUri(USER),
      content,
      replyTarget: inReplyTo ? new URL(inReplyTo) : null,
      tos: [PUBLIC_COLLECTION],
      ccs,
      tags,
      url: id,
      published,
    });
    notes.set(id.href, note);
    const create = new Create({
      id: new URL(`${id.href}/activity`),
      actor: context.getActorUri(USER),
      object: note,
      tos: [PUBLIC_COLLECTION],
      ccs,
      published,
    });
    const to = await send(context, create, recipients, { shared: true });
    return { id: id.href, create: create.id.href, sent_to: to };
  },

  async like({ object }) {
    const context = ctx();
    const like = new Like({ id: newId("like"), actor: context.getActorUri(USER), object: new URL(object) });
    const to = await send(context, like, [await authorOf(context, object)]);
    return { id: like.id.href, sent_to: to };
  },

  async announce({ object }) {
    const context = ctx();
    const announce = new Announce({
      id: newId("announce"),
      actor: context.getActorUri(USER),
      object: new URL(object),
      tos: [PUBLIC_COLLECTION],
      ccs: [context.getFollowersUri(USER)],
      published: Temporal.Now.instant(),
    });
    const recipients = [...followers.values(), await authorOf(context, object)];
    const to = await send(context, announce, recipients, { shared: true });
    return { id: announce.id.href, sent_to: to };
  },

  async delete({ object }) {
    const context = ctx();
    if (!notes.has(object)) throw new Error(`not one of ${USER}'s notes: ${object}`);
    notes.delete(object);
    const del = new Delete({
      id: newId("delete"),
      actor: context.getActorUri(USER),
      object: new Tombstone({ id: new URL(object) }),
      tos: [PUBLIC_COLLECTION],
      ccs: [context.getFollowersUri(USER)],
    });
    // Everyone who got the Create gets the Delete.
    const create = sent.get(`${object}/activity`);
    const to = await send(context, del, [...followers.values(), ...(create?.recipients ?? [])], {
      shared: true,
    });
    return { id: del.id.href, sent_to: to };
  },

  async undo({ activity }) {
    const context = ctx();
    const original = sent.get(activity);
    if (original == null) throw new Error(`bob sent no activity ${activity}`);
    const undo = new Undo({ id: newId("undo"), actor: context.getActorUri(USER), object: original.activity });
    const to = await send(context, undo, original.recipients);
    follows.delete(activity);
    return { id: undo.id.href, sent_to: to };
  },
};

const control = createHttpServer((req, res) => {
  serveControl(req, res).catch((error) => fail(res, error));
});

async function serveControl(req, res) {
  const url = new URL(req.url, "http://127.0.0.1");
  const reply = (status, value) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(value));
  };
  if (req.method === "GET" && url.pathname === "/received") return reply(200, received);
  if (req.method === "GET" && url.pathname === "/rejected") return reply(200, rejected);
  if (req.method === "GET" && url.pathname === "/state") {
    return reply(200, {
      actor: `${origin}/users/${USER}`,
      followers: [...followers.keys()],
      follows: Object.fromEntries(follows),
    });
  }
  const action = req.method === "POST" ? actions[url.pathname.slice(1)] : undefined;
  if (action == null) return reply(404, { error: `no such control action: ${req.method} ${url.pathname}` });
  let input;
  try {
    input = JSON.parse((await readBody(req)).toString("utf8") || "{}");
  } catch {
    return reply(400, { error: "the body is not JSON" });
  }
  try {
    return reply(200, await action(input));
  } catch (error) {
    return reply(502, { error: String(error?.message ?? error) });
  }
}

await new Promise((resolve) => control.listen(0, "127.0.0.1", resolve));
const ready = { port, control_port: control.address().port, actor: `${origin}/users/${USER}` };
process.stdout.write(`${JSON.stringify(ready)}\n`);

// Stop when the test goes away (its end of our stdin closes).
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
