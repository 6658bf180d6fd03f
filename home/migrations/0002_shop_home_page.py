"""Make the site root the shop's HomePage (replacing Wagtail's default welcome page)."""

from django.db import migrations

WELCOME_PAGE_SLUG = "home"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # treebeard's path alphabet, 4 characters a step


def _next_child_path(parent_path: str, last_child_path: str | None) -> str:
    if last_child_path is None:
        return parent_path + "0001"
    number = int(last_child_path[-4:], 36) + 1
    step = ""
    for _ in range(4):
        number, digit = divmod(number, 36)
        step = ALPHABET[digit] + step
    return parent_path + step


def create_shop_home_page(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Locale = apps.get_model("wagtailcore.Locale")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("home.HomePage")

    if HomePage.objects.exists():
        return

    page_type = ContentType.objects.get(app_label="wagtailcore", model="page")
    Page.objects.filter(content_type=page_type, slug=WELCOME_PAGE_SLUG, depth=2).delete()

    root = Page.objects.get(depth=1)
    last_child = Page.objects.filter(depth=2).order_by("-path").first()
    home_type, _ = ContentType.objects.get_or_create(app_label="home", model="homepage")
    slug = WELCOME_PAGE_SLUG
    if Page.objects.filter(depth=2, slug=slug).exists():
        slug = "shop"
    home = HomePage.objects.create(
        title="Mini Store",
        draft_title="Mini Store",
        slug=slug,
        content_type=home_type,
        path=_next_child_path(root.path, last_child.path if last_child else None),
        depth=2,
        numchild=0,
        url_path=f"/{slug}/",
        locale=Locale.objects.order_by("pk").first(),
        live=True,
        intro="<p>Small things, made well. Pick quantities and check out securely with Stripe.</p>",
    )
    root.numchild = Page.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])

    site = Site.objects.filter(is_default_site=True).first()
    if site:
        site.root_page_id = home.pk
        site.save(update_fields=["root_page"])
    else:
        Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)


class Migration(migrations.Migration):
    dependencies = [
        ("home", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_shop_home_page, migrations.RunPython.noop)]
