#!/usr/bin/env python3
"""The performance figures of apig-certd (issue 8), measured against apig-sim.

Run it through scripts/bench.sh, which checks the build and the packages first. Every figure
comes from the real binaries: `apig-certd sync` and `apig-certd run` against apig-sim over
HTTPS on 127.0.0.1, with certificates and configs generated here (openssl CLI only).

  detection   `run`, debounce 1s: certbot-style renewals; time from the last link swap to
              the bind request arriving at apig-sim (its request log has microsecond times)
  idle        `run` with 1,000 bindings in 200 groups, all in sync, idle: CPU (run time of
              every thread in /proc/PID/task/*/schedstat, in ns; also utime+stime of
              /proc/PID/stat, whose 10 ms ticks are too coarse for the goal) and wake-ups
              (voluntary context switches of every thread, /proc/PID/task/*/status)
  memory      RssAnon (the goal), VmRSS and VmHWM after READY=1 and in sync with 1, 100,
              1,000 and 10,000 bindings
  startup     `run` with 1,000 bindings in sync: exec to READY=1 (a NOTIFY_SOCKET read here),
              and the same without the first remote read (the span between the first and
              the last request of the start pass as apig-sim logged them)
  fanout      `sync` of 1,000 targets in 200 groups, every request delayed 50 ms by apig-sim,
              concurrency 16: wall time against (requests / 16) x 50 ms
  bind_cpu    callgrind instruction count of one bind without the network (tests/bench/bind_cost)

The results go to a table on stdout and to a JSON file; a previous JSON at that path is read
first and compared with.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

PROJECT = "0123456789abcdef0123456789abcdef"
INSTANCE = "eddc4d25480b4cd6b512f270a1b8b341"
ACCESS_KEY = "BENCHACCESSKEY000001"
SECRET_KEY = "bench-secret-key-0123456789abcdef"
DOMAINS_PER_GROUP = 5
PAGE_SIZE = 4096


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def load_average():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def median(values):
    return statistics.median(values) if values else None


def percentile(values, fraction):
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))  # ceil
    return ordered[min(rank, len(ordered)) - 1]


def run_quiet(argv, **kwargs):
    return subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          **kwargs)


def parse_sim_time(text):
    """apig-sim's log time, '2026-11-28T10:00:00.123456Z', as seconds since the epoch."""
    moment = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


# --- /proc ---------------------------------------------------------------------------------

def cpu_ticks(pid):
    """utime + stime of the whole process (every thread, live or ended), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)


def cpu_ns(pid):
    """Time on a CPU of every thread that still runs, in nanoseconds (the first field of
    /proc/PID/task/TID/schedstat): the idle figure needs better than /proc/PID/stat's 10 ms
    clock ticks."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            pass
    return total


def context_switches(pid):
    """(voluntary, involuntary) context switches summed over every thread that still runs."""
    voluntary = involuntary = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        voluntary += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        involuntary += int(line.split()[1])
        except FileNotFoundError:
            pass
    return voluntary, involuntary


def thread_count(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def memory_kib(pid):
    """VmRSS and VmHWM (proc(5)), and RssAnon: the resident memory that is the process's own
    (heap, stacks), without the shared libraries' pages that VmRSS also counts."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                values[key] = int(rest.split()[0])
    return values


# --- certificates and configs --------------------------------------------------------------

class Material:
    """A CA, apig-sim's TLS certificate, and a leaf key with certificates signed for it."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.ca_key = os.path.join(directory, "ca.key")
        self.ca = os.path.join(directory, "ca.pem")
        self.sim_key = os.path.join(directory, "sim.key")
        self.sim_cert = os.path.join(directory, "sim.pem")
        self.leaf_key = os.path.join(directory, "leaf.key")
        self.leaf_csr = os.path.join(directory, "leaf.csr")
        self.san = os.path.join(directory, "san.ext")
        run_quiet(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj",
                   "/CN=apig-certd bench CA", "-keyout", self.ca_key, "-out", self.ca])
        with open(os.path.join(directory, "sim.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        run_quiet(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
                   self.sim_key, "-out", os.path.join(directory, "sim.csr")])
        run_quiet(["openssl", "x509", "-req", "-in", os.path.join(directory, "sim.csr"), "-CA",
                   self.ca, "-CAkey", self.ca_key, "-set_serial", "1", "-days", "30",
                   "-extfile", os.path.join(directory, "sim.ext"), "-out", self.sim_cert])
        # certbot's default RSA 2048 leaf; one key, a wildcard SAN covering every bench domain.
        run_quiet(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj",
                   "/CN=bench.example", "-keyout", self.leaf_key, "-out", self.leaf_csr])
        os.chmod(self.leaf_key, 0o600)
        with open(self.san, "w") as f:
            f.write("subjectAltName=DNS:bench.example,DNS:*.bench.example\n")
        for name, value in (("access_key", ACCESS_KEY), ("secret_key", SECRET_KEY)):
            path = os.path.join(directory, name)
            with open(path, "w") as f:
                f.write(value + "\n")
            os.chmod(path, 0o600)
        self.serial = 100

    def leaf(self, days=90):
        """A new certificate for the leaf key (a new serial, so a new fingerprint), as PEM."""
        self.serial += 1
        out = os.path.join(self.dir, "leaf.pem")
        run_quiet(["openssl", "x509", "-req", "-in", self.leaf_csr, "-CA", self.ca, "-CAkey",
                   self.ca_key, "-set_serial", str(self.serial), "-days", str(days), "-extfile",
                   self.san, "-out", out])
        with open(out) as f:
            return f.read()

    def key_pem(self):
        with open(self.leaf_key) as f:
            return f.read()


