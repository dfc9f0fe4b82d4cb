"""The dashboard's patient rows, built in Python.

Twenty-five rows of seven cells are most of the dashboard's HTML. Drawn by
Django's template engine they took about 110 µs a row (a lookup,
localisation and escaping for each of some twenty values, a URL, a date),
and page 1,000 of a 50,000-patient clinic sat on its target of 25 ×
/healthz on PostgreSQL (docs/speed.md). Built here, a row takes about 30 µs,
and that page went from 24 × to 16 × in the same run. The Django admin builds
its change list's cells the same way
(django.contrib.admin.templatetags.admin_list.items_for_result). The table
around the rows, its headings and its caption stay in
clinics/templates/clinics/dashboard.html."""

from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext


def dashboard_rows(rows: list[dict]) -> SafeString:
    """One <tr> per patient, from PatientQuerySet.progress_rows() dicts (pk,
    label, assigned_count, done_count, overdue_count, shares_progress,
    last_activity). Ids and counts are never formatted as numbers; the last
    activity is shown in the current time zone (the clinic's), as the
    template's `date` filter would.

    Plain f-strings: each value is an int, or escaped where it is read (the
    label, the words, the date). format_html() escapes every argument again on
    every row, which costs as much as the template did."""
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
            f'<time datetime="{last.isoformat()}">{escape(date_format(timezone.localtime(last), "j M Y"))}</time>'
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
