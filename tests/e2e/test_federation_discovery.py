"""Federation discovery: WebFinger, host-meta, NodeInfo, the owner's actor and the instance actor."""

import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from client import describe
from settings import USERNAME

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
XRD_NS = "{http://docs.oasis-open.org/ns/xri/xrd-1.0}"
NODEINFO_REL = "http://nodeinfo.diaspora.software/ns/schema/{}"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def media_type(resp):
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower()


def b58decode(text):
    number = 0
    for char in text:
        number = number * 58 + BASE58.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + raw


def get(api, path, accept=None, **kwargs):
    headers = {"Accept": accept} if accept else {}
    return api.get(path, token=None, headers=headers, **kwargs)


def json_of(resp):
    assert resp.json_body is not None, f"not JSON: {describe(resp)}"
    return resp.json_body


@pytest.fixture
def actor_url(base_url):
    return f"{base_url}/users/{USERNAME}"


@pytest.fixture
def profile_url(base_url):
    return f"{base_url}/@{USERNAME}"


# -- WebFinger ------------------------------------------------------------------------------------


def check_jrd(resp, server, actor_url, profile_url):
    assert resp.status_code == 200, describe(resp)
    assert media_type(resp) == "application/jrd+json", resp.headers.get("Content-Type")
    jrd = json_of(resp)
    assert jrd["subject"] == f"acct:{USERNAME}@{server.host}"
    assert actor_url in jrd["aliases"] and profile_url in jrd["aliases"], jrd["aliases"]
    links = jrd["links"]
    self_links = [l for l in links if l.get("rel") == "self" and l.get("type") == ACTIVITY_JSON]
    assert [l["href"] for l in self_links] == [actor_url], links
    profile = [l for l in links if l.get("rel") == "http://webfinger.net/rel/profile-page"]
    assert profile and profile[0]["href"] == profile_url and profile[0].get("type") == "text/html", links
    return jrd


def test_webfinger_by_acct(api, server, actor_url, profile_url):
    resp = get(api, f"/.well-known/webfinger?resource=acct:{USERNAME}@{server.host}")
    check_jrd(resp, server, actor_url, profile_url)


@pytest.mark.parametrize("resource", ["actor", "profile", "bare_handle"])
def test_webfinger_by_other_resource_forms(api, server, actor_url, profile_url, resource):
    value = {"actor": actor_url, "profile": profile_url, "bare_handle": f"{USERNAME}@{server.host}"}[resource]
    resp = get(api, f"/.well-known/webfinger?resource={quote(value, safe='')}")
    check_jrd(resp, server, actor_url, profile_url)


@pytest.mark.parametrize("resource", ["acct:bob@{host}", "acct:{user}@other.example", "{base}/users/bob"])
def test_webfinger_for_unknown_resource_is_404(api, server, base_url, resource):
    value = resource.format(host=server.host, user=USERNAME, base=base_url)
    resp = get(api, f"/.well-known/webfinger?resource={quote(value, safe='')}")
    assert resp.status_code == 404, describe(resp)


def test_webfinger_without_resource_is_400(api):
    resp = get(api, "/.well-known/webfinger")
    assert resp.status_code == 400, describe(resp)


def test_webfinger_allows_cross_origin_reads(api, server):
    resp = api.get(f"/.well-known/webfinger?resource=acct:{USERNAME}@{server.host}", token=None,
                   headers={"Origin": "https://elk.example"})
    assert resp.headers.get("Access-Control-Allow-Origin") == "*", dict(resp.headers)


# -- host-meta ------------------------------------------------------------------------------------


def test_host_meta_xml(api, base_url):
    resp = get(api, "/.well-known/host-meta")
    assert resp.status_code == 200, describe(resp)
    assert media_type(resp) == "application/xrd+xml", resp.headers.get("Content-Type")
    root = ET.fromstring(resp.content)
    assert root.tag == f"{XRD_NS}XRD", root.tag
    templates = [link.get("template") for link in root.iter(f"{XRD_NS}Link") if link.get("rel") == "lrdd"]
    assert templates == [f"{base_url}/.well-known/webfinger?resource={{uri}}"], templates


