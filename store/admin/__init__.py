"""The store in Wagtail's admin: products editors manage, orders staff fulfil, the rest read-only.

``store/wagtail_hooks.py`` registers what is defined here.
"""
