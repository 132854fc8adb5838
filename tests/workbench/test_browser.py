"""The clerk workbench in a real browser (Debian's headless Chromium through Selenium and Debian's
chromedriver, as the dashboard's tests): every step through the pages, the database and the history
checked after each. Screenshots land in tests/artifacts/workbench-*.png (git-ignored)."""
from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select

from apps.accounts.models import User
from apps.dossiers.models import Dossier, DossierDocument, DossierEvent
from apps.ratings.models import Rating
from tests.dashboard.test_browser import CHROMEDRIVER, CHROMIUM, DESKTOP, PASSWORD, page_replaced, screenshot, wait
from tests.dossier_fixtures import PDF, PNG, RECORD, RECORD_DOCS, multipart

TABLET = (768, 1024)

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run does)",
)


def _driver() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=vi-VN", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    return driver


@pytest.fixture
def drivers(monkeypatch):
    """`drivers()` opens one more browser (each its own cookies); all are closed at the end."""
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not look for drivers online
    opened: list[webdriver.Chrome] = []

    def make() -> webdriver.Chrome:
        opened.append(_driver())
        return opened[-1]

    yield make
    for driver in opened:
        driver.quit()


@pytest.fixture
def files(tmp_path) -> dict[str, str]:
    paths = {}
    for name, content in (("to-khai.pdf", PDF), ("cccd.png", PNG), ("ket-qua.pdf", PDF)):
        path = tmp_path / name
        path.write_bytes(content)
        paths[name] = str(path)
    return paths


def sign_in(driver, base: str, username: str, target: str = "/workbench/") -> None:
    """Through the sign-in form, from the keyboard: type, Tab, type, Enter."""
    driver.delete_all_cookies()
    driver.get(base + target)
    wait(driver).until(ec.presence_of_element_located((By.ID, "id_username")))
    assert "/accounts/login/" in driver.current_url
    field = driver.find_element(By.ID, "id_username")
    field.send_keys(username, Keys.TAB, PASSWORD, Keys.ENTER)
    wait(driver).until(lambda d: "/accounts/login/" not in d.current_url)


def click_and_load(driver, element) -> None:
    """Click a link or submit button and wait until the next page replaced this one (never read the
    old page's elements as if they were the new one's)."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait(driver).until(page_replaced(page))


def open_dossier(driver, base: str, dossier: Dossier) -> None:
    driver.get(f"{base}/workbench/dossiers/{dossier.pk}/")
    wait(driver).until(ec.presence_of_element_located((By.ID, "dossier-status")))


def act(driver, action: str, fill=None) -> None:
    """Open the action's form (a <details>, from the keyboard), fill it, submit, wait for the result."""
    summary = driver.find_element(By.CSS_SELECTOR, f"#action-{action} > summary")
    if driver.find_element(By.ID, f"action-{action}").get_attribute("open") is None:
        summary.send_keys(Keys.ENTER) if summary == driver.switch_to.active_element else summary.click()
    if fill:
        fill(driver)
    click_and_load(driver, driver.find_element(By.ID, f"submit-{action}"))
    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".message.success, #notice, #form-errors")))


def history(dossier: Dossier) -> list[str]:
    return list(DossierEvent.objects.filter(dossier=dossier).order_by("id").values_list("action", flat=True))


def page_history(driver) -> list[str]:
    return [li.get_attribute("data-action") for li in driver.find_elements(By.CSS_SELECTOR, "#history li")]


def status_on_page(driver) -> str:
    return driver.find_element(By.ID, "dossier-status").get_attribute("data-status")


