"""The cluster benchmark: several nodes on one Redis against one node (see run.py)."""
