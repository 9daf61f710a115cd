"""The soak's report: one dictionary (written as JSON) and a plain-text table made from it.

:func:`verdict` decides pass or fail from the dictionary alone.  A run fails if any message was
lost, duplicated or reordered, if any line was malformed, if the server log holds a traceback or
an unhandled error, or if the server died during the run.  Everything else worth a second look
(churn timeouts, stallers never cut off although the server has a send-buffer bound, a server that
needed SIGKILL) is listed as a note without failing the run.
"""

from __future__ import annotations

from typing import Any

Report = dict[str, Any]


def verdict(report: Report) -> tuple[list[str], list[str]]:
    """``(failures, notes)``: the run passes when ``failures`` is empty."""
    failures: list[str] = []
    notes: list[str] = []
    messages = report.get("messages")
    log = report["server"]["log"]
    if report.get("error"):
        failures.append(report["error"])
    if messages is not None:
        for key in ("lost", "duplicated", "out_of_order", "malformed"):
            if messages[key]:
                failures.append(f"{messages[key]:,} {key.replace('_', ' ')}")
    for key in ("tracebacks", "unhandled_errors"):
        if log[key]:
            failures.append(f"{log[key]} {key.replace('_', ' ')} in the server log")
    if report["server"].get("died_during_run"):
        failures.append("the server exited during the run")
    notes += report.get("warnings", [])
    if messages is None:
        return failures, notes

    clients = report["clients"]
    if not report["phases_ok"]["drained"]:
        notes.append("the drain bound passed before every message was read")
    if clients["stable_dropped"]:
        notes.append(f"the server closed stable clients: {', '.join(clients['stable_dropped'])}")
    stable = clients["chatters"] + clients["flooders"]
    if clients["quits_confirmed"] < stable:
        notes.append(f"only {clients['quits_confirmed']} of {stable} quits got goodbye and close")
    if messages["errors_to_stable"]:
        notes.append(f"stable clients got {messages['errors_to_stable']} error lines")
    churn = report["churn"]
    if churn["anomalies"]:
        notes.append(f"{churn['anomalies']} churn connections did not get an answer in time")
    stallers = report["stallers"]
    threshold = stallers["cut_expected_above"]
    if not stallers["count"]:
        pass
    elif threshold is None:
        notes.append("the server has no send-buffer bound in force: stallers are never cut off")
    elif stallers["cut"] < stallers["count"] and stallers["bytes_to_each"] > threshold:
        failures.append(
            f"{stallers['count'] - stallers['cut']} stallers were not cut off although each was "
            f"sent about {stallers['bytes_to_each']:,} bytes, over the bound plus kernel buffers "
            f"({threshold:,})"
        )
    elif stallers["cut"] < stallers["count"]:
        notes.append(
            f"{stallers['count'] - stallers['cut']} stallers were not cut off; each was sent "
            f"only about {stallers['bytes_to_each']:,} bytes, under the bound plus kernel "
            f"buffers ({threshold:,})"
        )
    stop = report["server"]["stop"]
    if stop["killed"]:
        notes.append(f"the server ignored SIGTERM for {stop['seconds']} s and was killed")
    if log["errors"]:
        notes.append(f"the server logged {log['errors']} events at error level")
    return failures, notes


def _mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:,.1f} MiB"


def _latency(figures: dict[str, float]) -> str:
    if not figures["count"]:
        return "-"
    return ", ".join(
        f"{label} {figures[key] * 1000:,.0f} ms"
        for label, key in (("p50", "p50_s"), ("p99", "p99_s"), ("max", "max_s"))
    )


