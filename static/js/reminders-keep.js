// On every page (app.js): if this phone has reminders, keep the server's
// copy true to the phone. It is told the phone's time zone and language when
// they change (and twice a day at most otherwise), a subscription the browser
// renewed replaces the old one, and one the server no longer keeps (the
// person signed out, or the account is gone) is dropped here too. A phone
// without reminders makes no request at all.
import { browserSubscription, call, forget, phoneState, remember, saved, settingsOnly } from "./push.js";

const RECHECK_MS = 12 * 60 * 60 * 1000;

export async function remindersKeep() {
  const note = saved();
  if (!note || !navigator.onLine) return;
  const state = phoneState();
  const due = Date.now() - (note.checked || 0) > RECHECK_MS;
  if (!due && note.time_zone === state.time_zone && note.language === state.language) return;
  const subscription = await browserSubscription();
  if (!subscription) {
    // The browser dropped it (notifications blocked, storage cleared).
    const gone = await call("DELETE", { endpoint: note.endpoint });
    if (gone.status === 204) forget();
    return;
  }
  if (subscription.endpoint !== note.endpoint) {
    const renewed = await call("POST", { ...subscription.toJSON(), ...state, reminders: settingsOnly(note.reminders) });
    if (renewed.status === 200 || renewed.status === 201) {
      await call("DELETE", { endpoint: note.endpoint });
      remember(subscription.endpoint, renewed.body.reminders);
    }
    return;
  }
  const answer = await call("PATCH", { endpoint: subscription.endpoint, ...state });
  if (answer.status === 200) remember(subscription.endpoint, answer.body.reminders);
  else if (answer.status === 404) {
    await subscription.unsubscribe().catch(() => null);
    forget();
  }
}

remindersKeep().catch(() => null);
