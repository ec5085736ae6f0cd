"""Runs Schemathesis against a fresh siprov, as a system admin and as an organization owner.

Usage: python .ci/schemathesis.py BINARY   (from the repository root; the Python of a virtual
environment with schemathesis installed, see .ci/run)

The server gets a temp SQLite database and a second tenant's data (a service provider with
an organization, users, numbers and phones) before the runs, so that isolation between
tenants is exercised too. Each run is `schemathesis run --checks all` with the stateful phase
on (settings in .ci/schemathesis.toml, hooks in .ci/schemathesis_hooks.py); fetches and log
uploads go with a seeded phone's provisioning login, and the two operations that end the
caller's session (a password change, revoking one's tokens) get a third server and a login
each. The script fails when any run reports a failure or when some operation never answered
2xx in any run, and prints, per run and together, how many did.
"""

import base64
import concurrent.futures
import json
import re
import urllib.parse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "openapi.json"
CONFIG = ROOT / ".ci" / "schemathesis.toml"
HOOKS = ROOT / ".ci" / "schemathesis_hooks.py"
ADMIN_PASSWORD = "schemathesis-admin-1"
PASSWORD = "schemathesis-pass-1"
# The operations that end the session of the login that calls them (K5, K6): left out of
# the personas' runs, each run alone as a login of its own.
SESSION_ENDING = ("revoke_tokens", "change_password")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, token=None, body=None, form=None):
    data, headers = None, {}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = "&".join(f"{k}={v}" for k, v in form.items()).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read()
        return json.loads(text) if text else None


def token(base, username, password):
    return call(base, "POST", "/v1/auth/token", form={"grant_type": "password", "username": username,
                                                       "password": password})["access_token"]


