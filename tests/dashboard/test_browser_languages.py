"""The dashboard switched to English through the switcher, in a real browser: the page, the chart's
series and the figures in English, and the choice saved on the account. Screenshot:
tests/artifacts/dashboard-english.png."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec

from apps.accounts.models import User
from apps.dashboard.models import Indicator, IndicatorTarget

from .history import make_history
from .test_browser import CHROMEDRIVER, CHROMIUM, browser, downloads, log_in, page_replaced, screenshot, wait

__all__ = ["browser", "downloads"]  # fixtures

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run does)",
)


def test_a_leader_switches_the_dashboard_to_english(demo, monkeypatch, media_root, live_server, browser):
    history = make_history(monkeypatch)
    IndicatorTarget.objects.create(indicator=Indicator.ONLINE_SHARE, target_value=50)
    driver, base = browser, live_server.url
    target = f"/dashboard/?period=month&year={history.previous_month.year}&month={history.previous_month.month}"
    log_in(driver, base, "supervisor", target)
    wait(driver).until(ec.presence_of_element_located((By.ID, "period-label")))
    assert driver.find_element(By.CSS_SELECTOR, "#language-vi").get_attribute("aria-current") == "true"

    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, "language-en").click()
    wait(driver).until(page_replaced(page))
    wait(driver).until(ec.presence_of_element_located((By.ID, "period-label")))
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert "month=" in driver.current_url  # the same page, the same period
    assert User.objects.get(username="supervisor").language == "en"  # saved: e-mails and other devices follow
    online = driver.find_element(By.CSS_SELECTOR, '.tile[data-indicator="online_share"]')
    assert online.find_element(By.TAG_NAME, "h2").text == "Share of online dossiers"
    assert online.find_element(By.CSS_SELECTOR, "[data-role=value]").text == "20.0%"
    assert "Target ≥ 50.0%: not met" in online.text
    labels = driver.execute_script(
        "return window.Chart.getChart('trend-chart').data.datasets.map(function (d) { return d.label; })"
    )
    assert labels == ["Online share", "On-time rate", "Online share target"]
    months = driver.execute_script("return window.Chart.getChart('trend-chart').data.labels")
    assert f"{history.previous_month:%b %Y}" in months
    screenshot(driver, "dashboard-english")
