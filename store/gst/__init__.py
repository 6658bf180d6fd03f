"""GST for the shop: tax invoices for paid orders, credit notes for refunds, the monthly report.

- ``gstin``: checking a GSTIN (format, PAN, check digit); ``states``: GST's state
  codes, Stripe's address codes, and where UTGST replaces SGST.
- ``tax``: splitting tax-inclusive amounts into taxable value and tax, in paise,
  by one rounding rule; ``words``: amounts in words (lakh, crore).
- ``numbering``: consecutive numbers per financial year under a row lock.
- ``documents``: issuing an order's invoice and a refund's credit note, once;
  ``tasks``: doing so in the background after the payment or refund.
- ``pdf``: the documents as PDFs (WeasyPrint); ``downloads``: HTTP responses for them.
- ``report``: the month's B2C supplies by state and rate (GSTR-1's B2CS), as a table and CSV.

The models live in ``store.models.gst``. This package imports nothing at its top, so the
models can use its plain parts (``states``, ``tax``, ``gstin``) without a cycle.
"""