def seed(base, admin):
    """Two tenants, fully populated: `other` only to be kept apart from, `home` the one whose
    organization owner makes the first run. Returns the ids and names of what exists, by
    kind, for Schemathesis to draw path and body values from besides generating its own:
    each phone carries all its user's numbers and has every login of its tenant as owner, so
    that a phone and a number (or a login) drawn at random are often a line (or an owner),
    and empty nodes exist for deletes to succeed on."""
    known = {k: [] for k in ("sp", "org", "user", "account", "device", "username", "empty_sp", "empty_org",
                             "empty_user", "spare_account", "spare_device", "provisioning_file", "api_client",
                             "spare_api_client", "webhook",
                             "spare_webhook", "delivery", "hook_url", "phone_file", "log_file")}
    # Provisioning logins (F3) by role, {"username", "password", "url"}: not dictionaries.
    phones = {}
    # Public https URLs a webhook may point at (L4): generated strings almost never are.
    known["hook_url"] = [f"https://hooks.example.com/{n}" for n in ("crm", "billing", "noc")]
    for n, tenant in enumerate(("other", "home")):
        sp = call(base, "POST", "/v1/service-providers", admin, {
            "name": f"{tenant} telecom", "device_provisioning": "modify",
            "owner": {"username": f"{tenant}-sp", "password": PASSWORD}})
        org = call(base, "POST", f"/v1/service-providers/{sp['id']}/organizations", admin, {
            "name": f"{tenant} org", "device_provisioning": "modify",
            "owner": {"username": f"{tenant}-org", "password": PASSWORD}})
        empty_sp = call(base, "POST", "/v1/service-providers", admin, {
            "name": f"{tenant} empty", "owner": {"username": f"{tenant}-empty-sp", "password": PASSWORD}})
        empty_org = call(base, "POST", f"/v1/service-providers/{sp['id']}/organizations", admin, {
            "name": f"{tenant} empty org", "owner": {"username": f"{tenant}-empty-org", "password": PASSWORD}})
        # The SIP service its phones register with (domain.md §5), so configs render.
        call(base, "PATCH", f"/v1/service-providers/{sp['id']}", admin, {"sip": {
            "domain": f"{tenant}.voice.example.net",
            "registrar": {"host": f"sbc.{tenant}.example.net", "port": 5061, "transport": "tls"}}})
        known["sp"].append(sp["id"])
        known["org"].append(org["id"])
        known["empty_sp"].append(empty_sp["id"])
        known["empty_org"].append(empty_org["id"])
        logins = [f"{tenant}-sp", f"{tenant}-org"]
        # Subscribed before the phones are added, so their events give it deliveries to retry.
        hook = call(base, "POST", f"/v1/organizations/{org['id']}/webhooks", admin, {
            "url": f"https://hooks.example.com/{tenant}", "events": ["device.*"]})
        known["webhook"].append(hook["id"])
        spare = call(base, "POST", f"/v1/service-providers/{sp['id']}/webhooks", admin, {
            "url": f"https://hooks.example.com/{tenant}-spare", "events": ["*"]})
        known["spare_webhook"].append(spare["id"])
        devices = []
        for i in range(3):
            user = call(base, "POST", f"/v1/organizations/{org['id']}/users", admin, {
                "name": f"{tenant} user {i}", "username": f"{tenant}-user-{i}", "password": PASSWORD,
                "device_provisioning": "modify"})
            known["user"].append(user["id"])
            logins.append(f"{tenant}-user-{i}")
            accounts = []
            for j in range(2):
                acc = call(base, "POST", f"/v1/users/{user['id']}/accounts", admin, {
                    "number": f"+1415555{n}{i}{j}0", "display_name": f"{tenant} {i}.{j}"})
                accounts.append(acc["id"])
                call(base, "POST", f"/v1/accounts/{acc['id']}/administrators", admin, {"username": f"{tenant}-org"})
            known["account"] += accounts
            for j in range(2):
                dev = call(base, "POST", f"/v1/organizations/{org['id']}/devices", admin, {
                    "mac_address": f"02:00:00:0{n}:0{i}:0{j}", "vendor": "Yealink",
                    "assigned_to": {"type": "user", "id": user["id"]}})
                devices.append(dev["id"])
                for acc in accounts:
                    call(base, "POST", f"/v1/devices/{dev['id']}/lines", admin, {"account_id": acc})
                # A provisioning login (F3), and the files the phone fetches (F4-F6).
                login = call(base, "POST", f"/v1/devices/{dev['id']}/provisioning-password", admin)
                mac = dev["mac_address"]
                known["provisioning_file"] += [f"{mac}.cfg", f"{mac}.boot"]
                if "phone" not in phones:
                    # The phone whose login the fetches are sent with: its own files, and
                    # the one every Yealink shares.
                    phones["phone"] = login
                    known["phone_file"] = [f"{mac}.cfg", f"{mac}.boot", "y000000000000.boot"]
        empty_user = call(base, "POST", f"/v1/organizations/{org['id']}/users", admin, {
            "name": f"{tenant} empty user", "username": f"{tenant}-empty-user", "password": PASSWORD})
        known["empty_user"].append(empty_user["id"])
        # Numbers and phones that only deletes are pointed at, so the rest stay for the others.
        for k in range(2):
            spare = call(base, "POST", f"/v1/users/{user['id']}/accounts", admin, {"number": f"+1415666{n}{k}00"})
            known["spare_account"].append(spare["id"])
            spare = call(base, "POST", f"/v1/organizations/{org['id']}/devices", admin,
                         {"mac_address": f"02:00:00:1{n}:0{k}:00", "vendor": "Polycom"})
            known["spare_device"].append(spare["id"])
        # A Polycom, which uploads its logs (PUT /provisioning/{mac}-app.log).
        polycom = call(base, "POST", f"/v1/organizations/{org['id']}/devices", admin, {
            "mac_address": f"02:00:00:2{n}:00:00", "vendor": "Polycom",
            "assigned_to": {"type": "user", "id": user["id"]}})
        call(base, "POST", f"/v1/devices/{polycom['id']}/lines", admin, {"account_id": accounts[0]})
        login = call(base, "POST", f"/v1/devices/{polycom['id']}/provisioning-password", admin)
        mac = polycom["mac_address"]
        known["provisioning_file"] += [f"{mac}.cfg", f"{mac}-siprov.cfg"]
        if tenant == "home":
            phones["polycom"] = login
            known["log_file"] = [f"{mac}-app.log", f"{mac}-boot.log"]
        for dev in devices:
            for login in logins:
                call(base, "POST", f"/v1/devices/{dev}/owners", admin, {"username": login})
        # API clients of each node kind (K1), and spare ones for deletes and rotations.
        for kind, node in (("service-providers", sp["id"]), ("organizations", org["id"]), ("users", user["id"])):
            client = call(base, "POST", f"/v1/{kind}/{node}/api-clients", admin,
                          {"name": f"{tenant} {kind} pipeline", "scope": "read"})
            known["api_client"].append(client["id"])
            spare = call(base, "POST", f"/v1/{kind}/{node}/api-clients", admin,
                         {"name": f"{tenant} {kind} spare", "scope": "write"})
            known["spare_api_client"].append(spare["id"])
        known["device"] += devices
        known["username"] += logins
        deliveries = call(base, "GET", f"/v1/webhooks/{hook['id']}/deliveries", admin)
        known["delivery"] += [d["id"] for d in deliveries["items"]]
    return known, phones


