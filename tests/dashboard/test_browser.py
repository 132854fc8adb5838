"""The dashboard in a real browser: Debian's headless Chromium driven by Selenium through Debian's
chromedriver (nothing is downloaded), against the live test server.

Screenshots land in tests/artifacts/ (git-ignored): desktop 1366×768 and a phone (390×844), the
first screen and the whole page.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

from apps.dashboard.models import Indicator, IndicatorTarget
from apps.dashboard.selectors import CLASS_TILES

from .history import DEPARTMENT, KHOAI_CHAU, VAN_GIANG, XUAN_QUAN, make_history

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "demo-Pass-2025"
DESKTOP = (1366, 768)
PHONE = (390, 844)

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run does)",
)


@pytest.fixture
def downloads(tmp_path) -> Path:
    path = tmp_path / "downloads"
    path.mkdir()
    return path


@pytest.fixture
def browser(downloads, monkeypatch):
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not look for drivers online
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--lang=vi-VN", "--hide-scrollbars"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "safebrowsing.enabled": False,
    })
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def wait(driver, seconds: float = 20) -> WebDriverWait:
    return WebDriverWait(driver, seconds)


def page_replaced(old_element):
    """Wait condition: the page holding old_element has been replaced by the next one. Selenium's
    staleness_of knows only StaleElementReferenceException; while the navigation is under way chromedriver
    may instead answer "Node with given id does not belong to the document", which says the same."""
    def replaced(_driver) -> bool:
        try:
            old_element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in (error.msg or ""):
                return True
            raise
        return False

    return replaced


def log_in(driver, base: str, username: str, target: str = "/dashboard/") -> None:
    driver.get(base + target)
    wait(driver).until(ec.presence_of_element_located((By.ID, "id_username")))  # sent to the login form
    assert "/accounts/login/" in driver.current_url
    driver.find_element(By.ID, "id_username").send_keys(username)
    driver.find_element(By.ID, "id_password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()  # not the language switcher's buttons
    wait(driver).until(lambda d: urlsplit(d.current_url).path == urlsplit(target).path)


def api_get(driver, path: str) -> dict:
    """GET through the browser itself (its session cookie), as a page script would."""
    body = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin', headers: {Accept: 'application/json'}})"
        ".then(r => r.text().then(t => done(JSON.stringify({status: r.status, body: t}))));", path)
    result = json.loads(body)
    assert result["status"] == 200, result
    return json.loads(result["body"])


def export_query(driver, element_id: str = "export-summary-csv") -> dict[str, str]:
    href = driver.find_element(By.ID, element_id).get_attribute("href")
    return dict(parse_qsl(urlsplit(href).query))


def vn_figure(value, is_rate: bool) -> str:
    """How the page must print a figure (independently of the template filters)."""
    if value is None:
        return "–"
    if is_rate:
        return f"{value * 100:.1f}".replace(".", ",") + " %"
    return f"{value:,}".replace(",", ".")


def assert_tiles_equal_api(driver) -> dict:
    """Every tile's figure, as data and as printed, equals /api/v1/stats/summary/ for the page's query."""
    query = export_query(driver)
    summary = api_get(driver, "/api/v1/stats/summary/?" + "&".join(f"{k}={v}" for k, v in query.items()))
    shown = driver.find_elements(By.CSS_SELECTOR, ".tile[data-indicator]")
    assert {t.get_attribute("data-indicator") for t in shown} == set(Indicator.values)
    for tile in shown:
        key = tile.get_attribute("data-indicator")
        item = summary[key]
        value = item["value"] if isinstance(item, dict) else item
        assert tile.get_attribute("data-value") == ("" if value is None else str(value)), key
        printed = tile.find_element(By.CSS_SELECTOR, "[data-role=value]").text
        assert printed == vn_figure(value, isinstance(item, dict)), key
    # The Decree 42/2022 tiles beside them: share of procedures offered and online share, per class.
    classes = driver.find_elements(By.CSS_SELECTOR, "#service-classes .tile[data-class]")
    assert [t.get_attribute("data-class") for t in classes] == [key for key, _, _ in CLASS_TILES]
    for tile, (_, provision, online) in zip(classes, CLASS_TILES, strict=True):
        for role, key in (("provision", provision), ("online-share", online)):
            printed = tile.find_element(By.CSS_SELECTOR, f"[data-role={role}]").text
            assert printed == vn_figure(summary[key]["value"], True), key
    return summary


def screenshot(driver, name: str) -> None:
    """The visible screen and the whole page, as PNG files in tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
    width = driver.execute_script("return document.documentElement.scrollWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    (ARTIFACTS / f"{name}-full.png").write_bytes(base64.b64decode(shot["data"]))


def wait_for_download(folder: Path, name: str, seconds: float = 20) -> Path:
    deadline = time.monotonic() + seconds
    target = folder / name
    while time.monotonic() < deadline:
        if target.exists() and not list(folder.glob("*.crdownload")):
            return target
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded; the folder holds {[p.name for p in folder.iterdir()]}")


def test_a_leader_reads_the_dashboard(demo, monkeypatch, media_root, live_server, browser, downloads):
    history = make_history(monkeypatch)
    IndicatorTarget.objects.create(indicator=Indicator.ONLINE_SHARE, target_value=50)
    IndicatorTarget.objects.create(indicator=Indicator.ON_TIME_RATE, target_value=95)
    driver, base = browser, live_server.url

    # Log in through the form; the dashboard opens on the current month.
    log_in(driver, base, "supervisor")
    wait(driver).until(ec.presence_of_element_located((By.ID, "period-label")))
    assert driver.find_element(By.ID, "period-label").get_attribute("data-from") == \
        history.today.replace(day=1).isoformat()
    summary = assert_tiles_equal_api(driver)
    assert summary["received"] == 2
    assert driver.execute_script("return typeof window.Chart") == "function"  # the vendored Chart.js loaded
    assert driver.execute_script("return window.Chart.getChart('trend-chart').data.datasets.length") == 4

    # Change the period: the previous month, through the form's selects.
    Select(driver.find_element(By.ID, "f-period")).select_by_value("month")
    Select(driver.find_element(By.ID, "f-year")).select_by_value(str(history.previous_month.year))
    Select(driver.find_element(By.ID, "f-month")).select_by_value(str(history.previous_month.month))
    assert not driver.find_element(By.ID, "f-quarter").is_displayed()  # only the month's fields show
    driver.find_element(By.ID, "f-submit").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "period-label").get_attribute("data-from")
                       == history.previous_month.isoformat())
    assert "start=" not in driver.current_url and "scope=" not in driver.current_url  # empty fields left out
    summary = assert_tiles_equal_api(driver)
    assert summary["received"] == 10
    overdue = driver.find_elements(By.CSS_SELECTOR, "#overdue-procedures li")
    assert [(li.get_attribute("data-procedure"), li.get_attribute("data-overdue")) for li in overdue] == [
        ("1.000894", "3"), ("2.000488", "2"), ("1.001193", "1")]
    online = driver.find_element(By.CSS_SELECTOR, '.tile[data-indicator="online_share"]')
    assert "Chỉ tiêu ≥ 50,0 %: chưa đạt" in online.text  # 2 of 10 online

    # The ranking sorts by a click on a column; the ranks follow.
    header = driver.find_element(By.CSS_SELECTOR, '#ranking th[data-key="received"] button')
    header.click()
    received = [int(td.get_attribute("data-value")) for td in
                driver.find_elements(By.CSS_SELECTOR, '#ranking tbody td[data-key="received"]')]
    assert received == sorted(received, reverse=True) and received[0] == 5
    header.click()
    received = [int(td.get_attribute("data-value")) for td in
                driver.find_elements(By.CSS_SELECTOR, '#ranking tbody td[data-key="received"]')]
    assert received == sorted(received)
    assert [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#ranking tbody td.rank")] == [
        str(i + 1) for i in range(len(received))]
    screenshot(driver, "dashboard-desktop")

    # Drill down: a click on the department in the ranking shows its subtree, same period.
    driver.find_element(By.CSS_SELECTOR, f'#ranking tr[data-agency="{DEPARTMENT}"] a.drill').click()
    wait(driver).until(lambda d: d.find_element(By.ID, "scope-title").get_attribute("data-scope") == DEPARTMENT)
    assert driver.find_element(By.ID, "scope-title").text == "Sở Tư pháp"
    assert driver.find_element(By.ID, "period-label").get_attribute("data-from") == history.previous_month.isoformat()
    summary = assert_tiles_equal_api(driver)
    assert summary["received"] == 5
    assert export_query(driver)["scope"] == DEPARTMENT

    # Download the export of what is on screen: the same figures in the CSV.
    driver.find_element(By.ID, "export-summary-csv").click()
    path = wait_for_download(downloads, "thong-ke.csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["from"], record["to"]) == (export_query(driver)["from"], export_query(driver)["to"])
    assert int(record["received"]) == summary["received"] == 5
    assert record["on_time_rate.value"] == str(summary["on_time_rate"]["value"])
    driver.find_element(By.ID, "export-agency-xlsx").click()
    assert wait_for_download(downloads, "thong-ke.xlsx").stat().st_size > 0

    # A phone: the same page, one column; the district drill-down from the scope list.
    driver.get(base + f"/dashboard/?scope={KHOAI_CHAU}&year={history.previous_month.year}"
               f"&month={history.previous_month.month}")
    driver.set_window_size(*PHONE)
    wait(driver).until(lambda d: d.execute_script("return window.innerWidth") <= PHONE[0])
    assert_tiles_equal_api(driver)
    page_width = driver.execute_script("return document.documentElement.scrollWidth")
    assert page_width <= driver.execute_script("return window.innerWidth")  # no sideways scrolling
    tiles = driver.find_elements(By.CSS_SELECTOR, ".tile")
    assert tiles[0].location["y"] == tiles[1].location["y"] != tiles[2].location["y"]  # two per row
    screenshot(driver, "dashboard-phone")


def test_a_district_statistician_stays_in_its_district(demo, monkeypatch, media_root, live_server, browser):
    history = make_history(monkeypatch)
    driver, base = browser, live_server.url
    log_in(driver, base, "stats_vangiang")
    scopes = [o.get_attribute("value") for o in driver.find_elements(By.CSS_SELECTOR, "#f-scope option")]
    assert scopes == ["", VAN_GIANG, XUAN_QUAN]
    driver.get(base + f"/dashboard/?scope={KHOAI_CHAU}")
    assert "Lỗi 404" in driver.find_element(By.TAG_NAME, "h1").text
    driver.get(base + f"/dashboard/?scope={XUAN_QUAN}&year={history.previous_month.year}"
               f"&month={history.previous_month.month}")
    summary = assert_tiles_equal_api(driver)
    assert summary["received"] == 2 and summary["online_share"]["value"] == 1.0
    crumbs = driver.find_element(By.CSS_SELECTOR, ".crumbs").text
    assert "Ủy ban nhân dân huyện Văn Giang" in crumbs and "Ủy ban nhân dân tỉnh" not in crumbs


def test_without_a_statistics_role_the_page_is_refused(demo, live_server, browser):
    driver, base = browser, live_server.url
    log_in(driver, base, "clerk_tuphap")
    assert "Lỗi 403" in driver.find_element(By.TAG_NAME, "h1").text
