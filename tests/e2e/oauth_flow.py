"""Drive the OAuth authorization-code flow the way a browser does: GET /oauth/authorize, read the
HTML login form, submit it (form-encoded, with the cookies of the GET), and pick up the code from
the redirect (or from the page, for urn:ietf:wg:oauth:2.0:oob).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from bs4 import BeautifulSoup

from client import CheckedSession, describe
from settings import OOB, PASSWORD, USERNAME

CSRF_FIELD = "authenticity_token"
_DENY_WORDS = ("deny", "reject", "cancel", "decline")


@dataclass
class LoginForm:
    action: str                      # absolute URL the form posts to
    fields: list[tuple[str, str]]    # successful controls in document order (hidden, text, ...)
    password_name: str
    username_name: str | None
    submit: tuple[str, str] | None = None   # name/value of the approving submit button, if named
    hidden: dict[str, str] = field(default_factory=dict)

    def payload(self, *, username: str | None, password: str, drop: tuple[str, ...] = (),
                override: dict[str, str] | None = None) -> list[tuple[str, str]]:
        override = dict(override or {})
        out: list[tuple[str, str]] = []
        for name, value in self.fields:
            if name in drop:
                continue
            if name == self.password_name:
                value = password
            elif name == self.username_name and username is not None:
                value = username
            if name in override:
                value = override.pop(name)
            out.append((name, value))
        out.extend(override.items())
        if self.submit and self.submit[0] not in drop:
            out.append(self.submit)
        return out


def html_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def is_html(response) -> bool:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower() == "text/html"


def find_login_form(response) -> LoginForm | None:
    """The POST form on the page that has a password input, or None."""
    soup = html_of(response)
    for form in soup.find_all("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        password = form.find("input", attrs={"type": "password"})
        if password is None or not password.get("name"):
            continue
        fields: list[tuple[str, str]] = []
        hidden: dict[str, str] = {}
        username_name = None
        submit = None
        for control in form.find_all(["input", "select", "textarea", "button"]):
            name = control.get("name")
            kind = (control.get("type") or ("submit" if control.name == "button" else "text")).lower()
            if control.name == "button" or kind in ("submit", "image"):
                label = f"{name or ''} {control.get('value') or ''} {control.get_text(' ')}".lower()
                if name and submit is None and not any(w in label for w in _DENY_WORDS):
                    submit = (name, control.get("value") or "")
                continue
            if not name or control.has_attr("disabled"):
                continue
            if control.name == "select":
                option = control.find("option", selected=True) or control.find("option")
                fields.append((name, option.get("value", option.get_text()) if option else ""))
            elif control.name == "textarea":
                fields.append((name, control.get_text()))
            elif kind in ("checkbox", "radio"):
                if control.has_attr("checked"):
                    fields.append((name, control.get("value", "on")))
            elif kind in ("button", "reset", "file"):
                continue
            else:
                fields.append((name, control.get("value", "")))
                if kind == "hidden":
                    hidden[name] = control.get("value", "")
                elif kind in ("text", "email") and username_name is None and name != password["name"]:
                    username_name = name
        if password["name"] not in [n for n, _ in fields]:
            fields.append((password["name"], ""))
        action = urljoin(response.url, form.get("action") or response.url)
        return LoginForm(action=action, fields=fields, password_name=password["name"],
                         username_name=username_name, submit=submit, hidden=hidden)
    return None


def authorize_url(base_url: str, app: dict, *, redirect_uri: str, scope: str | None = "read write",
                  state: str | None = "xyz", challenge: str | None = None,
                  challenge_method: str = "S256", extra: dict | None = None,
                  client_id: str | None = None) -> str:
    params = {"response_type": "code", "client_id": client_id or app["client_id"], "redirect_uri": redirect_uri}
    if scope is not None:
        params["scope"] = scope
    if state is not None:
        params["state"] = state
    if challenge is not None:
        params["code_challenge"] = challenge
        params["code_challenge_method"] = challenge_method
    params.update(extra or {})
    return f"{base_url}/oauth/authorize?{urlencode(params)}"


def open_authorize(browser: CheckedSession, app: dict, **kwargs):
    """GET the authorize page (no redirects followed)."""
    return browser.get(authorize_url(browser.base_url, app, **kwargs), token=None, allow_redirects=False)


def submit_login(browser: CheckedSession, form: LoginForm, *, username: str | None, password: str,
                 drop: tuple[str, ...] = (), override: dict | None = None):
    return browser.post(form.action, data=form.payload(username=username, password=password, drop=drop,
                                                       override=override),
                        token=None, allow_redirects=False)


def redirect_params(response) -> dict[str, str]:
    """Query parameters of the Location header (single values)."""
    location = response.headers.get("Location", "")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def code_in_redirect(response) -> str | None:
    if response.status_code in (301, 302, 303, 307, 308):
        return redirect_params(response).get("code")
    return None


def code_on_page(response) -> str | None:
    """The code shown on an oob page: an element with id="code", or a readonly input named code."""
    if not is_html(response):
        return None
    soup = html_of(response)
    node = soup.find(id="code")
    if node is not None:
        value = node.get("value") if node.name in ("input", "textarea") and node.get("value") else node.get_text()
        value = (value or "").strip()
        if value:
            return value
    node = soup.find("input", attrs={"name": "code"})
    if node is not None and node.has_attr("readonly") and node.get("value"):
        return node["value"].strip()
    return None


def issued_code(response) -> str | None:
    """Any authorization code handed out by this response (redirect or oob page)."""
    return code_in_redirect(response) or code_on_page(response)


def login_form_or_fail(response) -> LoginForm:
    assert response.status_code == 200, describe(response)
    assert is_html(response), f"authorize page is not text/html: {describe(response)}"
    form = find_login_form(response)
    assert form is not None, f"no <form method=post> with a password input on the authorize page: {describe(response)}"
    return form


def obtain_code(browser: CheckedSession, app: dict, *, redirect_uri: str = OOB, scope: str | None = "read write",
                state: str | None = "xyz", challenge: str | None = None, **kwargs) -> str:
    """Log in as alice on the authorize page and return the authorization code."""
    page = open_authorize(browser, app, redirect_uri=redirect_uri, scope=scope, state=state,
                          challenge=challenge, **kwargs)
    form = login_form_or_fail(page)
    resp = submit_login(browser, form, username=USERNAME, password=PASSWORD)
    if redirect_uri == OOB:
        assert resp.status_code == 200, f"oob authorization should show the code: {describe(resp)}"
        code = code_on_page(resp)
        assert code, f"no element id=code / readonly input name=code on the oob page: {describe(resp)}"
        return code
    assert resp.status_code == 302, f"authorize POST should redirect to the app: {describe(resp)}"
    location = resp.headers["Location"]
    assert location.startswith(redirect_uri.split("?")[0]), f"redirected to {location!r}, not {redirect_uri!r}"
    params = redirect_params(resp)
    assert params.get("code"), f"no code in {location!r}"
    if state is not None:
        assert params.get("state") == state, f"state not echoed in {location!r}"
    return params["code"]
