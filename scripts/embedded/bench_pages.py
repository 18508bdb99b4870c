"""`scripts/bench pages`: server render time, end-to-end time and weight of the hosted pages.

Starts its own fresh embedded stack and sets up, through the staff API, the demo's three houses
(`seed.py`: their halls, productions and tariffs) plus a `--seats` concert hall at the first house
(`demo_seatmaps.concert_hall`: parterre and balkon, categories A/B/C, wheelchair places with their
companion seats, restricted-view seats), and `--performances` (33) performances spread over the
houses and the next 60 days, one of them in the concert hall. `--taken` (35 %) of that hall's
seats are then held by buyers through the public API (in blocks of 2–8 random seats), so the map
shows free and taken seats (a sold seat is drawn exactly like a held one).

Then it requests the agenda (`/p/agenda`, 30 performances a page, each with its availability) and
the performance page with its SVG seat map (`/p/performances/{id}`), each in Dutch (the default)
and French (`?lang=fr`): one page after the other, after `--warm-up` (3) requests, `--requests`
(200) times or for a quarter of `--max-seconds` (480), whichever comes first; one request at a
time, from one client with `Accept: text/html`. The agenda's availability summaries are cached
for 3 s per process (`services/availability.py`), so an agenda request that follows another
within 3 s reads no seats. Per page it reports p50/p95/p99/max of
- `app`: the page's time in the function, from the page's own `Server-Timing` header (the view with
  its DynamoDB reads and the template; Chalice's routing and middleware are not in it);
- `render`: the template's share of that (same header);
- `http`: the end-to-end time at the client (the Chalice local gateway and moto included).

And the weight of the seat-map page: its HTML plus every stylesheet, script and image it references
(fetched), response bodies uncompressed and gzip-compressed (level 6, what a CDN or API Gateway's
compression would send), and the response headers.
`--profile N` then renders the seat-map page and the agenda N times each in-process (Chalice's
test client, same stack) under cProfile and prints where the time goes (moto, in its own threads,
shows as the time spent waiting in `recv_into`).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gzip
import io
import json
import os
import pstats
import random
import re
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import psutil
import requests

from . import demo_seatmaps, seed
from .bench import percentile
from .stack import EmbeddedStack

BIG_HOUSE = "cc-westrand"
BIG_HALL = "concertzaal"
BUDGET_MS = 50.0
BUDGET_BYTES = 200 * 1024
ASSET = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"')
TIMING = re.compile(r"([A-Za-z0-9_-]+);dur=([0-9.]+)")


def server_timing(header: str | None) -> dict[str, float]:
    """`app;dur=12.3, render;dur=4.5` → {"app": 12.3, "render": 4.5} (milliseconds)."""
    return {name: float(value) for name, value in TIMING.findall(header or "")}


def asset_urls(html: str) -> list[str]:
    """The same-site files a page makes the browser fetch: stylesheets, scripts, images (not data: URLs)."""
    seen: dict[str, None] = {}
    for url in ASSET.findall(html):
        if url.startswith("/") and not url.startswith("//"):
            seen.setdefault(url.replace("&amp;", "&"), None)
    return list(seen)


def header_bytes(response: requests.Response) -> int:
    """The size of a response's status line and headers as HTTP/1.1 sends them."""
    return (
        len(f"HTTP/1.1 {response.status_code} {response.reason}\r\n")
        + sum(len(name) + len(value) + 4 for name, value in response.headers.items())
        + 2
    )


def summary_ms(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": round(percentile(values, 0.5), 1),
        "p95": round(percentile(values, 0.95), 1),
        "p99": round(percentile(values, 0.99), 1),
        "max": round(max(values), 1) if values else None,
        "n": len(values),
    }


