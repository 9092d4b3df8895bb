#!/usr/bin/env python3
"""Turns the load harness' results into BENCHMARKS.md and an SVG chart (stdlib only).

Usage: report.py RESULTS.jsonl BENCHMARKS.md CHART.svg SERVERS.lock PEERS.lock RUNS SECONDS CONNECTIONS
                 [FILES.jsonl SCALING.jsonl]
"""
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from datetime import datetime, timezone

STORES = ["memory", "files", "sqlite", "redis", "postgres", "cookie"]
SCENARIOS = ["reuse", "fresh"]
PEERS = {  # the peers that serve each store
    "memory": ["tower-sessions"],
    "sqlite": ["tower-sessions"],
    "redis": ["tower-sessions", "actix-session"],
    "postgres": ["tower-sessions"],
    "cookie": ["actix-session"],
    "files": [],
}
COLOURS = {"satchel": "#2b6cb0", "tower-sessions": "#dd6b20", "actix-session": "#38a169",
           "plain axum": "#718096", "plain actix-web": "#a0aec0"}
CEILINGS = ["plain axum", "plain actix-web"]  # the frameworks alone: no sessions


def load(path):
    rows = {}
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        w = r["wrk"]
        rate = w["requests"] / (w["duration_us"] / 1e6)
        key = (r["server"], r["store"], r["scenario"])
        rows.setdefault(key, []).append({
            "rate": rate, "p50": w["p50_us"], "p99": w["p99_us"],
            "bad": w["socket_errors"] + w["non2xx"],
        })
    return rows


def summary(runs):
    rates = [r["rate"] for r in runs]
    return {
        "median": statistics.median(rates), "min": min(rates), "max": max(rates),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "bad": sum(r["bad"] for r in runs), "n": len(runs),
    }


def ms(us):
    return f"{us / 1000:.2f}"


def krate(rate):
    return f"{rate / 1000:.1f}k" if rate >= 1000 else f"{rate:.0f}"


def versions(*locks):
    wanted = ["axum", "tower-sessions", "tower-sessions-core", "tower-sessions-memory-store",
              "tower-sessions-sqlx-store", "tower-sessions-redis-store", "sqlx", "fred",
              "actix-web", "actix-session", "redis", "rusqlite", "tokio-postgres", "tokio"]
    found = {}
    for lock in locks:
        text = open(lock).read()
        for name, version in re.findall(r'name = "([^"]+)"\nversion = "([^"]+)"', text):
            if name in wanted:
                found.setdefault(name, set()).add(version)
    return ", ".join(f"{n} {'/'.join(sorted(found[n]))}" for n in wanted if n in found)


def command(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def stores_where():
    """Where bench/run put the machine's Redis and PostgreSQL servers."""
    if os.environ.get("BENCH_PIN_STORES", "1") == "0":
        return "and the machine's Redis and PostgreSQL wherever the scheduler puts them,"
    return "and the machine's Redis and PostgreSQL beside it on core 1 (so the server under test has\nits core to itself, as with the database on another host),"


def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({model}), Linux {platform.release()}; "
            f"{command('redis-server', '--version').split(' sha=')[0]}; "
            f"{command('psql', '--version')}")


def ratio_cell(value, target=None):
    if value is None:
        return "—"
    text = f"{value:.2f}×"
    if target is not None:
        text += " ✅" if value >= target else " ❌"
    return text


def table(rows):
    out = ["| store | scenario | server | req/s (median) | min–max | p50 ms | p99 ms | "
           "satchel ÷ best peer | ÷ plain axum |", "|---|---|---|---|---|---|---|---|---|"]
    axum = {s: rows.get(("plain axum", "none", s)) for s in SCENARIOS}
    for store in STORES:
        for scenario in SCENARIOS:
            servers = ["satchel"] + PEERS[store]
            best = max((rows[(p, store, scenario)]["median"] for p in PEERS[store]
                        if (p, store, scenario) in rows), default=None)
            for server in servers:
                s = rows.get((server, store, scenario))
                if s is None:
                    continue
                vs_peer = vs_axum = ""
                if server == "satchel":
                    vs_peer = ratio_cell(s["median"] / best) if best else "no peer"
                    a = axum[scenario]
                    vs_axum = ratio_cell(s["median"] / a["median"]) if a else "—"
                bad = f" ({s['bad']} errors)" if s["bad"] else ""
                out.append(f"| {store} | {scenario} | {server} | {krate(s['median'])}{bad} | "
                           f"{krate(s['min'])}–{krate(s['max'])} | {ms(s['p50'])} | "
                           f"{ms(s['p99'])} | {vs_peer} | {vs_axum} |")
    for ceiling in CEILINGS:
        for scenario in SCENARIOS:
            a = rows.get((ceiling, "none", scenario))
            if a:
                out.append(f"| — | {scenario} | {ceiling} | {krate(a['median'])} | "
                           f"{krate(a['min'])}–{krate(a['max'])} | {ms(a['p50'])} | "
                           f"{ms(a['p99'])} | | |")
    return "\n".join(out)


