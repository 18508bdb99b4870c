"""The pages benchmark's pure helpers: the Server-Timing header, the files a page references, the concert hall."""

from chalicelib.domain.seatmap import parse_seatmap
from scripts.embedded.bench_pages import asset_urls, server_timing, summary_ms
from scripts.embedded.demo_seatmaps import concert_hall


def test_server_timing_is_read_in_milliseconds():
    assert server_timing("app;dur=12.3, render;dur=4.5") == {"app": 12.3, "render": 4.5}
    assert server_timing("app;dur=7") == {"app": 7.0}
    assert server_timing(None) == {}


def test_a_page_references_its_own_stylesheets_scripts_and_images_once():
    html = (
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/p/static/pages.css">'
        '<script src="/p/static/pages.js" defer></script><script src="/p/static/pages.js"></script>'
        '<img src="https://cdn.example/logo.png" alt=""><img src="/p/static/x.png?a=1&amp;b=2" alt="">'
        '<a href="/p/agenda">agenda</a>'
    )
    assert asset_urls(html) == ["/p/static/pages.css", "/p/static/pages.js", "/p/static/x.png?a=1&b=2"]


def test_summary_gives_percentiles_and_the_maximum():
    figures = summary_ms([float(n) for n in range(1, 101)])
    assert figures["p50"] == 51.0 and figures["p95"] == 95.0 and figures["max"] == 100.0 and figures["n"] == 100


def test_the_concert_hall_has_exactly_the_seats_asked_and_passes_the_seat_map_rules():
    for seats in (8, 333, 1000):
        document = concert_hall(seats)
        hall = parse_seatmap(document)
        assert len(hall.seats) == seats
        kinds = [seat["kind"] for seat in document["seats"]]
        assert kinds.count("wheelchair") == 2 and kinds.count("companion") == 2
        assert {seat["category"] for seat in document["seats"]} == {"A", "B", "C"} or seats < 20
        assert any(seat["restricted_view"] for seat in document["seats"] if seat["section"] == "balkon")