def no_sideways_scroll(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def fetch_status(driver, path: str) -> dict:
    """A same-origin GET from the page (its session), as the page's frame does."""
    return json.loads(driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.arrayBuffer().then(b => done(JSON.stringify("
        "{status: r.status, type: r.headers.get('content-type'), head: String.fromCharCode(...new Uint8Array(b)"
        ".slice(0, 5))}))));", path))


def test_a_clerk_registers_a_counter_dossier_and_prints_its_receipt(demo, media_root, live_server, drivers, files):
    driver, base = drivers(), live_server.url
    sign_in(driver, base, "clerk_tuphap", "/workbench/register/")
    # Procedure search from the keyboard.
    driver.find_element(By.ID, "r-q").send_keys("lý lịch tư pháp", Keys.ENTER)
    wait(driver).until(ec.presence_of_element_located((By.ID, "offerings")))
    offering = driver.find_element(By.CSS_SELECTOR, f'#offerings a[data-procedure="{RECORD["procedure"]}"]')
    click_and_load(driver, offering)
    wait(driver).until(ec.presence_of_element_located((By.ID, "register-form")))
    assert driver.switch_to.active_element.get_attribute("id") == "a-name"  # the first field to type
    driver.find_element(By.ID, "a-name").send_keys("Phạm Thị Tươi")
    driver.find_element(By.ID, "a-id").send_keys("001190000999")
    driver.find_element(By.ID, "a-phone").send_keys("0912345678")
    driver.find_element(By.ID, "doc-TKLLTP").send_keys(files["to-khai.pdf"])
    driver.find_element(By.ID, "doc-CCCD").send_keys(files["cccd.png"])
    screenshot(driver, "workbench-register")
    click_and_load(driver, driver.find_element(By.ID, "register-submit"))

    # The receipt opens at once, ready to print.
    wait(driver).until(ec.presence_of_element_located((By.ID, "registered")))
    dossier = Dossier.objects.get()
    assert (dossier.status, dossier.channel, dossier.applicant_name) == ("received", "counter", "Phạm Thị Tươi")
    assert history(dossier) == ["register"]
    assert sorted(DossierDocument.objects.filter(dossier=dossier).values_list("document_type", flat=True)) == [
        "CCCD", "TKLLTP"]
    assert dossier.code in driver.find_element(By.ID, "registered").text
    frame = driver.find_element(By.ID, "print-frame")
    assert frame.get_attribute("src").endswith(f"/workbench/dossiers/{dossier.pk}/forms/receipt.pdf")
    assert fetch_status(driver, f"/workbench/dossiers/{dossier.pk}/forms/receipt.pdf") == {
        "status": 200, "type": "application/pdf", "head": "%PDF-"}
    assert driver.switch_to.active_element.get_attribute("id") == "print-button"  # Enter prints
    driver.find_element(By.ID, "print-button").click()  # prints the frame (a no-op in headless Chromium)
    screenshot(driver, "workbench-receipt")

    # The department's leader resolves it; the clerk hands the result over at the counter and turns
    # the kiosk to the applicant, who rates.
    sign_in(driver, base, "leader_tuphap")
    open_dossier(driver, base, dossier)
    act(driver, "resolve", lambda d: Select(d.find_element(By.ID, "resolve-result")).select_by_value("approved"))
    dossier.refresh_from_db()
    assert dossier.status == "resolved" and history(dossier) == page_history(driver) == ["register", "resolve"]
    sign_in(driver, base, "clerk_tuphap")
    open_dossier(driver, base, dossier)
    act(driver, "return", lambda d: Select(d.find_element(By.ID, "return-method")).select_by_value("counter"))
    dossier.refresh_from_db()
    assert dossier.status == "returned" and history(dossier) == page_history(driver) == [
        "register", "resolve", "return"]
    click_and_load(driver, driver.find_element(By.ID, "kiosk-link"))
    wait(driver).until(ec.presence_of_element_located((By.ID, "kiosk-form")))
    screenshot(driver, "workbench-kiosk")
    driver.find_element(By.CSS_SELECTOR, "label.level-very_satisfied").click()
    driver.find_element(By.ID, "kiosk-comment").send_keys("Cán bộ hướng dẫn tận tình")
    click_and_load(driver, driver.find_element(By.ID, "kiosk-submit"))
    wait(driver).until(ec.presence_of_element_located((By.ID, "kiosk-done")))
    rating = Rating.objects.get(dossier=dossier)
    assert (rating.source, rating.level, rating.comment) == ("kiosk", "very_satisfied", "Cán bộ hướng dẫn tận tình")
    assert rating.clerk.username == "clerk_tuphap"  # the clerk who received it is the one rated
    assert history(dossier)[-1] == "return"  # a rating is not a lifecycle step


def test_an_online_dossier_from_acceptance_to_the_return(demo, media_root, live_server, drivers, files):
    citizen = APIClient()
    citizen.force_authenticate(User.objects.get(username="citizen1"))
    response = citizen.post("/api/v1/dossiers/", multipart(RECORD, {c: PDF for c in RECORD_DOCS}), format="multipart")
    assert response.status_code == 201
    dossier = Dossier.objects.get(pk=response.json()["id"])
    driver, base = drivers(), live_server.url

    # 1. The clerk finds it in the queue (from the keyboard: search, Enter) and accepts it.
    sign_in(driver, base, "clerk_tuphap")
    assert driver.find_element(By.CSS_SELECTOR, '#status-tabs a[data-status="submitted"]').get_attribute(
        "data-count") == "1"
    driver.find_element(By.ID, "f-q").send_keys(dossier.code, Keys.ENTER)
    wait(driver).until(lambda d: "q=" in d.current_url)
    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-code="{dossier.code}"]')))
    screenshot(driver, "workbench-queue")
    click_and_load(driver, driver.find_element(By.LINK_TEXT, dossier.code))
    wait(driver).until(ec.presence_of_element_located((By.ID, "dossier-status")))
    assert [d.get_attribute("id") for d in driver.find_elements(By.CSS_SELECTOR, "details.action")] == [
        "action-accept", "action-reject"]
    act(driver, "accept")
    dossier.refresh_from_db()
    assert dossier.status == "received" and dossier.received_by.username == "clerk_tuphap"
    assert history(dossier) == page_history(driver) == ["submit", "accept"]
    assert status_on_page(driver) == "received"

    # 2. Assigned to the specialist.
    act(driver, "assign", lambda d: Select(d.find_element(By.ID, "assign-assignee")).select_by_value(
        "specialist_tuphap"))
    dossier.refresh_from_db()
    assert dossier.status == "in_progress" and dossier.assigned_to.username == "specialist_tuphap"
    assert history(dossier) == page_history(driver) == ["submit", "accept", "assign"]
    screenshot(driver, "workbench-dossier")

    # 3. The specialist asks for a new copy of the ID card.
    sign_in(driver, base, "specialist_tuphap")
    assert driver.find_element(By.CSS_SELECTOR, f'tr[data-code="{dossier.code}"]')
    driver.find_element(By.ID, "f-mine").click()  # assigned to me
    click_and_load(driver, driver.find_element(By.ID, "f-submit"))
    assert "assigned_to_me=true" in driver.current_url
    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-code="{dossier.code}"]')))
    open_dossier(driver, base, dossier)

    def ask(d):
        d.find_element(By.ID, "rs-reason").send_keys("Bản chụp CCCD không đọc được")
        d.find_element(By.ID, "rs-doc-CCCD").click()

    act(driver, "request_supplement", ask)
    dossier.refresh_from_db()
    assert dossier.status == "awaiting_supplement"
    event = DossierEvent.objects.filter(dossier=dossier).last()
    assert event.action == "request_supplement" and event.payload["document_types"] == ["CCCD"]
    assert history(dossier) == page_history(driver) == ["submit", "accept", "assign", "request_supplement"]
    assert driver.find_element(By.ID, "pauses")
    assert driver.find_element(By.CSS_SELECTOR, '#forms a[data-form="supplement_request"]')

    # 4. The applicant supplements through the API.
    response = citizen.post(f"/api/v1/dossiers/{dossier.pk}/supplement/", multipart({}, {"CCCD": PDF}),
                            format="multipart")
    assert response.status_code == 200, response.json()
    open_dossier(driver, base, dossier)
    assert status_on_page(driver) == "in_progress"
    assert page_history(driver)[-1] == "supplement"

    # 5. The specialist resolves it with the result file.
    def resolve(d):
        Select(d.find_element(By.ID, "resolve-result")).select_by_value("approved")
        d.find_element(By.ID, "resolve-file").send_keys(files["ket-qua.pdf"])

    act(driver, "resolve", resolve)
    dossier.refresh_from_db()
    assert dossier.status == "resolved" and dossier.result == "approved"
    result = DossierDocument.objects.get(dossier=dossier, stage="result")
    assert result.original_name == "ket-qua.pdf"
    assert history(dossier) == page_history(driver) == [
        "submit", "accept", "assign", "request_supplement", "supplement", "resolve"]
    # The result file previews inline in a frame of the page.
    click_and_load(driver, driver.find_element(By.CSS_SELECTOR, f'tr[data-document="{result.pk}"] a.preview-link'))
    wait(driver).until(ec.presence_of_element_located((By.ID, "preview-frame")))
    src = driver.find_element(By.ID, "preview-frame").get_attribute("src")
    assert fetch_status(driver, src)["head"] == "%PDF-"

    # 6. The clerk hands the result over at the counter, and the applicant rates at the kiosk.
    sign_in(driver, base, "clerk_tuphap")
    open_dossier(driver, base, dossier)
    act(driver, "return", lambda d: Select(d.find_element(By.ID, "return-method")).select_by_value("counter"))
    dossier.refresh_from_db()
    assert dossier.status == "returned" and dossier.returned_at is not None
    assert history(dossier) == page_history(driver) == [
        "submit", "accept", "assign", "request_supplement", "supplement", "resolve", "return"]
    # Filed online by an applicant with an account: they rate it themselves (issue 14), so the
    # workbench offers no kiosk for it; their rating shows on the page.
    assert not driver.find_elements(By.ID, "kiosk-link")
    response = citizen.post(f"/api/v1/dossiers/{dossier.pk}/rating/", {"level": "very_satisfied"}, format="json")
    assert response.status_code == 201, response.json()
    open_dossier(driver, base, dossier)
    assert "Rất hài lòng" in driver.find_element(By.ID, "rating").text
    assert history(dossier)[-1] == "return"  # a rating is not a lifecycle step

    # The dossier page and the queue on a tablet: one column, nothing to scroll sideways.
    driver.set_window_size(*TABLET)
    open_dossier(driver, base, dossier)
    wait(driver).until(lambda d: d.execute_script("return window.innerWidth") <= TABLET[0])
    assert no_sideways_scroll(driver)
    screenshot(driver, "workbench-dossier-tablet")
    driver.get(base + "/workbench/?status=returned")
    assert no_sideways_scroll(driver)
    screenshot(driver, "workbench-queue-tablet")


def test_two_clerks_act_at_once_and_the_second_is_told(demo, media_root, live_server, drivers, submit):
    dossier = Dossier.objects.get(pk=submit().json()["id"])
    other = User.objects.create_user("clerk_tuphap2", password=PASSWORD, full_name="Ngô Thị Hai")
    other.groups.add(*User.objects.get(username="clerk_tuphap").groups.all())
    other.memberships.create(agency=dossier.agency)
    first, second, base = drivers(), drivers(), live_server.url
    sign_in(first, base, "clerk_tuphap")
    sign_in(second, base, "clerk_tuphap2")
    open_dossier(first, base, dossier)
    open_dossier(second, base, dossier)  # both pages rendered from the same version

    act(first, "accept")
    assert status_on_page(first) == "received"
    act(second, "reject", lambda d: d.find_element(By.ID, "reject-reason").send_keys("Hồ sơ không hợp lệ"))
    notice = second.find_element(By.ID, "notice")
    assert "Hồ sơ vừa được người khác xử lý trước bạn" in notice.text and "Đã tiếp nhận" in notice.text
    assert status_on_page(second) == "received"  # the fresh state is shown
    assert page_history(second) == ["submit", "accept"]
    dossier.refresh_from_db()
    assert dossier.status == "received" and history(dossier) == ["submit", "accept"]  # nothing overwritten
    screenshot(second, "workbench-conflict")


def test_another_agencys_clerk_gets_404_and_an_applicant_403(demo, media_root, live_server, drivers, submit):
    dossier = Dossier.objects.get(pk=submit().json()["id"])
    driver, base = drivers(), live_server.url
    sign_in(driver, base, "clerk_xuanquan")
    open_url = f"{base}/workbench/dossiers/{dossier.pk}/"
    driver.get(open_url)
    assert "Lỗi 404" in driver.find_element(By.TAG_NAME, "h1").text
    assert dossier.code not in driver.page_source
    sign_in(driver, base, "citizen1", f"/workbench/dossiers/{dossier.pk}/")
    assert "Lỗi 403" in driver.find_element(By.TAG_NAME, "h1").text
    screenshot(driver, "workbench-applicant-403")



