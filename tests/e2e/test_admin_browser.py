"""End to end in a real browser: an operator filters pending decisions, bulk-approves them
through the confirmation page and finds the audit entries.

Uses Debian's chromium + chromium-driver (no browser download). Skips with a reason when they
are missing, except in CI (CI=true), where a missing browser is a failure.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from llmops.roles import OPERATORS
from operator_app.models import Decision
from registry.models import AuditLog, RegisteredModel

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PASSWORD = "e2e-operator-pw-1"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _require_browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        message = f"headless Chromium needed for the admin e2e test: missing {', '.join(missing)} " \
                  "(apt-get install chromium chromium-driver)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture
def browser():
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="llmops-e2e-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _fleet():
    operator = User.objects.create_user("olga", password=PASSWORD, is_staff=True)
    operator.groups.add(Group.objects.get(name=OPERATORS))
    for i, status in enumerate(("pending", "pending", "rejected")):
        RegisteredModel.objects.create(provider="groq", model_id=f"llama-old-{i}")
        Decision.objects.create(provider="groq", model_id=f"llama-old-{i}", action="disable", confidence=0.9,
                                status=status, error_class="hard_model", suggested_by="llm",
                                reasoning="decommissioned <script>alert(1)</script>")


def test_it_lets_an_operator_bulk_approve_pending_decisions(live_server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    # A click returns before the next page loads: wait for the page, never read the old one.
    wait = WebDriverWait(browser, 15)

    _fleet()
    browser.get(f"{live_server.url}/admin/login/?next=/admin/operator_app/decision/")
    browser.find_element(By.NAME, "username").send_keys("olga")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    # (the login page's own URL holds ?next=…/decision/, so wait on the title)
    wait.until(lambda driver: "decision" in driver.title.lower())

    # filter: pending only
    browser.find_element(By.CSS_SELECTOR, "#changelist-filter a[href*='status__exact=pending']").click()
    wait.until(EC.url_contains("status__exact=pending"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 2

    # select all, approve and execute, confirm
    browser.find_element(By.ID, "action-toggle").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("approve_decisions")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    effects = browser.find_element(By.ID, "effects").text
    assert "groq/llama-old-0 is disabled in the registry" in effects
    assert "groq/llama-old-1 is disabled in the registry" in effects
    browser.find_element(By.ID, "id_reason").send_keys("provider announced the decommission")
    browser.find_element(By.ID, "confirm-submit").click()
    assert "Approved 2 decision(s)" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text

    # the audit log shows the approvals and the registry changes
    browser.get(f"{live_server.url}/admin/registry/auditlog/")
    table = browser.find_element(By.ID, "result_list").text
    assert table.count("approve_decision") == 2 and table.count("disable") >= 2
    assert "olga" in table
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "e2e-admin-audit-after-approve.png"))

    assert Decision.objects.filter(status="approved", executed_at__isnull=False).count() == 2
    assert Decision.objects.filter(status="rejected").count() == 1
    assert RegisteredModel.objects.filter(enabled=False).count() == 2
    assert AuditLog.objects.filter(action="disable", user__username="olga").count() == 2


def test_an_operator_reads_a_models_probes_and_approves_its_return(live_server, browser):
    from datetime import timedelta

    from django.utils import timezone
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from lifecycle.models import ModelProbe
    from operator_app.recovery import recheck_run
    from registry.services import Actor, registry_disable

    wait = WebDriverWait(browser, 15)
    operator = User.objects.create_user("olga", password=PASSWORD, is_staff=True)
    operator.groups.add(Group.objects.get(name=OPERATORS))
    now = timezone.now()
    model = RegisteredModel.objects.create(provider="deepinfra", model_id="meta-llama/Llama-3.3-70B-Instruct")
    registry_disable(provider=model.provider, model_id=model.model_id, reason="credits ran out", disabled_class="billing",
                     actor=Actor.system("alice"), now=now - timedelta(days=5))
    for hours, ok in ((30, False), (3, True), (1, True)):  # recorded: no provider is called
        ModelProbe.objects.create(provider=model.provider, model_id=model.model_id, at=now - timedelta(hours=hours),
                                  purpose="recheck", ok=ok, conclusive=True, http_status=200 if ok else 402,
                                  error_class="" if ok else "billing", message="" if ok else "Payment Required")
    report = recheck_run()
    assert report.probed == [] and len(report.pending) == 1

    browser.get(f"{live_server.url}/admin/login/?next=/admin/registry/registeredmodel/{model.pk}/change/")
    browser.find_element(By.NAME, "username").send_keys("olga")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(lambda driver: "registered model" in driver.title.lower())
    page = browser.find_element(By.ID, "content").text
    assert "Payment Required" in page and "all probes of this model" in page
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "e2e-admin-model-probes.png"))

    browser.get(f"{live_server.url}/admin/operator_app/decision/?status__exact=pending")
    wait.until(lambda driver: "decision" in driver.title.lower())
    browser.find_element(By.ID, "action-toggle").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("approve_decisions")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    assert "is enabled in the registry" in browser.find_element(By.ID, "effects").text
    browser.find_element(By.ID, "confirm-submit").click()
    assert "Approved 1 decision(s)" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text
    assert RegisteredModel.objects.get(pk=model.pk).enabled
    assert AuditLog.objects.get(action="enable").user.username == "olga"
