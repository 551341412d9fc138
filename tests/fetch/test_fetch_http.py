"""The shared HTTP client: rate limit, retries with backoff, timeouts, cache, request log."""

import time

import pytest
from werkzeug import Response

from wardmap.errors import WardmapError
from wardmap.fetch.http import Client, FetchError, RateLimiter


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sent = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_rate_limiter_keeps_rate_and_burst():
    clock = FakeClock()
    limiter = RateLimiter(rate=15, burst=5, clock=clock.clock, sleep=clock.sleep)
    for _ in range(95):
        limiter.wait()
        clock.sent.append(clock.now)
    # The first 5 go at once (the burst), then one every 1/15 s.
    assert clock.sent[:5] == [0.0] * 5
    assert clock.sent[-1] == pytest.approx(90 / 15)
    for i in range(len(clock.sent)):  # never more than 15 + burst in any one second
        assert sum(1 for t in clock.sent if clock.sent[i] <= t < clock.sent[i] + 1) <= 20


def test_rate_limiter_rejects_nonsense():
    with pytest.raises(WardmapError, match="rate"):
        RateLimiter(rate=0)
    with pytest.raises(WardmapError, match="retries"):
        Client(retries=-1)


def test_retries_429_with_exponential_backoff(httpserver):
    answers = iter([Response("slow down", 429), Response("slow down", 429),
                    Response("busy", 502), Response('{"ok": 1}', 200)])
    httpserver.expect_request("/x").respond_with_handler(lambda request: next(answers))
    slept = []
    client = Client(backoff=0.1, sleep=slept.append, rate=1000, burst=10)
    answer = client.request("GET", httpserver.url_for("/x"), service="test")
    assert answer.status == 200 and answer.json() == {"ok": 1}
    assert [e["status"] for e in client.log] == [429, 429, 502, 200]
    assert len(slept) == 3
    assert 0.05 <= slept[0] <= 0.1 and 0.1 <= slept[1] <= 0.2 and 0.2 <= slept[2] <= 0.4


def test_retry_after_is_honoured(httpserver):
    answers = iter([Response("", 429, headers={"Retry-After": "3"}), Response("[]", 200)])
    httpserver.expect_request("/x").respond_with_handler(lambda request: next(answers))
    slept = []
    Client(backoff=0.01, sleep=slept.append).request("GET", httpserver.url_for("/x"))
    assert slept == [3.0]


def test_gives_up_with_a_clear_message(httpserver):
    httpserver.expect_request("/x").respond_with_data("down", status=503)
    client = Client(backoff=0.001, retries=2, sleep=lambda s: None)
    with pytest.raises(FetchError, match=r"police.uk answered HTTP 503 .* 3 times: .*mirror"):
        client.request("GET", httpserver.url_for("/x"), service="police.uk")
    assert len(client.log) == 3


def test_timeout_is_retried(httpserver):
    calls = []

    def handler(request):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.5)
        return Response("[]", 200)

    httpserver.expect_request("/x").respond_with_handler(handler)
    client = Client(timeout=0.2, backoff=0.001, sleep=lambda s: None)
    assert client.request("GET", httpserver.url_for("/x")).status == 200
    assert client.log[0]["error"] == "ReadTimeout" and client.log[-1]["status"] == 200


def test_other_statuses_are_returned_not_retried(httpserver):
    httpserver.expect_request("/x").respond_with_data("no", status=404)
    client = Client(sleep=lambda s: None)
    assert client.request("GET", httpserver.url_for("/x")).status == 404
    assert len(client.log) == 1


def test_cache_answers_repeats_and_refresh_asks_again(httpserver, tmp_path):
    httpserver.expect_request("/x").respond_with_data("[1]")
    client = Client(cache=tmp_path, sleep=lambda s: None)
    url = httpserver.url_for("/x")
    assert client.request("GET", url, params={"a": "1"}).json() == [1]
    assert client.request("GET", url, params={"a": "1"}).json() == [1]
    assert len(httpserver.log) == 1 and client.log[1]["from_cache"]
    Client(cache=tmp_path, refresh=True).request("GET", url, params={"a": "1"})
    assert len(httpserver.log) == 2


def test_post_form_is_logged_shortened(httpserver):
    httpserver.expect_request("/x", method="POST").respond_with_data("[]")
    client = Client(sleep=lambda s: None)
    client.request("POST", httpserver.url_for("/x"), data={"poly": "5" * 1000, "date": "2024"})
    form = client.log[0]["form"]
    assert form["date"] == "2024" and "1000 characters, sha256" in form["poly"]


def test_not_a_web_address_is_a_clear_error():
    with pytest.raises(FetchError, match="not a web address .*http://"):
        Client().request("GET", "data.police.uk/api/forces")


def test_connection_refused_names_the_service_and_the_way_out():
    client = Client(retries=1, backoff=0.001, sleep=lambda s: None)
    with pytest.raises(FetchError, match=r"Nomis did not answer .* 2 tries .*--nomis-url"):
        client.request("GET", "http://127.0.0.1:9/x", service="Nomis")


def test_the_internet_is_out_of_reach():
    client = Client(retries=0, sleep=lambda s: None)
    with pytest.raises(FetchError, match="did not answer"):
        client.request("GET", "https://data.police.uk/api/forces", service="police.uk")
