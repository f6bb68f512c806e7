"""(Re)write bench/RESULTS.md from the raw JSON in bench/results/.

    .venv/bin/python bench/results_md.py

scale_<N>.json (bench/run.py) make the per-scale table with the growth between the smallest and
the largest scale and each page's p95 as a multiple of the floor's; compare_<N>.json
(bench/compare.py) make the side-by-side table with django-helpdesk. A `## ` section of the
current RESULTS.md that no JSON here writes (a side-by-side table or scan from an earlier session,
or one kept by hand) is kept as it is, after the written ones.
"""

import json

from harness import BENCH, RESULTS, ROOT


def load(kind: str) -> list[dict]:
    out = []
    for path in sorted(RESULTS.glob(f"{kind}_*.json")):
        data = json.loads(path.read_text())
        data["_file"] = str(path.relative_to(ROOT))
        out.append(data)
    return sorted(out, key=lambda d: d.get("records") or 0)


def num(value, digits=None) -> str:
    if value is None:
        return "–"
    if digits is None:
        digits = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:,.{digits}f}"


def rps_cell(row: dict) -> str:
    if row.get("timeout_s") and "rps" not in row:
        return f"timeout (>{row['timeout_s']:.0f} s)"
    text = num(row.get("rps"))
    if str(row.get("mode", "")).startswith("sequential"):
        text += " (seq)"
    return text


def problems(row: dict) -> str:
    notes = []
    status = row.get("status")
    if status and not 200 <= status < 300:
        notes.append(f"in-process HTTP {status}")
    if row.get("non2xx"):
        notes.append(f"{row['non2xx']} non-2xx")
    if row.get("errors"):
        notes.append(f"{row['errors']} socket errors")
    if row.get("warm_status") and not 200 <= row["warm_status"] < 300:
        notes.append(f"HTTP {row['warm_status']}")
    return " ⚠ " + ", ".join(dict.fromkeys(notes)) if notes else ""


def short(path: str, width: int = 48) -> str:
    return path if len(path) <= width else path[: width - 1] + "…"


def ratio(a, b, digits=2) -> str:
    if not a or not b:
        return "–"
    return f"{a / b:.{digits}f}×"


