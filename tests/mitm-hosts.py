"""A mitmproxy addon for ssokey's tests: made-up HTTPS hosts that mitmproxy
answers itself, so that no test resolves a real name or leaves the machine.

SSOKEY_TEST_HOSTS holds a JSON object: host -> {"status": CODE, "location":
URL, "head": CODE}. A request to that host gets CODE with that Location
(HEAD gets "head" instead, when given, as a server that refuses HEAD would
answer). Every other host goes upstream as usual.
"""

import json
import os

from mitmproxy import http

HOSTS = json.loads(os.environ.get("SSOKEY_TEST_HOSTS", "{}"))


def request(flow: http.HTTPFlow) -> None:
    route = HOSTS.get(flow.request.pretty_host)
    if route is None:
        return
    status = route["status"]
    if flow.request.method == "HEAD" and "head" in route:
        status = route["head"]
    headers = {}
    if "location" in route and status in (301, 302, 303, 307, 308):
        headers["Location"] = route["location"]
    flow.response = http.Response.make(status, b"", headers)
