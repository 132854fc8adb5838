"""The citizens' pages switched to English through the switcher, in a real browser at phone width
(Debian's chromium, as tests/public/test_browser.py). Screenshots: tests/artifacts/public-english-*.png."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from apps.dossiers.models import Dossier
from tests.dashboard.test_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    PHONE,
    browser,
    downloads,
    page_replaced,
    screenshot,
    wait,
)

from .test_browser import ID_NUMBER, csp_violations, no_horizontal_scroll

__all__ = ["browser", "downloads"]  # fixtures

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run does)",
)


def switch_to(driver, language: str) -> None:
    """A click on the language's name in the header; the same page comes back in that language."""
    page = driver.find_element(By.TAG_NAME, "html")
    path = driver.execute_script("return location.pathname + location.search")
    driver.find_element(By.ID, f"language-{language}").click()
    wait(driver).until(page_replaced(page))
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == language)
    assert driver.execute_script("return location.pathname + location.search") == path


def test_a_citizen_switches_the_lookup_to_english_on_a_phone(register, clock, media_root, live_server, browser):
    clock.set(2025, 11, 17, 8, 0)
    dossier = Dossier.objects.get(
        pk=register(applicant={"name": "Nguyễn Văn Bảy", "id_number": ID_NUMBER, "applicant_type": "citizen"}).json()[
            "id"
        ]
    )
    driver, base = browser, live_server.url
    driver.set_window_size(*PHONE)
    driver.get(base + "/")
    wait(driver).until(ec.presence_of_element_located((By.ID, "go-lookup")))
    assert driver.find_element(By.TAG_NAME, "h1").text == "Dịch vụ công một cửa điện tử"  # --lang=vi-VN or not
    switch_to(driver, "en")
    assert driver.find_element(By.TAG_NAME, "h1").text == "One-stop public services"
    assert driver.find_element(By.ID, "language-en").get_attribute("aria-current") == "true"
    assert no_horizontal_scroll(driver)
    screenshot(driver, "public-english-landing-phone")

    # The choice holds from page to page: the receipt's QR link opens in English now.
    driver.get(f"{base}/tra-cuu/?ma={dossier.code}")
    wait(driver).until(ec.presence_of_element_located((By.ID, "id_so_giay_to"))).send_keys(ID_NUMBER)
    driver.find_element(By.ID, "lookup-submit").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "result")))
    assert driver.find_element(By.ID, "result-status").text == "Received"
    assert driver.find_element(By.ID, "result-received").text == "08:00, 17 Nov 2025"
    assert driver.find_element(By.ID, "result-procedure").text == dossier.procedure.name  # data: as recorded
    assert no_horizontal_scroll(driver)
    screenshot(driver, "public-english-lookup-result-phone")

    # And back to Vietnamese, on the same page.
    switch_to(driver, "vi")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Tra cứu hồ sơ"
    assert csp_violations(driver) == []
