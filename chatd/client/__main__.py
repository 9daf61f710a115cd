"""``python -m chatd.client``: the same as the ``chatd-client`` console script."""

from chatd.client.main import main

main()
