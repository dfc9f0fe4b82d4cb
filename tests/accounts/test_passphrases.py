"""Passphrases: at least 12 characters, Django's common-password check, and
suggestions of four words drawn from the EFF large wordlist."""

import math
from importlib.resources import files

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accounts.services import passphrase_suggest, passphrase_words
from clinics.forms import JoinForm

pytestmark = pytest.mark.django_db


def eff_large_wordlist() -> list[str]:
    return files("xkcdpass").joinpath("static", "eff-long").read_text(encoding="utf-8").split()


def test_a_passphrase_needs_at_least_12_characters():
    with pytest.raises(ValidationError):
        validate_password("river-moss7")  # 11
    validate_password("river-moss77")  # 12


def test_the_join_form_refuses_a_short_or_common_passphrase():
    for passphrase in ("river-moss7", "password1234"):
        form = JoinForm({"username": "maple-heron-101", "passphrase": passphrase})
        assert not form.is_valid()
        assert "passphrase" in form.errors
    assert JoinForm({"username": "maple-heron-101", "passphrase": "river-moss77"}).is_valid()


@pytest.mark.parametrize("passphrase", ["aaaaaaaaaaaaaaaa", "abababababababab", "passwordpassword", "iloveyou12345"])
def test_one_repeated_character_or_a_common_password_is_refused(passphrase):
    with pytest.raises(ValidationError):
        validate_password(passphrase)
    form = JoinForm({"username": "maple-heron-101", "passphrase": passphrase})
    assert not form.is_valid() and "passphrase" in form.errors


def test_suggestions_are_four_words_from_the_eff_large_wordlist():
    published = eff_large_wordlist()
    assert len(published) == len(set(published)) == 7776
    assert set(passphrase_words()) <= set(published)
    # A few words that would read badly on a recovering person's screen are
    # left out; the rest of the list (and its strength) stays.
    assert len(passphrase_words()) >= 7700
    assert 4 * math.log2(len(passphrase_words())) > 51
    for _ in range(20):
        words = passphrase_suggest().split("-")
        assert len(words) >= 4 and set(words) <= set(published)
        validate_password("-".join(words))


def test_suggested_words_are_letters_only_so_a_suggestion_reads_as_four_words():
    # The EFF list has "yo-yo", "t-shirt", "drop-down" and "felt-tip": joined
    # with hyphens they made suggestions like "yo-yo-motor-coherence-nervy".
    assert all(word.isalpha() for word in passphrase_words())


def test_suggestions_leave_out_words_about_drugs_and_treatment():
    for word in ("relapse", "junkie", "rehab", "dose", "craving", "clean", "prison"):
        assert word not in passphrase_words()
