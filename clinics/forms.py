from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import PassphraseField
from lessons.models import Lesson

from .models import Clinic, Membership, Patient

User = get_user_model()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class InviteForm(forms.Form):
    label = forms.CharField(
        max_length=100,
        label=_("Label for this patient"),
        help_text=_("Your clinic's own label, e.g. initials or a chart number. The patient never has to give a name."),
    )


class PatientChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Patient) -> str:
        return obj.label


class LessonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Lesson) -> str:
        # The lesson's title in the language of the clinic page.
        return obj.text.title


def due_date_not_past(due):
    """Today counts in the clinic's time zone (the clinic views activate it)."""
    if due < timezone.localdate():
        raise forms.ValidationError(_("The due date cannot be in the past."))
    return due


class AssignForm(forms.Form):
    patients = PatientChoiceField(
        queryset=Patient.objects.none(), widget=forms.CheckboxSelectMultiple, label=_("Patients")
    )
    lessons = LessonChoiceField(queryset=Lesson.objects.none(), widget=forms.CheckboxSelectMultiple, label=_("Lessons"))
    due_date = forms.DateField(widget=DateInput(), label=_("Due date"))
    note = forms.CharField(
        max_length=300,
        required=False,
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional. The patient sees this note."),
    )

    def __init__(self, *args, clinic: Clinic, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Scoped: a patient id from another clinic is simply "not a valid choice".
        self.fields["patients"].queryset = Patient.objects.for_clinic(clinic)
        self.fields["lessons"].queryset = Lesson.objects.for_clinic(clinic).with_texts()
        if not self.is_bound:
            self.initial.setdefault("due_date", timezone.localdate() + timedelta(days=7))

    def clean_due_date(self):
        return due_date_not_past(self.cleaned_data["due_date"])


class DueDateForm(forms.Form):
    due_date = forms.DateField(widget=DateInput(), label=_("New due date"))

    def clean_due_date(self):
        return due_date_not_past(self.cleaned_data["due_date"])


class StaffForm(forms.Form):
    username = forms.CharField(
        max_length=150, label=_("Username"), help_text=_("They sign in with this. Letters, digits and @ . + - _ only.")
    )
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.CLINICIAN, label=_("Role"))

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("That username is taken."))
        return username


class JoinForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        label=_("Username"),
        help_text=_("Not your real name. You can keep the one we suggest."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}),
    )
    passphrase = PassphraseField(
        label=_("Passphrase"),
        help_text=_("At least 12 characters. You can keep the one we suggest: write it down somewhere safe."),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("That username is taken. Please choose another."))
        return username

    def clean(self):
        cleaned = super().clean()
        if "username" in cleaned and "passphrase" in cleaned:
            try:
                validate_password(cleaned["passphrase"], User(username=cleaned["username"]))
            except forms.ValidationError as error:
                self.add_error("passphrase", error)
        return cleaned
