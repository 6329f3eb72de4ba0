"""Forms service throughput: sustained signups per second and latency.

Starts the real service (`python -m forms.serve`, uvicorn) on loopback with
the rate limit and worker off and a fresh SQLite outbox, then drives
POST /api/subscribe from an asyncio load generator over keep-alive
connections, each signup a distinct address. Afterwards it checks that the
outbox holds exactly the signups the service accepted.

    python -m tools.bench.forms_load [--seconds 10] [--connections 32]
"""

import argparse
import asyncio
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def client(host, port, deadline, counter, latencies, statuses, worker):
    reader, writer = await asyncio.open_connection(host, port)
    number = 0
    try:
        while time.perf_counter() < deadline:
            number += 1
            body = f"email=load-{worker}-{number}%40example.com&name=Load&consent=yes&source=%2Fbench%2F"
            request = (f"POST /api/subscribe HTTP/1.1\r\nHost: {host}:{port}\r\n"
                       "Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                       f"Content-Length: {len(body)}\r\n\r\n{body}").encode()
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            status = int(status_line.split()[1])
            statuses[status] = statuses.get(status, 0) + 1
            counter[0] += status == 200
    finally:
        writer.close()


async def drive(port, seconds, connections):
    counter, latencies, statuses = [0], [], {}
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(client("127.0.0.1", port, deadline, counter, latencies, statuses, n)
                           for n in range(connections)))
    return counter[0], time.perf_counter() - started, latencies, statuses


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-forms-") as folder:
        db = Path(folder) / "outbox.sqlite3"
        port = 8791
        env = {**os.environ, "FORMS_DB": str(db), "FORMS_RATE_LIMIT": "0", "FORMS_WORKER": "0"}
        for key in ("MAILCHIMP_API_KEY", "SMTP_HOST"):
            env.pop(key, None)
        server = subprocess.Popen([sys.executable, "-m", "forms.serve", "--host", "127.0.0.1",
                                   "--port", str(port)], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            accepted, elapsed, latencies, statuses = asyncio.run(drive(port, args.seconds, args.connections))
        finally:
            server.terminate()
            server.wait(timeout=10)
        with sqlite3.connect(db) as outbox:
            stored = outbox.execute("select count(*) from signups").fetchone()[0]
    print(f"Forms service: {accepted / elapsed:,.0f} signups/s over {elapsed:.1f} s with "
          f"{args.connections} connections; latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms; responses {statuses}; "
          f"outbox holds {stored:,} of {accepted:,} accepted "
          f"({'exact' if stored == accepted else 'MISMATCH'})")
    return 0 if stored == accepted else 1


if __name__ == "__main__":
    sys.exit(main())
