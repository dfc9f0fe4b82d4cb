from django import forms


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand: my account and everything the server keeps about me are deleted for good.",
        required=True,
    )
