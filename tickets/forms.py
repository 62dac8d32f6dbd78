from __future__ import annotations

from django import forms

from tickets.services import MAX_BODY, MAX_SUBJECT

# While the customer types, htmx asks for matching help articles (deflection before a ticket exists).
SUGGEST = {
    "hx-get": "/support/suggest",
    "hx-trigger": "input changed delay:400ms",
    "hx-target": "#suggestions",
    "hx-include": "#id_subject, #id_description",
}


class SupportRequestForm(forms.Form):
    name = forms.CharField(max_length=200, label="Your name")
    email = forms.EmailField(max_length=254, label="Your e-mail")
    subject = forms.CharField(max_length=MAX_SUBJECT, widget=forms.TextInput(attrs=SUGGEST))
    description = forms.CharField(max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 8, **SUGGEST}), label="How can we help?")
    # Left empty by people; bots that fill every field are turned away.
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}), label="Leave empty")

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError("This field must be left empty.")
        return ""
