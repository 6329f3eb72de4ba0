"""Forms service throughput: sustained signups per second and latency, on SQLite and PostgreSQL.

Starts the real service (`python -m forms.serve`, uvicorn) on loopback with
the rate limit and worker off, then drives POST /api/subscribe from an asyncio
load generator over keep-alive connections, each signup a distinct address.
Afterwards it checks that the outbox holds exactly the signups the service
accepted. Cases, all in one run:

    sqlite     one instance, a fresh SQLite outbox
    pg         one instance, a fresh database on a PostgreSQL server the bench starts
               itself (tests/support/postgres.py; fsync and synchronous_commit on)
    pg2        two instances on that database, the connections split between them
  and, when named in --cases, for comparison in the same run:
    pg-rowwise one instance, PostgreSQL, group commit off (FORMS_GROUP_COMMIT=0): each
               signup its own transaction in a worker thread, as before issue 15's group commit
    pg-limited one instance, PostgreSQL, with the shared rate limit on (a limit no client
               reaches, so every request is counted in PostgreSQL and none refused)

    python -m tools.bench.forms_load [--seconds 10] [--connections 32] [--cases sqlite,pg,pg2]

Beside each case: the CPU that the service's processes, the load generator and
the PostgreSQL server used, each as a share of one core over the run (the
machine has 2 cores: 200 % in all is every core busy; the generator is one
process, so 100 % would be its ceiling).

Without PostgreSQL installed, the pg cases are reported as not run.
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


def start_servers(env, count):
    servers = []
    for _ in range(count):
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "forms.serve", "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        servers.append((port, proc))
    for port, _ in servers:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
    return servers


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def drive_many(ports, seconds, connections):
    counter, latencies, statuses = [0], [], {}
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(client("127.0.0.1", ports[n % len(ports)], deadline, counter, latencies,
                                  statuses, n) for n in range(connections)))
    return counter[0], time.perf_counter() - started, latencies, statuses


def cpu_seconds(pid):
    """User + system CPU of a process so far (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root_pid):
    """CPU of a process and its children (the PostgreSQL postmaster and its backends)."""
    if root_pid is None:
        return None
    total = cpu_seconds(root_pid) or 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == root_pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def run_case(label, target, instances, seconds, connections, count_stored, extra_env=None,
             database_pid=None):
    env = {**os.environ, "FORMS_DB": str(target), "FORMS_RATE_LIMIT": "0", "FORMS_WORKER": "0",
           **(extra_env or {})}
    for key in ("MAILCHIMP_API_KEY", "SMTP_HOST"):
        env.pop(key, None)
    servers = start_servers(env, instances)
    try:
        before = [cpu_seconds(proc.pid) for _, proc in servers]
        database = tree_cpu_seconds(database_pid)
        own = time.process_time()
        accepted, elapsed, latencies, statuses = asyncio.run(
            drive_many([p for p, _ in servers], seconds, connections))
        own = time.process_time() - own
        after = [cpu_seconds(proc.pid) for _, proc in servers]
        if database is not None:
            database = tree_cpu_seconds(database_pid) - database
    finally:
        for _, proc in servers:
            proc.terminate()
        for _, proc in servers:
            proc.wait(timeout=10)
    stored = count_stored()
    rate = accepted / elapsed
    p50, p99 = statistics.median(latencies) * 1000, percentile(latencies, 0.99) * 1000
    service = ("?" if None in before + after
               else f"{sum(a - b for a, b in zip(after, before)) / elapsed:.0%}")
    print(f"| {label} | {rate:,.0f} | {p50:.1f} ms | {p99:.1f} ms | "
          + ", ".join(f"{n:,} × {s}" for s, n in sorted(statuses.items()))
          + f" | {'exactly' if stored == accepted else 'MISMATCH:'} {stored:,} of {accepted:,}"
          + f" | {service} | {own / elapsed:.0%} | "
          + ("–" if database is None else f"{database / elapsed:.0%}") + " |", flush=True)
    return stored == accepted


PG_CASES = {
    "pg": ("one instance, PostgreSQL", 1, {}),
    "pg2": ("two instances, PostgreSQL, load split", 2, {}),
    "pg-rowwise": ("one instance, PostgreSQL, group commit off", 1, {"FORMS_GROUP_COMMIT": "0"}),
    "pg-limited": ("one instance, PostgreSQL, shared rate limit on", 1,
                   {"FORMS_RATE_LIMIT": "100000000"}),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--cases", default="sqlite,pg,pg2")
    args = parser.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in cases if c != "sqlite" and c not in PG_CASES]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}")
    print(f"{args.connections} keep-alive connections for {args.seconds:.0f} s per case, "
          "rate limit and worker off\n")
    print("| case | signups/s | p50 | p99 | responses | outbox afterwards | service CPU "
          "| generator CPU | PostgreSQL CPU |")
    print("|---|---:|---:|---:|---|---|---:|---:|---:|")
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-forms-") as folder:
        if "sqlite" in cases:
            db = Path(folder) / "outbox.sqlite3"

            def count():
                with sqlite3.connect(db) as outbox:
                    return outbox.execute("select count(*) from signups").fetchone()[0]

            ok &= run_case("one instance, SQLite", db, 1, args.seconds, args.connections, count)
        pg_cases = [c for c in cases if c in PG_CASES]
        if pg_cases:
            sys.path.insert(0, str(ROOT))
            from tests.support.postgres import PostgresServer, missing

            reason = missing()
            if reason:
                print(f"| PostgreSQL cases | not run: {reason} | | | | | | | |")
                return 0 if ok else 1
            import psycopg

            server = PostgresServer(fsync=True).start()
            try:
                for case in pg_cases:
                    url = server.create_database(f"bench_{case}")

                    def count():
                        with psycopg.connect(url) as conn:
                            return conn.execute("select count(*) from signups").fetchone()[0]

                    label, instances, extra_env = PG_CASES[case]
                    ok &= run_case(label, url, instances, args.seconds, args.connections, count,
                                   extra_env, server.postmaster_pid())
            finally:
                server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
