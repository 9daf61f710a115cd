"""chatd's page in a real headless Chromium, against the installed daemon, with nc users beside.

A person's view: the browser finds fields by their labels, types and presses Enter, and reads
the lines on screen.  The line users are raw sockets, as nc is.
"""

from __future__ import annotations

import os
import signal
import socket

import pytest
from browser import chromium, missing, shown_lines, type_into, wait_for

LOCAL = "interface=127.0.0.1"


@pytest.fixture(autouse=True)
def _browser_installed():
    why = missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)  # CI installs them: missing there is a broken setup
        pytest.skip(why)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(daemon, db, web_port: int | str = 0, web: bool = True, *extra: str):
    args = ["chatd", "--listen", f"tcp:0:{LOCAL}", "--db", str(db), *extra]
    if web:
        args += ["--web", f"tcp:{web_port}:{LOCAL}"]
    server = daemon(*args)
    ports = server.ports(2 if web else 1)
    return server, ports


def open_page(browser, port: int, name: str) -> None:
    browser.get(f"http://127.0.0.1:{port}/")
    wait_for(
        browser,
        lambda b: b.execute_script("return !document.getElementById('name').closest('[hidden]')"),
    )
    type_into(browser, "Name", name)
    wait_for(browser, lambda b: b.execute_script("return window.chatd.me") == name)


def has_line(browser, text: str):
    return lambda b: text in shown_lines(b)


def room_buttons(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('#room-list .room')].map(b => b.textContent)"
    )


def test_a_browser_and_an_nc_user_chat_in_the_lobby_and_a_room(daemon, peers, tmp_path):
    """Both ways, in #lobby and #dev: the page shows rooms, unread counts, members and topic."""
    _, (line_port, web_port) = start(daemon, tmp_path / "chat.db")
    bob = peers(line_port)
    bob.join("bob")
    with chromium() as browser:
        open_page(browser, web_port, "alice")
        assert bob.next_line() == "* alice has joined the chat"
        type_into(browser, "Message", "hello bob")
        assert bob.next_line() == "alice: hello bob"
        wait_for(browser, has_line(browser, "alice: hello bob"))  # her own line, once stored
        wait_for(browser, lambda b: not b.find_elements("css selector", ".lines .pending"))
        bob.send("hi alice")
        wait_for(browser, has_line(browser, "bob: hi alice"))

        bob.send("/join #dev", "/topic all about dev")
        type_into(browser, "Join a room", "#dev")
        wait_for(browser, lambda b: b.find_element("id", "room-name").text == "#dev")
        wait_for(browser, lambda b: b.find_element("id", "topic").text == "all about dev")
        members = browser.find_element("id", "member-list").text.split("\n")
        assert members == ["alice", "bob"]
        type_into(browser, "Message", "in dev now")
        bob.expect("alice: in dev now")
        bob.send("dev reply", "/to #lobby back in the lobby")
        wait_for(browser, has_line(browser, "bob: dev reply"))
        wait_for(browser, lambda b: room_buttons(b) == ["#lobby 1", "#dev"])  # one unread

        type_into(browser, "Message", "/join #lobby")
        wait_for(browser, has_line(browser, "bob: back in the lobby"))
        assert room_buttons(browser) == ["#lobby", "#dev"]


def test_markup_in_a_message_is_shown_as_text(daemon, peers, tmp_path):
    """A line with <script> and tags appears as those characters; nothing runs or renders."""
    _, (line_port, web_port) = start(daemon, tmp_path / "chat.db")
    mallory = peers(line_port)
    mallory.join("mallory")
    with chromium() as browser:
        open_page(browser, web_port, "alice")
        attack = "<script>window.owned=1</script><img src=x onerror=window.owned=2><b>bold</b>"
        mallory.send(attack)
        wait_for(browser, has_line(browser, f"mallory: {attack}"))
        assert browser.execute_script("return window.owned") is None
        assert (
            browser.find_elements("css selector", "#messages b, #messages img, #messages script")
            == []
        )


def test_the_page_resumes_every_room_without_gaps_after_a_restart(daemon, peers, tmp_path):
    """While the page is away, lines said in its rooms are fetched once it is back: each line
    once, in order, in its room."""
    db, web_port = tmp_path / "chat.db", free_port()
    server, (line_port, _) = start(daemon, db, web_port)
    bob = peers(line_port)
    bob.join("bob")
    bob.send("/join #dev", "dev 1", "/to #lobby lobby 1")
    with chromium() as browser:
        open_page(browser, web_port, "alice")
        type_into(browser, "Join a room", "#dev")
        wait_for(browser, has_line(browser, "bob: dev 1"))

        server.signal(signal.SIGTERM)
        server.wait_exit()
        wait_for(browser, lambda b: "Reconnecting" in b.find_element("id", "status").text)
        # A server without the web door, so the page cannot come back yet: bob talks.
        quiet, (quiet_port,) = start(daemon, db, web=False)
        carol = peers(quiet_port)
        carol.join("carol")
        carol.send("/join #dev", *(f"dev {n}" for n in range(2, 30)))
        carol.send(*(f"/to #lobby lobby {n}" for n in range(2, 5)))
        carol.send("/history #dev 1")
        carol.expect("* End of history of #dev")
        quiet.signal(signal.SIGTERM)
        quiet.wait_exit()

        start(daemon, db, web_port)
        wait_for(browser, lambda b: b.execute_script("return window.chatd.me") == "alice", 60)
        expected_dev = ["bob: dev 1", *(f"carol: dev {n}" for n in range(2, 30))]
        wait_for(
            browser,
            lambda b: [line for line in shown_lines(b) if ": dev " in line] == expected_dev,
            message="the #dev lines after the restart",
        )
        type_into(browser, "Message", "/join #lobby")
        expected_lobby = ["bob: lobby 1", *(f"carol: lobby {n}" for n in range(2, 5))]
        wait_for(
            browser,
            lambda b: [line for line in shown_lines(b) if ": lobby " in line] == expected_lobby,
            message="the #lobby lines after the restart",
        )


