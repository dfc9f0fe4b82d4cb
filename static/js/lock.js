// The app lock's cryptography (docs/app-lock.md), with WebCrypto only: no
// storage and no page here, so Node's tests (tests/js/lock.test.mjs) run it
// as the phone does.
//
// - The PIN or passphrase gives a key-encryption key: PBKDF2-SHA-256,
//   ITERATIONS rounds, a random 16-byte salt. It is never kept.
// - It wraps two random keys made when the lock is set: the data key
//   (AES-GCM 256), which encrypts each record, and the private half of an
//   ECDH P-256 pair. The public half is kept in the clear, so a craving can
//   be saved while Crest is locked (sealed to it: an ephemeral ECDH key,
//   HKDF-SHA-256, AES-GCM) and read only once it is unlocked.
// - A wrong PIN fails AES-GCM's check when unwrapping: WrongSecret.
// - Each box is bound to where it is kept (`aad`: the store, the space and
//   the record's id), so a box moved to another record does not open.
// Unwrapped keys are never extractable: the page can use them, never read them.

export const ITERATIONS = 600_000;
export const MIN_PIN_DIGITS = 6;
export const MIN_PASSPHRASE = 8;
const LOCK_VERSION = 1;
const subtle = () => globalThis.crypto.subtle;
const encoder = new TextEncoder();
const WRAP_DATA = encoder.encode("crest-lock data key");
const WRAP_PRIVATE = encoder.encode("crest-lock private key");
const SEAL_INFO = encoder.encode("crest-lock sealed box");

export class WrongSecret extends Error {
  constructor() {
    super("That PIN or passphrase is not the one this lock was set with.");
    this.name = "WrongSecret";
  }
}

export class Unreadable extends Error {
  constructor() {
    super("This box was changed or belongs elsewhere.");
    this.name = "Unreadable";
  }
}

const random = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

// null if `secret` will do; else why not: "pin-short" (digits only, fewer
// than MIN_PIN_DIGITS) or "passphrase-short" (fewer than MIN_PASSPHRASE).
export function secretProblem(secret) {
  const text = String(secret ?? "").normalize("NFC");
  if (/^\d*$/.test(text)) return text.length >= MIN_PIN_DIGITS ? null : "pin-short";
  return [...text].length >= MIN_PASSPHRASE ? null : "passphrase-short";
}

async function keyFromSecret(secret, salt, iterations) {
  const material = await subtle().importKey("raw", encoder.encode(String(secret).normalize("NFC")), "PBKDF2", false, ["deriveKey"]);
  return subtle().deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["wrapKey", "unwrapKey"],
  );
}

async function unwrapKeys(record, wrapping) {
  try {
    const dataKey = await subtle().unwrapKey(
      "raw", record.wrappedDataKey, wrapping, { name: "AES-GCM", iv: record.dataKeyIv, additionalData: WRAP_DATA },
      { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"],
    );
    const privateKey = await subtle().unwrapKey(
      "pkcs8", record.wrappedPrivateKey, wrapping, { name: "AES-GCM", iv: record.privateKeyIv, additionalData: WRAP_PRIVATE },
      { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"],
    );
    return { dataKey, privateKey };
  } catch {
    throw new WrongSecret();
  }
}

// A new lock for `secret`: {record} to keep (no secret in it, nothing
// readable without the secret but the public key) and the unlocked {keys}.
export async function makeLock(secret, { iterations = ITERATIONS } = {}) {
  if (secretProblem(secret)) throw new Error(secretProblem(secret));
  const salt = random(16);
  const wrapping = await keyFromSecret(secret, salt, iterations);
  // Extractable only for this moment, to be wrapped; dropped right after.
  const dataKey = await subtle().generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const pair = await subtle().generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const dataKeyIv = random(12);
  const privateKeyIv = random(12);
  const record = {
    v: LOCK_VERSION,
    kind: /^\d+$/.test(String(secret)) ? "pin" : "passphrase",
    iterations,
    salt,
    dataKeyIv,
    wrappedDataKey: new Uint8Array(await subtle().wrapKey("raw", dataKey, wrapping, { name: "AES-GCM", iv: dataKeyIv, additionalData: WRAP_DATA })),
    privateKeyIv,
    wrappedPrivateKey: new Uint8Array(await subtle().wrapKey("pkcs8", pair.privateKey, wrapping, { name: "AES-GCM", iv: privateKeyIv, additionalData: WRAP_PRIVATE })),
    publicKey: new Uint8Array(await subtle().exportKey("raw", pair.publicKey)),
  };
  return { record, keys: await unwrapKeys(record, wrapping) };
}

// The keys of a lock, or WrongSecret. Takes as long as PBKDF2 takes: that
// is the point.
export async function openLock(record, secret) {
  const wrapping = await keyFromSecret(secret, record.salt, record.iterations);
  return unwrapKeys(record, wrapping);
}

function json(value) {
  return encoder.encode(JSON.stringify(value));
}

// A record's value in a box only the data key opens.
export async function encrypt(keys, value, aad) {
  const iv = random(12);
  const ct = await subtle().encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(aad) }, keys.dataKey, json(value));
  return { k: "key", iv, ct: new Uint8Array(ct) };
}

async function sealKey(privateKey, publicKey, epk) {
  const bits = await subtle().deriveBits({ name: "ECDH", public: publicKey }, privateKey, 256);
  const shared = await subtle().importKey("raw", bits, "HKDF", false, ["deriveKey"]);
  return subtle().deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: epk, info: SEAL_INFO }, shared, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"],
  );
}

// A record's value in a box for the lock's public key: made while locked,
// opened only with the private key (after unlocking).
export async function seal(publicKeyRaw, value, aad) {
  const recipient = await subtle().importKey("raw", publicKeyRaw, { name: "ECDH", namedCurve: "P-256" }, false, []);
  const ephemeral = await subtle().generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const epk = new Uint8Array(await subtle().exportKey("raw", ephemeral.publicKey));
  const key = await sealKey(ephemeral.privateKey, recipient, epk);
  const iv = random(12);
  const ct = await subtle().encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(aad) }, key, json(value));
  return { k: "sealed", epk, iv, ct: new Uint8Array(ct) };
}

// What a box holds, or Unreadable (changed, moved, or not this lock's).
export async function open(keys, box, aad) {
  try {
    let key = keys.dataKey;
    if (box.k === "sealed") {
      const sender = await subtle().importKey("raw", box.epk, { name: "ECDH", namedCurve: "P-256" }, false, []);
      key = await sealKey(keys.privateKey, sender, box.epk);
    } else if (box.k !== "key") {
      throw new Unreadable();
    }
    const plain = await subtle().decrypt({ name: "AES-GCM", iv: box.iv, additionalData: encoder.encode(aad) }, key, box.ct);
    return JSON.parse(new TextDecoder().decode(plain));
  } catch {
    throw new Unreadable();
  }
}