def scale_table(results: list[dict]) -> str:
    if not results:
        return "_No scale results yet: run `make bench`._"
    by_scale = [{r["name"]: r for r in res["endpoints"]} for res in results]
    names = list(dict.fromkeys(n for scale in by_scale for n in scale))
    labels = [res.get("label", "?") for res in results]
    head = ["endpoint"]
    for lab in labels:
        head += [
            f"{lab} req/s",
            f"{lab} p50 ms",
            f"{lab} p95 ms",
            f"{lab} queries",
            f"{lab} p95 ÷ floor",
            f"{lab} peak MB",
        ]
    growth = len(results) > 1
    if growth:
        head += [f"req/s {labels[0]}→{labels[-1]}", f"p95 {labels[0]}→{labels[-1]}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    labels_of = {}
    for res in results:
        for r in res["endpoints"]:
            labels_of.setdefault(r["name"], r.get("label") or r["name"])
    for name in names:
        cells = [labels_of.get(name, name)]
        note = ""
        for scale in by_scale:
            r = scale.get(name, {})
            # A row merged from a later --only run is divided by that run's floor.
            floor = r.get("floor_p95_ms") or scale.get("floor", {}).get("p95_ms")
            cells += [
                rps_cell(r) if r else "–",
                num(r.get("p50_ms"), 0),
                num(r.get("p95_ms"), 0),
                str(r.get("queries", "–")),
                ratio(r.get("p95_ms"), floor, 1) if name != "floor" else "1.0×",
                num(r.get("peak_rss_mb"), 0),
            ]
            note = note or problems(r)
        if growth:
            first, last = by_scale[0].get(name, {}), by_scale[-1].get(name, {})
            cells += [
                ratio(last.get("rps"), first.get("rps")),
                ratio(last.get("p95_ms"), first.get("p95_ms")),
            ]
        cells[0] += note
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def compare_table(data: dict) -> str:
    ours = {r["name"]: r for r in data["ours"]}
    peer = {r["name"]: r for r in data["peer"]}
    head = [
        "ours",
        "peer (django-helpdesk)",
        "ours req/s",
        "peer req/s",
        "**ours ÷ peer req/s**",
        "ours p50 / p95 ms",
        "peer p50 / p95 ms",
        "ours queries",
        "peer queries",
        "ours / peer peak MB",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for pair in data["pairs"]:
        o, p = ours.get(pair["ours"], {}), peer.get(pair["peer"], {})
        if pair.get("ratio") is not None:
            text = f"**{pair['ratio']:.1f}×**"
        elif p.get("timeout_s") and o.get("rps"):
            text = f"**> {o['rps'] * p['timeout_s']:,.0f}×** (peer timed out)"
        else:
            text = "–"
        lines.append(
            "| "
            + " | ".join(
                [
                    (o.get("label") or pair["ours"]) + problems(o),
                    f"{pair['peer']} `{short(p.get('path', ''))}`" + problems(p),
                    rps_cell(o) if o else "–",
                    rps_cell(p) if p else "–",
                    text,
                    f"{num(o.get('p50_ms'), 0)} / {num(o.get('p95_ms'), 0)}",
                    f"{num(p.get('p50_ms'), 0)} / {num(p.get('p95_ms'), 0)}",
                    str(o.get("queries", "–")),
                    str(p.get("queries", "–")),
                    f"{num(o.get('peak_rss_mb'), 0)} / {num(p.get('peak_rss_mb'), 0)}",
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def pg_line(pg: dict) -> str:
    s = pg.get("settings", {})
    keys = ", ".join(f"{k}={v}" for k, v in s.items())
    return f"PostgreSQL {pg.get('version')} on 127.0.0.1:{pg.get('port')}: {keys}"


def volume_line(res: dict) -> str:
    vol, load = res.get("volume", {}), res.get("load", {})
    rows = ", ".join(f"{t.split('_', 1)[1]} {n:,}" for t, n in vol.get("rows", {}).items())
    return (
        f"- {res.get('label')}: database `{load.get('db')}` {vol.get('db_size')}; {rows}; "
        f"loaded by bench/generate.py in {load.get('load_s')} s (VACUUM ANALYZE included) "
        f"on {load.get('loaded_at')}" + facts_text(res.get("facts", {}))
    )


def facts_text(facts: dict) -> str:
    if not facts:
        return ""
    text = (
        f"; `chen` sees {facts.get('records_visible_to_bench_user', '?'):,} records (deep page "
        f"= page {facts.get('deep_page')}); searches: phone `{facts.get('phone_digits')}`, "
        f"surname `{facts.get('surname')}`"
    )
    if facts.get("complaints_visible_to_bench_user") is not None:
        text += (
            f"; complaints: `chen` sees {facts['complaints_visible_to_bench_user']:,}, "
            f"`{facts.get('complaint_agent')}` (one department) "
            f"{facts.get('complaints_visible_to_agent') or 0:,}; complaint page "
            f"`/complaints/{facts.get('complaint_page')}/`"
        )
    return text


SCAN_HEADING = "## Callback scan (periodic visits)"


def scan_section(scans: list[dict]) -> str:
    """bench/scan.py's figures: visits_scan over a fresh period, and again in the same period."""
    lines = [SCAN_HEADING, ""]
    for s in scans:
        rule = s.get("rule", {})
        lines += [
            f"`.venv/bin/python bench/scan.py`, {s.get('started')}: database `{s.get('db')}`, "
            f"{s.get('customers'):,} customers of which {s.get('key_customers'):,} are "
            f"`{rule.get('tier')}` and fall due under the rule `{rule.get('code')}` (every "
            f"{rule.get('interval_days')} days, period {rule.get('period')}); batches of "
            f"{s.get('batch')}. Each fresh run starts after deleting the rule's visits, their "
            "status log and the scan marks (then VACUUM ANALYZE); the second scan of the same "
            "period starts from the mark the first one left.",
            "",
            "| scan | runs | median | visits created | per visit |",
            "|---|---|---|---|---|",
            f"| fresh period | {len(s.get('fresh_runs', []))} | {s.get('fresh_median_s'):.2f} s "
            f"| {s.get('created'):,} | {s.get('per_visit_ms')} ms |",
            f"| same period again | {len(s.get('again_runs', []))} | "
            f"{s.get('again_median_ms')} ms | {s.get('again_created')} | – |",
            "",
            "The customer batch (EXPLAIN ANALYZE; first batch of a fresh period, then the empty "
            "batch after the mark):",
            "",
            "```",
            s.get("plan_first_batch", "").strip(),
            "```",
            "",
            "```",
            s.get("plan_after_mark", "").strip(),
            "```",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def put_section(heading: str, text: str):
    """Replace (or append) one `## ` section of bench/RESULTS.md, leaving the rest as it is:
    for a figure measured on its own, without the JSON the other tables come from."""
    path = BENCH / "RESULTS.md"
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    start = old.find(heading + "\n")
    if start < 0:
        new = old.rstrip() + "\n\n" + text
    else:
        end = old.find("\n## ", start + len(heading))
        new = old[:start] + text + ("\n" + old[end + 1 :] if end >= 0 else "")
    path.write_text(new.rstrip() + "\n")
    return path


def write():
    scales = load("scale")
    compares = load("compare")
    out = ["# Benchmark results", ""]
    out.append(
        "Written by `bench/results_md.py` from the raw JSON in `bench/results/` (see "
        "bench/README.md for the commands). The machine is shared and noisy: compare figures "
        "measured in the same session (the side-by-side table alternates the two servers run "
        "by run), not absolute numbers across days."
    )
    out.append("")
    if scales or compares:
        any_res = (scales or compares)[-1]
        m = any_res.get("machine", {})
        out += [
            "## Machine",
            "",
            f"- {m.get('nproc')} CPUs ({m.get('cpu')}), {m.get('mem_gb')} GB RAM, "
            f"Linux {m.get('kernel')}, Python {m.get('python')}, {m.get('wrk')}",
        ]
        seen = set()
        for res in scales + compares:
            for pg in [res.get("postgres")] + [res.get("peer_postgres")]:
                if pg and pg.get("port") not in seen:
                    seen.add(pg.get("port"))
                    out.append(f"- {pg_line(pg)}")
        out.append(
            "- gunicorn, 2 sync workers, 127.0.0.1; wrk -t2 -c8 (`--timeout 30s`); logged in as "
            "the manager `chen` (session cookie; the API create with a personal API token)"
        )
        out.append("")
    if scales:
        first = scales[0]
        opts = first.get("options", {})
        out += ["## Data volume", ""]
        out += [volume_line(res) for res in scales]
        out += [
            "",
            "## The desk at each scale",
            "",
            f"Measured {', '.join(r['started'] + ' (' + r['label'] + ')' for r in scales)}; "
            f"median of {opts.get('runs')} wrk runs of {opts.get('duration')} s per endpoint "
            f"after a {opts.get('warmup')} s warm-up, each run followed by a drain. "
            "(seq) = warm request slower than "
            f"{opts.get('slow_ms', 3000) / 1000:.0f} s: timed with {opts.get('seq')} sequential "
            "requests instead. queries = SQL per request in-process (warm). peak MB = highest "
            "VmHWM of the two workers during that endpoint (reset before it to the current RSS, so "
            "memory a worker kept from earlier endpoints counts too). "
            "p95 ÷ floor: the endpoint's p95 over the floor's p95 at the same scale.",
            "",
            scale_table(scales),
            "",
        ]
        for res in scales:
            peaks = [m["peak_rss_mb"] for m in res.get("workers_after_run", {}).values()]
            worst = max(
                (r for r in res["endpoints"] if r.get("peak_rss_mb")),
                key=lambda r: r["peak_rss_mb"],
                default=None,
            )
            if worst:
                out.append(
                    f"- {res['label']}: peak worker memory {worst['peak_rss_mb']:.0f} MB "
                    f"(during {worst['name']}); RSS after the run "
                    f"{', '.join(f'{p:.0f}' for p in peaks) or '–'} MB (VmHWM since the last "
                    f"reset); server restarts: {res.get('server_restarts', 0)}; write-benchmark "
                    f"rows removed: {res.get('write_cleanup', {}).get('records')}."
                )
            out += [f"- {res['label']}: {note}" for note in res.get("notes", [])]
        out.append("")
    for cmp in compares:
        out += [
            f"## Side by side with django-helpdesk 2.6.1 at {cmp['label']}",
            "",
            f"`make bench-compare`, {cmp['started']}: both servers up at once, each endpoint "
            f"pair measured alternately ({cmp['options'].get('runs')} × "
            f"{cmp['options'].get('duration')} s runs each, ours then peer, drained between), "
            "both databases in the peer's private cluster "
            f"({pg_line(cmp.get('peer_postgres', {}))}). Ours: `{cmp['ours_load'].get('db')}` "
            f"({cmp['ours_volume'].get('db_size')}{facts_text(cmp.get('ours_facts', {}))}); "
            f"peer: `{cmp['peer_db']}` "
            f"({cmp['peer_volume'].get('db_size')}, "
            f"{cmp['peer_volume']['rows'].get('helpdesk_ticket'):,} tickets, "
            f"{cmp['peer_volume']['rows'].get('helpdesk_followup'):,} follow-ups). "
            "Peer endpoints whose warm request is slower than 3 s are timed sequentially (seq); "
            f"a request over {cmp['options'].get('seq_timeout', 30):.0f} s is recorded as a "
            "timeout.",
            "",
            compare_table(cmp),
            "",
        ]
    scans = load("scan")
    if scans:
        out += [scan_section(scans[-1:]), ""]
    path = BENCH / "RESULTS.md"
    out += kept_sections(path.read_text() if path.exists() else "", "\n".join(out))
    path.write_text("\n".join(out).rstrip() + "\n")
    return path


def kept_sections(old: str, new: str) -> list[str]:
    """The `## ` sections of the old RESULTS.md that this rewrite has no JSON for (bench/results/
    is not committed): a side-by-side table or a scan measured in an earlier session, or a
    section kept by hand. They stay as they are, after the ones written."""
    written = {line for line in new.splitlines() if line.startswith("## ")}
    kept, current = [], None
    for line in old.splitlines():
        if line.startswith("## "):
            current = [] if line in written else [line]
            if current:
                kept.append(current)
        elif line.startswith("# "):
            current = None
        elif current is not None:
            current.append(line)
    return ["\n".join(section).rstrip() + "\n" for section in kept]


if __name__ == "__main__":
    print(write())
