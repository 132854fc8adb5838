"""The server-rendered pages in two languages, never mixed (issue 16 item 1, the pages' part): which
language a page uses, the switcher, every template text in both catalogues, numbers and dates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from apps.accounts.models import User
from apps.common import formats
from onestop.text import vietnamese_sort_key
from tests.dossier_fixtures import vn

from .catalogues import load_po, looks_vietnamese
from .pages import assert_english, assert_vietnamese, read
from .templates import entry_key, page_templates, template_texts

PASSWORD = "demo-Pass-2025"


# --- every text of the pages' templates ------------------------------------------------------------


def test_the_scan_finds_the_pages_templates_and_their_texts():
    names = {str(p).split("/templates/")[1] for p in page_templates()}
    assert {
        "dashboard/index.html",
        "workbench/queue.html",
        "public/lookup.html",
        "payments/result.html",
        "common/language_switcher.html",
        "404.html",
    } <= names
    assert len([t for t in template_texts() if t.translated]) > 250


def test_every_template_text_has_its_english():
    english = load_po("en")
    missing = sorted({f"{t.path}: {t.text!r}" for t in template_texts() if t.translated and not english.get(t.text)})
    assert missing == []


def test_no_template_text_bypasses_the_catalogue():
    """Vietnamese written straight into a template would stay Vietnamese on an English page."""
    untranslated = [
        f"{t.path}: {t.text.strip()[:80]!r}" for t in template_texts() if not t.translated and looks_vietnamese(t.text)
    ]
    assert untranslated == []


def test_choice_labels_the_pages_show_have_their_english():
    """Model choices are labelled in Vietnamese (the official terms); the pages look them up."""
    from apps.dashboard.models import Indicator
    from apps.documents.forms import Form
    from apps.dossiers.api.serializers import RETURN_METHODS
    from apps.dossiers.models import DossierDocument, PaymentMethod, ResultKind
    from apps.ratings.models import Criterion, Level, Source

    english = load_po("en")
    labels = [
        entry_key(label)
        for choices in (
            Indicator.choices,
            Form.choices,
            RETURN_METHODS,
            PaymentMethod.choices,
            Criterion.choices,
            Level.choices,
            Source.choices,
        )
        for _value, label in choices
    ]
    labels += [entry_key(label, "document stage") for _v, label in DossierDocument.Stage.choices]
    labels += [entry_key(label, "dossier result") for _v, label in ResultKind.choices]
    missing = [label for label in labels if not english.get(label)]
    assert missing == []
    # The same Vietnamese word, two meanings: the context keeps them apart.
    assert english[entry_key("Giải quyết")] == "Resolve" and english[entry_key("Giải quyết", "dossier result")] == (
        "Approved"
    )


# --- numbers and dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "vi",
            [
                "1.234.567",
                "1.234,5",
                "45,7 %",
                "+2,3",
                "−1.234",
                "200.000 đồng",
                "17/11/2025",
                "17/11/2025 08:05",
                "08:05 17/11/2025",
                "11/2025",
                "Tháng 3",
                "01/11/2025 – 30/11/2025",
            ],
        ),
        (
            "en",
            [
                "1,234,567",
                "1,234.5",
                "45.7%",
                "+2.3",
                "−1,234",
                "200,000 VND",
                "17 Nov 2025",
                "17 Nov 2025, 08:05",
                "08:05, 17 Nov 2025",
                "Nov 2025",
                "March",
                "1 Nov 2025 – 30 Nov 2025",
            ],
        ),
    ],
)
def test_numbers_and_dates_in_the_page_language(language, expected):
    instant = vn(2025, 11, 17, 8, 5)
    with translation.override(language):
        shown = [
            formats.number(1234567),
            formats.number(1234.5, 1),
            formats.percent(0.4567),
            formats.signed(2.3, 1),
            formats.signed(-1234),
            formats.money(Decimal("200000.00")),
            formats.day(date(2025, 11, 17)),
            formats.when(instant),
            formats.when(instant, "time_first"),
            formats.month(date(2025, 11, 1)),
            formats.month_name(3),
            formats.period(date(2025, 11, 1), date(2025, 11, 30)),
        ]
    assert shown == expected
    assert formats.number(None) == formats.percent(None) == "–" and formats.when(None) == formats.money(None) == ""


def test_an_instant_is_shown_in_local_time():
    utc = datetime.fromisoformat("2025-11-17T01:05:00+00:00")
    with translation.override("vi"):
        assert formats.when(utc) == "17/11/2025 08:05"  # Asia/Ho_Chi_Minh, +07:00


# --- which language a page uses --------------------------------------------------------------------


def test_a_page_is_vietnamese_by_default_and_whatever_the_browser_asks(db):
    for accept in ("", "en", "en-US,en;q=0.9", "fr"):
        response = Client().get("/", HTTP_ACCEPT_LANGUAGE=accept)
        assert response["Content-Language"] == "vi" and '<html lang="vi">' in response.content.decode()
        assert "Accept-Language" not in response.get("Vary", "")  # the cookie decides, not the header
    assert_vietnamese(Client().get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode())


def test_the_cookie_makes_a_page_english(db):
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.get("/")
    assert response["Content-Language"] == "en" and "Cookie" in response["Vary"]
    assert_english(response.content.decode(), data=[])
    client.cookies["django_language"] = "xx"  # not one of ours: Vietnamese
    assert_vietnamese(client.get("/").content.decode())


def test_the_api_still_follows_accept_language(demo, api):
    assert api.get("/api/v1/procedures/NO-SUCH/", HTTP_ACCEPT_LANGUAGE="en").json()["detail"] == (
        "No procedure with this code."
    )
    assert api.get("/api/v1/procedures/NO-SUCH/").json()["detail"] == "Không có thủ tục hành chính với mã này."
    response = api.get("/api/v1/procedures/NO-SUCH/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en" and "Accept-Language" in response["Vary"]


def test_a_signed_in_users_own_language_wins_over_the_cookie(demo):
    client = Client()
    client.force_login(User.objects.get(username="supervisor"))
    client.cookies["django_language"] = "en"
    assert '<html lang="vi">' in client.get("/").content.decode()  # supervisor: Vietnamese (the default)
    User.objects.filter(username="supervisor").update(language="en")
    client.cookies["django_language"] = "vi"
    assert '<html lang="en">' in client.get("/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()


# --- the switcher -------------------------------------------------------------------------------


def test_the_switcher_is_on_every_kind_of_page_and_posts_to_set_language(demo):
    client = Client()
    for path in ("/", "/tra-cuu/", "/accounts/login/", "/no-such-page/"):
        html = client.get(path).content.decode()
        _language, texts = read(html)
        assert 'action="/i18n/setlang/"' in html and f'name="next" value="{path}"' in html, path
        assert 'lang="en" id="language-en"' in html and ">English</button>" in html and ">Tiếng Việt</button>" in html
        assert "English" not in texts  # marked as English: not counted as the Vietnamese page's text
    client.force_login(User.objects.get(username="supervisor"))
    assert 'action="/i18n/setlang/"' in client.get("/dashboard/").content.decode()
    client.force_login(User.objects.get(username="clerk_tuphap"))
    assert 'action="/i18n/setlang/"' in client.get("/workbench/").content.decode()


def test_switching_sets_the_cookie_and_stays_on_the_page(db):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/tra-cuu/?ma=X")
    token = client.cookies["csrftoken"].value
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/tra-cuu/?ma=X", "csrfmiddlewaretoken": token})
    assert page.status_code == 200 and response.status_code == 302 and response["Location"] == "/tra-cuu/?ma=X"
    cookie = response.cookies["django_language"]
    assert cookie.value == "en" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert_english(client.get("/tra-cuu/?ma=X").content.decode(), data=[])
    client.post("/i18n/setlang/", {"language": "vi", "next": "/", "csrfmiddlewaretoken": token})
    assert_vietnamese(client.get("/").content.decode())
    # Elsewhere: back to the home page, never off the site; GET changes nothing.
    away = client.post(
        "/i18n/setlang/", {"language": "en", "next": "https://evil.example/", "csrfmiddlewaretoken": token}
    )
    assert away["Location"] == "/"
    assert client.get("/i18n/setlang/?language=vi").status_code == 405


def test_switching_saves_a_signed_in_users_language(demo):
    user = User.objects.get(username="clerk_tuphap")
    client = Client()
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/workbench/"})
    assert response.status_code == 302 and response["Location"] == "/workbench/"
    user.refresh_from_db()
    assert user.language == "en"
    assert '<html lang="en">' in client.get("/workbench/").content.decode()
    # A new browser (no cookie): the account's choice still holds.
    fresh = Client()
    fresh.force_login(user)
    assert '<html lang="en">' in fresh.get("/workbench/").content.decode()
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})  # not a language of ours: nothing saved
    user.refresh_from_db()
    assert user.language == "en"


# --- the statistics breakdown's order (issue 16 item 5) -------------------------------------------


def test_vietnamese_order_is_not_byte_order():
    names = ["Phòng Em bé", "Phòng Đường sắt", "Phòng Dân tộc"]
    assert sorted(names, key=vietnamese_sort_key) == ["Phòng Dân tộc", "Phòng Đường sắt", "Phòng Em bé"]
    assert sorted(names) == ["Phòng Dân tộc", "Phòng Em bé", "Phòng Đường sắt"]
