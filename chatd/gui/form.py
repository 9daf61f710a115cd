"""The connect form: host, port, name and TLS, with sensible defaults, before the chat window.

:meth:`ConnectForm.chosen` fires with the server address and name once the person presses
Connect (or Enter) with fields that make sense, and with None if they close the window or press
Quit.  A problem with a field is shown under the fields; the form stays open.
"""

from __future__ import annotations

import tkinter
from tkinter import ttk

from twisted.internet import defer

from chatd.client.connection import ServerAddress
from chatd.gui.options import FormFields, read_form

__all__ = ["ConnectForm"]

PAD = 8


class ConnectForm:
    """A small form in ``root`` filled in with ``fields``; ``base`` holds --ca and --insecure."""

    def __init__(self, root: tkinter.Tk, fields: FormFields, base: ServerAddress) -> None:
        self.root = root
        self._base = base
        #: Fires with (address, name), or None when the person closes the form.
        self.chosen: defer.Deferred[tuple[ServerAddress, str] | None] = defer.Deferred()
        root.title("chatd: connect")
        root.protocol("WM_DELETE_WINDOW", self.cancel)
        self.frame = ttk.Frame(root, padding=2 * PAD)
        self.frame.grid(row=0, column=0, sticky="nsew")
        root.columnconfigure(0, weight=1)
        root.rowconfigure(0, weight=1)
        self.frame.columnconfigure(1, weight=1)

        self.host = tkinter.StringVar(root, fields.host)
        self.port = tkinter.StringVar(root, fields.port)
        self.name = tkinter.StringVar(root, fields.name)
        self.tls = tkinter.BooleanVar(root, fields.tls)
        self.entries: dict[str, ttk.Entry] = {}
        for row, (label, key, variable, width) in enumerate(
            [
                ("Host", "host", self.host, 28),
                ("Port", "port", self.port, 8),
                ("Name", "name", self.name, 20),
            ]
        ):
            ttk.Label(self.frame, text=label).grid(
                row=row, column=0, sticky="w", padx=(0, PAD), pady=PAD // 2
            )
            entry = ttk.Entry(self.frame, textvariable=variable, width=width)
            entry.grid(row=row, column=1, sticky="w" if key == "port" else "ew", pady=PAD // 2)
            entry.bind("<Return>", lambda event: self._break(self.submit))
            entry.bind("<KP_Enter>", lambda event: self._break(self.submit))
            self.entries[key] = entry
        self.tls_check = ttk.Checkbutton(self.frame, text="Use TLS", variable=self.tls)
        self.tls_check.grid(row=3, column=1, sticky="w", pady=PAD // 2)
        self.problem = ttk.Label(self.frame, text="", foreground="#c62828")
        self.problem.grid(row=4, column=0, columnspan=2, sticky="w", pady=(PAD // 2, 0))
        buttons = ttk.Frame(self.frame)
        buttons.grid(row=5, column=0, columnspan=2, sticky="e", pady=(PAD, 0))
        self.connect_button = ttk.Button(
            buttons, text="Connect", default="active", command=self.submit
        )
        self.connect_button.grid(row=0, column=0)
        self.quit_button = ttk.Button(buttons, text="Quit", command=self.cancel)
        self.quit_button.grid(row=0, column=1, padx=(PAD // 2, 0))
        first_empty = next(
            (self.entries[key] for key in ("host", "port", "name") if not getattr(fields, key)),
            self.entries["name"],
        )
        first_empty.focus_set()

    def fields(self) -> FormFields:
        return FormFields(self.host.get(), self.port.get(), self.name.get(), self.tls.get())

    def submit(self) -> None:
        """Connect: the fields are read, and either chosen or their problem shown."""
        try:
            chosen = read_form(self.fields(), self._base)
        except ValueError as problem:
            self.problem.configure(text=str(problem))
            return
        self._finish(chosen)

    def cancel(self) -> None:
        self._finish(None)

    def _finish(self, chosen: tuple[ServerAddress, str] | None) -> None:
        if self.chosen.called:
            return
        self.frame.destroy()
        self.chosen.callback(chosen)

    @staticmethod
    def _break(action) -> str:
        action()
        return "break"
