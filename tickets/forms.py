from __future__ import annotations

from django import forms

from tickets.services import MAX_BODY, MAX_SUBJECT


class SupportRequestForm(forms.Form):
    name = forms.CharField(max_length=200, label="Your name")
    email = forms.EmailField(max_length=254, label="Your e-mail")
    subject = forms.CharField(max_length=MAX_SUBJECT)
    description = forms.CharField(max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 8}), label="How can we help?")
    # Left empty by people; bots that fill every field are turned away.
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}), label="Leave empty")

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError("This field must be left empty.")
        return ""
