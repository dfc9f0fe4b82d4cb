// The reminders page (/reminders/): the "Reminders" control, the person's
// times, and the weekly check-in before their harder hours. The browser's
// permission is asked only when the person turns reminders on here.
import { listEntries } from "../craving-log.js";
import { lockedNotice } from "../lock-ui.js";
import { Locked } from "../person-store.js";
import { gettext, interpolate } from "../i18n.js";
import {
  browserSubscribe, browserSubscription, call, forget, phoneState, remember, remindersOff, saved, serverConfig, support,
} from "../push.js";
import { riskyHours, riskyHoursSentence } from "../risky-hours.js";

const root = document.querySelector("[data-reminders]");
const toggle = root?.querySelector("[data-reminders-toggle]");
const form = root?.querySelector("[data-reminders-form]");
const status = root?.querySelector("[data-reminders-status]");
const weekly = document.querySelector("[data-weekly]");

let current = null; // the server's settings for this phone, while reminders are on

function say(text) {
  if (status) status.textContent = text;
}

function formSettings() {
  const settings = {
    checkin: form.elements["checkin-on"].checked ? form.elements.checkin.value || null : null,
    quiet: {
      start: form.elements["quiet-start"].value || "22:00",
      end: form.elements["quiet-end"].value || "08:00",
      mode: form.elements["quiet-mode"].value || "wait",
    },
  };
  if (form.elements.lessons) settings.lessons = form.elements.lessons.value || "one";
  return settings;
}

function showSettings(settings) {
  current = settings;
  toggle.checked = Boolean(settings);
  if (!settings) {
    showWeekly(null);
    return;
  }
  form.elements["checkin-on"].checked = settings.checkin !== null;
  if (settings.checkin) form.elements.checkin.value = settings.checkin;
  if (form.elements.lessons) form.elements.lessons.value = settings.lessons;
  form.elements["quiet-start"].value = settings.quiet.start;
  form.elements["quiet-end"].value = settings.quiet.end;
  form.elements["quiet-mode"].value = settings.quiet.mode;
  showWeekly(settings.weekly);
}

// Send the phone's subscription with these settings (turning reminders on
// first if they are off: the person said yes by saving).
async function save(settings) {
  const config = await serverConfig();
  if (!config?.available) {
    say(gettext("Crest cannot reach the server just now. Please try again when you are online."));
    return false;
  }
  if (!current) {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      toggle.checked = false;
      say(gettext("Notifications for Crest are blocked on this phone. Allow them in the browser’s settings for this site, then try again."));
      return false;
    }
  }
  let subscription;
  try {
    subscription = await browserSubscribe(config.public_key);
  } catch {
    toggle.checked = Boolean(current);
    say(gettext("This phone could not set up reminders just now. Please try again later."));
    return false;
  }
  const answer = await call("POST", { ...subscription.toJSON(), ...phoneState(), reminders: settings });
  if (answer.status !== 200 && answer.status !== 201) {
    toggle.checked = Boolean(current);
    say(gettext("The reminders could not be saved. Please try again."));
    return false;
  }
  remember(subscription.endpoint, answer.body.reminders);
  showSettings(answer.body.reminders);
  return true;
}

async function turnOff() {
  await remindersOff();
  showSettings(null);
  say(gettext("Reminders are off. The server no longer keeps anything for this phone."));
}

// --- The weekly check-in before the harder hours -------------------------------
const weekdayNames = weekly ? [...weekly.querySelectorAll("#weekly-day option")].map((option) => option.textContent) : [];

function showWeekly(value) {
  if (!weekly) return;
  const line = weekly.querySelector("[data-weekly-current]");
  line.hidden = !value;
  if (value) {
    weekly.querySelector("[data-weekly-current-text]").textContent = interpolate(
      gettext("Weekly check-in: %(day)s at %(time)s."), { day: weekdayNames[value.day], time: value.time },
    );
  }
}

function initWeekly() {
  if (!weekly) return;
  const sentence = weekly.querySelector("[data-weekly-sentence]");
  const choose = weekly.querySelector("[data-weekly-choose]");
  const day = weekly.querySelector("#weekly-day");
  const time = weekly.querySelector("#weekly-time");

  weekly.querySelector("[data-weekly-look]").addEventListener("click", async () => {
    // Read here, on the phone; nothing of the log is sent anywhere.
    let entries = [];
    try {
      entries = await listEntries();
    } catch (error) {
      if (error instanceof Locked) {
        sentence.textContent = gettext("You can choose a time yourself.");
        if (!weekly.querySelector("[data-locked-notice]")) sentence.before(lockedNotice(gettext("Your craving log is locked. Unlock it, then look again.")));
        choose.hidden = false;
        return;
      }
    }
    weekly.querySelector("[data-locked-notice]")?.remove();
    const found = riskyHours(entries);
    sentence.textContent = found
      ? `${riskyHoursSentence(found)} ${gettext("Would a check-in at this time help? You can change the day and time.")}`
      : riskyHoursSentence(found);
    if (found) {
      day.value = String(found.checkin.day);
      time.value = found.checkin.time;
    }
    choose.hidden = false;
    day.focus();
  });
  weekly.querySelector("[data-weekly-no]").addEventListener("click", () => {
    choose.hidden = true;
    sentence.textContent = "";
  });
  weekly.querySelector("[data-weekly-use]").addEventListener("click", async () => {
    const value = { day: Number(day.value), time: time.value || "18:00" };
    const settings = current ? { weekly: value } : { ...formSettings(), weekly: value };
    if (await save(settings)) {
      choose.hidden = true;
      sentence.textContent = gettext("Saved. Crest will check in at this time each week.");
    }
  });
  weekly.querySelector("[data-weekly-remove]").addEventListener("click", async () => {
    if (await save({ weekly: null })) sentence.textContent = gettext("The weekly check-in is off.");
  });
}

// --- Start ---------------------------------------------------------------------
async function start() {
  if (!root || root.dataset.available !== "1") return;
  const can = support();
  if (can === "ios-install") root.querySelector("[data-reminders-ios]").hidden = false;
  if (can === "unsupported") root.querySelector("[data-reminders-unsupported]").hidden = false;
  if (can === "ios-install" || can === "unsupported") {
    form.hidden = true;
    if (weekly) weekly.hidden = true;
    return;
  }
  if (can === "denied") say(gettext("Notifications for Crest are blocked on this phone. Allow them in the browser’s settings for this site, then try again."));

  // What the server keeps for this phone, if anything (and the phone's
  // time zone and language, brought up to date).
  const subscription = await browserSubscription();
  if (subscription) {
    const answer = await call("PATCH", { endpoint: subscription.endpoint, ...phoneState() });
    if (answer.status === 200) {
      remember(subscription.endpoint, answer.body.reminders);
      showSettings(answer.body.reminders);
    } else if (answer.status === 404) {
      await subscription.unsubscribe().catch(() => null);
      forget();
    } else if (saved()) {
      showSettings(saved().reminders); // offline: what the phone last knew
    }
  } else if (saved()) {
    await remindersOff();
  }
  toggle.disabled = false;

  toggle.addEventListener("change", async () => {
    toggle.disabled = true;
    if (toggle.checked) {
      if (await save(formSettings())) say(gettext("Reminders are on for this phone."));
    } else {
      await turnOff();
    }
    toggle.disabled = false;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const wasOn = Boolean(current);
    if (await save(formSettings())) {
      say(wasOn ? gettext("Saved.") : gettext("Reminders are on for this phone."));
    }
  });
  initWeekly();
}

start();
