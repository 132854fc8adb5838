"""The workbench switched to English through the switcher, in a real browser: the queue and a dossier
page in English, the choice saved on the clerk's account. Screenshots: tests/artifacts/workbench-english-*.png."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from apps.accounts.models import User
from apps.dossiers.models import Dossier
from tests.dashboard.test_browser import CHROMEDRIVER, CHROMIUM, screenshot, wait

from .test_browser import click_and_load, drivers, open_dossier, sign_in

__all__ = ["drivers"]  # fixture

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run does)",
)


def test_a_clerk_switches_the_workbench_to_english(demo, media_root, live_server, drivers, submit, as_user):
    dossier = Dossier.objects.get(pk=submit().json()["id"])
    driver, base = drivers(), live_server.url
    sign_in(driver, base, "clerk_tuphap")
    wait(driver).until(ec.presence_of_element_located((By.ID, "status-tabs")))
    assert driver.find_element(By.TAG_NAME, "h1").text == "Hồ sơ cần xử lý"
    click_and_load(driver, driver.find_element(By.ID, "language-en"))
    wait(driver).until(ec.presence_of_element_located((By.ID, "status-tabs")))
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert driver.find_element(By.TAG_NAME, "h1").text == "Dossiers to handle"
    assert User.objects.get(username="clerk_tuphap").language == "en"
    tab = driver.find_element(By.CSS_SELECTOR, '#status-tabs a[data-status="submitted"]')
    assert tab.text.startswith("Awaiting reception")
    screenshot(driver, "workbench-english-queue")

    open_dossier(driver, base, dossier)
    assert driver.find_element(By.ID, "dossier-status").text == "Awaiting reception"
    assert driver.find_element(By.CSS_SELECTOR, "#action-accept > summary").text == "Accept"
    assert driver.find_element(By.ID, "h-history").text == "History"
    screenshot(driver, "workbench-english-dossier")

    # Signed in again elsewhere (a new browser, no cookie): still English, from the account.
    other = drivers()
    sign_in(other, base, "clerk_tuphap")
    assert other.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    # The sign-in form itself: Vietnamese until someone chooses (a fresh browser knows nobody yet).
    other.delete_all_cookies()
    other.get(base + "/accounts/login/")
    assert other.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
