// "Are you sure?" before deleting, with the page's <dialog data-confirm>.
// Resolves true only when the person picks the delete button.
import { gettext } from "./i18n.js";

export function confirmAction(message, confirmLabel = gettext("Delete")) {
  const dialog = document.querySelector("[data-confirm]");
  if (!dialog || typeof dialog.showModal !== "function") {
    return Promise.resolve(window.confirm(message));
  }
  dialog.querySelector("[data-confirm-text]").textContent = message;
  dialog.querySelector("[data-confirm-yes]").textContent = confirmLabel;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
    dialog.showModal();
  });
}