def get(rows, server, store, scenario, field="median"):
    s = rows.get((server, store, scenario))
    return s[field] if s else None


def div(a, b):
    return a / b if a is not None and b else None


def targets(rows):
    out = ["| target | reuse | fresh |", "|---|---|---|"]
    def line(label, f, target):
        cells = [ratio_cell(f(sc), target) for sc in SCENARIOS]
        out.append(f"| {label} | {cells[0]} | {cells[1]} |")
    sat = lambda store, sc: get(rows, "satchel", store, sc)
    line("memory ≥ 0.90× plain axum (reuse) / 0.80× (fresh)",
         lambda sc: div(sat("memory", sc), get(rows, "plain axum", "none", sc)), None)
    line("memory ahead of tower-sessions (≥ 1.0×)",
         lambda sc: div(sat("memory", sc), get(rows, "tower-sessions", "memory", sc)), 1.0)
    out.append("| memory p99 ≤ 2× tower-sessions' p99 (ratio shown: theirs×2 ÷ ours) | " + " | ".join(
        ratio_cell(div(2 * (get(rows, "tower-sessions", "memory", sc, "p99") or 0),
                       get(rows, "satchel", "memory", sc, "p99")), 1.0) for sc in SCENARIOS) + " |")
    line("cookie ≥ 1.2× actix-session", lambda sc: div(sat("cookie", sc), get(rows, "actix-session", "cookie", sc)), 1.2)
    line("Redis ≥ 1.2× actix-session", lambda sc: div(sat("redis", sc), get(rows, "actix-session", "redis", sc)), 1.2)
    line("Redis ≥ 2× tower-sessions", lambda sc: div(sat("redis", sc), get(rows, "tower-sessions", "redis", sc)), 2.0)
    line("SQLite ≥ 2× tower-sessions (satchel durable: synchronous=FULL)", lambda sc: div(sat("sqlite", sc), get(rows, "tower-sessions", "sqlite", sc)), 2.0)
    line("PostgreSQL ≥ 1.5× tower-sessions", lambda sc: div(sat("postgres", sc), get(rows, "tower-sessions", "postgres", sc)), 1.5)
    # The memory-vs-axum line has two different bars; mark it by hand.
    mem = [div(sat("memory", sc), get(rows, "plain axum", "none", sc)) for sc in SCENARIOS]
    out[2] = (f"| memory ≥ 0.90× plain axum (reuse) / 0.80× (fresh) | {ratio_cell(mem[0], 0.90)} | "
              f"{ratio_cell(mem[1], 0.80)} |")
    return "\n".join(out)


def chart(rows, path):
    """Horizontal bars: requests per second for every store, scenario and server."""
    bars = []
    for scenario in SCENARIOS:
        for ceiling in CEILINGS:
            a = rows.get((ceiling, "none", scenario))
            if a:
                bars.append((f"{scenario} · {ceiling}", ceiling, a["median"]))
        for store in STORES:
            for server in ["satchel"] + PEERS[store]:
                s = rows.get((server, store, scenario))
                if s:
                    bars.append((f"{scenario} · {store} · {server}", server, s["median"]))
    if not bars:
        return
    width, left, bar_h, gap = 900, 260, 16, 6
    top = max(b[2] for b in bars)
    height = 40 + len(bars) * (bar_h + gap)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<text x="10" y="20" font-size="14" font-weight="bold">Requests per second, '
           f'GET /incr (median of runs; longer is better)</text>']
    for i, (label, server, rate) in enumerate(bars):
        y = 34 + i * (bar_h + gap)
        w = (width - left - 80) * rate / top
        svg.append(f'<text x="{left - 8}" y="{y + 12}" text-anchor="end">{label}</text>')
        svg.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                   f'fill="{COLOURS.get(server, "#999")}"/>')
        svg.append(f'<text x="{left + w + 6:.1f}" y="{y + 12}">{krate(rate)}</text>')
    svg.append("</svg>")
    open(path, "w").write("\n".join(svg) + "\n")


def lines(path):
    """The JSON lines of an optional results file (none when it is missing or empty)."""
    if not path or not os.path.exists(path):
        return []
    return [json.loads(line) for line in open(path) if line.strip().startswith("{")]


