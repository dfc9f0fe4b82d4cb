// ESLint for Crest's JavaScript (`make lint`; pinned in package.json).
// Pages run static/js as ES modules with the browser's globals. The modules
// the service worker runs too (the database and the outbox) get only what a
// worker has, so a page-only global (document, window, localStorage) there
// is an error; they reach the page through `globalThis.document?.` guards.
import js from "@eslint/js";
import globals from "globals";

// What the service worker imports, besides its own file.
const WORKER_MODULES = ["static/js/db.js", "static/js/outbox-queue.js", "static/js/outbox-send.js"];

export default [
  // Django templates ({{ }} inside) are not JavaScript until rendered.
  { ignores: ["node_modules/", ".venv/", "staticfiles/", "bench-results/", "**/templates/**"] },
  js.configs.recommended,
  {
    rules: {
      // `const { a, ...rest } = item` to leave `a` out is the point.
      "no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
  {
    files: ["static/js/**/*.js"],
    ignores: WORKER_MODULES,
    languageOptions: { sourceType: "module", globals: globals.browser },
  },
  {
    files: [...WORKER_MODULES, "**/serviceworker*.js"],
    languageOptions: { sourceType: "module", globals: globals.serviceworker },
  },
  {
    // Scripts the browser tests put into a page before its own (init scripts);
    // the test fills in __OPTIONS__ before adding one.
    files: ["tests/browser/**/*.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.browser, __OPTIONS__: "readonly" } },
  },
  {
    files: ["tests/js/**/*.mjs", "bench/**/*.mjs", "eslint.config.js"],
    languageOptions: { sourceType: "module", globals: globals.node },
  },
];
