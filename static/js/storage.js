// Ask the browser to keep Crest's data (navigator.storage.persist()) once a
// person has something stored only on this phone: without it a browser may
// clear the site's storage when space runs low. Asked once on our own;
// /me/ says whether it is kept and can ask again.
const ASKED = "crest:storage-asked:v1";

export async function isKept() {
  try {
    return navigator.storage?.persisted ? await navigator.storage.persisted() : null;
  } catch {
    return null;
  }
}

export async function askToKeep({ again = false } = {}) {
  try {
    if (!navigator.storage?.persist) return null;
    if (await navigator.storage.persisted()) return true;
    if (!again && localStorage.getItem(ASKED)) return false;
    localStorage.setItem(ASKED, new Date().toISOString());
    return await navigator.storage.persist();
  } catch {
    return null;
  }
}
