"""In a real browser, a new operator reviews the demo's pending queue in a minute: the fleet at a glance
on the admin index, the queue by situation, a whole provider problem acknowledged as a group, a
monitor acknowledged, a rename approved, and one model's week read from its picture. Every page is
a screenshot in artifacts/ (the README's two come from here: docs/)."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from lifecycle.demo import seed_demo
from llmops.roles import OPERATORS
from operator_app.models import Decision
from registry.models import RegisteredModel
from tests.e2e.test_admin_browser import ARTIFACTS, PASSWORD, browser  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LAPTOP = (1366, 900)


def _shot(browser, name):  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    # the whole page, not just the window: the screenshot shows what scrolling would
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(LAPTOP[0], max(LAPTOP[1], min(height + 120, 4000)))
    browser.save_screenshot(str(ARTIFACTS / name))
    browser.set_window_size(*LAPTOP)


def _confirm(browser, wait, reason):  # noqa: F811
    from selenium.webdriver.common.by import By

    wait.until(lambda driver: driver.find_elements(By.ID, "confirm-submit"))
    fields = browser.find_elements(By.ID, "id_reason")
    if fields:
        fields[0].send_keys(reason)
    browser.find_element(By.ID, "confirm-submit").click()
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "ul.messagelist"))
    return browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text


def test_an_operator_reviews_the_demo_queue(live_server, browser, settings):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    settings.OPENAI_API_KEY = ""
    seed_demo()
    call_command("run_operator", "--no-llm", stdout=StringIO())
    operator = User.objects.create_user("olga", password=PASSWORD, is_staff=True)
    operator.groups.add(Group.objects.get(name=OPERATORS))
    wait = WebDriverWait(browser, 15)
    browser.set_window_size(*LAPTOP)

    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys("olga")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait.until(lambda driver: driver.find_elements(By.ID, "fleet-glance"))
    glance = browser.find_element(By.ID, "fleet-glance").text
    assert "Pending decisions" in glance and "rename" in glance and "deepinfra" in glance
    _shot(browser, "review-01-index-glance.png")

    # the queue by situation: fewer rows than decisions, provider problems first
    browser.find_element(By.LINK_TEXT, next(a.text for a in browser.find_elements(By.CSS_SELECTOR, "#fleet-glance a")
                                            if "review by situation" in a.text)).click()
    wait.until(lambda driver: driver.find_elements(By.ID, "situations"))
    rows = browser.find_elements(By.CSS_SELECTOR, "#situations tr.situation-row")
    assert 0 < len(rows) < Decision.objects.filter(status="pending").count()
    assert "deepinfra · billing / credit · 4 models" in rows[0].text or "deepinfra" in rows[1].text
    for summary in browser.find_elements(By.CSS_SELECTOR, "#situations details summary")[:2]:
        summary.click()  # expand: its models show
    assert "deepinfra/meta-llama/Llama-3.1-8B-Instruct" in browser.find_element(By.ID, "situations").text
    _shot(browser, "review-02-queue-by-situation.png")

    # acknowledge deepinfra's billing problem for all four models at once
    row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "#situations tr.situation-row")
               if "deepinfra" in r.text)
    row.find_element(By.CSS_SELECTOR, "button.approve-group").click()
    assert "Approved 4 decision(s)" in _confirm(browser, wait, "topped up the deepinfra account")
    assert set(Decision.objects.filter(provider="deepinfra").values_list("status", flat=True)) == {"acknowledged"}
    _shot(browser, "review-03-group-acknowledged.png")

    # the list, on a laptop screen without sideways scrolling: acknowledge the capability monitor
    browser.get(f"{live_server.url}/admin/operator_app/decision/?status__exact=pending")
    wait.until(lambda driver: driver.find_elements(By.ID, "result_list"))
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the pending list is {overflow}px wider than a laptop screen"
    _shot(browser, "review-04-pending-list.png")
    o1 = Decision.objects.get(provider="openai", model_id="o1-pro")
    browser.find_element(By.CSS_SELECTOR, f"input[name=_selected_action][value='{o1.pk}']").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("approve_decisions")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    assert "Approved 1 decision(s)" in _confirm(browser, wait, "known: max_tokens, fixing the runner")
    assert Decision.objects.get(pk=o1.pk).status == "acknowledged"

    # approve the rename: the confirmation says exactly what will change
    rename = Decision.objects.get(action="rename", status="pending")
    browser.get(f"{live_server.url}/admin/operator_app/decision/?status__exact=pending&action__exact=rename")
    wait.until(lambda driver: driver.find_elements(By.ID, "result_list"))
    browser.find_element(By.ID, "action-toggle").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("approve_decisions")
    browser.find_element(By.CSS_SELECTOR, "button[name=index]").click()
    wait.until(lambda driver: driver.find_elements(By.ID, "effects"))
    assert f"renamed to {rename.new_model_id}" in browser.find_element(By.ID, "effects").text
    _shot(browser, "review-05-rename-confirmation.png")
    assert "Approved 1 decision(s)" in _confirm(browser, wait, "fireworks moved it to the dated ID")
    assert RegisteredModel.objects.filter(provider="fireworks", model_id=rename.new_model_id).exists()

    # one model's week, from its picture
    fresh = Decision.objects.get(provider="openai", model_id="gpt-5.3-codex")
    browser.get(f"{live_server.url}/admin/operator_app/decision/{fresh.pk}/change/")
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".llmops-timeline svg"))
    picture = browser.find_element(By.CSS_SELECTOR, ".llmops-timeline")
    assert "failing since" in picture.text and "last success" in picture.text
    assert len(picture.find_elements(By.CSS_SELECTOR, "rect")) > 40
    browser.execute_script("arguments[0].scrollIntoView()", picture)
    _shot(browser, "review-06-model-week.png")
    # the "What to do" and "The model's week" sections alone, for the README
    ARTIFACTS.mkdir(exist_ok=True)
    browser.find_element(By.XPATH, "//fieldset[.//*[contains(@class, 'llmops-timeline')]]").screenshot(
        str(ARTIFACTS / "review-07-model-week-picture.png"))