# Which dictionary an operation's `{id}` draws from, by its path.
ID_KINDS = [
    ("^/v1/service-providers/\\{id\\}", "sp"),
    ("^/v1/organizations/\\{id\\}", "org"),
    ("^/v1/users/\\{id\\}", "user"),
    ("^/v1/accounts/\\{id\\}", "account"),
    ("^/v1/devices/\\{id\\}", "device"),
    ("^/v1/api-clients/\\{id\\}", "api_client"),
    ("^/v1/webhooks/\\{id\\}", "webhook"),
]


def basic(login):
    raw = f"{login['username']}:{login['password']}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def config_for(known, phones, work, login, password, own_session=False):
    """The run's configuration: .ci/schemathesis.toml, plus dictionaries of what the seed
    created and which parameters draw from them (half the time; the other half Schemathesis
    generates its own values, unknown ids and names included). Fetches and log uploads go
    with a seeded phone's provisioning login (F4). `own_session`: the run is one of the
    operations that end the persona's session (K5, K6), with the persona's real password."""
    text = CONFIG.read_text()
    for kind, values in known.items():
        text += f"\n[dictionaries.{kind}]\nvalues = {json.dumps(values)}\n"
    text += '\n[parameters]\n"path.account_id" = { dictionary = "account", probability = 0.5 }\n'
    text += '"path.username" = { dictionary = "username", probability = 0.5 }\n'
    text += '"path.file" = { dictionary = "provisioning_file", probability = 0.5 }\n'
    # Operations that need more than their path's kind of id get entries of their own, listed
    # before the entries by path (the first entry that matches an operation applies).
    specific = {
        # Nodes that nothing else is added to, so that deleting them can succeed (N4).
        "delete_service_provider": {"path.id": ("empty_sp", 0.6)},
        "delete_organization": {"path.id": ("empty_org", 0.6)},
        "delete_user": {"path.id": ("empty_user", 0.6)},
        "delete_account": {"path.id": ("spare_account", 0.6)},
        "delete_device": {"path.id": ("spare_device", 0.6)},
        "delete_api_client": {"path.id": ("spare_api_client", 0.6)},
        "rotate_api_client_secret": {"path.id": ("spare_api_client", 0.6)},
        "delete_webhook": {"path.id": ("spare_webhook", 0.6)},
        "create_service_provider_webhook": {"body.url": ("hook_url", 0.6)},
        "create_organization_webhook": {"body.url": ("hook_url", 0.6)},
        "create_user_webhook": {"body.url": ("hook_url", 0.6)},
        "patch_webhook": {"path.id": ("webhook", 0.6), "body.url": ("hook_url", 0.6)},
        "retry_webhook_delivery": {"path.id": ("webhook", 0.6), "path.delivery_id": ("delivery", 0.6)},
        "add_line": {"path.id": ("device", 0.6), "body.account_id": ("account", 0.6)},
        "add_owner": {"path.id": ("device", 0.6), "body.username": ("username", 0.6)},
        "add_account_owner": {"path.id": ("account", 0.6), "body.username": ("username", 0.6)},
        "add_account_administrator": {"path.id": ("account", 0.6), "body.username": ("username", 0.6)},
    }
    # A phone's requests carry its provisioning login, not the persona's bearer token; the
    # `ignored_auth` check still sends them without it and with a wrong one.
    specific["fetch_file"] = {"path.file": ("phone_file", 0.8)}
    specific["upload_log"] = {"path.file": ("log_file", 0.8)}
    headers = {"fetch_file": basic(phones["phone"]), "upload_log": basic(phones["polycom"])}
    for op, params in specific.items():
        bindings = ", ".join(f'"{k}" = {{ dictionary = "{d}", probability = {p} }}' for k, (d, p) in params.items())
        text += f'\n[[operations]]\ninclude-operation-id = ["{op}"]\nparameters = {{ {bindings} }}\n'
        if op in headers:
            text += f'headers = {{ Authorization = "{headers[op]}" }}\n'
    if own_session:
        text += ('\n[[operations]]\ninclude-operation-id = ["change_password"]\n'
                 f'parameters = {{ "body.current_password" = "{password}" }}\n')
    else:
        # Changing the persona's password (K5) or revoking its tokens (K6) would end the run:
        # its token is fixed. Each has a run of its own, as a login of its own.
        ids = ", ".join(f'"{op}"' for op in SESSION_ENDING)
        text += f'\n[[operations]]\ninclude-operation-id = [{ids}]\nenabled = false\n'
    text += ('\n[[operations]]\ninclude-operation-id = ["token"]\n'
             f'parameters = {{ "body.username" = "{login}", "body.password" = "{password}" }}\n')
    for regex, kind in ID_KINDS:
        text += (f"\n[[operations]]\ninclude-path-regex = '{regex}'\n"
                 f'parameters = {{ "path.id" = {{ dictionary = "{kind}", probability = 0.6 }} }}\n')
    path = work / f"schemathesis-{login}.toml"
    path.write_text(text)
    return path


