// A person's records in the "cravings" and "lists" stores (db.js): only
// their space's (space.js), in boxes while their space has a lock
// (lock-state.js). The craving log, the lists and the safety plan read and
// write through here, never through db.js directly.
//
// A record is kept as the value with its space ({...value, space}), or,
// under a lock, as {id, space, box}: nothing but the id and whose it is
// can be read without the key.
import { getAllFrom, put, remove, writeAll } from "./db.js";
import { boxFor, boxPlace, isBox, keysFor, Locked, lockOf } from "./lock-state.js";
import { SPACE } from "./space.js";

export { Locked };

// Every value of `space` in `store`. Rejects with Locked while the space
// is locked (whether or not it holds anything: what is hidden is hidden); a
// box that does not open (changed on the phone) is left out.
export async function readAll(store, space = SPACE) {
  const locked = Boolean(await lockOf(space));
  const keys = locked ? await keysFor(space) : null;
  if (locked && !keys) throw new Locked();
  const records = await getAllFrom(store, "space", space);
  const { open } = records.some(isBox) ? await import("./lock.js") : {};
  const values = [];
  for (const record of records) {
    if (!isBox(record)) {
      const { space: _, ...value } = record;
      values.push(value);
      continue;
    }
    try {
      values.push({ ...(await open(keys, record.box, boxPlace(store, space, record.id))), id: record.id });
    } catch {
      // unreadable: not shown, and not lost either
    }
  }
  return values;
}

// What `space` keeps of `value` (which has an id) in `store`.
export async function recordOf(store, value, space = SPACE) {
  const box = await boxFor(space);
  if (!box) return { ...value, space };
  return { id: value.id, space, box: await box(value, boxPlace(store, space, value.id)) };
}

export async function keep(store, value, space = SPACE) {
  await put(store, await recordOf(store, value, space));
}

export function drop(store, id) {
  return remove(store, id);
}

export async function dropAll(store, space = SPACE) {
  const records = await getAllFrom(store, "space", space);
  await writeAll(records.map((record) => ({ store, remove: record.id })));
}
