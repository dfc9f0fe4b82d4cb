// The text size a person chose (text-size.js), put on <html> before the
// first paint. A classic script in <head>, render-blocking on purpose: the
// page never shows at the normal size first and then jumps. Kept tiny.
try {
  const size = localStorage.getItem("crest:text-size");
  if (size === "large" || size === "largest") document.documentElement.setAttribute("data-text-size", size);
} catch {
  // Storage blocked (private mode, a setting): the normal size.
}