FILE_OPS = ["new+save", "get", "save of a change", "delete", "list"]
FILE_TARGETS = {"new+save": 2.0, "get": 20.0}  # satchel ÷ secure-cookie, from the issue


def files_section(path):
    """satchel's file store against secure-cookie 0.2.0, and against the disk's raw rate."""
    found = lines(path)
    if not found:
        return ""
    rate = {(r["impl"], r["op"]): r["per_s"] for r in found if "op" in r}
    durable = next((r for r in found if r.get("durable")), None)
    peer = "secure-cookie"
    out = ["## The file store against secure-cookie 0.2.0", "",
           "The operations of werkzeug's `FilesystemSessionStore`, one at a time, on the same kind of "
           "private directory: secure-cookie 0.2.0 in CPython, satchel in its own file format and in "
           "werkzeug's. secure-cookie writes with no fsync (a power loss can lose or tear what it "
           "acknowledged); satchel fsyncs the file and the directory on every write.", "",
           "| operation | secure-cookie (ops/s) | satchel format (ops/s) | ÷ secure-cookie | "
           "werkzeug format (ops/s) | ÷ secure-cookie |", "|---|---|---|---|---|---|"]
    for op in FILE_OPS:
        base = rate.get((peer, op))
        cells = []
        for impl in ["satchel (satchel)", "satchel (werkzeug)"]:
            ours = rate.get((impl, op))
            cells.append(f"{ours:,.0f}" if ours else "—")
            cells.append(ratio_cell(div(ours, base), FILE_TARGETS.get(op)))
        out.append(f"| {op} | {f'{base:,.0f}' if base else '—'} | " + " | ".join(cells) + " |")
    if durable:
        out += ["", f"**Durable saves against the disk** ({durable['writers']} writers, raw writes and "
                f"satchel's saves alternating in half-second windows): the disk's raw rate of write, "
                f"fsync, rename and fsync of the directory is {durable['raw_per_s']:,.0f}/s; satchel's "
                f"saves of changed sessions (read under the session's lock, apply, the same durable "
                f"write) make {durable['satchel_per_s']:,.0f}/s: "
                f"{ratio_cell(durable['ratio'], 0.90)} (target ≥ 0.90×)."]
    return "\n".join(out) + "\n"


def us(value):
    return f"{value:,.0f} µs" if value >= 100 else f"{value:.1f} µs"


def scaling_section(path):
    """Load and save latency as each store grows; list and prune at 100,000; memory per session."""
    found = lines(path)
    if not found:
        return ""
    out = ["## Scaling", "",
           "One store grown from empty, timed at each size: 2,000 loads and 2,000 saves one at a time "
           "(latency, not throughput) of sessions spread over all it holds (`bench/servers/scaling`). "
           "Target: load latency at the largest size within 20% of that at the smallest.", "",
           "| store | sessions | load p50 | load p99 | save p50 | save p99 | load p50 ÷ smallest |",
           "|---|---|---|---|---|---|---|"]
    sizes = [r for r in found if "load_p50_us" in r]
    stores = list(dict.fromkeys(r["store"] for r in sizes))
    for store in stores:
        rows = sorted((r for r in sizes if r["store"] == store), key=lambda r: r["sessions"])
        base = rows[0]["load_p50_us"]
        for r in rows:
            vs = r["load_p50_us"] / base
            mark = "" if r is rows[0] else (" ✅" if vs <= 1.2 else " ❌")
            out.append(f"| {store} | {r['sessions']:,} | {us(r['load_p50_us'])} | {us(r['load_p99_us'])} | "
                       f"{us(r['save_p50_us'])} | {us(r['save_p99_us'])} | {vs:.2f}×{mark} |")
    listing = [r for r in found if "list_per_s" in r]
    if listing:
        out += ["", "| store | sessions | `list` (keys/s) | `prune` (sessions checked/s, half of them expired) |",
                "|---|---|---|---|"]
        for r in listing:
            out.append(f"| {r['store']} | {r['sessions']:,} | {r['list_per_s']:,.0f} | "
                       f"{r['prune_checked_per_s']:,.0f} ({r['pruned']:,} pruned) |")
    memory = next((r for r in found if "resident_bytes_per_session" in r), None)
    if memory:
        out += ["", f"**Memory**: `MemoryStore` holding {memory['sessions']:,} two-key sessions costs "
                f"{memory['resident_bytes_per_session']:,} bytes of resident memory per session."]
    return "\n".join(out) + "\n"


