"""The rows of the clinic's two long tables, built in Python: the
dashboard's patients and a patient's assignments.

Drawn by Django's template engine, a dashboard row took about 110 µs (a
lookup, localisation and escaping for each of some twenty values, a URL, a
date) and an assignment row, with its two forms, more. They were the
largest part of both pages, and on the seeded PostgreSQL clinic page 1,000
and the patient page sat on or above their target of 25 × /healthz
(docs/speed.md). Built here, a dashboard row takes about 30 µs; in one run
page 1,000 went from 24 × to 16 × and the patient page from 30 × to 22 ×.
The Django admin builds its change list's cells the same way
(django.contrib.admin.templatetags.admin_list.items_for_result). Each table
itself, its headings and its caption stay in the page's template.

Plain f-strings: every value is an int, or escaped where it is read (a
label, a title, a note, a date). Plain words are escaped, as {% translate %}
escapes them; a sentence with a placeholder is the catalogue's, trusted as
{% blocktranslate %} trusts it, with the value escaped. format_html() would
escape every argument again on every row, which costs most of what the
template did."""

from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from .models import Assignment, AssignmentStatus


def dashboard_rows(rows: list[dict]) -> SafeString:
    """One <tr> per patient, from PatientQuerySet.progress_rows() dicts (pk,
    label, assigned_count, done_count, overdue_count, shares_progress,
    last_activity). Ids and counts are never formatted as numbers; the last
    activity is shown in the current time zone (the clinic's), as the
    template's `date` filter would."""
    assigned, done, overdue, activity = (
        escape(gettext(words)) for words in ("Assigned", "Done", "Overdue", "Last activity")
    )
    not_shared = f'<td class="num muted" data-done colspan="2">{escape(gettext("Not shared"))}</td>'
    no_activity = f'<span class="muted">{escape(gettext("None yet"))}</span>'
    parts = []
    for row in rows:
        pk, label, last = int(row["pk"]), escape(row["label"]), row["last_activity"]
        if row["shares_progress"]:
            overdue_count = int(row["overdue_count"])
            progress = (
                f'<td class="num" data-label="{done}" data-done>{int(row["done_count"])}</td>'
                f'<td class="num{" is-overdue" if overdue_count else ""}" data-label="{overdue}" data-overdue>'
                f"{overdue_count}</td>"
            )
        else:
            progress = not_shared
        when = (
            f'<time datetime="{last.isoformat()}">{_day(last, "j M Y")}</time>'
            if last else no_activity
        )
        parts.append(
            f'<tr data-patient-row="{label}">'
            f'<td><input type="checkbox" name="patients" value="{pk}" id="select-{pk}"'
            f' aria-labelledby="select-heading patient-{pk}"></td>'
            f'<th scope="row" id="patient-{pk}"><a href="{escape(reverse("clinics:patient_detail", args=[pk]))}">'
            f"{label}</a></th>"
            f'<td class="num" data-label="{assigned}" data-assigned>{int(row["assigned_count"])}</td>'
            f"{progress}"
            f'<td data-label="{activity}">{when}</td>'
            "</tr>"
        )
    return mark_safe("\n".join(parts))  # every value above is an int or escaped


def assignment_rows(assignments: list[Assignment], *, csrf_token: str) -> SafeString:
    """One <tr> per assignment on a patient's page (assignments_with_status()
    rows with their lesson): the lesson's title in the page's language (marked
    lang="en" when it has no translation), the note, the due date, the
    status and check score as the patient shares them, and, unless it is
    withdrawn, the forms to change its date or withdraw it."""
    language = translation.get_language()
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    due_label, status_label, score_label = (escape(gettext(words)) for words in ("Due", "Status", "Check score"))
    words = {
        AssignmentStatus.NOT_SHARED: f'<span class="muted">{escape(gettext("Not shared"))}</span>',
        AssignmentStatus.OVERDUE: f'<strong class="is-overdue">{escape(gettext("Overdue"))}</strong>',
        AssignmentStatus.DUE_TODAY: f"<strong>{escape(gettext('Due today'))}</strong>",
    }
    change, withdraw = escape(gettext("Change date")), escape(gettext("Withdraw"))
    parts = []
    for a in assignments:
        text, due = a.lesson.text, a.due_date.isoformat()
        title = escape(text.title)
        lang = f' lang="{escape(text.language)}"' if text.language != language else ""
        note = ""
        if a.note:
            note = f'<span class="note">{gettext("Note: %(note)s") % {"note": escape(a.note)}}</span>'
        if a.status == AssignmentStatus.WITHDRAWN:
            status = gettext("Withdrawn %(day)s") % {"day": _day(a.withdrawn_at, "j M")}
        elif a.status == AssignmentStatus.DONE:
            status = gettext("Done %(day)s") % {"day": _day(a.completed_at, "j M Y")}
        else:
            status = words.get(a.status) or escape(a.status_label)
        if a.status != AssignmentStatus.NOT_SHARED and a.total is not None:
            score = gettext("%(score)s of %(total)s") % {"score": a.score, "total": a.total}  # ints
        else:
            score = '<span class="muted">—</span>'
        withdrawn = ' class="is-withdrawn"' if a.withdrawn_at else ""
        forms = ""
        if not a.withdrawn_at:
            label = gettext("New due date for %(title)s") % {"title": title}
            forms = (
                f'<form method="post" action="{escape(reverse("clinics:assignment_due", args=[a.pk]))}"'
                f' class="inline-form">{csrf}'
                f'<label for="due-{a.pk}" class="visually-hidden">{label}</label>'
                f'<input type="date" id="due-{a.pk}" name="due_date" value="{due}" required>'
                f'<button type="submit" class="button-small">{change}</button></form>'
                f'<form method="post" action="{escape(reverse("clinics:assignment_withdraw", args=[a.pk]))}"'
                f' class="inline-form">{csrf}'
                f'<button type="submit" class="button-small">{withdraw}'
                f'<span class="visually-hidden"> {title}</span></button></form>'
            )
        parts.append(
            f'<tr data-assignment="{escape(a.lesson.slug)}"{withdrawn}>'
            f'<th scope="row"><span{lang}>{title}</span>{note}</th>'
            f'<td data-label="{due_label}"><time datetime="{due}">{_day(a.due_date, "j M Y")}</time></td>'
            f'<td data-label="{status_label}" data-status="{escape(a.status)}">{status}</td>'
            f'<td data-label="{score_label}" data-score>{score}</td>'
            f"<td>{forms}</td>"
            "</tr>"
        )
    return mark_safe("\n".join(parts))  # every value above is an int or escaped; the words are the catalogue's


def _day(moment: date | datetime, form: str) -> str:
    """A day, or a moment's day in the current time zone (the clinic's), escaped."""
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment)
    return escape(date_format(moment, form))