def run(config, base, label, username, password, report, output, operations=(), extra=()):
    cmd = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", str(SPEC),
        "--url", base,
        "--checks", "all",
        # A run limited to one operation has no links to follow.
        "--phases", "examples,coverage,fuzzing" if operations else "examples,coverage,fuzzing,stateful",
        "--report", "ndjson", "--report-ndjson-path", str(report),
        "--seed", "20261203",
    ]
    for operation in operations:
        cmd += ["--include-operation-id", operation]
    cmd += list(extra)
    env = dict(os.environ, SCHEMATHESIS_HOOKS=str(HOOKS))
    # A token lives 15 minutes (K4); a run takes about two.
    cmd += ["-H", f"Authorization: Bearer {token(base, username, password)}"]
    # Runs go side by side, so each one's output is kept and printed whole afterwards.
    with open(output, "w") as out:
        out.write(f"\n==> schemathesis as {label} ({username})\n")
        out.flush()
        return subprocess.run(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT).returncode


def operations_with_2xx(report, templates):
    """The operations (`METHOD /path/{template}`) that answered 2xx in a run's NDJSON report,
    taken from every recorded request and response."""
    ok = set()
    if not report.exists():
        return ok
    for line in report.read_text().splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        for interaction in _interactions(event):
            request, response = interaction.get("request") or {}, interaction.get("response") or {}
            op = _operation(request.get("method", ""), urllib.parse.urlsplit(request.get("uri", "")).path, templates)
            if op is None:
                continue
            if 200 <= (response.get("status_code") or 0) < 300:
                ok.add(op)
    return ok


def _interactions(node):
    if isinstance(node, dict):
        if isinstance(node.get("request"), dict) and "response" in node:
            yield node
        for v in node.values():
            yield from _interactions(v)
    elif isinstance(node, list):
        for v in node:
            yield from _interactions(v)


def _operation(method, path, templates):
    for template, regex in templates:
        if regex.fullmatch(path):
            return f"{method.upper()} {template}"
    return None


