#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/corpus/<target>/: a handful of realistic inputs per target,
taken from the project's tests, plus a few amplified ones (see src/lib.rs: 0xFF, count u16,
prefix length, unit length, prefix, unit, tail) that stand for long repetitive inputs.
Run from anywhere: python3 fuzz/seeds.py"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def amplified(prefix: bytes, unit: bytes, count: int, tail: bytes = b"") -> bytes:
    assert len(prefix) <= 255 and 1 <= len(unit) <= 255 and count < 65536
    return b"\xff" + struct.pack(">HBB", count, len(prefix), len(unit)) + prefix + unit + tail


def write(target: str, seeds: dict) -> None:
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    for name, data in seeds.items():
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)


def nul(*parts) -> bytes:
    return b"\0".join(p.encode() if isinstance(p, str) else p for p in parts)


MULTIPART = (b"--XyZ\r\nContent-Disposition: form-data; name=\"display_name\"\r\n\r\nAlice\r\n"
             b"--XyZ\r\nContent-Disposition: form-data; name=\"fields_attributes[0][name]\"\r\n\r\nweb\r\n"
             b"--XyZ\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\n"
             b"Content-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ--\r\n")

write("params", {
    "form": b"\x01" + nul("client_name=from-query&website=w", "", "client_name=from-body&scopes=read+write"),
    "rails": b"\x01" + nul("", "", "media_ids[]=1&media_ids[]=2&poll[options][]=a&poll[options][]=b&poll[expires_in]=60"),
    "indexed": b"\x00" + nul("", "", "fields_attributes[1][name]=b&fields_attributes[0][name]=a&f[][name]=a&f[][value]=1&f[][name]=b"),
    "json": b"\x02" + nul("", "", '{"status": "hi", "media_ids": ["1"], "poll": {"options": ["a", "b"], "expires_in": 60}, "sensitive": true}'),
    "multipart": b"\x06" + nul("", "XyZ", MULTIPART),
    "multipart-lf": b"\x04" + nul("", "b", b"--b\nContent-Disposition: form-data; name=\"a\"\n\nx\n--b\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\n\ndata\n--b--\n"),
    "raw-ct": b"\x07" + nul("a=1", "multipart/form-data; charset=utf-8; boundary=\"q\"", b"--q\r\ncontent-disposition: form-data; name=\"k\"\r\n\r\nv\r\n--q--"),
    # Long bodies: many bare-LF parts, deep bracket keys, many keys.
    "amp-multipart-lf": amplified(b"\x04" + nul("", "b", b""), b"--b\nContent-Disposition: form-data; name=\"a\"\n\nx\n", 20000, b"--b--"),
    "amp-brackets": amplified(b"\x01\0\0a", b"[b]", 30000, b"=1"),
    "amp-keys": amplified(b"\x01\0\0", b"k[]=1&", 30000, b""),
})

write("cavage", {
    "mastodon": 'keyId="https://mastodon.example/users/bob#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="c2lnbmF0dXJl"',
    "hs2019": 'keyId="Test",algorithm="hs2019",created=1402170695,expires=1402170699,headers="(request-target) (created) (expires) host date content-type digest content-length",signature="AAAA"',
    "escaped": 'keyId="a\\"b\\\\c", signature="AAAA" , headers="date"',
    "roundtrip": nul("https://local.example/users/owner#main-key", "(request-target) host date digest", b"\x01\x02\x03"),
    "amp-params": amplified(b"keyId=\"k\",signature=\"AAAA\"", b",x=\"y\"", 30000),
})

write("structured", {
    "signature-input": 'sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="k\\"1";alg="ed25519", sig2=();nonce="x";flag',
    "items": 'a=1, b=-2.50, c=tok/en:x, d=:AQID:, e=?0, f, g="s";p=?1',
    "digest": "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
    "signature": "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:",
    "amp-list": amplified(b"sig1=(", b'"a" ', 30000, b')'),
    "amp-dict": amplified(b"a=1", b", b=2", 30000),
})

