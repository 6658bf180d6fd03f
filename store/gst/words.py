"""Amounts in words, as invoices write them: Indian numbering (lakh, crore), in rupees and paise."""

from __future__ import annotations

from num2words import num2words


def amount_in_words(paise: int) -> str:
    """12500000 -> "One Lakh Twenty-Five Thousand Rupees"; 120050 -> "One Thousand Two
    Hundred Rupees and Fifty Paise"; 5 -> "Five Paise"; 0 -> "Zero Rupees"."""
    rupees, paise = divmod(paise, 100)
    in_rupees = f"{_words(rupees)} {'Rupee' if rupees == 1 else 'Rupees'}"
    in_paise = f"{_words(paise)} {'Paisa' if paise == 1 else 'Paise'}"
    if not paise:
        return in_rupees
    return f"{in_rupees} and {in_paise}" if rupees else in_paise


def _words(number: int) -> str:
    """num2words' Indian English ("one lakh, twenty-five thousand"), capitalised as on an
    invoice, its list commas dropped; "and" stays lower case."""
    text = num2words(number, lang="en_IN").replace(",", "")
    return " ".join(
        word if word == "and" else "-".join(part.capitalize() for part in word.split("-"))
        for word in text.split()
    )
