"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``), driven by selenium.

Nothing is downloaded: selenium runs offline against the system's chromedriver.  Each browser
gets a profile in a temporary directory and is stopped, with its driver, after use.  The README
screenshot script drives the page through the same helpers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 15.0


def missing() -> str | None:
    """Why no browser can run here, or None."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        return "needs chromium and chromium-driver (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs selenium (pip install '.[test]')"
    return None


@contextmanager
def chromium(width: int = 1100, height: int = 720, dark: bool = False) -> Iterator[object]:
    """A headless Chromium window of the given size; the light or dark colour scheme."""
    os.environ["SE_OFFLINE"] = "true"  # selenium must not look for a driver on the internet
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chatd-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # as root, Chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        f"--force-dark-mode={'true' if dark else 'false'}",
        f"--blink-settings=preferredColorScheme={0 if dark else 1}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.set_window_size(width, height)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, condition, timeout: float = WAIT, message: str = ""):
    """What ``condition(driver)`` returns once it is truthy, polling every 50 ms."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(condition, message)


def field(driver, label: str):
    """The input whose <label> says ``label``: how a person finds it."""
    from selenium.webdriver.common.by import By

    (target,) = [
        driver.find_element(By.ID, each.get_attribute("for"))
        for each in driver.find_elements(By.TAG_NAME, "label")
        if each.text == label
    ]
    return target


def type_into(driver, label: str, text: str) -> None:
    """Type ``text`` into the field labelled ``label`` and press Enter."""
    from selenium.webdriver.common.keys import Keys

    target = field(driver, label)
    target.click()
    target.send_keys(text + Keys.ENTER)


def shown_lines(driver) -> list[str]:
    """The text of each line of the room on screen, as a person reads it (time stripped)."""
    return driver.execute_script(
        """
        const list = [...document.querySelectorAll('#messages .lines')].find(l => !l.hidden);
        if (!list) return [];
        return [...list.children].map(li => {
          const copy = li.cloneNode(true);
          copy.querySelector('time')?.remove();
          return copy.textContent.trim();
        });
        """
    )
