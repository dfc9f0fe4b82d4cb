// "Text size" at the top of every page: normal, large or largest, kept on
// this phone. text-size-early.js puts the saved size on <html> before the
// first paint of every page; this module runs the control and applies a
// change at once. reading.css turns the attribute into a root font size,
// which every rem and em in Crest's CSS follows.
const KEY = "crest:text-size";
const SIZES = ["normal", "large", "largest"];
const root = document.documentElement;
const menu = document.querySelector("[data-text-size-menu]");

function savedSize() {
  try {
    const size = localStorage.getItem(KEY);
    return SIZES.includes(size) ? size : "normal";
  } catch {
    return "normal";
  }
}

function save(size) {
  try {
    if (size === "normal") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, size);
  } catch {
    // Not kept: this page still shows the size; the next one is normal.
  }
}

function show(size) {
  if (size === "normal") root.removeAttribute("data-text-size");
  else root.setAttribute("data-text-size", size);
  menu?.querySelectorAll("[data-text-size-choice]").forEach((input) => {
    input.checked = input.value === size;
  });
}

if (menu) {
  menu.querySelectorAll("[data-text-size-choice]").forEach((input) => {
    input.addEventListener("change", () => {
      if (!input.checked) return;
      show(input.value);
      save(input.value);
    });
  });
  show(SIZES.includes(root.dataset.textSize) ? root.dataset.textSize : "normal");
  menu.hidden = false;
}

// A change in another tab, or on another page before this one came back
// from the back/forward cache.
window.addEventListener("storage", (event) => {
  if (event.key === KEY || event.key === null) show(savedSize());
});
window.addEventListener("pageshow", (event) => {
  if (event.persisted) show(savedSize());
});
