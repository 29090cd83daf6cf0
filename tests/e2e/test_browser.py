"""The web pages in a real browser: Debian's headless Chromium driven by Playwright.

What this adds over the HTTP-level OAuth tests: the consent page's CSP, cookie attributes
(SameSite, Path) and form markup work for an actual browser, and the profile page renders.
"""

from __future__ import annotations

from browser import ARTIFACTS, page  # noqa: F401 (the fixture)
from helpers import register_app
from settings import OOB, PASSWORD, USERNAME


def test_owner_authorizes_an_app_in_the_browser_and_the_code_works(page, api, base_url):
    app = register_app(api, name="Browser App", redirect_uris=OOB, scopes="read write")
    page.goto(
        f"{base_url}/oauth/authorize?response_type=code&client_id={app['client_id']}"
        f"&redirect_uri={OOB}&scope=read+write"
    )
    assert "Authorize Browser App" in page.title()

    page.fill("input[name=password]", "not the password")
    page.click("button[value=approve]")
    page.wait_for_load_state()
    assert page.locator("[role=alert]").inner_text() == "Invalid password."
    assert page.locator("#code").count() == 0

    page.fill("input[name=password]", PASSWORD)
    page.click("button[value=approve]")
    page.wait_for_selector("#code")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "authorize-code.png"))
    code = page.locator("#code").inner_text().strip()

    token = api.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": OOB,
        "client_id": app["client_id"], "client_secret": app["client_secret"],
    })
    assert token.status_code == 200, token.text
    me = api.get("/api/v1/accounts/verify_credentials", token=token.json()["access_token"])
    assert me.status_code == 200 and me.json()["username"] == USERNAME
    assert page.console_errors == [], page.console_errors


def test_denying_in_the_browser_issues_no_code(page, api, base_url):
    app = register_app(api, name="Denied App", redirect_uris=OOB)
    page.goto(f"{base_url}/oauth/authorize?response_type=code&client_id={app['client_id']}&redirect_uri={OOB}")
    page.click("button[value=deny]")
    page.wait_for_load_state()
    assert "denied" in page.content().lower()
    assert page.locator("#code").count() == 0


def test_profile_page_renders_for_browsers(page, base_url):
    page.goto(f"{base_url}/@{USERNAME}")
    assert page.locator(".profile .handle").inner_text().startswith(f"@{USERNAME}@")
    assert page.locator("img.avatar").evaluate("img => img.complete && img.naturalWidth > 0")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "profile.png"))
    assert page.console_errors == [], page.console_errors


def test_a_public_post_has_a_page_for_browsers(page, owner, api):
    status = owner.post("/api/v1/statuses", data={"status": "Hello from the browser test #topi"}).json()
    page.goto(status["url"])
    assert "Hello from the browser test" in page.locator(".e-content").inner_text()
    assert page.console_errors == [], page.console_errors
    private = owner.post("/api/v1/statuses", data={"status": "only followers", "visibility": "private"}).json()
    assert page.goto(private["url"]).status == 404, "a followers-only post has no public page"


def test_approving_redirects_to_the_apps_origin_despite_form_action(page, api, base_url):
    """The consent page's CSP says `form-action 'self' <the app's origin>`: Chromium checks the
    redirect after the form's POST against it too, so without the origin the code never arrives."""
    callback = "https://app.example/cb"
    app = register_app(api, name="Redirect App", redirect_uris=callback, scopes="read")
    arrived: list[str] = []

    def answer(route):
        arrived.append(route.request.url)
        route.fulfill(status=200, content_type="text/plain", body="ok")

    page.route("https://app.example/**", answer)
    try:
        page.goto(f"{base_url}/oauth/authorize?response_type=code&client_id={app['client_id']}"
                  f"&redirect_uri={callback}&scope=read&state=s1")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[value=approve]")
        page.wait_for_url("https://app.example/cb?**", timeout=10_000)
    finally:
        page.unroute("https://app.example/**")
    assert arrived and "code=" in arrived[0] and "state=s1" in arrived[0], arrived
    assert page.console_errors == [], page.console_errors
