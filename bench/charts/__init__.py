"""Pictures of the fan-out benchmark's newest full run: throughput and latency as PNG charts.

Run it from the repository root with ``python -m bench.charts`` after ``pip install '.[bench]'``
(see ``bench/README.md``). ``results`` picks the run and reduces it to what is drawn (pure, tested
in ``test_results``), ``draw`` draws it with matplotlib, ``run`` is the command line.
"""
