"""Driving the web page in real headless Chromium (Debian's chromium + chromedriver) with
Selenium: one flow shared by the fake-model and the real-model end-to-end tests.

Every wait is on a state of the page, with a ceiling (`ceilings.HANG_S`) that only catches
hangs: nothing here depends on how fast the machine is."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("Debian's chromium and chromedriver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    # The console's messages (failed requests among them) for `console_errors`.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except AssertionError:  # the check saw a failure: waiting longer will not help
            raise
        except Exception:  # the element or server may not exist yet, or be replaced mid-read
            value = None
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def console_errors(driver: Any) -> list[str]:
    """The browser console's errors since the last call (a failed request is one)."""
    return [str(e["message"]) for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def page_errors(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, "error")
    return str(box.text) if box.is_displayed() else ""


def upload_and_index(driver: Any, files: list[Path], timeout: float) -> list[str]:
    """Upload `files` through the page; return the progress texts seen until indexing ended."""
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "file-input").send_keys("\n".join(str(f) for f in files))
    driver.find_element(By.ID, "upload-button").click()
    status = driver.find_element(By.ID, "job-status")
    seen: list[str] = []

    def finished() -> bool:
        state = status.get_attribute("data-state")  # read first: the text is then as new
        text = status.text
        if text and (not seen or seen[-1] != text):
            seen.append(text)
        assert not page_errors(driver), page_errors(driver)
        return state in ("done", "failed")

    wait_for(finished, timeout, "indexing to finish")
    assert status.get_attribute("data-state") == "done", status.text
    return seen


def ask(driver: Any, question: str, timeout: float) -> tuple[str, list[str]]:
    """Ask through the page; return the final answer text and the partial texts seen (how
    many depends on the machine's speed: assert on the final text)."""
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, "question")
    box.clear()
    box.send_keys(question)
    driver.find_element(By.ID, "ask-button").click()
    answer = driver.find_element(By.ID, "answer")
    partial: list[str] = []

    def done() -> bool:
        state = answer.get_attribute("data-state")
        text = answer.text
        if state == "streaming" and text:
            partial.append(text)
        assert state != "failed", page_errors(driver)
        return bool(state == "done")

    wait_for(done, timeout, "the answer")
    return str(answer.text), partial
