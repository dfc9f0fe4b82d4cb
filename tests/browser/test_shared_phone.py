"""A phone shared with others (issue 20): each person's data apart. Patients
A and B and a person who never signs in use one phone profile; each sees only
their own craving log, lists, plan, lesson progress and outbox, online and
offline, and nothing is lost or sent twice."""

import secrets

import pytest
from playwright.sync_api import expect

from devtools.browser import wait_for_service_worker

from .test_clinic_story import sign_in
from .test_craving import add_reason, log_craving, screen, wait_ready
from .test_sync import OUTBOX, finish_lesson, make_patients, on_server, sync_status

pytestmark = pytest.mark.browser


def sign_out(page) -> None:
    """"Sign out on this device", as a person taps it on /me/."""
    page.goto("/me/")
    with page.expect_navigation():  # not just the page already loaded: the answer to the form
        page.get_by_role("button", name="Sign out on this device").click()


def sign_in_known(page, name: str, password: str) -> None:
    """Sign in, and wait until the phone has asked the server who that is."""
    sign_in(page, name, password)
    page.goto("/")
    page.locator('[data-assigned-lesson="two-forces"]').wait_for()


def history_notes(page) -> list[str]:
    page.goto("about:blank")  # a fresh page, not a hash change on the last one
    page.goto("/craving/#log")
    wait_ready(page)
    expect(screen(page, "log")).to_have_attribute("data-state", "shown")
    return screen(page, "log").locator(".entry-note").all_inner_texts()


def test_after_a_sign_out_nothing_of_the_first_patient_shows_to_the_next(context, page, server):
    """Seen in a real browser: after A signed out, the home page told the next
    person "1 waiting to send to your clinic", and B, signed in, saw A's
    craving notes in the history."""
    first, second = f"a-{secrets.token_hex(3)}", f"b-{secrets.token_hex(3)}"
    password = make_patients(server, first, second)
    sign_in_known(page, first, password)
    wait_for_service_worker(page)
    log_craving(page, before=8, tool="breathing", after=3, note="A's private words")
    page.goto("/")
    expect(sync_status(page)).to_contain_text("Everything is sent", timeout=15_000)
    # The clinic cannot be reached for a while: A's finished lesson waits.
    context.route("**/api/v1/sync", lambda route: route.abort())
    finish_lesson(page, "two-forces")
    expect(sync_status(page)).to_contain_text("1 waiting to send")

    sign_out(page)
    page.goto("/")
    page.wait_for_load_state("networkidle")
    expect(sync_status(page)).to_be_hidden()
    assert "waiting" not in page.locator("main").inner_text()
    assert history_notes(page) == []

    sign_in_known(page, second, password)
    assert history_notes(page) == []
    page.goto("/")
    expect(sync_status(page)).not_to_contain_text("waiting")
    assert [item["type"] for item in page.evaluate(OUTBOX)] == ["lesson.completed"]  # A's, kept for A
    assert on_server(server, first)[first]["lessons"] == {}
    assert page.js_errors == []


def reasons_shown(page) -> list[str]:
    page.goto("about:blank")
    page.goto("/craving/#reasons")
    wait_ready(page)
    reasons = screen(page, "reasons")
    expect(reasons.locator("[data-list]")).to_have_attribute("data-state", "shown")
    return reasons.locator(".own-text").all_inner_texts()


def write_plan(page, warning: str) -> None:
    page.goto("/craving/safety-plan/")
    page.wait_for_function("() => document.querySelector('[data-safety-plan]')?.dataset.ready === 'true'")
    if page.locator("[data-plan-form]").is_hidden():
        page.get_by_role("button", name="Change my plan").click()
    page.get_by_label("My warning signs").fill(warning)
    page.get_by_role("button", name="Save my plan").click()
    expect(page.locator("[data-plan-status]")).to_have_text("Saved on this phone.")


def plan_warnings(page) -> list[str]:
    page.goto("/craving/safety-plan/")
    page.wait_for_function("() => document.querySelector('[data-safety-plan]')?.dataset.ready === 'true'")
    return page.locator('[data-plan-show="warning-signs"] li').all_inner_texts()


def lessons_done(page) -> str:
    page.goto("/lessons/")
    page.wait_for_load_state("networkidle")
    return page.locator("[data-course-done]").first.inner_text()


def sent_to_clinic(server, name: str) -> int:
    return len(on_server(server, name)[name]["items"])


