"""The dashboard's pages of patients: Django's Paginator, with two things a
health system's 50,000 patients need.

- The count (an index scan of every patient) is kept in the shared cache for
  COUNT_SECONDS, per clinic, filter, search and day. The rows are always read
  from the database; a page whose rows contradict the count counts afresh,
  so a patient who joined or left a moment ago is never missing from the
  pages or on two of them.
- "Next" and "Previous" are keyset links: `?after=<id>` (the last patient of
  the page before) reads the page that follows that patient in the list's
  order (label, id), from the index, however deep the page; `?before=<id>`
  the page before. `?page=N` alone still works (an OFFSET: fine near the
  start, slower deep in a large clinic). The id, not the label, is in the
  link: labels are chart numbers, and links end up in logs and histories.
"""

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Q, Value
from django.db.models.functions import Concat

PAGE_SIZE = 25
COUNT_SECONDS = 60
# A search that matches few patients is read through the label's search
# index (PostgreSQL's trigram index) and then sorted. Ordered by the label
# itself, the planner may instead walk the (clinic, label) index past every
# patient who does not match, to save that sort (seen: 11.8 ms against
# 0.05 ms for 11 of 50,000). The label as an expression sorts the same and
# takes that walk away. Past FEW_MATCHES, the walk finds a page soon enough.
FEW_MATCHES = 1_000
LABEL_ORDER = ("label", "pk")
LABEL_ORDER_SORTED = (Concat("label", Value("")), "pk")


class KeysetPage(Page):
    """A page read after or before a patient: whether pages follow or come
    before it is what the rows read say, not the count."""

    def __init__(self, object_list, number, paginator, *, more_after: bool, more_before: bool):
        super().__init__(object_list, number, paginator)
        self.more_after, self.more_before = more_after, more_before

    def has_next(self) -> bool:
        return self.more_after

    def has_previous(self) -> bool:
        return self.more_before

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def patients_page(patients, params, *, anchors, key: str, search: bool = False) -> Page:
    """The page of `patients` (a filtered queryset) that `params` asks for,
    as patient ids in the dashboard's order (label, id). `anchors` is the
    clinic's patients, where the patient named by `after`/`before` is looked
    up (they may have left the filter since the link was made); an anchor
    that is not there falls back to `page`. `search`: `patients` is
    filtered by a part of the label (FEW_MATCHES)."""
    count = cache.get(key)
    order = LABEL_ORDER
    if search:
        if count is None:
            count = patients.count()
            cache.set(key, count, COUNT_SECONDS)
        if count <= FEW_MATCHES:
            order = LABEL_ORDER_SORTED
    rows = patients.order_by(*order).values_list("pk", flat=True)
    paginator = Paginator(rows, PAGE_SIZE)
    if count is not None:
        paginator.count = count  # Paginator.count is a cached_property: this is its value
    number = params.get("page")
    for direction in ("after", "before"):
        anchor = _anchor(anchors, params.get(direction))
        if anchor is None:
            continue
        page = _keyset_page(patients, paginator, number, direction, anchor)
        if page is None:
            # Nothing after the anchor any more, or less than a page before
            # it: the numbered page says where the list ends, or starts.
            number = None if direction == "before" else number
            break
        if count is None or page.has_next() != (page.number < -(-count // PAGE_SIZE)):
            # Not counted yet, or the count says otherwise: count afresh.
            page.paginator = paginator = Paginator(rows, PAGE_SIZE)
            cache.set(key, paginator.count, COUNT_SECONDS)
            # The rows read are the truth; the number is about where they sit.
            last = paginator.num_pages
            page.number = last if not page.has_next() else max(2, min(page.number, last - 1))
        return page
    return _numbered_page(rows, paginator, number, count=count, key=key)


def _anchor(anchors, value) -> tuple[str, int] | None:
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not value or not (value.isascii() and value.isdigit()):
        return None
    label = anchors.filter(pk=int(value)).values_list("label", flat=True).first()
    return None if label is None else (label, int(value))


def _keyset_page(patients, paginator, number, direction: str, anchor: tuple[str, int]) -> Page | None:
    label, pk = anchor
    try:
        number = max(int(number), 2)
    except (TypeError, ValueError):
        number = 2
    if direction == "after":
        # label >= the anchor's bounds the index scan; the OR keeps the rows after it.
        rows = patients.filter(Q(label__gt=label) | Q(label=label, pk__gt=pk), label__gte=label).order_by("label", "pk")
        read = list(rows.values_list("pk", flat=True)[: PAGE_SIZE + 1])
        if not read:
            return None
        return KeysetPage(read[:PAGE_SIZE], number, paginator, more_after=len(read) > PAGE_SIZE, more_before=True)
    rows = patients.filter(Q(label__lt=label) | Q(label=label, pk__lt=pk), label__lte=label).order_by("-label", "-pk")
    read = list(rows.values_list("pk", flat=True)[: PAGE_SIZE + 1])
    if len(read) <= PAGE_SIZE:
        return None
    return KeysetPage(read[:PAGE_SIZE][::-1], number, paginator, more_after=True, more_before=True)


def _numbered_page(rows, paginator, number, *, count: int | None, key: str) -> Page:
    page = paginator.get_page(number)
    bottom = (page.number - 1) * PAGE_SIZE
    read = list(rows[bottom : bottom + PAGE_SIZE + 1])
    # What the count says was there to read: this page's rows, and one more if a page follows.
    if count is not None and len(read) != page.end_index() - bottom + page.has_next():
        count = None
        paginator = Paginator(rows, PAGE_SIZE)
        page = paginator.get_page(number)
        bottom = (page.number - 1) * PAGE_SIZE
        read = list(rows[bottom : bottom + PAGE_SIZE])
    if count is None:
        cache.set(key, paginator.count, COUNT_SECONDS)
    page.object_list = read[:PAGE_SIZE]
    return page