def test_host_meta_json(api, base_url):
    resp = get(api, "/.well-known/host-meta.json")
    assert resp.status_code == 200, describe(resp)
    assert media_type(resp) in ("application/json", "application/jrd+json"), resp.headers.get("Content-Type")
    links = json_of(resp)["links"]
    assert [l["template"] for l in links if l.get("rel") == "lrdd"] == [
        f"{base_url}/.well-known/webfinger?resource={{uri}}"]


# -- NodeInfo -------------------------------------------------------------------------------------


def test_nodeinfo_discovery_links_both_versions(api, base_url):
    resp = get(api, "/.well-known/nodeinfo")
    assert resp.status_code == 200, describe(resp)
    links = {l["rel"]: l["href"] for l in json_of(resp)["links"]}
    assert links.get(NODEINFO_REL.format("2.0")) == f"{base_url}/nodeinfo/2.0", links
    assert links.get(NODEINFO_REL.format("2.1")) == f"{base_url}/nodeinfo/2.1", links


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_nodeinfo_document(api, version):
    resp = get(api, f"/nodeinfo/{version}")
    assert resp.status_code == 200, describe(resp)
    assert media_type(resp) == "application/json", resp.headers.get("Content-Type")
    info = json_of(resp)
    assert info["version"] == version
    assert info["software"]["name"] == "topi"
    assert isinstance(info["software"]["version"], str) and info["software"]["version"]
    assert "activitypub" in info["protocols"]
    assert set(info["services"]) == {"inbound", "outbound"}
    assert info["openRegistrations"] is False
    users = info["usage"]["users"]
    assert users["total"] == 1
    assert isinstance(users.get("activeMonth"), int) and isinstance(users.get("activeHalfyear"), int)
    assert isinstance(info["usage"]["localPosts"], int)
    assert info["metadata"]["upstream"]["name"] == "mastodon"
    assert isinstance(info["metadata"]["upstream"]["version"], str)


# -- the owner's actor ----------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [ACTIVITY_JSON, LD_JSON])
def test_actor_document(api, actor_url, profile_url, base_url, accept):
    resp = get(api, f"/users/{USERNAME}", accept=accept)
    assert resp.status_code == 200, describe(resp)
    assert media_type(resp) == ACTIVITY_JSON, resp.headers.get("Content-Type")
    actor = json_of(resp)
    context = actor["@context"] if isinstance(actor["@context"], list) else [actor["@context"]]
    assert AS_CONTEXT in context and "https://w3id.org/security/v1" in context, context
    assert actor["type"] == "Person"
    assert actor["id"] == actor_url
    assert actor["preferredUsername"] == USERNAME
    assert actor["url"] == profile_url
    for key in ("inbox", "outbox", "followers", "following", "featured"):
        assert isinstance(actor[key], str) and actor[key].startswith(actor_url + "/"), (key, actor.get(key))
    shared_inbox = actor["endpoints"]["sharedInbox"]
    assert isinstance(shared_inbox, str) and shared_inbox.startswith(base_url + "/"), shared_inbox
    assert isinstance(actor["manuallyApprovesFollowers"], bool)
    for key in ("icon", "image"):
        assert actor[key]["type"] == "Image" and actor[key]["url"].startswith(("http://", "https://")), actor[key]


def test_actor_icon_is_a_real_image(api):
    actor = json_of(get(api, f"/users/{USERNAME}", accept=ACTIVITY_JSON))
    resp = requests.get(actor["icon"]["url"], timeout=30)
    assert resp.status_code == 200 and resp.headers.get("Content-Type", "").startswith("image/"), describe(resp)


