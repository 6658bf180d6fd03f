"""Settings → Shipping: the rates shoppers choose from and the free-shipping threshold,
amounts typed in currency units."""

from __future__ import annotations

from django import forms
from django.conf import settings
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, ObjectList

from store.admin.forms import AmountField
from store.shipping import MOST_OPTIONS

CURRENCY = settings.STORE_CURRENCY.upper()


class ShippingRateForm(WagtailAdminModelForm):
    amount = AmountField(label=f"Amount ({CURRENCY})", help_text=f"In {CURRENCY}, e.g. 60.")


class ShippingSettingsForm(WagtailAdminModelForm):
    free_shipping_threshold = AmountField(
        required=False,
        label=f"Free shipping from ({CURRENCY})",
        help_text=(
            "Orders whose subtotal reaches this ship free by the cheapest rate; faster rates "
            "still cost. Codes typed on Stripe's page do not count (Stripe fixes the rates "
            "offered before). Empty: shipping is never free."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        rates = self.formsets["rates"]
        active = [
            form
            for form in rates.forms
            if form.is_valid()
            and not rates._should_delete_form(form)
            and form.cleaned_data.get("active")
        ]
        if len(active) > MOST_OPTIONS:
            raise forms.ValidationError(
                f"Stripe offers at most {MOST_OPTIONS} shipping rates: make the others inactive."
            )
        return cleaned


class ShippingRatesPanel(InlinePanel):
    def get_form_options(self):
        options = super().get_form_options()
        options["formsets"][self.relation_name]["form"] = ShippingRateForm
        return options


# Wagtail reads a setting's edit form from its model (``edit_handler``): wagtail_hooks
# sets this there, so the model stays plain.
SHIPPING_SETTINGS_PANELS = ObjectList(
    [
        FieldPanel("free_shipping_threshold"),
        ShippingRatesPanel(
            "rates",
            heading="Rates",
            help_text=(
                "Shoppers choose one on Stripe's page, the cheapest first. No active rate: "
                "every order ships free."
            ),
            panels=[
                FieldRowPanel([FieldPanel("name"), FieldPanel("amount")]),
                FieldRowPanel(
                    [
                        FieldPanel("min_business_days"),
                        FieldPanel("max_business_days"),
                        FieldPanel("active"),
                    ]
                ),
            ],
        ),
    ],
    base_form_class=ShippingSettingsForm,
)
