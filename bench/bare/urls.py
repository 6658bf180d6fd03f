"""The bare project's one page: about 1 KB of HTML from a constant, no template, no database."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

PAGE_BYTES = 1024
_HEAD = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Bare</title></head>'
    "<body><p>"
)
_TAIL = "</p></body></html>\n"
_FILLER = "A bare Django view: default middleware, no templates, no database. " * 20
PAGE = _HEAD + _FILLER[: PAGE_BYTES - len(_HEAD) - len(_TAIL)] + _TAIL


def bare_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


urlpatterns = [path("", bare_page)]