def test_actor_has_a_2048_bit_rsa_key(api, actor_url):
    actor = json_of(get(api, f"/users/{USERNAME}", accept=ACTIVITY_JSON))
    key = actor["publicKey"]
    assert key["id"].startswith(actor_url + "#"), key["id"]
    assert key["owner"] == actor["id"]
    public = load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 2048


def test_actor_has_an_ed25519_multikey(api, actor_url):
    """FEP-521a assertionMethod with a base58btc multibase Ed25519 key (multicodec 0xed01)."""
    actor = json_of(get(api, f"/users/{USERNAME}", accept=ACTIVITY_JSON))
    methods = actor["assertionMethod"]
    methods = methods if isinstance(methods, list) else [methods]
    multikeys = [m for m in methods if m.get("type") == "Multikey"]
    assert multikeys, methods
    key = multikeys[0]
    assert key["controller"] == actor["id"]
    assert key["id"].startswith(actor_url + "#"), key["id"]
    assert key["id"] != actor["publicKey"]["id"]
    multibase = key["publicKeyMultibase"]
    assert multibase.startswith("z6Mk"), multibase
    raw = b58decode(multibase[1:])
    assert raw[:2] == b"\xed\x01" and len(raw) == 34, raw.hex()
    context = actor["@context"] if isinstance(actor["@context"], list) else [actor["@context"]]
    assert any(c in context for c in ("https://w3id.org/security/multikey/v1",
                                      "https://w3id.org/security/data-integrity/v1",
                                      "https://w3id.org/security/data-integrity/v2")), (
        f"Multikey needs its JSON-LD context: {context}")


def test_actor_responses_vary_on_accept(api):
    resp = get(api, f"/users/{USERNAME}", accept=ACTIVITY_JSON)
    assert "accept" in resp.headers.get("Vary", "").lower(), dict(resp.headers)


def test_actor_url_in_a_browser_is_the_html_profile(api, profile_url):
    resp = get(api, f"/users/{USERNAME}", accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
    assert resp.status_code == 200, describe(resp)
    assert media_type(resp) == "text/html", resp.headers.get("Content-Type")
    if resp.history:
        assert resp.url == profile_url, f"redirected to {resp.url}"
    assert USERNAME in resp.text


def test_profile_url_in_a_browser_is_html(api):
    resp = get(api, f"/@{USERNAME}", accept="text/html")
    assert resp.status_code == 200 and media_type(resp) == "text/html", describe(resp)
    assert USERNAME in resp.text


@pytest.mark.parametrize("accept", [ACTIVITY_JSON, LD_JSON])
def test_profile_url_with_activity_accept_is_the_actor(api, actor_url, accept):
    resp = get(api, f"/@{USERNAME}", accept=accept)
    assert resp.status_code == 200, describe(resp)
    assert media_type(resp) == ACTIVITY_JSON, resp.headers.get("Content-Type")
    assert json_of(resp)["id"] == actor_url


@pytest.mark.parametrize("accept", [ACTIVITY_JSON, "text/html"])
def test_unknown_actor_is_404(api, accept):
    assert get(api, "/users/bob", accept=accept).status_code == 404
    assert get(api, "/@bob", accept=accept).status_code == 404


# -- the instance actor ---------------------------------------------------------------------------


def test_instance_actor(api, base_url):
    resp = get(api, "/actor", accept=ACTIVITY_JSON)
    assert resp.status_code == 200, describe(resp)
    assert media_type(resp) == ACTIVITY_JSON, resp.headers.get("Content-Type")
    actor = json_of(resp)
    assert actor["type"] == "Application"
    assert actor["id"] == f"{base_url}/actor"
    assert isinstance(actor["inbox"], str) and actor["inbox"].startswith(base_url)
    key = actor["publicKey"]
    assert key["owner"] == actor["id"] and key["id"].startswith(actor["id"] + "#")
    public = load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size >= 2048
    owner = json_of(get(api, f"/users/{USERNAME}", accept=ACTIVITY_JSON))
    assert key["publicKeyPem"] != owner["publicKey"]["publicKeyPem"], "the instance actor needs its own key"