def _rows(report: Report) -> list[tuple[str, str]]:
    """The table, as (label, value) rows; a row with an empty value is a heading."""
    server = report["server"]
    rows = [
        ("run", ""),
        ("started", f"{report['started']} (seed {report['seed']})"),
        ("command", report["command"]),
        ("server command", " ".join(server["command"])),
        ("server limits", ", ".join(f"{k} {v}" for k, v in server["limits"].items())),
        ("phases (s)", ", ".join(f"{k} {v}" for k, v in report["phases"].items()) or "-"),
        ("work directory", report["workdir"]),
    ]
    messages = report.get("messages")
    if messages is not None:
        clients, churn = report["clients"], report["churn"]
        stable = clients["chatters"] + clients["flooders"]
        stallers = report["stallers"]
        cut = stallers["cut_times"]
        rows += [
            ("clients", ""),
            ("chatters", f"{clients['chatters']}"),
            ("flooders", f"{clients['flooders']} ({messages['bursts']} bursts)"),
            ("stallers", f"{clients['stallers']}"),
            ("churners", f"{clients['churners']}"),
            ("churn connections", f"{churn['connections']:,} ({churn['joined']:,} joined)"),
            (
                "stallers cut off",
                f"{stallers['cut']}"
                + (f" (first at {cut[0]} s, last at {cut[-1]} s)" if cut else ""),
            ),
            ("bytes sent to each client", f"about {stallers['bytes_to_each']:,}"),
            ("stable clients dropped", f"{len(clients['stable_dropped'])}"),
            ("quits confirmed", f"{clients['quits_confirmed']} of {stable}"),
            ("handshake timeouts seen", f"{churn['handshake_timeouts']}"),
            (
                "telnet refusals seen",
                f"{messages['lines_by_kind'].get('telnet refusals (others)', 0):,}",
            ),
            ("churn anomalies", f"{churn['anomalies']}"),
            ("messages", ""),
            (
                "sent",
                f"{sum(messages['sent'].values()):,} ("
                + ", ".join(f"{k} {v:,}" for k, v in messages["sent"].items())
                + ")",
            ),
            ("deliveries expected", f"{messages['expected']:,}"),
            ("deliveries received", f"{messages['received']:,}"),
            ("lost", f"{messages['lost']:,}"),
            ("duplicated", f"{messages['duplicated']:,}"),
            ("out of order", f"{messages['out_of_order']:,}"),
            ("malformed", f"{messages['malformed']:,}"),
            ("error lines to stable", f"{messages['errors_to_stable']:,}"),
        ]
        rows += [
            (f"latency, {group}", _latency(figures))
            for group, figures in messages["latency"].items()
        ]
    resources = server.get("resources")
    rows.append(("server", ""))
    if resources:
        rss = (resources["rss_start_kib"], resources["rss_max_kib"], resources["rss_final_kib"])
        fds = (resources["fds_start"], resources["fds_max"], resources["fds_final"])
        rows += [
            ("peak RSS (VmHWM)", _mib(resources["hwm_kib"])),
            ("RSS start, max, final", ", ".join(_mib(kib) for kib in rss)),
            ("open files start, max, final", ", ".join(str(count) for count in fds)),
            ("server CPU", f"{resources['cpu_s']:,.1f} s"),
        ]
    log, stop = server["log"], server["stop"]
    if stop["signalled"]:
        killed = ", then SIGKILL" if stop["killed"] else ""
        stopping = f"status {stop['status']}, {stop['seconds']:.1f} s after SIGTERM{killed}"
    else:
        stopping = f"had already exited, status {stop['status']}"
    connections = f"{log['connections_opened']:,} connections opened, {log['connections_closed']:,}"
    rows += [
        ("stop", stopping),
        ("log lines", f"{log['lines']:,} ({connections} closed)"),
        ("tracebacks", f"{log['tracebacks']}"),
        ("unhandled errors", f"{log['unhandled_errors']}"),
        ("error, warning events", f"{log['errors']}, {log['warnings']}"),
        ("load generator", ""),
        ("CPU", f"{report['generator_cpu_s']:,.1f} s over {report['wall_s']:,.1f} s"),
    ]
    return rows


def render(report: Report) -> str:
    """The report as a plain-text table, with the verdict and the evidence for it."""
    failures, notes = verdict(report)
    lines = [f"chatd soak: {'FAIL' if failures else 'PASS'}"]
    for label, value in _rows(report):
        lines.append(f"{label}" if not value else f"  {label:<30} {value}")
    lines += [f"FAIL: {failure}" for failure in failures]
    lines += [f"note: {note}" for note in notes]
    messages = report.get("messages") or {}
    evidence = [
        ("malformed lines", messages.get("malformed_examples")),
        ("error lines to stable clients", messages.get("error_examples")),
        ("churn anomalies", report.get("churn", {}).get("anomaly_examples")),
        (
            "warnings and errors in the server log",
            [
                f"{count} x {kind}"
                for kind, count in report["server"]["log"]["warning_and_error_kinds"].items()
            ],
        ),
        ("first traceback in the server log", report["server"]["log"]["first_problem"]),
    ]
    for title, examples in evidence:
        if examples:
            lines.append(f"{title}:")
            lines += [f"  {example}" for example in examples]
    return "\n".join(lines)