def domain_name(index):
    return f"d{index:05d}.bench.example"


def group_id(index):
    return f"g{index // DOMAINS_PER_GROUP:04d}"


class Fleet:
    """N bindings, each with its own directory (fullchain.pem + privkey.pem, hard links to one
    shared pair) and one target; DOMAINS_PER_GROUP domains per API group."""

    def __init__(self, material, directory, count):
        self.count = count
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        shared = os.path.join(directory, "shared")
        os.makedirs(shared, exist_ok=True)
        leaf = material.leaf()
        with open(material.ca) as f:
            ca = f.read()
        fullchain = os.path.join(shared, "fullchain.pem")
        privkey = os.path.join(shared, "privkey.pem")
        with open(fullchain, "w") as f:
            f.write(leaf + ca)
        shutil.copyfile(material.leaf_key, privkey)
        os.chmod(privkey, 0o600)
        self.lineages = []
        for i in range(count):
            lineage = os.path.join(directory, "live", f"b{i:05d}")
            os.makedirs(lineage, exist_ok=True)
            for name, source in (("fullchain.pem", fullchain), ("privkey.pem", privkey)):
                path = os.path.join(lineage, name)
                if not os.path.exists(path):
                    os.link(source, path)
            self.lineages.append(lineage)

    def groups(self):
        return (self.count + DOMAINS_PER_GROUP - 1) // DOMAINS_PER_GROUP

    def seed_groups(self, cname_status=3, cname_sequence=(3,)):
        """The API groups; after a bind, each read of a group moves its domains one step
        along `cname_sequence` (apig-sim)."""
        groups = {}
        for i in range(self.count):
            groups.setdefault(group_id(i), []).append(
                {"id": f"dom{i:05d}", "domain": domain_name(i), "cname_status": cname_status,
                 "cname_sequence": list(cname_sequence)})
        return [{"id": g, "name": f"api_{g}", "domains": domains}
                for g, domains in groups.items()]

    def bindings_toml(self):
        parts = []
        for i, lineage in enumerate(self.lineages):
            parts.append(f'\n[[binding]]\nname = "b{i:05d}"\nlineage = "{lineage}"\n'
                         f'  [[binding.target]]\n  instance_id = "{INSTANCE}"\n'
                         f'  group_id = "{group_id(i)}"\n  domain = "{domain_name(i)}"\n')
        return "".join(parts)


def write_config(path, material, port, state_dir, bindings_toml, concurrency=8, debounce="1s",
                 log_level="info", poll_interval="1s"):
    with open(path, "w") as f:
        f.write(f"""[daemon]
state_dir = "{state_dir}"
debounce = "{debounce}"
rescan_interval = "1h"
concurrency = {concurrency}
log_level = "{log_level}"

[apig]
endpoint = "https://127.0.0.1:{port}"
project_id = "{PROJECT}"
ca_file = "{material.ca}"
timeout = "30s"

[auth]
method = "aksk"
access_key_file = "{material.dir}/access_key"
secret_key_file = "{material.dir}/secret_key"

[poll]
interval = "{poll_interval}"
timeout = "2m"

[retry]
initial = "1s"
max = "10s"
{bindings_toml}""")
    return path


class DirectoryWrites:
    """What is written into a directory, seen from outside: a thread lists it every 10 ms and
    counts each new version of a file (another inode, size or mtime) with its size. The
    daemon replaces its files by rename (sys/atomic_file.h), so a version is never seen half
    written; its temp files (".name.tmp-...") are not counted."""

    def __init__(self, directory):
        self.directory = directory
        self.seen = self._versions()
        self.bytes = 0
        self.versions = {}
        self.stopped = False
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _versions(self):
        versions = {}
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                    continue
                status = entry.stat(follow_symlinks=False)
                versions[entry.name] = (status.st_ino, status.st_size, status.st_mtime_ns)
        return versions

    def _scan(self):
        current = self._versions()
        for name, version in current.items():
            if self.seen.get(name) != version:
                self.bytes += version[1]
                self.versions[name] = self.versions.get(name, 0) + 1
        self.seen = current

    def _watch(self):
        while not self.stopped:
            self._scan()
            time.sleep(0.01)

    def stop(self):
        """Stops watching, after one last look (a save just before the stop counts)."""
        self.stopped = True
        self.thread.join()
        self._scan()
        return {"bytes": self.bytes, "versions": self.versions}


# --- processes -----------------------------------------------------------------------------

