"""The public channel's rate limits (whistleblowing/public/ratelimit.py), beyond the page tests of
test_public.py: one counter per code however it is written, counts that hold under parallel requests (local
memory and Redis), and limits that do not lock out the authors behind one address (review 21a, findings 5, 6
and 10)."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tests.whistleblowing.test_public import SUBMIT, report_data, secrets_of, sign_in
from whistleblowing.public import ratelimit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.VIGIE_WHISTLEBLOWING_FILES_ROOT = tmp_path / "whistleblowing"
    cache.clear()


def a_code_with_0_or_1(settings) -> tuple[str, str]:
    """Credentials whose receipt code holds a 0 or a 1 (that O, I and L stand for)."""
    settings.VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR = 1000
    for number in range(60):
        code, passphrase = secrets_of(Client(REMOTE_ADDR=f"198.51.100.{number}").post(SUBMIT, report_data()))
        if "0" in code or "1" in code:
            return code, passphrase
    raise AssertionError("no code with a 0 or a 1 in 60 reports")  # (30/32)**(16*60): never


def test_one_code_written_with_o_or_i_for_0_or_1_counts_against_the_same_counter(settings):
    code, passphrase = a_code_with_0_or_1(settings)
    settings.VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR = 2
    cache.clear()
    for number in range(2):
        assert sign_in(Client(REMOTE_ADDR=f"192.0.2.{number}"), code, "guess").status_code == 200
    assert sign_in(Client(REMOTE_ADDR="192.0.2.50"), code, passphrase).status_code == 429
    variant = code.replace("0", "O", 1) if "0" in code else code.replace("1", "I", 1)
    assert variant != code
    assert sign_in(Client(REMOTE_ADDR="192.0.2.51"), variant, passphrase).status_code == 429
    assert sign_in(Client(REMOTE_ADDR="192.0.2.52"), variant.lower().replace("-", " "), passphrase).status_code == 429


def test_successful_sign_ins_do_not_count(settings):
    settings.VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR = 2
    client = Client()
    code, passphrase = secrets_of(client.post(SUBMIT, report_data()))
    for _attempt in range(6):
        assert sign_in(client, code, passphrase).status_code == 303
    # The failed ones still count against the code.
    assert sign_in(client, code, "wrong").status_code == 200
    assert sign_in(client, code, "wrong").status_code == 200
    assert sign_in(client, code, passphrase).status_code == 429


def test_the_per_address_limit_is_five_times_the_per_code_one(settings):
    settings.VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR = 2
    office = Client(REMOTE_ADDR="203.0.113.10")
    code, passphrase = secrets_of(Client().post(SUBMIT, report_data()))
    for attempt in range(9):  # nine wrong codes from the office's one address: another author still signs in
        assert sign_in(office, f"WRONG-{attempt}", "nope").status_code == 200
    assert sign_in(office, code, passphrase).status_code == 303
    assert sign_in(office, "WRONG-9", "nope").status_code == 200  # the tenth failure
    assert sign_in(office, code, passphrase).status_code == 429


def test_a_refused_submission_or_message_does_not_count(settings):
    settings.VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR = 1
    client = Client()
    for _attempt in range(3):  # form errors
        assert "Décrivez les faits" in client.post(SUBMIT, report_data(facts=" ")).content.decode()
    assert client.post(SUBMIT, report_data()).status_code == 200
    assert client.post(SUBMIT, report_data()).status_code == 429


def parallel(count: int, attempt) -> int:
    """`attempt()` run by `count` threads at once; how many were allowed."""
    barrier = threading.Barrier(count)
    allowed: list[bool] = []

    def run() -> None:
        barrier.wait()
        allowed.append(attempt() is not None)

    threads = [threading.Thread(target=run) for _n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(allowed)


def race(settings) -> None:
    settings.VIGIE_WHISTLEBLOWING_FOLLOW_UP_ATTEMPTS_PER_HOUR = 10
    settings.VIGIE_WHISTLEBLOWING_SUBMISSIONS_PER_HOUR = 10
    visitor: Any = SimpleNamespace(META={"REMOTE_ADDR": "192.0.2.77"})
    for _trial in range(3):
        cache.clear()
        assert parallel(40, lambda: ratelimit.follow_up_attempt(visitor, "CODE")) == 10
        assert parallel(40, lambda: ratelimit.submission_attempt(visitor)) == 10
        assert parallel(40, lambda: ratelimit.message_attempt(1)) == 10


def test_parallel_attempts_never_pass_the_limit(settings):
    race(settings)


def test_parallel_attempts_never_pass_the_limit_on_redis(settings, own_redis):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{own_redis[1]}/0",
        }
    }
    race(settings)
