"""In a real browser: from the admin index an operator reaches the scheduled jobs and sees the one
that stopped running, and reads the OpenRouter catalog one row per model (screenshots in artifacts/)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils import timezone

from discovery.models import OpenRouterModel
from llmops.models import JobRun
from llmops.roles import VIEWERS
from tests.e2e.test_admin_browser import ARTIFACTS, PASSWORD, browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(browser, live_server, next_path="/admin/"):  # noqa: F811
    from selenium.webdriver.common.by import By

    viewer = User.objects.create_user("vera", password=PASSWORD, is_staff=True)
    viewer.groups.add(Group.objects.get(name=VIEWERS))
    browser.get(f"{live_server.url}/admin/login/?next={next_path}")
    browser.find_element(By.NAME, "username").send_keys("vera")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()


def test_it_shows_the_scheduled_jobs_and_the_overdue_one(live_server, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    now = timezone.now()
    JobRun.objects.create(job="lifecycle.tasks.collect_signals", status="succeeded", started_at=now - timedelta(minutes=20),
                          finished_at=now - timedelta(minutes=19))
    JobRun.objects.create(job="discovery.tasks.fetch_openrouter", status="failed", started_at=now - timedelta(days=4),
                          finished_at=now - timedelta(days=4), error="HTTP 503 from OpenRouter")
    _login(browser, live_server)
    wait = WebDriverWait(browser, 15)
    wait.until(lambda driver: "site administration" in driver.title.lower() or "fleet" in driver.title.lower())
    browser.find_element(By.LINK_TEXT, "Scheduled jobs").click()
    wait.until(lambda driver: driver.title.startswith("Scheduled jobs"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#scheduled-jobs tbody tr")
    assert len(rows) == len(settings.CELERY_BEAT_SCHEDULE)
    fetch = browser.find_element(By.CSS_SELECTOR, "tr[data-job='discovery.tasks.fetch_openrouter']")
    assert "OVERDUE" in fetch.text and "HTTP 503 from OpenRouter" in fetch.text
    collect = browser.find_element(By.CSS_SELECTOR, "tr[data-job='lifecycle.tasks.collect_signals']")
    assert "succeeded" in collect.text and "OVERDUE" not in collect.text
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "e2e-admin-scheduled-jobs.png"))


def test_it_reads_the_catalog_one_row_per_model(live_server, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    OpenRouterModel.objects.create(openrouter_id="moonshotai/kimi-k2-0905", canonical_slug="moonshotai/kimi-k2-0905",
                                   name="Kimi K2 0905", match_status="matched", matched_provider="groq",
                                   matched_model_id="moonshotai/kimi-k2-instruct-0905", match_confidence=0.95)
    OpenRouterModel.objects.create(openrouter_id="moonshotai/kimi-k2-0905:exacto",
                                   canonical_slug="moonshotai/kimi-k2-0905", match_status="added")
    _login(browser, live_server, "/admin/discovery/openroutermodel/?fold=yes")
    WebDriverWait(browser, 15).until(lambda driver: "openrouter" in driver.title.lower())
    table = browser.find_element(By.ID, "result_list").text
    assert "moonshotai/kimi-k2-0905:exacto" not in table  # the variant is folded into its model's row
    assert "the model: Added to the registry (via :exacto)" in table
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == 1
    browser.save_screenshot(str(ARTIFACTS / "e2e-admin-catalog-folded.png"))