class Sim:
    """apig-sim on 127.0.0.1 over HTTPS, with the admin API."""

    def __init__(self, binary, material, directory, groups):
        self.material = material
        os.makedirs(directory, exist_ok=True)
        seed = os.path.join(directory, "seed.json")
        with open(seed, "w") as f:
            json.dump({"project_id": PROJECT,
                       "credentials": {"aksk": [{"ak": ACCESS_KEY, "sk": SECRET_KEY}]},
                       "instances": [{"id": INSTANCE, "groups": groups}]}, f)
        port_file = os.path.join(directory, "sim.port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.stderr = open(os.path.join(directory, "sim.err"), "w")
        self.process = subprocess.Popen(
            [binary, "--seed", seed, "--tls-cert", material.sim_cert, "--tls-key",
             material.sim_key, "--port-file", port_file],
            stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.monotonic() + 10
        while not (os.path.exists(port_file) and os.path.getsize(port_file) > 0):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"apig-sim did not start (see {directory}/sim.err)")
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self.context = ssl.create_default_context(cafile=material.ca)

    def admin(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self.context, timeout=60) as response:
            text = response.read()
        return json.loads(text) if text else None

    def requests(self):
        return self.admin("GET", "/__admin/requests")["requests"]

    def clear_requests(self):
        self.admin("DELETE", "/__admin/requests")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()


class NotifySocket:
    """A NOTIFY_SOCKET (AF_UNIX datagram) read by a thread; every message with its arrival
    time (time.monotonic())."""

    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []
        self.lock = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.closed:
            try:
                data = self.sock.recv(PAGE_SIZE)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append((time.monotonic(), data.decode(errors="replace")))
                self.lock.notify_all()

    def wait_for(self, needle, timeout, after=0):
        """The arrival time of the first message from index `after` on containing `needle`,
        or None."""
        found = self.wait_index(needle, timeout, after)
        return None if found is None else self.messages[found][0]

    def wait_index(self, needle, timeout, after=0):
        """The index of the first message from index `after` on containing `needle`, or
        None."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for index in range(after, len(self.messages)):
                    if needle in self.messages[index][1]:
                        return index
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.lock.wait(remaining)

    def count(self):
        with self.lock:
            return len(self.messages)

    def close(self):
        self.closed = True
        self.thread.join()
        self.sock.close()
        os.unlink(self.path)


class Daemon:
    """`apig-certd run` with a NOTIFY_SOCKET; stderr goes to a file."""

    def __init__(self, binary, config, directory, watchdog_usec=None):
        self.notify = NotifySocket(os.path.join(directory, "notify.sock"))
        self.stderr_path = os.path.join(directory, "daemon.err")
        self.stderr = open(self.stderr_path, "w")
        env = dict(os.environ)
        env.update({"NOTIFY_SOCKET": self.notify.path, "APIG_CERTD_CONFIG": "",
                    "JOURNAL_STREAM": ""})
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        self.started = time.monotonic()
        self.process = subprocess.Popen([binary, "run", "--config", config],
                                        stdout=subprocess.DEVNULL, stderr=self.stderr, env=env)
        self.pid = self.process.pid

    def wait_ready(self, timeout=120):
        arrived = self.notify.wait_for("READY=1", timeout)
        if arrived is None:
            raise RuntimeError(f"no READY=1 within {timeout} s (see {self.stderr_path})")
        return arrived - self.started

    def wait_in_sync(self, targets, timeout=120):
        if self.notify.wait_for(f"{targets} in sync", timeout) is None:
            raise RuntimeError(f"not all {targets} targets in sync (see {self.stderr_path})")

    def stderr_text(self):
        with open(self.stderr_path) as f:
            return f.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()
        self.notify.close()
        return self.process.returncode


def run_sync(binary, config, usage=None):
    """`apig-certd sync`: (wall seconds, exit code, stderr). With `usage` (a dict), also
    the CPU seconds the sync used (user + system, every thread) in usage["cpu_s"]."""
    env = dict(os.environ, APIG_CERTD_CONFIG="", JOURNAL_STREAM="")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run([binary, "sync", "--config", config], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if usage is not None:
        usage["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, result.returncode, result.stderr


def fanout_phases(requests, started_at, took):
    """Where a sync's wall time went, from apig-sim's arrival times: before the first
    request (config, bundles), the group reads, the binds, and after the last request."""
    gets = [parse_sim_time(r["time"]) for r in requests if r["method"] == "GET"]
    posts = [parse_sim_time(r["time"]) for r in requests if r["method"] == "POST"]
    if not gets:
        return {}
    first = min(gets + posts)
    last = max(gets + posts)
    phases = {"before_first_request": first - started_at,
              "after_last_request": started_at + took - last}
    if posts:
        phases["group_reads"] = min(posts) - first
        phases["binds"] = max(posts) - min(posts)
    return {key: round(value, 3) for key, value in phases.items()}


# --- the figures ---------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.build = args.build_dir
        self.certd = os.path.join(self.build, "daemon", "apig-certd")
        self.sim_binary = os.path.join(self.build, "tests", "apig-sim", "apig-sim")
        self.bind_cost = os.path.join(self.build, "tests", "bench", "bind-cost")
        self.work = tempfile.mkdtemp(prefix="apig-certd-bench-")
        self.material = Material(os.path.join(self.work, "material"))
        self.fleets = {}
        self.results = {}

    def cleanup(self):
        if self.args.keep:
            log(f"kept the work directory {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def fleet(self, count):
        if count not in self.fleets:
            self.fleets[count] = Fleet(self.material, os.path.join(self.work, f"fleet{count}"),
                                       count)
        return self.fleets[count]

    def in_sync_setup(self, count, name):
        """apig-sim seeded for `count` bindings, a config, and one `sync` so the state and
        the remote are in sync. Returns (sim, config, directory)."""
        fleet = self.fleet(count)
        directory = os.path.join(self.work, name)
        os.makedirs(directory, exist_ok=True)
        sim = Sim(self.sim_binary, self.material, directory, fleet.seed_groups())
        config = write_config(os.path.join(directory, "config.toml"), self.material, sim.port,
                              os.path.join(directory, "state"), fleet.bindings_toml(),
                              concurrency=self.args.concurrency)
        took, code, err = run_sync(self.certd, config)
        if code != 0:
            sim.stop()
            raise RuntimeError(f"the first sync of {count} bindings failed:\n{err[-2000:]}")
        log(f"{count} binding(s) bound by one sync in {took:.2f} s")
        return sim, config, directory

    # detection latency
    def detection(self):
        renewals = self.args.renewals
        directory = os.path.join(self.work, "detection")
        live = os.path.join(directory, "letsencrypt", "live", "renew")
        archive = os.path.join(directory, "letsencrypt", "archive", "renew")
        os.makedirs(live)
        os.makedirs(archive)
        with open(self.material.ca) as f:
            ca = f.read()
        key = self.material.key_pem()

        def write_version(version, leaf):
            for stem, content in (("cert", leaf), ("chain", ca), ("fullchain", leaf + ca),
                                  ("privkey", key)):
                path = os.path.join(archive, f"{stem}{version}.pem")
                with open(path, "w") as f:
                    f.write(content)
                if stem == "privkey":
                    os.chmod(path, 0o600)

        def point_links(version):
            """certbot: each live/ link unlinked and re-created, cert, privkey, chain,
            fullchain; returns the wall-clock time of the last swap."""
            for stem in ("cert", "privkey", "chain", "fullchain"):
                link = os.path.join(live, f"{stem}.pem")
                if os.path.lexists(link):
                    os.unlink(link)
                os.symlink(f"../../archive/renew/{stem}{version}.pem", link)
            return time.time()

        leaves = [self.material.leaf() for _ in range(renewals + 1)]
        write_version(1, leaves[0])
        point_links(1)
        groups = [{"id": "g0000", "name": "api_g0000", "domains": [
            {"id": "dom00000", "domain": domain_name(0), "cname_status": 3,
             "cname_sequence": [3]}]}]
        sim = Sim(self.sim_binary, self.material, directory, groups)
        bindings = (f'\n[[binding]]\nname = "renew"\nlineage = "{live}"\n'
                    f'  [[binding.target]]\n  instance_id = "{INSTANCE}"\n'
                    f'  group_id = "g0000"\n  domain = "{domain_name(0)}"\n')
        config = write_config(os.path.join(directory, "config.toml"), self.material, sim.port,
                              os.path.join(directory, "state"), bindings, debounce="1s")
        daemon = None
        latencies = []
        try:
            _, code, err = run_sync(self.certd, config)
            if code != 0:
                raise RuntimeError(f"detection: the first sync failed:\n{err}")
            daemon = Daemon(self.certd, config, directory)
            daemon.wait_ready()
            daemon.wait_in_sync(1)
            for version in range(2, renewals + 2):
                write_version(version, leaves[version - 1])
                sim.clear_requests()
                bound_lines = daemon.stderr_text().count("bound: binding 'renew'")
                swapped = point_links(version)
                deadline = time.monotonic() + 15
                while daemon.stderr_text().count("bound: binding 'renew'") == bound_lines:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"detection: renewal {version} was not bound within "
                                           f"15 s (see {daemon.stderr_path})")
                    time.sleep(0.05)
                posts = [r for r in sim.requests() if r["method"] == "POST"]
                if len(posts) != 1:
                    raise RuntimeError(f"detection: renewal {version}: {len(posts)} POSTs")
                latencies.append((parse_sim_time(posts[0]["time"]) - swapped) * 1000)
                time.sleep(0.1)  # the pass records and saves after the POST
        finally:
            if daemon:
                daemon.stop()
            sim.stop()
        debounce_ms = 1000
        self.results["detection"] = {
            "debounce_ms": debounce_ms,
            "renewals": renewals,
            "samples_ms": [round(x, 2) for x in latencies],
            "median_ms": round(median(latencies), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2),
            "max_ms": round(max(latencies), 2),
            "median_over_debounce_ms": round(median(latencies) - debounce_ms, 2),
            "p99_over_debounce_ms": round(percentile(latencies, 0.99) - debounce_ms, 2),
            "goal": "median <= debounce + 50 ms, p99 <= debounce + 200 ms",
            "met": (median(latencies) <= debounce_ms + 50
                    and percentile(latencies, 0.99) <= debounce_ms + 200),
            "load_average": load_average(),
        }

    # start-up, idle and memory at 1,000 bindings (--quick: 200)
    def fleet_runs(self):
        count = self.args.fleet
        sim, config, directory = self.in_sync_setup(count, "fleet")
        startups, local_startups, remote_reads, idle_runs, memory = [], [], [], [], []
        startup_cpu = []
        try:
            for run in range(self.args.startups):
                sim.clear_requests()
                daemon = Daemon(self.certd, config, directory, watchdog_usec=30_000_000)
                try:
                    ready = daemon.wait_ready()
                    # CPU time to READY=1 (every thread): far less sensitive to the load
                    # average than the wall time.
                    cpu_ms = cpu_ticks(daemon.pid) * 1000 / os.sysconf("SC_CLK_TCK")
                    daemon.wait_in_sync(count)
                    times = sorted(parse_sim_time(r["time"]) for r in sim.requests())
                    remote = (times[-1] - times[0]) if times else 0.0
                    startups.append(ready * 1000)
                    startup_cpu.append(cpu_ms)
                    remote_reads.append(remote * 1000)
                    local_startups.append((ready - remote) * 1000)
                    time.sleep(0.5)
                    memory.append(memory_kib(daemon.pid))
                    if run < self.args.idle_runs:
                        idle_runs.append(self.idle(daemon, sim))
                finally:
                    code = daemon.stop()
                if code != 0:
                    raise RuntimeError(f"run exited {code} after SIGTERM")
        finally:
            sim.stop()
        self.results["startup"] = {
            "bindings": count,
            "groups": count // DOMAINS_PER_GROUP,
            "concurrency": self.args.concurrency,
            "samples_ms": [round(x, 1) for x in startups],
            "ready_median_ms": round(median(startups), 1),
            "remote_read_median_ms": round(median(remote_reads), 1),
            "local_median_ms": round(median(local_startups), 1),
            "cpu_to_ready_median_ms": round(median(startup_cpu), 1),
            "goal": "<= 100 ms to READY=1, excluding the first remote read",
            "met": median(local_startups) <= 100,
            "load_average": load_average(),
        }
        cpu = [r["cpu_ms_per_minute"] for r in idle_runs]
        wakeups = [r["wakeups_per_minute"] for r in idle_runs]
        self.results["idle"] = {
            "bindings": count,
            "seconds": self.args.idle_seconds,
            "watchdog_usec": 30_000_000,
            "expected_wakeups_per_minute": 60 / 15,
            "runs": idle_runs,
            "cpu_ms_per_minute_median": round(median(cpu), 3),
            "cpu_ms_per_minute_ticks_median": median([r["cpu_ms_per_minute_ticks"]
                                                      for r in idle_runs]),
            "wakeups_per_minute_median": round(median(wakeups), 1),
            "goal": "<= 5 ms CPU per minute; wake-ups only for due deadlines (watchdog every "
                    "15 s with WatchdogSec=30s, the hourly rescan)",
            "met": median(cpu) <= 5 and median(wakeups) <= 60 / 15 + 1,
        }
        self.results.setdefault("memory", {"runs": {}})["runs"][str(count)] = memory

    def idle(self, daemon, sim):
        sim.clear_requests()
        ticks_per_second = os.sysconf("SC_CLK_TCK")
        ticks = cpu_ticks(daemon.pid)
        nanoseconds = cpu_ns(daemon.pid)
        switches = context_switches(daemon.pid)
        threads = thread_count(daemon.pid)
        log(f"idle {self.args.idle_seconds} s with {self.args.fleet} bindings ({threads} threads)")
        time.sleep(self.args.idle_seconds)
        used = cpu_ticks(daemon.pid) - ticks
        used_ns = cpu_ns(daemon.pid) - nanoseconds
        after = context_switches(daemon.pid)
        requests = len(sim.requests())
        scale = 60 / self.args.idle_seconds
        return {
            "cpu_ticks": used,
            "cpu_ms_per_minute_ticks": used * 1000 / ticks_per_second * scale,
            "cpu_ms_per_minute": used_ns / 1e6 * scale,
            "voluntary_switches": after[0] - switches[0],
            "involuntary_switches": after[1] - switches[1],
            "wakeups_per_minute": (after[0] - switches[0]) * scale,
            "threads": threads,
            "requests": requests,
            "load_average": load_average(),
        }

    def memory(self):
        runs = self.results.setdefault("memory", {"runs": {}})["runs"]
        for count in self.args.memory_sizes:
            if str(count) in runs:
                continue
            sim, config, directory = self.in_sync_setup(count, f"memory{count}")
            samples = []
            try:
                # 10,000 bindings take a minute per start on a small machine: one sample.
                for _ in range(self.args.repeat if count < 10000 else 1):
                    daemon = Daemon(self.certd, config, directory)
                    try:
                        daemon.wait_ready(timeout=600)
                        daemon.wait_in_sync(count, timeout=600)
                        time.sleep(0.5)
                        samples.append(memory_kib(daemon.pid))
                    finally:
                        daemon.stop()
            finally:
                sim.stop()
            runs[str(count)] = samples
        summary = {}
        for count, samples in sorted(runs.items(), key=lambda item: int(item[0])):
            summary[count] = {"rss_kib": median([s["VmRSS"] for s in samples]),
                              "hwm_kib": median([s["VmHWM"] for s in samples]),
                              "anon_kib": median([s["RssAnon"] for s in samples]),
                              "file_kib": median([s["RssFile"] for s in samples])}
        sizes = sorted(int(c) for c in summary)
        growth = {}
        for low, high in zip(sizes, sizes[1:]):
            for key in ("rss_kib", "hwm_kib", "anon_kib"):
                delta = summary[str(high)][key] - summary[str(low)][key]
                growth.setdefault(key.replace("_kib", "_bytes_per_binding"), {})[
                    f"{low}-{high}"] = round(delta * 1024 / (high - low))
        memory = self.results["memory"]
        memory.update({
            "median": summary,
            "growth": growth,
            "goal": "<= 8 MiB (RssAnon) at 1,000 bindings; growth per binding reported",
            "load_average": load_average(),
        })
        if "1000" in summary:
            # The daemon's own memory (issue 17): VmRSS also counts the shared libraries'
            # pages, about 14 MiB that every process using them shares.
            memory["met"] = summary["1000"]["anon_kib"] <= 8 * 1024

    # what the daemon writes into state_dir while the CNAME of a bind resolves slowly
    def cname_writes(self):
        """The daemon starts with `fleet` bindings that are not bound yet, on domains whose
        CNAME status is 2 (resolving) and stays 2 for `cname_reads` reads after the bind, at
        one read every poll.interval (60 s in the full run). Counted: what is written into
        state_dir from the start until every target is in sync. (A renewal leaves a resolved
        CNAME resolved, on APIG as in apig-sim, so a slow CNAME goes with a new domain.)"""
        count, reads, interval = self.args.fleet, self.args.cname_reads, self.args.cname_interval
        directory = os.path.join(self.work, "cname")
        fleet = Fleet(self.material, os.path.join(directory, "fleet"), count)
        sim = Sim(self.sim_binary, self.material, directory,
                  fleet.seed_groups(cname_status=2, cname_sequence=[2] * reads + [3]))
        state_dir = os.path.join(directory, "state")
        os.makedirs(state_dir, mode=0o700)
        config = write_config(os.path.join(directory, "config.toml"), self.material, sim.port,
                              state_dir, fleet.bindings_toml(),
                              concurrency=self.args.concurrency, poll_interval=f"{interval}s")
        try:
            writes = DirectoryWrites(state_dir)
            daemon = Daemon(self.certd, config, directory)
            try:
                daemon.wait_ready(timeout=600)
                ready = daemon.notify.wait_index("READY=1", 1)
                done = daemon.notify.wait_for(f"{count} in sync", reads * interval + 300,
                                              after=ready)
                written = writes.stop()
                if done is None:
                    raise RuntimeError(f"the CNAMEs of {count} bindings did not resolve "
                                       f"(see {daemon.stderr_path})")
                state_bytes = os.path.getsize(os.path.join(state_dir, "state.json"))
            finally:
                daemon.stop()
        finally:
            sim.stop()
        self.results["cname_writes"] = {
            "bindings": count,
            "poll_interval_s": interval,
            "cname_reads_until_resolved": reads,
            "start_to_in_sync_s": round(done - daemon.started, 1),
            "bytes_written": written["bytes"],
            "versions_written": written["versions"],
            "state_json_bytes": state_bytes,
            "goal": "reported (issue 17: before and after)",
            "load_average": load_average(),
        }

    # fan-out
    def fanout(self):
        count = self.args.fleet
        concurrency = 16
        delay_ms = 50
        fleet = self.fleet(count)
        runs = []
        for run in range(self.args.repeat):
            directory = os.path.join(self.work, f"fanout{run}")
            os.makedirs(directory, exist_ok=True)
            sim = Sim(self.sim_binary, self.material, directory, fleet.seed_groups())
            try:
                config = write_config(os.path.join(directory, "config.toml"), self.material,
                                      sim.port, os.path.join(directory, "state"),
                                      fleet.bindings_toml(), concurrency=concurrency)
                sim.admin("POST", "/__admin/faults", {"delay_ms": delay_ms, "count": -1})
                started_at = time.time()
                sim_ticks = cpu_ticks(sim.process.pid)
                usage = {}
                took, code, err = run_sync(self.certd, config, usage)
                sim_cpu = (cpu_ticks(sim.process.pid) - sim_ticks) / os.sysconf("SC_CLK_TCK")
                if code != 0:
                    raise RuntimeError(f"fan-out: sync exited {code}:\n{err[-2000:]}")
                requests = sim.requests()
            finally:
                sim.stop()
            phases = fanout_phases(requests, started_at, took)
            posts = sum(1 for r in requests if r["method"] == "POST")
            gets = sum(1 for r in requests if r["method"] == "GET")
            limit = len(requests) / concurrency * delay_ms / 1000
            runs.append({"wall_s": round(took, 3), "requests": len(requests), "posts": posts,
                         "group_reads": gets, "limit_s": round(limit, 3),
                         "ratio": round(limit / took, 3), "phases_s": phases,
                         "sync_cpu_s": round(usage["cpu_s"], 2),
                         "sim_cpu_s": round(sim_cpu, 2),
                         "load_average": load_average()})
            log(f"fan-out run {run + 1}: {took:.2f} s for {len(requests)} requests "
                f"(limit {limit:.2f} s)")
        ratio = median([r["ratio"] for r in runs])
        groups = fleet.groups()
        # CNAME already resolved in the seed: no poll round, so one group read per group.
        requests_ok = all(r["posts"] <= count and r["group_reads"] <= groups for r in runs)
        self.results["fanout"] = {
            "targets": count, "groups": groups, "concurrency": concurrency,
            "delay_ms": delay_ms, "runs": runs,
            "wall_median_s": median([r["wall_s"] for r in runs]),
            "limit_median_s": median([r["limit_s"] for r in runs]),
            "ratio_median": ratio,
            "requests_within_budget": requests_ok,
            "goal": "limit / wall >= 0.8, with limit = requests / 16 x 50 ms; requests <= 1 "
                    "bind per target + 1 group read per group per round",
            "met": ratio >= 0.8 and requests_ok,
        }

    # CPU per bind
    def bind_cpu(self):
        if not shutil.which("valgrind"):
            self.results["bind_cpu"] = {"skipped": "valgrind is not installed"}
            return
        if not os.path.exists(self.bind_cost):
            self.results["bind_cpu"] = {"skipped": f"{self.bind_cost} is not built"}
            return
        fleet = self.fleet(1)
        directory = os.path.join(self.work, "bind_cpu")
        os.makedirs(directory, exist_ok=True)
        config = write_config(os.path.join(directory, "config.toml"), self.material, 1,
                              os.path.join(directory, "state"), fleet.bindings_toml())
        iterations = self.args.callgrind_iterations
        interesting = {
            "load_bundle": "cert::load_bundle",
            "check_bundle": "cert::check_bundle",
            "sign": "AkSkAuthenticator::authorize",
            "bind_call": "apig::Client::bind_certificate",
            "group_read": "apig::Client::get_group",
            "plan": "engine::plan(",
        }

        def profile(passes):
            """callgrind over the whole process (every thread: the pass parses bundles on
            threads of its own, which --toggle-collect would miss) with `passes` measured
            passes: the program total and the inclusive count of each interesting function."""
            out = os.path.join(directory, f"callgrind-{passes}.out")
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                            self.bind_cost, config, str(passes)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            annotate = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                                       "--threshold=100", out],
                                      check=True, capture_output=True, text=True).stdout
            total, parts = None, {}
            for line in annotate.splitlines():
                fields = line.split()
                if not fields:
                    continue
                number = fields[0].replace(",", "")
                if not number.isdigit():
                    continue
                if "PROGRAM TOTALS" in line:
                    total = int(number)
                    continue
                for key, needle in interesting.items():
                    if needle in line and key not in parts:
                        parts[key] = int(number)
            return total, parts

        # The same process with and without the measured passes: the difference is theirs
        # (start-up, config loading and the warm-up pass cancel out).
        total, parts = profile(iterations)
        base_total, base_parts = profile(0)
        per_bind = {key: (value - base_parts.get(key, 0)) // iterations
                    for key, value in parts.items()}
        total = (total - base_total) if total and base_total else None
        native = subprocess.run([self.bind_cost, config, "200"], check=True,
                                capture_output=True, text=True).stdout.strip()
        self.results["bind_cpu"] = {
            "iterations": iterations,
            "instructions_per_bind": total // iterations if total else None,
            "inclusive_per_bind": per_bind,
            "native": native,
            "goal": "reported; no obvious waste",
        }


# --- report --------------------------------------------------------------------------------

def table_rows(results):
    rows = []
    d = results.get("detection")
    if d:
        rows.append(("detection latency (debounce 1 s)",
                     "median <= 1050 ms, p99 <= 1200 ms",
                     f"median {d['median_ms']:.0f} ms, p99 {d['p99_ms']:.0f} ms "
                     f"({d['renewals']} renewals)", d["met"]))
    i = results.get("idle")
    if i:
        rows.append((f"idle cost, {i['bindings']:,} bindings",
                     "<= 5 ms CPU/min; wake-ups only when due",
                     f"{i['cpu_ms_per_minute_median']:.2f} ms CPU/min, "
                     f"{i['wakeups_per_minute_median']:.0f} wake-ups/min", i["met"]))
    m = results.get("memory")
    if m and "median" in m:
        parts = ", ".join(f"{int(c):,}: {v['rss_kib'] / 1024:.1f}/{v['hwm_kib'] / 1024:.1f}"
                          f"/{v['anon_kib'] / 1024:.1f}" for c, v in m["median"].items())
        growth = m["growth"].get("anon_bytes_per_binding", {})
        last = list(growth.items())[-1] if growth else None
        rows.append(("memory, RSS/HWM/anon MiB", "anon <= 8 MiB at 1,000",
                     parts + (f"; anon +{last[1]} B/binding ({last[0]})" if last else ""),
                     m.get("met")))
    s = results.get("startup")
    if s:
        rows.append((f"start-up to READY=1, {s['bindings']:,} bindings",
                     "<= 100 ms without the first remote read",
                     f"{s['local_median_ms']:.0f} ms (+ {s['remote_read_median_ms']:.0f} ms "
                     f"remote read; {s['ready_median_ms']:.0f} ms total; CPU "
                     f"{s['cpu_to_ready_median_ms']:.0f} ms)", s["met"]))
    f = results.get("fanout")
    if f:
        rows.append((f"fan-out sync, {f['targets']:,} targets, +50 ms, c=16", "limit/wall >= 0.8",
                     f"{f['ratio_median']:.2f} ({f['wall_median_s']:.2f} s vs limit "
                     f"{f['limit_median_s']:.2f} s; {f['runs'][0]['requests']} requests)",
                     f["met"]))
    c = results.get("cname_writes")
    if c:
        saves = c["versions_written"].get("state.json", 0)
        rows.append((f"state_dir writes, {c['bindings']:,} binds, slow CNAME",
                     f"reported (CNAME resolves after {c['cname_reads_until_resolved']} polls)",
                     f"{c['bytes_written'] / 1e6:.2f} MB ({saves} state.json saves, "
                     f"{c['state_json_bytes'] / 1e6:.2f} MB each) in "
                     f"{c['start_to_in_sync_s']:.0f} s", None))
    b = results.get("bind_cpu")
    if b:
        if "skipped" in b:
            rows.append(("CPU per bind (callgrind)", "reported", "skipped: " + b["skipped"], None))
        else:
            rows.append(("CPU per bind (callgrind)", "reported",
                         f"{b['instructions_per_bind'] / 1e6:.1f} M instructions; {b['native']}",
                         None))
    return rows


def print_table(results, previous):
    rows = table_rows(results)
    old = {row[0]: row[2] for row in table_rows(previous)} if previous else {}
    print()
    print(f"{'figure':<42} {'goal':<40} {'measured':<60} met")
    print("-" * 150)
    for figure, goal, measured, met in rows:
        verdict = "-" if met is None else ("yes" if met else "NO")
        print(f"{figure:<42} {goal:<40} {measured:<60} {verdict}")
        if figure in old and old[figure] != measured:
            print(f"{'':<42} {'(previous)':<40} {old[figure]:<60}")
    machine = results["machine"]
    print(f"\nmachine: {machine['cpu']}, {machine['cpus']} CPUs; load average at start "
          f"{machine['load_start']}, at end {machine['load_end']}")


def machine_info():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(),
            "load_start": load_average()}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--output", required=True, help="bench-results.json")
    parser.add_argument("--quick", action="store_true", help="a CI smoke run, under a minute")
    parser.add_argument("--only", action="append", default=[],
                        choices=["detection", "fleet", "memory", "fanout", "bind_cpu",
                                 "cname_writes"])
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    if args.quick:
        args.renewals, args.repeat, args.startups, args.idle_runs = 5, 1, 2, 1
        args.idle_seconds, args.memory_sizes, args.callgrind_iterations = 5, [1, 100], 1
        args.fleet = 200  # the goals are for 1,000: --quick only shows that everything runs
    else:
        args.renewals, args.repeat, args.startups, args.idle_runs = 50, 3, 5, 3
        args.idle_seconds, args.memory_sizes = 60, [1, 100, 10000]
        args.fleet = 1000
        args.callgrind_iterations = 5
    args.concurrency = 8
    # Binds whose CNAME resolves after 60 s (12 polls at 5 s); --quick: 3 polls at 1 s.
    args.cname_reads, args.cname_interval = (3, 1) if args.quick else (12, 5)
    if args.only and "fleet" not in args.only:
        args.memory_sizes = sorted(set(args.memory_sizes) | {args.fleet})  # else fleet's runs

    previous = None
    if os.path.exists(args.output):
        try:
            with open(args.output) as f:
                previous = json.load(f)
        except (OSError, ValueError):
            log(f"cannot read the previous results in {args.output}; not comparing")

    bench = Bench(args)
    results = bench.results
    results["machine"] = machine_info()
    results["quick"] = args.quick
    results["started_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    steps = [("detection", bench.detection), ("fleet", bench.fleet_runs),
             ("memory", bench.memory), ("fanout", bench.fanout), ("bind_cpu", bench.bind_cpu),
             ("cname_writes", bench.cname_writes)]
    failed = False
    try:
        for name, step in steps:
            if args.only and name not in args.only:
                continue
            log(f"{name} (load average {load_average()})")
            try:
                step()
            except (RuntimeError, subprocess.CalledProcessError, OSError) as error:
                log(f"{name} failed: {error}")
                results.setdefault("errors", {})[name] = str(error)
                failed = True
    finally:
        bench.cleanup()
    results["machine"]["load_end"] = load_average()
    print_table(results, previous)
    with open(args.output, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print(f"results: {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