# Requests at the targets' NOW_MS (Tue, 14 Nov 2023 22:13:20 GMT).
DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
BODY = '{"hello": "world"}'
write("signatures", {
    "cavage": b"\x00" + nul("POST", "/users/owner/inbox", "local.example",
                            f"host: local.example\ndate: {DATE}\ndigest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\n"
                            f"content-type: application/activity+json\n"
                            'signature: keyId="https://remote.example/users/bob#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAAA"',
                            BODY),
    "cavage-get": b"\x00" + nul("GET", "/users/owner/outbox?page=1", "local.example",
                                f"host: local.example\ndate: {DATE}\n"
                                'authorization: Signature keyId="k",algorithm="hs2019",created=1700000000,headers="(request-target) host (created)",signature="AAAA"', ""),
    "rfc9421": b"\x00" + nul("POST", "/foo?param=Value&Pet=dog", "example.com",
                             f"host: example.com\ndate: {DATE}\ncontent-type: application/json\n"
                             "content-digest: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\n"
                             'signature-input: sig1=("@method" "@target-uri" "content-digest" "date");created=1700000000;keyid="test-key-rsa-pss";alg="rsa-v1_5-sha256"\n'
                             "signature: sig1=:AAAA:", BODY),
    "rfc9421-parts": b"\x01" + nul("GET", "/a", "example.com:80",
                                   'signature-input: proxy=("@method");created=1700000000, sig1=("@method" "@authority" "@path" "@query" "@scheme" "@request-target");created=1700000000;expires=1800000000;keyid="k";alg="ed25519"\n'
                                   "signature: sig1=:AAAA:, proxy=:AA==:", ""),
    "roundtrip-cavage": b"\x02" + nul("POST", "/inbox?x=1", "remote.example:8443", "", BODY),
    "roundtrip-rfc9421": b"\x06" + nul("POST", "/users/bob/inbox", "remote.example", "", BODY),
    "amp-headers": amplified(b"\x00" + nul("GET", "/", "h", b""), b"date: x\n", 30000, b"\0"),
})

ACTOR = {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    "id": "https://mastodon.example/users/bob", "type": "Person", "preferredUsername": "bob", "name": "Bob",
    "summary": "<p>Hi <a href=\"https://x.example\">x</a></p>", "url": "https://mastodon.example/@bob",
    "inbox": "https://mastodon.example/users/bob/inbox", "outbox": "https://mastodon.example/users/bob/outbox",
    "followers": "https://mastodon.example/users/bob/followers", "manuallyApprovesFollowers": False,
    "endpoints": {"sharedInbox": "https://mastodon.example/inbox"},
    "icon": {"type": "Image", "url": "https://mastodon.example/a.png"},
    "attachment": [{"type": "PropertyValue", "name": "web", "value": "<a href=\"https://bob.example\">bob.example</a>"}],
    "publicKey": {"id": "https://mastodon.example/users/bob#main-key", "owner": "https://mastodon.example/users/bob",
                  "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----\n"},
    "assertionMethod": [{"id": "https://mastodon.example/users/bob#ed25519-key", "type": "Multikey",
                         "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}],
    "alsoKnownAs": ["https://old.example/users/bob"], "published": "2023-01-01T00:00:00Z",
}
NOTE = {
    "@context": "https://www.w3.org/ns/activitystreams", "id": "https://mastodon.example/users/bob/statuses/1",
    "type": "Note", "attributedTo": "https://mastodon.example/users/bob",
    "content": "<p><span class=\"h-card\"><a href=\"https://local.example/@owner\" class=\"u-url mention\">@<span>owner</span></a></span> hi #<span>rust</span></p>",
    "contentMap": {"en": "<p>hi</p>"}, "summary": "cw", "sensitive": True, "inReplyTo": "https://local.example/statuses/9",
    "published": "2023-11-14T22:13:20.123+02:00", "updated": "2023-11-14T23:00:00Z",
    "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": ["https://mastodon.example/users/bob/followers"],
    "tag": [{"type": "Mention", "href": "https://local.example/users/owner", "name": "@owner@local.example"},
            {"type": "Hashtag", "href": "https://mastodon.example/tags/rust", "name": "#rust"}],
    "attachment": [{"type": "Document", "mediaType": "image/png", "url": "https://mastodon.example/m.png",
                    "name": "alt", "blurhash": "UBL", "width": 10, "height": 20}],
    "context": "https://mastodon.example/contexts/1", "replies": {"id": "https://mastodon.example/users/bob/statuses/1/replies"},
}
QUESTION = {"id": "https://p.example/q/1", "type": "Question", "attributedTo": "https://p.example/u/a", "content": "Which?",
            "oneOf": [{"type": "Note", "name": "a", "replies": {"totalItems": 3}}, {"name": "b"}],
            "endTime": "2023-11-15T00:00:00Z", "votersCount": 3, "to": "https://p.example/u/a/followers"}
CREATE = {"id": "https://mastodon.example/users/bob/statuses/1/activity", "type": "Create",
          "actor": "https://mastodon.example/users/bob", "object": NOTE}
write("vocab", {
    "actor.json": json.dumps(ACTOR), "note.json": json.dumps(NOTE), "question.json": json.dumps(QUESTION),
    "create.json": json.dumps(CREATE),
    "amp-nested-html.json": amplified(b'{"id":"https://a.example/1","type":"Note","attributedTo":"https://a.example/u","content":"', b"<b><i>", 30000, b'"}'),
    "amp-date.json": amplified(b'{"id":"https://a.example/1","type":"Note","attributedTo":"https://a.example/u","published":"2020-01-01T00:00:00.', b"1", 30000, b'Z"}'),
})

CRED = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33", "type": ["VerifiableCredential", "AlumniCredential"],
        "issuer": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2", "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
        "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "created": "2023-02-24T23:36:38Z",
                  "verificationMethod": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
                  "proofPurpose": "assertionMethod",
                  "proofValue": "z5EhYRJkfPLkoT92FPXN8KK6M9rsBhq3xs19GBSsA6VdNYH4QMKSyNuA2Gfznz9QthVD7Rz3HTAfqxxay23htUpTg"}}