def test_the_page_says_when_it_cannot_reconnect(daemon, tmp_path):
    """Once its attempts are spent, the page says the server cannot be reached, and offers to
    try again."""
    server, (_, web_port) = start(daemon, tmp_path / "chat.db")
    with chromium() as browser:
        open_page(browser, web_port, "alice")
        browser.execute_script("window.chatd.socket.attempt = 99")  # as if it had tried for long
        server.signal(signal.SIGTERM)
        server.wait_exit()
        wait_for(browser, lambda b: "Cannot reach" in b.find_element("id", "status").text)
        button = browser.find_element("css selector", "#status button")
        assert button.text == "Try again"


def test_scrolling_to_the_top_loads_older_lines_without_jumping(daemon, peers, tmp_path):
    """A room's older lines come in above as the reader scrolls up; the view stays put."""
    _, (line_port, web_port) = start(daemon, tmp_path / "chat.db", 0, True, "--rate", "0")
    bob = peers(line_port)
    bob.join("bob")
    bob.send(*(f"old {n}" for n in range(1, 121)))
    bob.send("/history 1")
    bob.expect("* End of history of #lobby")
    with chromium(height=500) as browser:
        open_page(browser, web_port, "alice")
        wait_for(browser, has_line(browser, "bob: old 120"))
        assert len([line for line in shown_lines(browser) if "old" in line]) == 20  # the replay
        anchor = "bob: old 101"
        top_of = f"""
            const line = [...document.querySelectorAll('#messages li')]
              .find(li => li.textContent.endsWith({anchor.split(": ")[1]!r}));
            return line.getBoundingClientRect().top;"""
        at_top = browser.execute_script(
            "document.getElementById('messages').scrollTop = 0;" + top_of
        )
        wait_for(browser, lambda b: len([x for x in shown_lines(b) if "old" in x]) == 70)
        # 50 lines came in above, and the line that was at the top did not move.
        assert abs(browser.execute_script(top_of) - at_top) < 5
        browser.execute_script("document.getElementById('messages').scrollTop = 0")
        wait_for(browser, lambda b: len([x for x in shown_lines(b) if "old" in x]) == 120)
        lines = [line for line in shown_lines(browser) if "old" in line]
        assert lines == [f"bob: old {n}" for n in range(1, 121)]


def test_keyboard_only_phone_width_and_dark_scheme(daemon, peers, tmp_path):
    """At a phone's width, in the dark scheme, a person can join, chat and switch rooms with
    the keyboard alone, and nothing is wider than the screen."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    _, (line_port, web_port) = start(daemon, tmp_path / "chat.db")
    bob = peers(line_port)
    bob.join("bob")
    with chromium(width=390, height=740, dark=True) as browser:
        browser.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
        )
        browser.get(f"http://127.0.0.1:{web_port}/")
        keys = ActionChains(browser)
        wait_for(browser, lambda b: b.switch_to.active_element.get_attribute("id") == "name")
        keys.send_keys("alice", Keys.ENTER).perform()
        wait_for(browser, lambda b: b.switch_to.active_element.get_attribute("id") == "message")
        keys.send_keys("typed, not clicked", Keys.ENTER).perform()
        bob.expect("alice: typed, not clicked")
        keys.send_keys("/join #dev", Keys.ENTER).perform()
        wait_for(browser, lambda b: b.find_element("id", "room-name").text == "#dev")
        # Shift+Tab back through the page to the #lobby button, and Enter on it.
        for _ in range(12):
            keys.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
            if browser.switch_to.active_element.text.startswith("#lobby"):
                break
        keys.send_keys(Keys.ENTER).perform()
        wait_for(browser, lambda b: b.find_element("id", "room-name").text == "#lobby")
        width = browser.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert width[0] <= width[1]
        background = browser.execute_script(
            "return getComputedStyle(document.body).backgroundColor"
        )
        assert background == "rgb(22, 25, 29)"  # the dark scheme's --bg


def test_the_page_asks_for_a_registered_names_password(daemon, peers, tmp_path):
    """A registered name gets a Password field; a wrong one shows the server's reason, the
    right one joins."""
    _, (line_port, web_port) = start(daemon, tmp_path / "chat.db")
    owner = peers(line_port)
    owner.join("alice")
    owner.send("/register correct-horse", "<quit>")
    owner.expect("* Goodbye alice!")
    with chromium() as browser:
        browser.get(f"http://127.0.0.1:{web_port}/")
        wait_for(browser, lambda b: b.find_element("id", "name").is_displayed())
        type_into(browser, "Name", "alice")
        wait_for(browser, lambda b: b.find_element("id", "password").is_displayed())
        assert browser.switch_to.active_element.get_attribute("id") == "password"
        type_into(browser, "Password", "wrong-horse")
        wait_for(
            browser,
            lambda b: b.find_element("id", "join-error").text == "wrong password for alice",
        )
        type_into(browser, "Name", "")  # the name is still there: Enter asks again
        wait_for(browser, lambda b: b.find_element("id", "password").is_displayed())
        type_into(browser, "Password", "correct-horse")
        wait_for(browser, lambda b: b.execute_script("return window.chatd.me") == "alice")