def python_section(path):
    """The Python package against secure-cookie: the table its bench script prints."""
    if not path or not os.path.exists(path) or not open(path).read().strip():
        return ""
    # The run's temp paths say nothing to a reader.
    table = [re.sub(r"(sqlite|file):[^ )|]+", r"\1:…", line)
             for line in open(path).read().splitlines() if line.startswith("|")]
    return "\n".join([
        "## The Python face against secure-cookie", "",
        "get and save through `satchel`'s Python package (`crates/satchel-py`) and through "
        "secure-cookie 0.2.0's `FilesystemSessionStore`, on the same data, in one run "
        "(`crates/satchel-py/bench/bench_sessions.py`). Ratio: secure-cookie's time per operation "
        "over satchel's (above 1, satchel is faster). satchel's file saves fsync the file and "
        "the directory, lock, and merge; secure-cookie's do none of it.", "",
    ] + table) + "\n"


def revoke_section(path):
    """Time to end all of one user's sessions, against as many deletes by id."""
    found = lines(path)
    if not found:
        return ""
    out = ["## Log out everywhere", "",
           "Ending all of one user's 1,000 sessions (among 1,000 of another user) with "
           "`end_sessions_of`, against deleting as many sessions one by one by id in the same run "
           "(`bench/servers/revoke`); medians of five rounds.", "",
           "| store | end all 1,000 | 1,000 deletes by id | ratio |", "|---|---|---|---|"]
    stores = list(dict.fromkeys(r["store"] for r in found))
    for store in stores:
        rows = [r for r in found if r["store"] == store]
        end_all = statistics.median(r["end_all_ms"] for r in rows)
        one_by_one = statistics.median(r["one_by_one_ms"] for r in rows)
        out.append(f"| {store} | {end_all:,.1f} ms | {one_by_one:,.1f} ms | {end_all / one_by_one:.3f}× |")
    return "\n".join(out) + "\n"


def analysis(svg):
    """The profiling notes kept beside the script (bench/analysis.md), if any."""
    path = os.path.join(os.path.dirname(svg), "analysis.md")
    return open(path).read() + "\n" if os.path.exists(path) else ""


def run_time(results, out):
    """When the run finished: bench/run says so in BENCH_WHEN. A report written again from
    the kept figures keeps the time the report before it gave, since a checkout resets the
    results file's mtime; the mtime is the last resort."""
    if os.environ.get("BENCH_WHEN"):
        return os.environ["BENCH_WHEN"]
    if os.path.exists(out):
        found = re.search(r"Regenerated by `bench/run` on ([0-9-]+ [0-9:]+ UTC)", open(out).read())
        if found:
            return found.group(1)
    return datetime.fromtimestamp(os.path.getmtime(results), timezone.utc).strftime(
        "%Y-%m-%d %H:%M UTC"
    )


def main():
    results, out, svg, lock_a, lock_b, runs, seconds, connections = sys.argv[1:9]
    files_path, scaling_path, python_path, revoke_path = (sys.argv[9:13] + [None] * 4)[:4]
    rows = {k: summary(v) for k, v in load(results).items()}
    chart(rows, svg)
    when = run_time(results, out)
    text = f"""# Benchmarks

Regenerated by `bench/run` on {when}; every figure below comes from that one run, so the
ratios compare servers measured side by side on one machine. Absolute numbers move from
machine to machine and run to run; the ratios are what count.

**How**: each server answers `GET /incr` (read the integer `n` from the session, store
`n + 1`, return it), pinned to core 0; wrk runs on core 1 with {connections} connections,
{stores_where()}
{runs} runs of {seconds} s per scenario, in {runs} rounds that each run every server once (odd
rounds in one order, even ones in reverse, so a slow spell of the machine lands on all of
them), each server against fresh state (a new directory or database file, an emptied
Redis database, dropped tables). **reuse**: each request carries one of
{connections} session cookies captured from the first responses, in turn (never updated);
**fresh**: no cookie, so every request creates a session. satchel runs SQLite with
`synchronous=FULL` (every acknowledged save durable), tower-sessions with the
`synchronous=NORMAL` its users are told to use (which can lose acknowledged writes on power
loss). satchel's file store fsyncs every save and has no Rust peer.

**Machine**: {machine()}.
**Crates**: {versions(lock_a, lock_b)}.

![requests per second]({os.path.relpath(svg, os.path.dirname(out))})

## The targets (issue: faster than every peer)

{targets(rows)}

## Every figure

{table(rows)}

{files_section(files_path)}
{scaling_section(scaling_path)}
{python_section(python_path)}
{revoke_section(revoke_path)}
{analysis(svg)}
Reproduce with `bench/run` (about 30 minutes, half of it the file-store and scaling figures, which `BENCH_EXTRA=0` skips; `BENCH_ONLY=satchel bench/run` for satchel's
rows only). `bench/README.md` explains the harness and how to profile a server.
"""
    open(out, "w").write(text)


if __name__ == "__main__":
    main()