write("jcs", {
    "credential": b"\x00" + json.dumps(CRED).encode(),
    "numbers": b"\x00" + b'[0, -1, 42, 9007199254740992, 9007199254740993, 18446744073709551615, 1.0, -2.50, 1e21, 1e-7, 333333333.33333329, 5e-324, 1.7976931348623157e308]',
    "strings": b"\x00" + '{"s": "a\\u0000\\u001f\\u007f\\u2028é\\"\\\\/\\t", "\\ud83d\\ude00": 1, "\\u20ac": 2, "\\r": 3}'.encode(),
    "es-number": b"\x01" + struct.pack("<d", 333333333.3333332) + b"[1]",
    "sign": b"\x02" + json.dumps(NOTE).encode(),
    "proof-set": b"\x00" + json.dumps({**NOTE, "proof": [{"cryptosuite": "x"}, CRED["proof"]]}).encode(),
    "amp-proofvalue": amplified(b'\x00{"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","proofValue":"z', b"2", 30000, b'"}}'),
})

write("sanitize", {
    "mention": '<p><span class="h-card" translate="no"><a href="https://remote.example/@bob" class="u-url mention">@<span>bob</span></a></span> hi</p>',
    "link": '<a href="https://example.com/a/long/path"><span class="invisible">https://</span><span class="ellipsis">example.com/a/long</span><span class="invisible">/path</span></a>',
    "hostile": '<a href=" JaVaScRiPt:alert(1)">x</a><img src="x" onerror="alert(1)"><svg onload="alert(1)"><script>alert(1)</script></svg><<script>script>alert(1)<</script>/script>',
    "formatting": '<p><strong><em>a</em></strong> <del>b</del></p><blockquote><p>q</p></blockquote><ol start="3" reversed=""><li value="5">five</li></ol><pre><code>x</code></pre><p><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby></p>',
    "blocks": '<h1 id="t">Title</h1><div class="e-content"><section>one</section><div>two</div></div>a<hr>b<table><tr><td>c</td></tr></table><p>x &amp; &eacute;&nbsp;<br>y</p>',
    "amp-nesting": amplified(b"<p>", b"<b><i>", 30000, b"x"),
    # Found by fuzzing: unwrapping leaves nesting the parser would not build.
    "unsettled": "<h1><p>x</p></h1><li><select><li>y</li></select></li><a class href=http:.>z</a><pre>\n\ncode</pre>",
    "amp-divs": amplified(b"", b"<div>", 30000, b"x"),
    "amp-links": amplified(b"", b'<a href="https://x.example">', 20000, b"x"),
})

write("text", {
    "status": "Hello @alice and @bob@remote.example!\nSee https://example.com/a/very/long/path/that/goes/on.\n\n#Rust and #rust, not #1 or a#b",
    "escapes": '<script>&"\' https://x.example/?a=<b>&c="d" @a@b:8080',
    "mentions": "@ALICE @alice@social.example mail@alice @_ @a@localhost @a@x. #日本語 #tag_1",
    "amp-tags": amplified(b"", b"#a ", 30000, b""),
    "amp-mentions": amplified(b"#a ", b"x@y ", 30000, b""),
    "amp-urls": amplified(b"", b"http://a ", 30000, b""),
    "amp-https": amplified(b"", b"x https://a", 30000, b""),
})

write("keys_dates", {
    "base58": b"\x00" + b"5EhYRJkfPLkoT92FPXN8KK6M9rsBhq3xs19GBSsA6VdNYH4QMKSyNuA2Gfznz9QthVD7Rz3HTAfqxxay23htUpTg",
    "multikey": b"\x00" + b"z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
    "pem": b"\x01" + b"-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA\n-----END RSA PUBLIC KEY-----\n",
    "http-date": b"\x02" + DATE.encode(),
    "iso": b"\x03" + b"2023-11-14T22:13:20.123+02:00",
    "iso-z": b"\x03" + b"2023-11-14 22:13Z",
    # Found by fuzzing: a non-ASCII offset and a huge one.
    "iso-offset-utf8": b"\x03" + "2020-01-01T00:00+1é".encode(),
    "iso-offset-huge": b"\x03" + b"2020-01-01T00:00+99999999999999999",
    "amp-base58": amplified(b"\x00", b"z", 5000),
})