def test_two_patients_and_the_signed_out_space_on_one_phone_online_and_offline(context, page, server):
    first, second = f"a-{secrets.token_hex(3)}", f"b-{secrets.token_hex(3)}"
    password = make_patients(server, first, second)

    # Signed out first: the anonymous space gets its own reason.
    page.goto("/")
    wait_for_service_worker(page)
    add_reason(page, "Reason kept signed out")

    # A signs in: asked about the signed-out data; leaves it where it is.
    sign_in_known(page, first, password)
    question = page.locator("[data-space-question]")
    expect(question).to_contain_text("1 reason, person or distraction idea")
    question.get_by_role("button", name="Leave it where it is").click()
    expect(question).to_have_count(0)
    log_craving(page, before=7, tool="breathing", after=2, note="A note of A's")
    add_reason(page, "A's reason")
    write_plan(page, "A's warning sign")
    finish_lesson(page, "two-forces")
    expect(page.locator("[data-server-progress]")).to_have_text("Sent to your clinic.", timeout=15_000)
    assert reasons_shown(page) == ["A's reason"]
    sent_by_a = sent_to_clinic(server, first)
    assert sent_by_a == 2  # the craving summary and the lesson

    # Offline, A finishes another lesson: it waits for A.
    context.set_offline(True)
    finish_lesson(page, "pain-relief")
    expect(sync_status(page)).to_contain_text("1 waiting to send")
    context.route("**/api/v1/sync", lambda route: route.abort())  # before online: coming online sends
    context.set_offline(False)
    sign_out(page)
    context.unroute("**/api/v1/sync")

    # Signed out: the anonymous space as it was, nothing of A's; offline too.
    for offline in (False, True):
        context.set_offline(offline)
        assert reasons_shown(page) == ["Reason kept signed out"]
        assert history_notes(page) == []
        assert plan_warnings(page) == []
        assert lessons_done(page) == "0"
        page.goto("/")
        expect(sync_status(page)).to_be_hidden()
    context.set_offline(False)

    # B signs in (and keeps nothing of the signed-out data): only B's.
    sign_in_known(page, second, password)
    page.locator("[data-space-question]").get_by_role("button", name="Leave it where it is").click()
    for offline in (False, True):
        context.set_offline(offline)
        assert reasons_shown(page) == []
        assert history_notes(page) == []
        assert plan_warnings(page) == []
        assert lessons_done(page) == "0"
    context.set_offline(False)
    log_craving(page, before=5, tool="grounding", after=1, note="B's own note")
    assert history_notes(page) == ["B's own note"]
    sign_out(page)

    # A again: everything of A's is back, the waiting lesson goes once.
    sign_in_known(page, first, password)
    assert page.locator("[data-space-question]").count() == 0  # asked once per account
    assert history_notes(page) == ["A note of A's"]
    assert reasons_shown(page) == ["A's reason"]
    assert plan_warnings(page) == ["A's warning sign"]
    assert lessons_done(page) == "2"
    page.goto("/lessons/pain-relief/")
    expect(page.locator("[data-server-progress]")).to_have_text("Sent to your clinic.", timeout=15_000)
    assert sent_to_clinic(server, first) == sent_by_a + 1
    assert sorted(on_server(server, first)[first]["lessons"]) == ["pain-relief", "two-forces"]
    assert on_server(server, second)[second]["lessons"] == {}
    assert page.js_errors == []


def test_signed_out_data_kept_with_the_account_on_first_sign_in_is_not_sent(context, page, server):
    name = f"keep-{secrets.token_hex(3)}"
    password = make_patients(server, name)
    page.goto("/")
    add_reason(page, "Written before joining")
    log_craving(page, before=6, tool="breathing", after=3, note="Before I had an account")
    finish_lesson(page, "pain-relief")

    sign_in_known(page, name, password)
    question = page.locator("[data-space-question]")
    expect(question).to_contain_text("1 craving log entry")
    expect(question).to_contain_text("progress in 1 lesson")
    with page.expect_navigation():  # the page reloads once the data has moved
        question.get_by_role("button", name="Keep it with my account").click()
    expect(page.locator("[data-space-question]")).to_have_count(0)
    assert reasons_shown(page) == ["Written before joining"]
    assert history_notes(page) == ["Before I had an account"]
    assert lessons_done(page) == "1"
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert on_server(server, name)[name] == {"items": [], "lessons": {}, "cravings": []}

    # The signed-out space is empty now.
    sign_out(page)
    assert reasons_shown(page) == []
    assert history_notes(page) == []
    assert lessons_done(page) == "0"
    assert page.js_errors == []


def test_removing_my_data_says_whose_and_leaves_everyone_elses(context, page, server):
    name = f"wipe-{secrets.token_hex(3)}"
    password = make_patients(server, name)
    page.goto("/")
    add_reason(page, "Signed-out reason")
    sign_in_known(page, name, password)
    page.locator("[data-space-question]").get_by_role("button", name="Leave it where it is").click()
    add_reason(page, "My reason")

    page.goto("/me/")
    mine = page.locator("[data-wipe-mine]")
    expect(mine).to_contain_text(f"Remove {name}’s data")
    expect(mine).to_contain_text("what others keep here stays")
    mine.get_by_role("button", name="Remove my data from this phone").click()
    mine.get_by_role("button", name="Yes, remove it").click()
    expect(mine.locator("[data-wipe-mine-status]")).to_have_text("Done. Your data is no longer on this phone.")
    assert reasons_shown(page) == []

    sign_out(page)
    assert reasons_shown(page) == ["Signed-out reason"]
    page.goto("/me/")
    mine = page.locator("[data-wipe-mine]")
    expect(mine).to_contain_text("Remove the signed-out data")
    mine.get_by_role("button", name="Remove the signed-out data from this phone").click()
    mine.get_by_role("button", name="Yes, remove it").click()
    expect(mine.locator("[data-wipe-mine-status]")).to_have_text(
        "Done. The signed-out data is no longer on this phone."
    )
    assert reasons_shown(page) == []
    assert page.js_errors == []
