// "Copy" buttons beside text a person must keep or pass on: a suggested
// passphrase, an invite or set-password link. <button data-copy="ID" hidden>
// copies the field or element with that id, and says what happened in
// [data-copy-status] next to it. The button stays hidden without this
// script. The clipboard needs a secure page and the browser's leave: when
// it refuses, the text is selected and the status says to copy it by hand.
import { gettext } from "../i18n.js";

function textOf(source) {
  return "value" in source ? source.value : source.textContent.trim();
}

function select(source) {
  if ("select" in source) {
    source.focus();
    source.select();
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(source);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

for (const button of document.querySelectorAll("[data-copy]")) {
  const source = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector("[data-copy-status]");
  if (!source) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      if (!navigator.clipboard) throw new Error("no clipboard here");
      await navigator.clipboard.writeText(textOf(source));
      if (status) status.textContent = gettext("Copied.");
    } catch {
      select(source);
      if (status) status.textContent = gettext("This browser would not copy it. It is selected: copy it yourself, or write it down.");
    }
  });
}