def set_up(stack: EmbeddedStack, seats: int, performances: int) -> str:
    """The demo's houses, halls and productions plus the concert hall; `performances` performances over
    the houses; returns the id of the one in the concert hall."""
    from chalicelib.web.auth import Role, issue_token

    key = stack.secret_values["StaffTokenSecret"]
    coordinator = issue_token(key, "bench", Role.COORDINATOR, None)
    tokens = {house["id"]: issue_token(key, "bench", Role.HOUSE_ADMIN, house["id"]) for house in seed.HOUSES}
    session = requests.Session()

    def post(path: str, token: str, body: dict) -> dict:
        response = session.post(
            stack.api_url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=120
        )
        if response.status_code >= 300:
            raise RuntimeError(f"setting up {path} failed: {response.status_code} {response.text[:500]}")
        return response.json()

    venues = {house_id: list(halls) for house_id, halls in seed.VENUES.items()}
    venues[BIG_HOUSE].insert(0, (BIG_HALL, lambda: demo_seatmaps.concert_hall(seats)))
    categories: dict[str, list[str]] = {}
    for house in seed.HOUSES:
        post("/staff/houses", coordinator, house)
        for venue_id, make_map in venues[house["id"]]:
            seatmap = make_map()
            categories[venue_id] = seed._categories(seatmap)
            post("/staff/venues", tokens[house["id"]], {"id": venue_id, "seatmap": seatmap})
        for production_id, title, genre in seed.PRODUCTIONS[house["id"]]:
            post("/staff/productions", tokens[house["id"]], {"id": production_id, "title": title, "genre": genre})
    today = datetime.now(seed.BRUSSELS).date()
    big = None
    for number in range(performances):
        house_id = seed.HOUSES[number % len(seed.HOUSES)]["id"]
        turn = number // len(seed.HOUSES)
        venue_id = venues[house_id][turn % len(venues[house_id])][0]
        production_id = seed.PRODUCTIONS[house_id][turn % len(seed.PRODUCTIONS[house_id])][0]
        starts = datetime.combine(
            today + timedelta(days=1 + (number * 60) // max(1, performances)),
            clock(20 if number % 4 else 15, 0),
            tzinfo=seed.BRUSSELS,
        )
        body = {
            "id": f"{production_id}-{number:03d}",
            "production_id": production_id,
            "venue_id": venue_id,
            "starts_at": starts.isoformat(),
            "status": "on_sale",
            "sales_start": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
            "tariffs": [
                {
                    "code": code,
                    "name": seed.TARIFF_NAMES[code],
                    "prices": {category: table[category] for category in categories[venue_id]},
                }
                for code, table in seed.PRICES.items()
            ],
        }
        if categories[venue_id] == ["standing"]:
            body["standing_shards"] = 4
        created = post("/staff/performances", tokens[house_id], body)
        if venue_id == BIG_HALL and big is None:
            big = created["id"]
    if big is None:
        raise RuntimeError("no performance in the concert hall: ask for 1 performance or more")
    return big


def take_seats(stack: EmbeddedStack, performance_id: str, seat_ids: list[str], share: float, seed_value: int) -> int:
    """Hold `share` of the seats in blocks of 2–8 random seats, each block by a buyer of its own."""
    rng = random.Random(seed_value)
    wanted = rng.sample(seat_ids, int(len(seat_ids) * share))
    taken = 0
    with requests.Session() as session:
        while wanted:
            size = rng.randint(2, 8)
            block, wanted = wanted[:size], wanted[size:]
            response = session.post(
                f"{stack.api_url}/performances/{performance_id}/holds",
                json={"seats": block},
                headers={"X-Podium-Session": secrets.token_urlsafe(24)},
                timeout=60,
            )
            if response.status_code != 201:
                raise RuntimeError(f"holding seats failed: {response.status_code} {response.text[:300]}")
            taken += len(block)
    return taken


def weigh(session: requests.Session, base: str, path: str) -> dict:
    """The page and everything it references: bytes of bodies (plain, gzip) and headers, per file."""
    files = []
    page = session.get(base + path, timeout=60)
    page.raise_for_status()
    for url, response in [(path, page)] + [(u, session.get(base + u, timeout=60)) for u in asset_urls(page.text)]:
        response.raise_for_status()
        files.append(
            {
                "url": url,
                "type": response.headers.get("Content-Type", "").split(";")[0],
                "bytes": len(response.content),
                "gzip_bytes": len(gzip.compress(response.content, 6)),
                "header_bytes": header_bytes(response),
            }
        )
    total = {name: sum(f[name] for f in files) for name in ("bytes", "gzip_bytes", "header_bytes")}
    return {
        "files": files,
        **total,
        "transferred_plain": total["bytes"] + total["header_bytes"],
        "transferred_gzip": total["gzip_bytes"] + total["header_bytes"],
    }


def measure(
    session: requests.Session, base: str, paths: dict[str, str], count: int, warm_up: int, max_seconds: float
) -> dict:
    """Each page in turn, one request at a time, `count` times or for its share of `max_seconds`:
    app, render and end-to-end milliseconds per page."""
    samples = {name: {"app": [], "render": [], "http": []} for name in paths}
    for name, path in paths.items():
        for _ in range(warm_up):
            session.get(base + path, timeout=60).raise_for_status()
        deadline = time.monotonic() + max_seconds / len(paths)
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            response = session.get(base + path, timeout=60)
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            timing = server_timing(response.headers.get("Server-Timing"))
            if "app" not in timing:
                raise RuntimeError(f"{path} sent no Server-Timing header")
            samples[name]["app"].append(timing["app"])
            samples[name]["render"].append(timing.get("render", 0.0))
            samples[name]["http"].append(elapsed)
        _say(f"{name}: {len(samples[name]['http'])} requests")
    return samples


@contextlib.contextmanager
def _aws_calls_timed(calls: dict[str, list[float]]):
    """Count and time every AWS call of this process by operation and table or index."""
    from botocore.endpoint import Endpoint

    original = Endpoint.make_request

    def timed(self, operation_model, request_dict):
        began = time.perf_counter()
        try:
            return original(self, operation_model, request_dict)
        finally:
            body = request_dict.get("body") or b""
            target = re.search(rb'"(?:IndexName|TableName)": ?"([^"]+)"', body if isinstance(body, bytes) else b"")
            name = f"{operation_model.name} {target.group(1).decode() if target else ''}".strip()
            entry = calls.setdefault(name, [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - began

    Endpoint.make_request = timed
    try:
        yield
    finally:
        Endpoint.make_request = original


def profile(path: str, repeat: int, top: int = 25) -> str:
    """Render `path` `repeat` times in-process (Chalice's test client) under cProfile; the top functions."""
    from chalice.test import Client

    from app import app

    calls: dict[str, list[float]] = {}
    with Client(app) as client, _aws_calls_timed(calls):
        client.http.get(path, headers={"Accept": "text/html"})  # templates compiled, caches warm
        calls.clear()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeat):
            client.http.get(path, headers={"Accept": "text/html"})
        profiler.disable()
    out = io.StringIO()
    out.write("AWS calls per request (operation, table or index: calls, ms in total):\n")
    for name, (number, seconds) in sorted(calls.items(), key=lambda item: -item[1][1]):
        out.write(f"  {name}: {number / repeat:.1f} calls, {seconds * 1000 / repeat:.1f} ms\n")
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(top)
    out.write("\n-- by own time --\n")
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/bench pages", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per page (after the warm-up)")
    parser.add_argument("--seats", type=int, default=1000, help="seats of the concert hall")
    parser.add_argument("--performances", type=int, default=33)
    parser.add_argument("--taken", type=float, default=0.35, help="share of the hall's seats held before measuring")
    parser.add_argument("--warm-up", type=int, default=3)
    parser.add_argument(
        "--max-seconds", type=float, default=480, help="the requests' time bound, shared equally by the four pages"
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="then render the seat-map page N times in-process under cProfile",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("agenda", "seat map"), help="measure only these pages (nl and fr)")
    args = parser.parse_args(argv)

    state = Path(tempfile.mkdtemp(prefix="podium-bench-pages-"))
    stack = EmbeddedStack(stage="demo", state_dir=state, fresh=True, sweep_interval=0, snapshot_interval=0)
    stack.start()
    try:
        os.environ.setdefault("PODIUM_STAGE", stack.stage)
        setup_began = time.perf_counter()
        performance_id = set_up(stack, args.seats, args.performances)
        _say(f"set up in {time.perf_counter() - setup_began:.1f} s; holding seats")
        hall = demo_seatmaps.concert_hall(args.seats)
        taken = take_seats(stack, performance_id, [seat["id"] for seat in hall["seats"]], args.taken, args.seed)
        setup_seconds = time.perf_counter() - setup_began
        _say(f"{taken} seats held; measuring")
        paths = {
            "agenda": "/p/agenda",
            "agenda fr": "/p/agenda?lang=fr",
            "seat map": f"/p/performances/{performance_id}",
            "seat map fr": f"/p/performances/{performance_id}?lang=fr",
        }
        if args.only:
            paths = {name: path for name, path in paths.items() if name.startswith(args.only)}
        processes = [psutil.Process(), psutil.Process(stack.gateway.pid)]
        for process in processes:
            process.cpu_percent(None)
        load_before = os.getloadavg()
        with requests.Session() as session:
            session.headers["Accept"] = "text/html"
            measure_began = time.perf_counter()
            samples = measure(session, stack.api_url, paths, args.requests, args.warm_up, args.max_seconds)
            wall = time.perf_counter() - measure_began
            cpu = [process.cpu_percent(None) for process in processes]
            weight = {
                name: weigh(session, stack.api_url, paths[name])
                for name in ("seat map", "seat map fr")
                if name in paths
            }
            agenda_html = session.get(stack.api_url + paths["agenda"], timeout=60).text if "agenda" in paths else ""
        result = {
            "seats": args.seats,
            "seats_taken": taken,
            "performances": args.performances,
            "agenda_rows": agenda_html.count('<li class="performance"'),
            "requests_per_page": {name: len(s["http"]) for name, s in samples.items()},
            "setup_seconds": round(setup_seconds, 1),
            "measure_seconds": round(wall, 1),
            "ms": {name: {kind: summary_ms(values) for kind, values in s.items()} for name, s in samples.items()},
            "seat_map_weight": {name: {key: value for key, value in w.items()} for name, w in weight.items()},
            "cpu_percent": {"client_supervisor_and_moto": cpu[0], "gateway": cpu[1]},
            "load_average": {
                "before": [round(x, 2) for x in load_before],
                "after": [round(x, 2) for x in os.getloadavg()],
            },
            "cpus": os.cpu_count(),
        }
        print(json.dumps(result, indent=2))
        print()
        for name, s in result["ms"].items():
            verdict = "within" if s["app"]["p95"] < BUDGET_MS else "OVER"
            print(
                f"| {datetime.now(UTC):%Y-%m-%d} | {name} | {s['app']['n']} | "
                f"{s['app']['p50']} / {s['app']['p95']} / {s['app']['p99']} / {s['app']['max']} | "
                f"{s['render']['p50']} / {s['render']['p95']} | "
                f"{s['http']['p50']} / {s['http']['p95']} / {s['http']['p99']} / {s['http']['max']} | "
                f"{verdict} {BUDGET_MS:.0f} ms |"
            )
        for name, w in weight.items():
            verdict = "within" if w["transferred_gzip"] < BUDGET_BYTES else "OVER"
            files = ", ".join(f"{f['url'].split('?')[0]} {f['bytes']:,} / {f['gzip_bytes']:,}" for f in w["files"])
            print(
                f"| {name} | {w['transferred_plain']:,} B plain | {w['transferred_gzip']:,} B gzip "
                f"({verdict} {BUDGET_BYTES:,} B) | {files} |"
            )
        for name in [name for name in ("seat map", "agenda") if name in paths] if args.profile else ():
            print(f"\n### cProfile: {name}, {args.profile} requests in-process\n")
            print(profile(paths[name], args.profile))
    finally:
        stack.stop()
    return 0


def _say(text: str) -> None:
    print(f"[bench pages] {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
