// The app lock's cryptography (static/js/lock.js) with Node's WebCrypto, the
// same API the phone's browser has: a round trip, a wrong PIN, tampered data.
import assert from "node:assert/strict";
import { test } from "node:test";
import { encrypt, ITERATIONS, makeLock, open, openLock, seal, secretProblem, Unreadable, WrongSecret } from "../../static/js/lock.js";
import { isBox, waitAfter } from "../../static/js/lock-state.js";

// Fewer rounds keep the suite quick; one test below uses the real number.
const FAST = { iterations: 1000 };
const WHERE = "cravings\naccount:abc\n0b8e6c1e";
const ENTRY = { startedAt: "2026-03-01T21:15:00Z", before: 8, note: "Rough night at my sister’s — made it 🌊" };

test("the lock is set with at least 600,000 PBKDF2 rounds and keeps no secret", async () => {
  assert.ok(ITERATIONS >= 600_000);
  const started = performance.now();
  const { record, keys } = await makeLock("482913");
  const took = performance.now() - started;
  assert.equal(record.iterations, ITERATIONS);
  assert.equal(record.salt.length, 16);
  assert.equal(record.kind, "pin");
  const kept = JSON.stringify(record, (key, value) => (value instanceof Uint8Array ? [...value] : value));
  assert.ok(!kept.includes("482913"));
  // The unlocked keys can be used, never read.
  assert.equal(keys.dataKey.extractable, false);
  assert.equal(keys.privateKey.extractable, false);
  await assert.rejects(crypto.subtle.exportKey("raw", keys.dataKey));
  console.log(`# makeLock at ${ITERATIONS} rounds took ${took.toFixed(0)} ms in Node`);
});

test("two locks with the same PIN share no salt and no key", async () => {
  const one = await makeLock("482913", FAST);
  const two = await makeLock("482913", FAST);
  assert.notDeepEqual(one.record.salt, two.record.salt);
  const box = await encrypt(one.keys, ENTRY, WHERE);
  await assert.rejects(open(two.keys, box, WHERE), Unreadable);
});

test("a round trip: what goes in a box comes out, and the box does not show it", async () => {
  const { record } = await makeLock("correct horse battery", FAST);
  assert.equal(record.kind, "passphrase");
  const keys = await openLock(record, "correct horse battery");
  const box = await encrypt(keys, ENTRY, WHERE);
  assert.ok(isBox({ box }));
  assert.ok(!Buffer.from(box.ct).toString("utf8").includes("sister"));
  assert.deepEqual(await open(keys, box, WHERE), ENTRY);
});

test("a box sealed while locked opens only once unlocked", async () => {
  const { record } = await makeLock("482913", FAST);
  const box = await seal(record.publicKey, ENTRY, WHERE);
  assert.equal(box.k, "sealed");
  assert.ok(!Buffer.from(box.ct).toString("utf8").includes("sister"));
  const keys = await openLock(record, "482913");
  assert.deepEqual(await open(keys, box, WHERE), ENTRY);
  const other = await makeLock("482913", FAST);
  await assert.rejects(open(other.keys, box, WHERE), Unreadable);
});

test("a wrong PIN opens nothing", async () => {
  const { record } = await makeLock("482913", FAST);
  await assert.rejects(openLock(record, "482914"), WrongSecret);
  await assert.rejects(openLock(record, ""), WrongSecret);
  await assert.rejects(openLock({ ...record, salt: new Uint8Array(16) }, "482913"), WrongSecret);
});

test("tampered data is refused, never read wrong", async () => {
  const { record, keys } = await makeLock("482913", FAST);
  for (const box of [await encrypt(keys, ENTRY, WHERE), await seal(record.publicKey, ENTRY, WHERE)]) {
    const flipped = new Uint8Array(box.ct);
    flipped[3] ^= 1;
    await assert.rejects(open(keys, { ...box, ct: flipped }, WHERE), Unreadable);
    await assert.rejects(open(keys, { ...box, iv: new Uint8Array(12) }, WHERE), Unreadable);
    await assert.rejects(open(keys, { ...box, ct: box.ct.slice(0, -1) }, WHERE), Unreadable);
    // Moved to another record, store or person: refused.
    await assert.rejects(open(keys, box, "cravings\naccount:abc\nanother-id"), Unreadable);
    await assert.rejects(open(keys, box, "cravings\nanon\n0b8e6c1e"), Unreadable);
    assert.deepEqual(await open(keys, box, WHERE), ENTRY);
  }
  const wrapped = new Uint8Array(record.wrappedDataKey);
  wrapped[0] ^= 1;
  await assert.rejects(openLock({ ...record, wrappedDataKey: wrapped }, "482913"), WrongSecret);
  await assert.rejects(open(keys, { k: "other", iv: new Uint8Array(12), ct: new Uint8Array(32) }, WHERE), Unreadable);
});

test("a PIN has at least 6 digits; anything else is a passphrase of at least 8 characters", async () => {
  assert.equal(secretProblem("12345"), "pin-short");
  assert.equal(secretProblem(""), "pin-short");
  assert.equal(secretProblem("123456"), null);
  assert.equal(secretProblem("abc 123"), "passphrase-short");
  assert.equal(secretProblem("ñandú río"), null);
  assert.equal(secretProblem("🌊🌊🌊🌊🌊🌊🌊🌊"), null);
  await assert.rejects(makeLock("12345", FAST));
});

test("wrong tries wait longer and longer, and never for good", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map(waitAfter), [0, 0, 0, 5_000, 10_000, 20_000, 40_000]);
  assert.equal(waitAfter(50), 300_000);
  assert.equal(waitAfter(10_000), 300_000);
});
