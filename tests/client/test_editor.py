"""The input line: editing, history, and how it is drawn so that arriving lines never mangle it."""

from __future__ import annotations

from chatd.client.editor import InputLine, draw_above, draw_input, text_width


def typed(text: str, cursor: int | None = None) -> InputLine:
    line = InputLine()
    line.insert(text)
    if cursor is not None:
        line.cursor = cursor
    return line


def test_insert_and_move():
    """Keys insert at the cursor; Left, Right, Home and End move it within the text."""
    line = typed("helo")
    line.left()
    line.insert("l")
    assert (line.text, line.cursor) == ("hello", 4)
    line.home()
    line.left()
    assert line.cursor == 0
    line.end()
    line.right()
    assert line.cursor == 5


def test_backspace_and_delete():
    """Backspace removes before the cursor, Delete at it; neither goes past the ends."""
    line = typed("abc", cursor=1)
    line.backspace()
    assert (line.text, line.cursor) == ("bc", 0)
    line.backspace()
    assert line.text == "bc"
    line.delete()
    assert line.text == "c"
    line.end()
    line.delete()
    assert line.text == "c"


def test_erase_to_start_and_erase_word():
    """Ctrl-U forgets what is before the cursor; Ctrl-W the word before it."""
    line = typed("hello big world")
    line.erase_word()
    assert (line.text, line.cursor) == ("hello big ", 10)
    line.cursor = 6
    line.erase_to_start()
    assert (line.text, line.cursor) == ("big ", 0)


def test_submit_empties_the_line_and_remembers_it():
    """Enter hands over the text and starts an empty line; blank lines are not remembered."""
    line = typed("one")
    assert line.submit() == "one"
    assert (line.text, line.cursor) == ("", 0)
    line.insert("   ")
    line.submit()
    assert line.history == ["one"]


def test_history_up_and_down_keep_the_draft():
    """Up recalls earlier lines; Down comes back to the half-typed line as it was."""
    line = InputLine()
    for text in ("first", "second"):
        line.insert(text)
        line.submit()
    line.insert("draft")
    line.previous()
    assert line.text == "second"
    line.previous()
    line.previous()
    assert (line.text, line.cursor) == ("first", 5)
    line.next()
    line.next()
    assert line.text == "draft"
    line.next()
    assert line.text == "draft"


def test_text_width_counts_wide_and_combining_characters():
    """Wide East Asian characters take two columns, combining marks none."""
    assert text_width("abc") == 3
    assert text_width("日本") == 4
    assert text_width("e\u0301") == 1


def test_draw_input_puts_the_cursor_back():
    """The row is cleared, prompt and text drawn, and the cursor moved back to where it was."""
    assert draw_input("> ", typed("hello", cursor=5), 40) == "\r\x1b[K> hello\x1b[K"
    assert draw_input("> ", typed("hello", cursor=2), 40) == "\r\x1b[K> hello\x1b[K\x1b[3D"
    assert draw_input("> ", typed("日本語", cursor=1), 40) == "\r\x1b[K> 日本語\x1b[K\x1b[4D"


def test_long_input_scrolls_sideways(screen):
    """Text wider than the terminal scrolls around the cursor and never wraps to a second row."""
    line = typed("0123456789" * 6)  # 60 characters on a 40-column screen
    screen.write(draw_input("> ", line, 40))
    assert screen.rows() == ["> " + ("0123456789" * 6)[-37:]]
    assert screen.cursor == (39, 0)
    line.home()
    screen.write(draw_input("> ", line, 40))
    assert screen.rows() == ["> " + ("0123456789" * 6)[:37]]
    assert screen.cursor == (2, 0)


def test_a_line_arriving_is_printed_above_the_half_typed_one(screen):
    """A message arriving mid-typing goes above; the half line is redrawn whole, cursor kept."""
    line = typed("half a li", cursor=4)
    screen.write(draw_input("alice> ", line, 40))
    screen.write(draw_above("bob: hello alice", "alice> ", line, 40))
    screen.write(draw_above("* carol has joined the chat", "alice> ", line, 40))
    assert screen.rows() == [
        "bob: hello alice",
        "* carol has joined the chat",
        "alice> half a li",
    ]
    assert screen.cursor == (len("alice> half"), 2)
