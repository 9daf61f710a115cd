"""``python -m chatd.gui``: the same as the ``chatd-gui`` console script."""

from chatd.gui.main import main

main()
