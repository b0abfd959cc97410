"""Verdicts against the targets, the console table, profile files and the figures in bench/README.md."""
from __future__ import annotations

import json
from pathlib import Path

START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
# Pages the issue names; the others are measured as well but are not its targets.
ISSUE_PAGES = ("list", "search_name", "search_pinyin", "filtered", "page_deep", "profile", "profile_demo")
# The list pages: each one's p95 at the large size must be at most RATIO_LIMIT times its p95 at the small
# size, measured in the same run (issue 8: absolute times move twice over between runs on this machine).
LIST_PAGES = ("list", "search_name", "search_pinyin", "search_broad", "filtered", "page_deep")
RATIO_LIMIT = 2.0


def ratio(page: dict, other: dict | None) -> float | None:
    """p95 at the large size / p95 at the small size."""
    if not other or not other.get("p95_ms"):
        return None
    return round(page["p95_ms"] / other["p95_ms"], 2)
PAGE_LABELS = {
    "list": "firm list `/enterprises/`",
    "search_name": "name search `?q=鸿运`",
    "search_pinyin": "pinyin search `?q=ylsf`",
    "search_broad": "broad name search `?q=耐火` (extra)",
    "filtered": "filtered `?credit=general_credit&trade_mode=0110&sort=-declarations`",
    "page_deep": "page 500 of the list",
    "profile": "profile of a generated firm",
    "profile_demo": "profile of 营口雅丽丝 (contacts, credit history, roster)",
}


def verdicts(result: dict, targets: dict) -> list[dict]:
    out = []
    large, small = result.get("large"), result.get("small")
    if large:
        small_pages = {p["name"]: p for p in small["pages"]} if small else {}
        for page in large["pages"]:
            extra = page["name"] not in ISSUE_PAGES
            out.append({"check": f"{page['name']} p95 ≤ {page['target_ms']:.0f} ms at {large['firms']:,} firms",
                        "passed": page["passed"], "extra": extra,
                        "detail": f"p95 {page['p95_ms']} ms (p50 {page['p50_ms']} ms)"})
            other = small_pages.get(page["name"])
            r = ratio(page, other)
            if page["name"] in LIST_PAGES and r is not None:
                out.append({"check": f"{page['name']} p95 at {large['firms']:,} firms ≤ {RATIO_LIMIT:g}× its p95 at "
                                     f"{small['firms']:,}", "passed": r <= RATIO_LIMIT, "extra": extra,
                            "detail": f"{page['p95_ms']} / {other['p95_ms']} ms = {r}×"})
            if other:
                same = (other["query_counts_seen"] == page["query_counts_seen"]
                        and len(page["query_counts_seen"]) == 1)
                out.append({"check": f"{page['name']} queries the same at {small['firms']:,} and {large['firms']:,} firms",
                            "passed": same, "extra": extra,
                            "detail": f"{other['query_counts_seen']} vs {page['query_counts_seen']}"})
    for fmt, imp in (result.get("imports") or {}).items():
        out.append({"check": f"{fmt.upper()} import of {imp['rows']:,} rows ≤ {imp['target_s']} s", "passed": imp["time_passed"],
                    "extra": False, "detail": f"{imp['import']['seconds']} s, exit {imp['import']['exit_code']}"})
        peak = max(imp["import"]["peak_rss_mb"] or 0, imp["reimport"]["peak_rss_mb"] or 0)
        out.append({"check": f"{fmt.upper()} import peak memory ≤ {targets['import_rss_mb']} MB", "passed": imp["memory_passed"],
                    "extra": False, "detail": f"{peak} MB"})
        out.append({"check": f"{fmt.upper()} re-import changes nothing", "passed": imp["reimport_unchanged"],
                    "extra": False, "detail": f"{imp['reimport']['seconds']} s: {imp['reimport']['summary']}"})
    return out


