// Strings for static/js in the page's language. A page in Spanish loads
// its catalog (/es/jsi18n.js, a deferred classic script that runs before
// every module) and this module reads it; an English page loads none, and
// every string is its own translation. Mark strings with these names and
// plain string literals so makemessages finds them (locale/…/djangojs.po).

const catalog = globalThis.crestCatalog || { strings: {}, plural: (n) => (n === 1 ? 0 : 1) };

// The page's language ("en", "es").
export const LANGUAGE = globalThis.document?.documentElement.lang || "en";
// For dates, numbers and sorting: the phone's own variant of the page's
// language (es-US, en-GB), or the language itself.
export const LOCALE = (globalThis.navigator?.languages || []).find((tag) => tag.split("-")[0] === LANGUAGE) || LANGUAGE;

function lookup(key) {
  return Object.hasOwn(catalog.strings, key) ? catalog.strings[key] : undefined;
}

export function gettext(msgid) {
  const found = lookup(msgid);
  if (found === undefined) return msgid;
  return Array.isArray(found) ? found[0] : found;
}

export function ngettext(singular, plural, count) {
  const found = lookup(singular);
  if (!Array.isArray(found)) return count === 1 ? singular : plural;
  return found[Math.min(catalog.plural(count), found.length - 1)];
}

export function pgettext(context, msgid) {
  const found = lookup(`${context}\u0004${msgid}`);
  if (found === undefined) return msgid;
  return Array.isArray(found) ? found[0] : found;
}

// "Step %(n)s of %(total)s" with {n: 2, total: 6}: named, so a translation
// may put them in any order.
export function interpolate(format, values) {
  return format.replace(/%\((\w+)\)s/g, (match, name) => (Object.hasOwn(values, name) ? String(values[name]) : match));
}
