"""Add-to-cart load: a small threaded load generator (wrk cannot easily keep
a CSRF token and a session per connection).

Each connection behaves like a shopper: it GETs a product page once for the
CSRF cookie, then POSTs /shop/cart/add/ with the token, keeping the session
cookie it is given, and after SESSION_ADDS adds starts over as a new shopper
(so no cart grows without bound). Only the POSTs are timed.

    python bench/cartload.py --host 127.0.0.1 --port 8000 --duration 10 \
        --connections 8 --product-path /shop/p/<slug>/ --variants variants.txt
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

SESSION_ADDS = 20
TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def cookies_from(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie()
        cookie.load(header)
        for key, morsel in cookie.items():
            jar[key] = morsel.value


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def worker(args, variants: list[int], deadline: float, out: dict) -> None:
    rng = random.Random()
    conn = http.client.HTTPConnection(args.host, args.port, timeout=30)
    latencies: list[float] = []
    errors = 0
    while time.monotonic() < deadline:
        jar: dict[str, str] = {}
        conn.request("GET", args.product_path)
        response = conn.getresponse()
        body = response.read().decode()
        cookies_from(response, jar)
        match = TOKEN_RE.search(body)
        if response.status != 200 or not match or "csrftoken" not in jar:
            errors += 1
            continue
        form_token = match.group(1)
        for _ in range(SESSION_ADDS):
            if time.monotonic() >= deadline:
                break
            body = urlencode({"variant_id": rng.choice(variants), "quantity": 1})
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie_header(jar),
                "X-CSRFToken": form_token,
            }
            started = time.perf_counter()
            conn.request("POST", "/shop/cart/add/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            cookies_from(response, jar)
            if response.status not in (200, 302):
                errors += 1
    conn.close()
    out["latencies"] = latencies
    out["errors"] = errors


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--product-path", required=True)
    parser.add_argument("--variants", required=True, help="file of variant ids, one a line")
    args = parser.parse_args()
    with open(args.variants) as fh:
        variants = [int(line) for line in fh if line.strip()]

    started = time.monotonic()
    deadline = started + args.duration
    results = [{} for _ in range(args.connections)]
    threads = [
        threading.Thread(target=worker, args=(args, variants, deadline, results[i]))
        for i in range(args.connections)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies = sorted(x for r in results for x in r.get("latencies", []))
    errors = sum(r.get("errors", 0) for r in results)
    rps = len(latencies) / elapsed
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    print(
        f"requests={len(latencies)} errors={errors} rps={rps:.1f} p50_ms={p50:.1f} p99_ms={p99:.1f}"
    )


if __name__ == "__main__":
    main()
