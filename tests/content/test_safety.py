"""Content safety: the sentences a clinic's medical director checks first.

The overdose steps exist once (lessons/content/_shared/overdose-steps.md) and
every page that lists them renders that one text, in the SAMHSA order: call,
check, support breathing, give naloxone, stay and watch."""

import re

import pytest
from django.urls import reverse

from lessons.models import Lesson
from lessons.services import lesson_body_html, steps_html, steps_markdown

pytestmark = pytest.mark.django_db

# The lessons that speak of low mood, each with the crisis lines beside it.
LOW_MOOD_LESSONS = {"two-forces", "natural-rewards", "two-circuits", "quitting-feels-like-danger", "tips-staying-safe"}
OVERDOSE_PAGES = ["/help/", "/lessons/tips-staying-safe/", "/lessons/tolerance-is-lower/"]
IF_YOU_USE_PAGES = OVERDOSE_PAGES + ["/craving/"]


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def text_of(html: str) -> str:
    """Visible words, without tags, link targets or entities, in lower case."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    text = (
        text.replace("&rsquo;", "'").replace("&#x27;", "'").replace("’", "'")
        .replace("&amp;", "&").replace("&quot;", '"')
    )
    return re.sub(r"\s+", " ", text).lower()


class TestOverdoseStepsHaveOneSource:
    def test_help_and_both_lessons_show_the_same_steps_from_the_shared_file(self, client):
        steps = str(steps_html("overdose")).strip()
        assert steps.startswith("<ol>") and steps.endswith("</ol>")
        for url in OVERDOSE_PAGES:
            assert steps in page(client, url), url

    def test_the_steps_follow_the_samhsa_order_with_breathing_support(self):
        text = text_of(str(steps_html("overdose")))
        order = ["call", "check", "support their breathing", "cpr", "rescue breaths", "call handler", "naloxone",
                 "stay with them", "2 to 3 minutes", "another dose", "recovery position", "30 to 90 minutes"]
        positions = [text.find(word) for word in order]
        assert -1 not in positions, dict(zip(order, positions, strict=True))
        assert positions == sorted(positions), dict(zip(order, positions, strict=True))

    def test_the_recovery_position_is_only_for_someone_who_is_breathing(self):
        text = text_of(str(steps_html("overdose")))
        sentence = next(s for s in re.split(r"(?<=[.?])\s", text) if "recovery position" in s)
        assert "breathe on their own" in sentence

    def test_the_steps_cover_uk_injection_kits_and_xylazine(self):
        text = text_of(str(steps_html("overdose")))
        assert "999" in text and "injection" in text and "follow the steps in the kit" in text
        assert "xylazine" in text

    def test_each_lesson_stores_the_steps_so_reading_time_and_updates_follow_the_file(self):
        shared = steps_markdown("overdose")
        for slug in ("tips-staying-safe", "tolerance-is-lower"):
            lesson = Lesson.objects.get(slug=slug)
            assert shared in lesson.body, slug
            assert "[[steps:" not in lesson.body

    def test_no_page_lists_its_own_copy_of_the_steps(self, client):
        """A second, hand-written list would drift: only the shared one names CPR."""
        for url in OVERDOSE_PAGES:
            html = page(client, url)
            assert html.count("rescue breaths") == 1, url


class TestLessonDirective:
    def test_a_steps_line_becomes_the_shared_list(self):
        html = str(lesson_body_html("Before.\n\n[[steps:overdose]]\n\nAfter."))
        assert str(steps_html("overdose")).strip() in html
        assert "[[" not in html

    def test_an_unknown_steps_name_renders_nothing_in_an_admin_lesson(self):
        assert "[[" not in str(lesson_body_html("[[steps:no-such-thing]]"))

    def test_the_loader_refuses_a_file_that_names_unknown_steps(self, tmp_path):
        from lessons.services import LessonFileError, lesson_file_parse

        path = tmp_path / "a.md"
        path.write_text("---\nslug: a\ntitle: A\n---\nText.\n\n[[steps:missing]]\n")
        with pytest.raises(LessonFileError, match="shared steps"):
            lesson_file_parse(path)

    def test_the_loader_updates_a_lesson_when_its_shared_steps_change(self, tmp_path):
        from lessons.services import lessons_load

        (tmp_path / "_shared").mkdir()
        (tmp_path / "_shared" / "demo-steps.md").write_text("1. First.\n")
        (tmp_path / "a.md").write_text("---\nslug: demo\ntitle: Demo\n---\nText.\n\n[[steps:demo]]\n")
        lessons_load(directory=tmp_path)
        stamp = Lesson.objects.get(slug="demo").updated_at
        assert lessons_load(directory=tmp_path).unchanged == ["demo"]
        (tmp_path / "_shared" / "demo-steps.md").write_text("1. First.\n2. Second.\n")
        assert lessons_load(directory=tmp_path).updated == ["demo"]
        lesson = Lesson.objects.get(slug="demo")
        assert "2. Second." in lesson.body and lesson.updated_at > stamp


def test_service_worker_version_changes_when_the_shared_steps_change(client, settings, tmp_path):
    """/help/ renders the shared file directly: a changed step must reach phones."""
    import shutil

    content = tmp_path / "content"
    shutil.copytree(settings.LESSONS_CONTENT_DIR, content)
    settings.LESSONS_CONTENT_DIR = content
    settings.DEBUG = True  # read the files fresh, as in development

    def version() -> str:
        body = client.get("/serviceworker.js").content.decode()
        return re.search(r'const VERSION = "(\w+)";', body).group(1)

    first = version()
    shared = content / "_shared" / "overdose-steps.md"
    shared.write_text(shared.read_text() + "\n6. One more step.\n")
    assert version() != first


class TestSafetyMessages:
    @pytest.mark.parametrize("url", IF_YOU_USE_PAGES)
    def test_every_if_you_use_passage_warns_about_mixing_and_xylazine(self, client, url):
        text = text_of(page(client, url))
        for word in ("alcohol", "benzo", "xylazine"):
            assert word in text, (url, word)

    @pytest.mark.parametrize("url", OVERDOSE_PAGES)
    def test_test_strips_counterfeit_pills_and_nitazenes(self, client, url):
        text = text_of(page(client, url))
        assert "nitazene" in text, url
        assert "negative" in text and "test strip" in text, url
        assert "fake pills" in text or "counterfeit" in text, url

    def test_help_lists_never_use_alone_and_moves_samhsa_under_find_treatment(self, client):
        html = page(client, reverse("craving:help"))
        assert 'href="tel:+18004843731"' in html
        treatment = html[html.index('id="treatment-title"'):]
        for link in ('href="tel:+18006624357"', 'href="tel:+18004874889"', 'href="sms:435748"'):
            assert link in treatment, link
            assert html.count(link) == treatment.count(link), link
        assert "does not offer counseling" in text_of(treatment)

    def test_help_gives_nhs_111_and_the_uk_numbers_as_a_second_list(self, client):
        html = page(client, reverse("craving:help"))
        assert 'href="tel:111"' in html
        assert html.index("United States") < html.index("United Kingdom")

    def test_withdrawal_need_not_come_first_and_fear_of_it_is_named(self, client):
        first = text_of(page(client, "/lessons/two-forces/"))
        assert "fear of withdrawal" in first
        assert "don't have to get through withdrawal first" in first
        assert "withdrawal first" in text_of(page(client, "/help/"))

    def test_treatment_lesson_covers_starting_and_taking_medicines_safely(self, client):
        text = text_of(page(client, "/lessons/tips-treatment/"))
        for phrase in ("first weeks", "precipitated withdrawal", "fentanyl", "locked", "children",
                       "naltrexone", "override", "seizures", "pregnan", "without waiting for withdrawal"):
            assert phrase in text, phrase

    def test_low_mood_always_comes_with_988_and_samaritans(self, client):
        speaking_of_low_mood = set()
        for lesson in Lesson.objects.published():
            html = page(client, lesson.get_absolute_url())
            body = text_of(html[html.index('class="lesson-body"'):html.index('data-mark-done')])
            if "low mood" in body or "mood is very low" in body:
                speaking_of_low_mood.add(lesson.slug)
                assert "988" in body and "116 123" in body, lesson.slug
                assert 'href="tel:988"' in html and 'href="tel:116123"' in html, lesson.slug
        # The check reads these lessons: reworded so that it no longer finds
        # them, it would pass without checking anything.
        assert speaking_of_low_mood >= LOW_MOOD_LESSONS


class TestWordingFixes:
    def test_pain_quiz_calls_rebound_pain_dependence_not_tolerance(self):
        lesson = Lesson.objects.get(slug="pain-relief")
        for question in lesson.quiz:
            for choice in question["choices"]:
                if choice.get("correct"):
                    assert "That is tolerance" not in choice["explanation"]
        right = [c for q in lesson.quiz for c in q["choices"] if c.get("correct") and "withdrawal" in q["question"]]
        assert right and "dependence" in right[0]["explanation"]

    def test_dopamine_lesson_says_dopamine_cells_mostly_do_not_carry_the_receptors(self):
        lesson = Lesson.objects.get(slug="dopamine-steps")
        everything = lesson.body + str(lesson.quiz)
        assert "mostly do not carry" in everything
        assert not re.search(r"(?<!mostly )do not carry these opioid receptors", everything)

    def test_think_it_through_has_no_shame_about_people_let_down(self, client):
        text = text_of(page(client, "/craving/"))
        assert "let down" not in text

    def test_sign_in_tells_a_patient_to_ask_for_a_new_passphrase_link(self, client):
        text = text_of(page(client, reverse("accounts:login")))
        assert "new-passphrase link" in text
        assert "new invite" not in text

    def test_hard_terms_sit_in_for_the_curious_boxes(self, client):
        for url, term in [("/lessons/dopamine-steps/", "ventral tegmental area"),
                          ("/lessons/quitting-feels-like-danger/", "locus coeruleus"),
                          ("/lessons/tips-treatment/", "hazard ratio"),
                          ("/lessons/tips-treatment/", "person-years")]:
            html = page(client, url)
            boxes = " ".join(re.findall(r"<details>.*?</details>", html, flags=re.S))
            assert "For the curious" in boxes, url
            assert term in boxes.lower(), (url, term)
            body = html[html.index('class="lesson-body"'):html.index('data-quiz')]
            outside = re.sub(r"<details>.*?</details>", " ", body, flags=re.S)
            assert term not in outside.lower(), (url, term)


# Words NIDA's "Words matter" asks writers to avoid (FACTS.md §7).
STIGMA = re.compile(r"\b(addicts?|addicted|abusers?|abuse|junkies?|clean|dirty|replacement therapy)\b")


def stigma_text(html: str) -> str:
    # Link targets are not text; the name of the US institute is a proper noun.
    html = re.sub(r'href="[^"]*"', "", html)
    return text_of(html).replace("national institute on drug abuse", "")


@pytest.mark.parametrize("url", ["/help/", "/craving/", "/lessons/", "/"])
def test_pages_use_person_first_language(client, url):
    match = STIGMA.search(stigma_text(page(client, url)))
    assert match is None, (url, match and match.group(0))


def test_every_lesson_uses_person_first_language(client):
    for lesson in Lesson.objects.published():
        match = STIGMA.search(stigma_text(page(client, lesson.get_absolute_url())))
        assert match is None, (lesson.slug, match and match.group(0))


def test_every_lesson_source_is_a_link_with_a_title():
    for lesson in Lesson.objects.published():
        for source in lesson.sources:
            assert str(source.get("title") or "").strip(), lesson.slug
            assert str(source.get("url") or "").startswith("https://"), (lesson.slug, source.get("title"))


def test_no_source_is_a_copy_or_a_link_with_a_login_token():
    weak = ("adam.com", "login=", "docslib", "studylib", "medicalnewstoday", "simpleandpractical",
            "centerforuspolicy", "jdsupra", "blogspot", "teens.drugabuse.gov")
    for lesson in Lesson.objects.published():
        for source in lesson.sources:
            assert not any(w in source["url"] for w in weak), (lesson.slug, source["url"])


UK_SPELLINGS = re.compile(
    r"\b(diarrhoea|programmes?|centres?|behaviours?|behavioural|counselling|randomised|signalling|travelling|"
    r"offences?|colours?|favour|organisation|recognise|judgement|grey)\b"
)


@pytest.mark.parametrize("url", ["/help/", "/craving/", "/lessons/", "/", "/offline/"])
def test_pages_use_us_spelling(client, url):
    match = UK_SPELLINGS.search(text_of(page(client, url)))
    assert match is None, (url, match and match.group(0))


def test_lessons_use_us_spelling(client):
    for lesson in Lesson.objects.published():
        html = page(client, lesson.get_absolute_url())
        match = UK_SPELLINGS.search(text_of(html[:html.index('id="sources-title"')]))
        assert match is None, (lesson.slug, match and match.group(0))


# --- Second content review (issue 21) -------------------------------------------


def section(html: str, element_id: str) -> str:
    """The HTML of the <section> whose id (or whose heading's id) is given."""
    at = html.index(f'id="{element_id}"')
    start = html.rindex("<section", 0, at)
    return html[start:html.index("</section>", at)]


class TestOverdoseSignsPeopleMistakeForSleep:
    ENGLISH = ["look like sleep", "snoring", "gurgling", "not sleep", "blue or gray", "inside the lips",
               "nail beds", "shout their name", "rub your knuckles hard", "not sure? treat it as an overdose"]
    SPANISH = ["parecer sueño", "ronca", "gorgotea", "no es sueño", "azules o grises", "por dentro de los labios",
               "uñas", "grita su nombre", "frota fuerte", "¿tiene dudas? actúe como si fuera una sobredosis"]

    @pytest.mark.parametrize(("url", "phrases"), [("/help/", ENGLISH), ("/es/help/", SPANISH)])
    def test_help_names_the_signs_in_both_languages(self, client, url, phrases):
        text = text_of(section(page(client, url), "overdose"))
        for phrase in phrases:
            assert phrase in text, (url, phrase)

    @pytest.mark.parametrize("url", ["/lessons/tips-staying-safe/", "/es/lessons/tips-staying-safe/"])
    def test_the_lesson_shows_the_same_signs_as_help(self, client, url):
        language = "es" if url.startswith("/es/") else "en"
        signs = str(steps_html("overdose-signs", language=language)).strip()
        assert signs in page(client, url)
        assert signs in page(client, "/es/help/" if language == "es" else "/help/")

    def test_the_steps_come_before_the_list_of_phone_lines(self, client):
        html = page(client, "/help/")
        assert html.index('id="overdose"') < html.index('id="talk-title"')
        assert html.index('id="overdose"') < html.index('id="treatment-title"')

    def test_step_one_gives_the_address_first_and_cpr_says_how(self, client):
        text = text_of(str(steps_html("overdose")))
        assert text.index("address first") < text.index("not breathing properly")
        assert "push hard and fast in the middle of the chest" in text
        assert "give the address first" in text_of(section(page(client, "/help/"), "emergency-title"))


class TestHelpPageLines:
    def test_never_use_alone_sits_with_if_you_use_not_with_talk_to_someone(self, client):
        html = page(client, "/help/")
        assert 'href="tel:+18004843731"' in section(html, "if-you-use")
        assert "+18004843731" not in section(html, "talk-title")

    def test_988_chat_has_its_link(self, client):
        lines = section(page(client, "/help/"), "talk-title")
        assert 'href="https://988lifeline.org/chat/"' in lines

    def test_spanish_help_offers_an_interpreter_on_911_and_warns_never_use_alone_may_be_english_only(self, client):
        html = page(client, "/es/help/")
        assert "“spanish”" in text_of(section(html, "emergency-title")) and "intérprete" in text_of(
            section(html, "emergency-title"))
        assert "solo en inglés" in text_of(section(html, "if-you-use"))

    def test_help_links_the_safety_plan(self, client):
        assert f'href="{reverse("craving:safety_plan")}"' in page(client, "/help/")


class TestToolkitIfYouUseNotes:
    def test_both_if_you_use_notes_say_dont_mix_with_alcohol_or_benzodiazepines(self, client):
        html = page(client, "/craving/")
        notes = re.findall(r'class="card used-note" data-(?:used-note|log-used)[^>]*>(.*?)</(?:p|div)>', html, re.S)
        assert len(notes) == 2
        for note in notes:
            text = text_of(note)
            assert "alcohol" in text and "benzodiazepines" in text, text


class TestTimingAndExceptions:
    def test_withdrawal_timelines_are_labeled_heroin_and_fentanyl_is_less_predictable(self, client):
        for url in ("/lessons/quitting-feels-like-danger/", "/lessons/tips-staying-safe/"):
            text = text_of(page(client, url))
            twelve = text.index("12 hours")
            assert "heroin" in text[max(0, twelve - 200):twelve], url
            assert "less predictable" in text and "for days" in text, url
            assert "prescriber" in text and "low-dose start" in text, url

    def test_rarely_dangerous_sits_beside_its_exceptions(self, client):
        for url in ("/lessons/quitting-feels-like-danger/", "/lessons/tips-staying-safe/"):
            text = text_of(page(client, url))
            at = text.index("rarely dangerous")
            nearby = text[at:at + 700]
            for word in ("seizures", "pregnan", "dehydrat", "benzodiazepines", "alcohol"):
                assert word in nearby, (url, word)

    def test_the_alarm_section_no_longer_says_there_is_no_emergency(self, client):
        text = text_of(page(client, "/lessons/quitting-feels-like-danger/"))
        assert "there isn't one" not in text
        assert "some things in withdrawal do need a doctor" in text

    def test_prescribed_pain_opioids_get_a_slow_taper_not_a_sudden_stop(self, client):
        text = text_of(page(client, "/lessons/pain-relief/"))
        assert "don't stop suddenly" in text and "taper" in text and "prescriber" in text

    def test_the_tolerance_micro_lesson_gives_the_emergency_number_before_anything_else(self, client):
        html = page(client, "/lessons/tolerance-is-lower/")
        body = html[html.index('class="lesson-body"'):]
        first_tel = body.index('href="tel:911"')
        assert first_tel < body.index("<h2") and first_tel < body.index("<ol>")


class TestSources:
    def test_the_weak_sources_are_gone(self):
        for lesson in Lesson.objects.published():
            for source in lesson.sources:
                for weak in ("smartrecovery.ie", "111.wales.nhs.uk", "thecarlatreport.com"):
                    assert weak not in source["url"], (lesson.slug, source["url"])

    def test_pmc7659457_carries_its_real_title(self):
        titles = [s["title"] for s in Lesson.objects.get(slug="dopamine-steps").sources if "PMC7659457" in s["url"]]
        assert titles and "Dissecting the role of GABA neurons in the VTA versus SNr" in titles[0]


class TestSpanishWording:
    def test_benzodiazepines_are_named_not_just_benzos(self, client):
        for url in ("/es/help/", "/es/craving/", "/es/lessons/tips-staying-safe/", "/es/lessons/tips-treatment/",
                    "/es/lessons/tolerance-is-lower/"):
            text = text_of(page(client, url))
            assert "“benzos”" not in text and not re.search(r"\bbenzos\b", text), url
        for url in ("/es/help/", "/es/craving/"):
            assert "alprazolam" in text_of(page(client, url)), url

    def test_rcp_is_spelled_out_where_it_first_appears(self, client):
        for url in ("/es/help/", "/es/lessons/tips-staying-safe/", "/es/lessons/tolerance-is-lower/"):
            text = text_of(page(client, url))
            assert text[text.index("rcp"):].startswith("rcp (reanimación cardiopulmonar)"), url

    def test_lesson_8_says_never_use_alone_may_answer_in_english_only(self, client):
        text = text_of(page(client, "/es/lessons/tips-staying-safe/"))
        at = text.index("never use alone")
        assert "solo en inglés" in text[at:at + 250]

    def test_the_timer_has_one_name_in_the_app_and_the_lessons(self, client):
        app = text_of(page(client, "/es/craving/"))
        assert "dejar pasar la ola" in app
        for url in ("/es/lessons/tips-staying-safe/", "/es/lessons/craving-peaks-and-passes/"):
            text = text_of(page(client, url))
            assert "temporizador para surfear la ola" not in text, url
            assert "temporizador “dejar pasar la ola”" in text, url