def _mark(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def text_table(run: dict) -> str:
    lines = []
    for kind, result in run["databases"].items():
        large, small = result.get("large"), result.get("small")
        if large:
            small_pages = {p["name"]: p for p in small["pages"]} if small else {}
            lines.append(f"== {kind}: pages at {large['firms']:,} firms ({large['pages'][0]['requests']} timed requests each; "
                         f"queries also at {small['firms']:,} firms)")
            lines.append(f"{'page':<15}{'p50 ms':>9}{'p95 ms':>9}{'target':>8}{'p95 small':>10}{'ratio':>7}"
                         f"{'q small':>9}{'q large':>9}{'rows':>6}{'cpu p50':>9}{'others':>8}  verdict")
            for page in large["pages"]:
                other = small_pages.get(page["name"], {})
                r = ratio(page, other)
                ratio_mark = "" if r is None or page["name"] not in LIST_PAGES else (
                    f", ratio {_mark(r <= RATIO_LIMIT)}")
                lines.append(f"{page['name']:<15}{page['p50_ms']:>9.1f}{page['p95_ms']:>9.1f}{page['target_ms']:>8.0f}"
                             f"{other.get('p95_ms', 0):>10.1f}{(r or 0):>7.2f}"
                             f"{str(other.get('query_counts_seen', '')):>9}{str(page['query_counts_seen']):>9}"
                             f"{page['firms_on_page']:>6}{page.get('cpu_p50_ms', 0):>9.1f}{page.get('foreign_cores', 0):>8.2f}"
                             f"  {_mark(page['passed'])}{ratio_mark}")
        for fmt, imp in (result.get("imports") or {}).items():
            lines.append(f"== {kind}: {fmt.upper()} import of {imp['rows']:,} rows: {imp['import']['seconds']} s "
                         f"(target {imp['target_s']} s), peak {imp['import']['peak_rss_mb']} MB; re-import "
                         f"{imp['reimport']['seconds']} s, peak {imp['reimport']['peak_rss_mb']} MB")
            if imp.get("prototype"):
                p = imp["prototype"]
                lines.append(f"   proposed write path: {p['import']['seconds']} s, peak {p['import']['peak_rss_mb']} MB, "
                             f"same rows as the app's: {p['same_as_app']}")
        if "verdicts" in result:
            lines.append(f"== {kind}: verdicts")
            for v in result["verdicts"]:
                lines.append(f"  {_mark(v['passed'])}  {v['check']}{' (extra)' if v['extra'] else ''}: {v['detail']}")
        large, small = result.get("outreach_large"), result.get("outreach_small")
        if large:
            small_pages = {p["name"]: p for p in small["pages"]} if small else {}
            s = large["setup"]
            lines.append(f"== {kind}: outreach pages at {large['firms']:,} firms, {s['outreach_totals']['visits']:,} visits, "
                         f"{s['outreach_totals']['needs']:,} needs, {s['outreach_totals']['assistance_plans']:,} plans "
                         f"({large['pages'][0]['requests']} timed requests each; queries also at {small['firms']:,} firms)")
            lines.append(f"{'page':<20}{'user':<11}{'p50 ms':>9}{'p95 ms':>9}{'target':>8}{'q small':>9}{'q large':>9}"
                         f"{'rows':>6}{'cpu p50':>9}{'others':>8}  verdict")
            for page in large["pages"]:
                other = small_pages.get(page["name"], {})
                lines.append(f"{page['name']:<20}{page.get('user', ''):<11}{page['p50_ms']:>9.1f}{page['p95_ms']:>9.1f}"
                             f"{page['target_ms']:>8.0f}{str(other.get('query_counts_seen', '')):>9}"
                             f"{str(page['query_counts_seen']):>9}{page['firms_on_page']:>6}"
                             f"{page.get('cpu_p50_ms', 0):>9.1f}{page.get('foreign_cores', 0):>8.2f}  {_mark(page['passed'])}")
            lines.append(f"== {kind}: outreach verdicts ({result.get('outreach_elapsed_s')} s for both sizes)")
            for v in result["outreach_verdicts"]:
                lines.append(f"  {_mark(v['passed'])}  {v['check']}{' (extra)' if v['extra'] else ''}: {v['detail']}")
        lines.append("")
    return "\n".join(lines)


def write_profiles(run: dict, folder: Path, stamp: str) -> None:
    for kind, result in run["databases"].items():
        for page in ((result.get("large") or {}).get("pages", [])
                     + (result.get("outreach_large") or {}).get("pages", [])):
            inv = page.get("investigation")
            if not inv:
                continue
            parts = [f"{kind} {page['name']} {page['url']}: p95 {page['p95_ms']} ms, target {page['target_ms']} ms",
                     f"SQL time per request (sum of statement means): {inv['sql_ms_per_request']} ms", ""]
            parts.append("Statements per request, slowest first:")
            parts += [f"  {s['mean_ms']:8.2f} ms  x{s['executions_per_request']:.0f}  {' '.join(s['sql'].split())[:300]}"
                      for s in page["statements"]]
            for plan in inv["plans"]:
                parts += ["", f"-- {plan['mean_ms']} ms: {' '.join(plan['sql'].split())}", f"-- params: {plan['params']}",
                          plan["plan"]]
            parts += ["", "cProfile of one request (cumulative):", inv["cprofile_top"]]
            (folder / f"{stamp}-{kind}-{page['name']}.txt").write_text("\n".join(parts))


# README --------------------------------------------------------------------------------------------
def _machine(run: dict) -> list[str]:
    m = run["machine"]
    pg = m.get("postgresql", "not measured")
    settings = m.get("postgresql_settings")
    extra = f" ({', '.join(f'{k} {v}' for k, v in settings.items())})" if settings else ""
    return [f"- {m.get('nproc')} cores ({m.get('cpu', '?')}), {m.get('memory_gb', '?')} GB memory, {m.get('platform', '')}",
            f"- Python {m.get('python')}, SQLite {m.get('sqlite')}, PostgreSQL {pg}{extra}"]


def _pages_table(result: dict, kind: str) -> list[str]:
    large, small = result["large"], result["small"]
    small_pages = {p["name"]: p for p in small["pages"]}
    rows = [f"| page | p50 ms | p95 ms | target | p95 ms at {small['firms']:,} | ratio (≤ {RATIO_LIMIT:g}) "
            f"| queries at {small['firms']:,} | queries at {large['firms']:,} | firms on page "
            f"| CPU p50 ms | server CPU ms | others' cores | |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for page in large["pages"]:
        other = small_pages.get(page["name"], {})
        same = other.get("query_counts_seen") == page["query_counts_seen"] and len(page["query_counts_seen"]) == 1
        r = ratio(page, other)
        listed = page["name"] in LIST_PAGES and r is not None
        verdict = (_mark(page["passed"]) + (f", ratio {_mark(r <= RATIO_LIMIT)}" if listed else "")
                   + ("" if same else ", queries differ"))
        qs = "/".join(map(str, other.get("query_counts_seen", [])))
        ql = "/".join(map(str, page["query_counts_seen"]))
        rows.append(f"| {PAGE_LABELS.get(page['name'], page['name'])} | {page['p50_ms']:.1f} | {page['p95_ms']:.1f} | "
                    f"≤ {page['target_ms']:.0f} | {other.get('p95_ms', '')} | {f'{r:.2f}×' if listed else '—'} | "
                    f"{qs} | {ql} | {page['firms_on_page']} | {page.get('cpu_p50_ms', '')} | "
                    f"{page.get('server_cpu_ms', '') if kind == 'postgresql' else '—'} | "
                    f"{page.get('foreign_cores', '')} | {verdict} |")
    s = large["setup"]
    rows.append("")
    rows.append("CPU p50: the benchmark process's CPU time per request (SQLite runs inside it, so for SQLite it is "
                "the request's whole cost without waiting for a CPU); server CPU: PostgreSQL's CPU per request "
                "(mean, including parallel workers); others' cores: CPU other processes on the machine "
                "used while the page was measured (the run waits for a quiet machine and measures a page again "
                "when that exceeds 0.3).")
    rows.append("")
    rows.append(f"{large['pages'][0]['requests']} timed requests per page after {3} warm-up requests "
                f"({small['pages'][0]['requests']} at {small['firms']:,} firms, measured in the same run), signed in as "
                f"`manager-dl`; database: {s['totals']['enterprises']:,} firms, {s['totals']['declaration_counts']:,} "
                f"declaration counts, {s['totals']['trade_mode_links']:,} trade-mode links, {s['database_mb']} MB "
                f"(bulk load {s['insert_s']} s, ANALYZE {s['analyze_s']} s). Load average before/after: "
                f"{' '.join(f'{x:.2f}' for x in large['loadavg_before'])} / {' '.join(f'{x:.2f}' for x in large['loadavg_after'])}.")
    return rows


def _imports_table(result: dict, targets: dict) -> list[str]:
    rows = ["| file | rows | size | import | peak memory | re-import | peak memory | result |",
            "|---|---:|---:|---:|---:|---:|---:|---|"]
    # "others' cores": CPU that other processes on the machine used during the import (0 = undisturbed).
    for fmt, imp in result["imports"].items():
        verdict = ", ".join([_mark(imp["time_passed"]) + f" time (≤ {imp['target_s']} s)",
                             _mark(imp["memory_passed"]) + " memory (≤ 300 MB)",
                             ("re-import unchanged" if imp["reimport_unchanged"] else "re-import CHANGED something")])
        rows.append(f"| {fmt.upper()} | {imp['rows']:,} | {imp['file_mb']} MB | {imp['import']['seconds']} s "
                    f"(others {imp['import'].get('foreign_cores', '?')} cores) | "
                    f"{imp['import']['peak_rss_mb']} MB | {imp['reimport']['seconds']} s | {imp['reimport']['peak_rss_mb']} MB | "
                    f"{verdict} |")
    for fmt, imp in result["imports"].items():
        proto = imp.get("prototype")
        if proto:
            p = proto["import"]
            verdict = ", ".join([_mark(p["exit_code"] == 0 and p["seconds"] <= imp["target_s"]) + " time",
                                 _mark((p["peak_rss_mb"] or 1e9) <= targets["import_rss_mb"]) + " memory",
                                 "same rows as the app's import" if proto["same_as_app"] else "DIFFERENT rows"])
            rows.append(f"| {fmt.upper()}, proposed write path (`bench/import_prototype.py`) | {imp['rows']:,} | "
                        f"{imp['file_mb']} MB | {p['seconds']} s (others {p.get('foreign_cores', '?')} cores) | {p['peak_rss_mb']} MB | "
                        f"{proto['app_reimport']['seconds']} s (app) | {proto['app_reimport']['peak_rss_mb']} MB | {verdict} |")
    first = next(iter(result["imports"].values()))
    rows += ["", f"Summary lines: `{first['import']['summary']}` then `{first['reimport']['summary']}`. "
             f"Written by one import: {first.get('written')}."]
    return rows


def readme_block(folder: Path, targets: dict) -> str:
    lines = [START, ""]
    for kind in ("sqlite", "postgresql"):
        path = folder / f"latest-{kind}.json"
        if not path.exists():
            lines += [f"### {kind}", "", "Not measured yet.", ""]
            continue
        run = json.loads(path.read_text())
        result = run["databases"][kind]
        title = "SQLite" if kind == "sqlite" else "PostgreSQL"
        lines += [f"### {title} (run of {run['started_at']})", ""]
        lines += _machine(run) + [""]
        if "large" in result:
            lines += _pages_table(result, kind) + [""]
        if "imports" in result:
            lines += _imports_table(result, targets) + [""]
        failed = [v for v in result["verdicts"] if not v["passed"] and not v["extra"]]
        met = [v for v in result["verdicts"] if v["passed"] and not v["extra"]]
        lines.append(f"Targets: {len(met)} met, {len(failed)} missed" +
                     (": " + "; ".join(f"{v['check']} ({v['detail']})" for v in failed) if failed else "."))
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def refresh_readme(readme: Path, folder: Path, targets: dict) -> None:
    block = readme_block(folder, targets)
    text = readme.read_text() if readme.exists() else f"# Benchmarks\n\n## Figures\n\n{START}\n{END}\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text += "\n## Figures\n\n" + block + "\n"
    readme.write_text(text)


# Experiments (bench/experiments.py) -------------------------------------------------------------------
EXP_START, EXP_END = "<!-- bench:experiments:start -->", "<!-- bench:experiments:end -->"


def experiments_block(folder: Path) -> str:
    lines = [EXP_START, ""]
    for kind in ("sqlite", "postgresql"):
        path = folder / f"experiments-{kind}.json"
        if not path.exists():
            continue
        exp = json.loads(path.read_text())
        title = "SQLite" if kind == "sqlite" else "PostgreSQL"
        lines += [f"**{title}**, {exp['firms']:,} firms, median of {exp['repeat']} runs, ms "
                  f"(items = the page's 50 rows, count = the pagination total):", "",
                  "| page | today: items + count | lean count | with index: items | with index: deferred items "
                  "| with index: ids first (items + total) | trade mode as EXISTS: items + lean count | matches |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name, stages in exp["cases"].items():
            a, b = stages["without_index"], stages.get("with_index", stages["without_index"])
            exists = (f"{a['exists_items_ms']} + {a['exists_lean_count_ms']}" if "exists_items_ms" in a else "")
            same = all(x.get(k, True) for x in (a, b)
                       for k in ("deferred_same_rows", "lean_same_count", "ids_first_same", "exists_same"))
            lines.append(f"| {name} | {a['items_ms']} + {a['count_ms']} | {a['lean_count_ms']} | {b['items_ms']} | "
                         f"{b['deferred_items_ms']} | {b['ids_first_ms']} | {exists} | {a['total']:,}"
                         f"{'' if same else ' (RESULTS DIFFER)'} |")
        lines.append("")
    lines.append(EXP_END)
    return "\n".join(lines)


def refresh_experiments(readme: Path, folder: Path) -> None:
    if not readme.exists():
        return
    text = readme.read_text()
    if EXP_START in text and EXP_END in text:
        head, rest = text.split(EXP_START, 1)
        _, tail = rest.split(EXP_END, 1)
        readme.write_text(head + experiments_block(folder) + tail)


# Outreach (issue 4) ----------------------------------------------------------------------------------
OUTREACH_START, OUTREACH_END = "<!-- bench:outreach:start -->", "<!-- bench:outreach:end -->"
# Pages the issue names; work_manager and profile_hot_officer are measured as well.
OUTREACH_ISSUE_PAGES = ("work_officer", "needs_list", "needs_page2", "needs_deep", "needs_open", "needs_in_progress",
                        "needs_overdue", "needs_category", "needs_department", "needs_officer", "needs_search",
                        "needs_firm", "needs_combined", "profile_hot")
OUTREACH_LABELS = {
    "work_officer": "My work `/work/` of the busy officer (`officer`)",
    "work_manager": "My work of `manager` (extension requests) (extra)",
    "needs_list": "needs `/needs/`",
    "needs_page2": "needs, page 2",
    "needs_deep": "needs, a quarter deep",
    "needs_open": "needs `?status=open`",
    "needs_in_progress": "needs `?status=in_progress`",
    "needs_overdue": "needs `?overdue=1`",
    "needs_category": "needs `?category=` (a middling one)",
    "needs_department": "needs `?department=` (the busiest)",
    "needs_officer": "needs `?officer=` (the busy officer)",
    "needs_search": "needs `?q=鸿运` (firm search)",
    "needs_firm": "needs `?enterprise=` (the hot firm)",
    "needs_combined": "needs `?status=open&category=&department=` (the pair with the most open needs)",
    "needs_list_officer": "needs `/needs/` as `officer` (营口 only: 80 % of the firms) (extra)",
    "needs_overdue_officer": "needs `?overdue=1` as `officer` (extra)",
    "profile_hot": "profile + timeline of the hot firm",
    "profile_hot_officer": "the same, as `officer` (extra)",
}


def outreach_verdicts(result: dict) -> list[dict]:
    out = []
    large, small = result.get("outreach_large"), result.get("outreach_small")
    if not large:
        return out
    small_pages = {p["name"]: p for p in small["pages"]} if small else {}
    for page in large["pages"]:
        extra = page["name"] not in OUTREACH_ISSUE_PAGES
        out.append({"check": f"{page['name']} p95 ≤ {page['target_ms']:.0f} ms at {large['firms']:,} firms",
                    "passed": page["passed"], "extra": extra,
                    "detail": f"p95 {page['p95_ms']} ms (p50 {page['p50_ms']} ms)"})
        other = small_pages.get(page["name"])
        if other:
            same = other["query_counts_seen"] == page["query_counts_seen"] and len(page["query_counts_seen"]) == 1
            out.append({"check": f"{page['name']} queries the same at {small['firms']:,} and {large['firms']:,} firms",
                        "passed": same, "extra": extra,
                        "detail": f"{other['query_counts_seen']} vs {page['query_counts_seen']}"})
    return out


def _outreach_table(result: dict, kind: str) -> list[str]:
    large, small = result["outreach_large"], result["outreach_small"]
    small_pages = {p["name"]: p for p in small["pages"]}
    rows = [f"| page | p50 ms | p95 ms | target | queries at {small['firms']:,} firms | queries at {large['firms']:,} "
            f"| p50 / p95 ms at {small['firms']:,} | rows on page | CPU p50 ms | server CPU ms | others' cores | |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for page in large["pages"]:
        other = small_pages.get(page["name"], {})
        same = other.get("query_counts_seen") == page["query_counts_seen"] and len(page["query_counts_seen"]) == 1
        verdict = _mark(page["passed"]) + ("" if same else ", queries differ")
        rows.append(f"| {OUTREACH_LABELS.get(page['name'], page['name'])} | {page['p50_ms']:.1f} | {page['p95_ms']:.1f} | "
                    f"≤ {page['target_ms']:.0f} | {'/'.join(map(str, other.get('query_counts_seen', [])))} | "
                    f"{'/'.join(map(str, page['query_counts_seen']))} | "
                    f"{other.get('p50_ms', '')} / {other.get('p95_ms', '')} | {page['firms_on_page']} | "
                    f"{page.get('cpu_p50_ms', '')} | {page.get('server_cpu_ms', '') if kind == 'postgresql' else '—'} | "
                    f"{page.get('foreign_cores', '')} | {verdict} |")
    s = large["setup"]
    t, info = s["outreach_totals"], s["outreach_info"]
    rows += ["", f"{large['pages'][0]['requests']} timed requests per page after 3 warm-up requests ({small['pages'][0]['requests']} "
             f"at {small['firms']:,} firms). Rows on page: links to needs and visits. Database: {large['firms']:,} firms, "
             + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in t.items())
             + f"; {s['database_mb']} MB. Needs by status: "
             + ", ".join(f"{k} {v:,}" for k, v in sorted(s["needs_by_status"].items())) + ". "
             f"`officer` owns {info['busy_officer_needs']:,} needs ({info['busy_officer_open']:,} open, "
             f"{info['busy_officer_overdue']:,} overdue), has {info['busy_officer_follow_ups_due']} visits with a follow-up "
             f"due and {info['busy_officer_unread']} unread notifications; the hot firm has {info['hot_firm_visits']} visits "
             f"and {info['hot_firm_needs']} needs; {info['pending_extensions']} extension requests await a manager. "
             + (f"Generating the rows took {s['outreach_generate_s']} s (once for both databases), writing them "
                if s.get("outreach_generate_s") else "Writing the rows (generated once for both databases) took ")
             + f"{s['outreach_write_s']} s, ANALYZE {s['outreach_analyze_s']} s (the firms: {s['insert_s']} s). "
             f"Load average before/after: {' '.join(f'{x:.2f}' for x in large['loadavg_before'])} / "
             f"{' '.join(f'{x:.2f}' for x in large['loadavg_after'])}."]
    return rows


def outreach_block(folder: Path) -> str:
    lines = [OUTREACH_START, ""]
    for kind in ("sqlite", "postgresql"):
        path = folder / f"latest-outreach-{kind}.json"
        if not path.exists():
            lines += [f"### {kind}", "", "Not measured yet.", ""]
            continue
        run = json.loads(path.read_text())
        result = run["databases"][kind]
        title = "SQLite" if kind == "sqlite" else "PostgreSQL"
        lines += [f"### {title} (run of {run['started_at']}, {result.get('outreach_elapsed_s')} s for both sizes)", ""]
        lines += _machine(run) + [""]
        lines += _outreach_table(result, kind) + [""]
        failed = [v for v in result["outreach_verdicts"] if not v["passed"] and not v["extra"]]
        met = [v for v in result["outreach_verdicts"] if v["passed"] and not v["extra"]]
        lines.append(f"Targets: {len(met)} met, {len(failed)} missed" +
                     (": " + "; ".join(f"{v['check']} ({v['detail']})" for v in failed) if failed else "."))
        lines.append("")
    lines.append(OUTREACH_END)
    return "\n".join(lines)


def refresh_outreach_readme(readme: Path, folder: Path) -> None:
    block = outreach_block(folder)
    text = readme.read_text()
    if OUTREACH_START in text and OUTREACH_END in text:
        head, rest = text.split(OUTREACH_START, 1)
        _, tail = rest.split(OUTREACH_END, 1)
        text = head + block + tail
    else:
        text += "\n## Outreach figures (issue 4)\n\n" + block + "\n"
    readme.write_text(text)
