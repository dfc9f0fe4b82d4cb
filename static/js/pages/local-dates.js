// A day on a patient's page is the day on their phone: <time datetime=ISO
// data-local-date> is rewritten in the phone's own time zone and language
// (the server only knows UTC). Clinic pages show the clinic's time zone
// instead, server-side.
import { LOCALE } from "../i18n.js";

for (const time of document.querySelectorAll("time[data-local-date]")) {
  const moment = new Date(time.dateTime);
  if (!Number.isNaN(moment.getTime())) {
    time.textContent = moment.toLocaleDateString(LOCALE, { day: "numeric", month: "long", year: "numeric" });
  }
}
