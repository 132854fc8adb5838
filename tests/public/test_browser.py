"""The public pages in a real browser at phone width: Debian's headless chromium through Selenium,
against the live test server (same set-up as tests/dashboard/test_browser.py). Screenshots land in
tests/artifacts/ (public-*.png)."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from apps.dossiers.models import Dossier
from tests.dashboard.test_browser import CHROMEDRIVER, CHROMIUM, PHONE, browser, downloads, screenshot, wait

__all__ = ["browser", "downloads"]  # fixtures

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run does)",
)
ID_NUMBER = "001088000777"


def no_horizontal_scroll(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def csp_violations(driver) -> list:
    return [e for e in driver.get_log("browser") if "Content Security Policy" in e.get("message", "")]


def test_a_citizen_scans_the_receipt_and_looks_the_dossier_up_on_a_phone(
        register, clock, as_user, media_root, live_server, browser):
    clock.set(2025, 11, 17, 8, 0)
    dossier = Dossier.objects.get(pk=register(applicant={
        "name": "Nguyễn Văn <b>Bảy</b>", "id_number": ID_NUMBER, "applicant_type": "citizen"}).json()["id"])
    clock.set(2025, 11, 18, 9, 0)
    response = as_user("clerk_tuphap").post(f"/api/v1/dossiers/{dossier.pk}/request_supplement/", {
        "reason": "Thiếu giấy tờ <script>alert(1)</script>",
        "items": ["Bản sao CCCD có chứng thực", "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (bổ sung quá trình cư trú)"],
    }, format="json")
    assert response.status_code == 200
    driver, base = browser, live_server.url
    driver.set_window_size(*PHONE)

    # The landing page.
    driver.get(base + "/")
    wait(driver).until(ec.presence_of_element_located((By.ID, "go-lookup")))
    assert driver.find_element(By.TAG_NAME, "h1").text == "Dịch vụ công một cửa điện tử"
    assert no_horizontal_scroll(driver)
    screenshot(driver, "public-landing-phone")
    assert driver.execute_script(
        "return fetch('/favicon.ico').then(r => r.headers.get('content-type'))") == "image/x-icon"

    # What the receipt's QR opens: the code is filled in; the citizen types the ID number.
    driver.get(f"{base}/tra-cuu/?ma={dossier.code}")
    code_field = wait(driver).until(ec.presence_of_element_located((By.ID, "id_ma")))
    assert code_field.get_attribute("value") == dossier.code
    driver.find_element(By.ID, "id_so_giay_to").send_keys("001088000000")  # a typo first
    driver.find_element(By.ID, "lookup-submit").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "not-found")))
    assert "Không tìm thấy hồ sơ" in driver.find_element(By.ID, "not-found").text
    assert driver.find_element(By.ID, "id_ma").get_attribute("value") == dossier.code  # kept for the retry
    screenshot(driver, "public-lookup-not-found-phone")

    driver.find_element(By.ID, "id_so_giay_to").send_keys(ID_NUMBER)
    driver.find_element(By.ID, "lookup-submit").click()
    result = wait(driver).until(ec.presence_of_element_located((By.ID, "result")))
    assert result.get_attribute("data-status") == "awaiting_supplement"
    assert driver.find_element(By.ID, "result-status").text == "Chờ bổ sung"
    assert driver.find_element(By.ID, "result-received").text == "08:00 17/11/2025"
    supplement = driver.find_element(By.ID, "result-supplement")
    assert "Thiếu giấy tờ <script>alert(1)</script>" in supplement.text  # shown as text, never run
    assert [li.text for li in supplement.find_elements(By.TAG_NAME, "li")] == [
        "Bản sao CCCD có chứng thực", "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (bổ sung quá trình cư trú)"]
    assert driver.find_element(By.ID, "result-applicant").text == "N. V. <b>Bảy</b>"  # as text, not bold
    assert dossier.receiving_agency.name in driver.find_element(By.ID, "result-collect").text
    assert ID_NUMBER not in driver.page_source
    assert no_horizontal_scroll(driver)
    screenshot(driver, "public-lookup-result-phone")
    assert csp_violations(driver) == []