def _templates(spec):
    out = []
    for template in spec["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        out.append((template, re.compile(pattern)))
    # Literal paths first, so /v1/service-providers is not read as /v1/{x}.
    out.sort(key=lambda t: t[0].count("{"))
    return out


class Server:
    """A fresh siprov on a free port with its own temp SQLite database."""

    def __init__(self, binary, work, name):
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.log = work / f"{name}.log"
        env = dict(os.environ, SIPROV_LISTEN=f"127.0.0.1:{port}", SIPROV_DATABASE_URL=f"sqlite://{work}/{name}.db",
                   SIPROV_BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD, RUST_LOG="warn")
        self.process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        for _ in range(100):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("siprov did not start:\n" + self.log.read_text())

    def stop(self):
        alive = self.process.poll() is None
        self.process.terminate()
        self.process.wait(timeout=15)
        return alive


def serve(binary, work, name, runs, extra=()):
    """Starts a fresh server, seeds it and makes its runs one after the other. Returns each
    run's (label, report, output, exit code) and whether the server died on the way."""
    server = Server(binary, work, name)
    results, crashed = [], False
    try:
        known, phones = seed(server.base, token(server.base, "admin", ADMIN_PASSWORD))
        for label, user, pw, operations in runs:
            report, output = work / f"{name}-{user}.ndjson", work / f"{name}-{user}.out"
            own_session = any(op in SESSION_ENDING for op in operations)
            config = config_for(known, phones, work, user, pw, own_session=own_session)
            rc = run(config, server.base, label, user, pw, report, output, operations, extra)
            results.append((label, report, output, rc))
    finally:
        if not server.stop():
            print(f"the server {name} exited during its runs:\n" + server.log.read_text())
            crashed = True
    return results, crashed


def collect(results, templates):
    """Prints each run's output whole; returns whether any run failed, and each run's label,
    exit code and the operations that answered 2xx in it."""
    failed, runs = False, []
    for label, report, output, rc in results:
        print(output.read_text(), flush=True)
        failed |= rc != 0
        runs.append((label, rc, operations_with_2xx(report, templates)))
    return failed, runs


def main():
    binary = sys.argv[1]
    spec = json.loads(SPEC.read_text())
    op_ids = {f"{m.upper()} {p}": op["operationId"] for p, item in spec["paths"].items() for m, op in item.items()}
    spec_ops = set(op_ids)
    templates = _templates(spec)
    work = Path(tempfile.mkdtemp(prefix="siprov-st-"))
    failed = False
    union = set()
    # Each server is fresh, with the same seeded estate; a run is (label, login, password,
    # the operations it is limited to). The last server's runs each end their login's session
    # (K5, K6), so each has a login of its own and only that operation.
    servers = [
        ("admin", [("system admin", "admin", ADMIN_PASSWORD, ())]),
        ("home-org", [("org owner", "home-org", PASSWORD, ())]),
        ("me", [("user changing their password", "home-user-0", PASSWORD, ("change_password",)),
                ("user revoking their tokens", "home-user-1", PASSWORD, ("revoke_tokens",))]),
    ]
    try:
        # One thread per server: Schemathesis spends most of a run generating cases in Python,
        # so two runs side by side take little longer than one on two cores.
        with concurrent.futures.ThreadPoolExecutor(len(servers)) as pool:
            outcomes = list(pool.map(lambda server: serve(binary, work, *server), servers))
        for (name, runs), (results, crashed) in zip(servers, outcomes):
            run_failed, outcomes_of_runs = collect(results, templates)
            failed |= crashed | run_failed
            for label, rc, ok in outcomes_of_runs:
                union |= ok
                print(f"{label}: {len(ok)} of {len(spec_ops)} operations answered 2xx at least once; exit {rc}")
                missing = sorted(spec_ops - ok)
                if missing and not any(limited for *_, limited in runs):
                    print("  never 2xx: " + ", ".join(missing))
        # Which data a run meets depends on the server's answers (ids, tags), so an operation
        # whose valid requests are few among those generated may miss its 2xx in one run: it
        # gets a second run of its own, valid data only and more of it, on a fresh server.
        missing = sorted(spec_ops - union)
        if missing:
            ids = [op_ids[op] for op in missing]
            print(f"\nno 2xx yet for {', '.join(missing)}: a second run for them")
            again = [("system admin, again", "admin", ADMIN_PASSWORD, tuple(ids))]
            results, crashed = serve(binary, work, "again", again, extra=("--mode", "positive", "--max-examples", "200"))
            run_failed, outcomes_of_runs = collect(results, templates)
            failed |= crashed | run_failed
            for label, rc, ok in outcomes_of_runs:
                union |= ok
                print(f"{label}: {len(ok & set(missing))} of those {len(missing)} answered 2xx; exit {rc}")
        print(f"\nall runs: {len(union & spec_ops)} of {len(spec_ops)} operations answered 2xx at least once")
        # An operation that never succeeds was never tested past its refusals.
        if spec_ops - union:
            print("  never 2xx in any run: " + ", ".join(sorted(spec_ops - union)))
            failed = True
        return 1 if failed else 0
    finally:
        if not os.environ.get("SIPROV_ST_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
