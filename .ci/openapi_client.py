"""Generates a Python client from openapi/openapi.json and runs the README walkthrough with it.

Usage: python .ci/openapi_client.py BINARY   (from the repository root; the Python of a virtual
environment with openapi-python-client installed, see .ci/run)

What a new integrator does: generate a typed client from the committed document
(openapi-python-client), start a fresh siprov, and drive it. Every answer is parsed into its
generated model (a `NodeView`, a `DeviceView`, a `Problem` with its `code` and `rule` enums);
an answer the models cannot hold, or a generated module that does not import, fails the run.
The document is also checked by openapi-spec-validator first.
"""

import importlib
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
ADMIN_PASSWORD = "change-me-please"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate(work):
    subprocess.run([sys.executable, "-m", "openapi_spec_validator", str(SPEC)], check=True)
    config = work / "generator.yml"
    config.write_text("post_hooks: []\n")
    out = work / "siprov_client"
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(SPEC), "--meta", "none",
         "--output-path", str(out), "--config", str(config)],
        capture_output=True, text=True)
    print(result.stdout + result.stderr)
    if result.returncode != 0 or "Warning" in result.stdout + result.stderr:
        raise SystemExit("openapi-python-client did not generate a clean client")
    sys.path.insert(0, str(work))
    return importlib.import_module("siprov_client")


class Walkthrough:
    def __init__(self, client_pkg, base):
        self.c = client_pkg
        self.base = base
        self.models = importlib.import_module("siprov_client.models")
        self.api = {name: importlib.import_module(f"siprov_client.api.{name}")
                    for name in ("auth", "service_providers", "organizations", "users", "devices", "accounts", "me",
                                 "health")}
        self.steps = 0

    def op(self, group, name):
        return importlib.import_module(f"siprov_client.api.{group}.{name}")

    def client(self, token=None):
        if token is None:
            return self.c.Client(base_url=self.base, raise_on_unexpected_status=True)
        return self.c.AuthenticatedClient(base_url=self.base, token=token, raise_on_unexpected_status=True)

    def call(self, group, name, token, expect, **kwargs):
        """Calls an operation; the answer must have status `expect` and parse into its model."""
        res = self.op(group, name).sync_detailed(client=self.client(token), **kwargs)
        self.steps += 1
        assert res.status_code == expect, f"{group}.{name}: {res.status_code} {res.content[:300]!r}"
        if res.content:
            assert res.parsed is not None, f"{group}.{name}: the answer did not parse into a model"
        return res.parsed

    def refused(self, group, name, token, status, code, rule=None, **kwargs):
        problem = self.call(group, name, token, status, **kwargs)
        assert isinstance(problem, self.models.Problem), type(problem)
        assert problem.code.value == code, (problem.code, code)
        if rule is not None:
            assert problem.rule.value == rule, (problem.rule, rule)

    def token(self, username, password):
        m = self.models
        grant = m.TokenForm(grant_type=m.GrantType.PASSWORD, username=username, password=password)
        tok = self.call("auth", "token", None, 200, body=grant)
        assert isinstance(tok, m.TokenResponse) and tok.token_type == m.TokenType.BEARER
        return tok.access_token

    def run(self):
        m = self.models
        assert isinstance(self.call("health", "healthz", None, 200), m.Health)
        admin = self.token("admin", ADMIN_PASSWORD)
        self.refused("auth", "token", None, 401, "invalid_grant",
                     body=m.TokenForm(grant_type=m.GrantType.PASSWORD, username="admin", password="wrong"))

        # A service provider with view, an organization with modify, a user with none (P4).
        sp = self.call("service_providers", "create_service_provider", admin, 201, body=m.CreateTenant(
            name="Acme Telecom", device_provisioning=m.Level.VIEW,
            owner=m.Credentials(username="acme", password="acme-password-1")))
        assert isinstance(sp, m.NodeView) and sp.type_ == m.NodeKind.SERVICE_PROVIDER
        org = self.call("organizations", "create_organization", admin, 201, id=sp.id, body=m.CreateTenant(
            name="Sales", device_provisioning=m.Level.MODIFY,
            owner=m.Credentials(username="sales", password="sales-password-1")))
        alice = self.call("users", "create_user", admin, 201, id=org.id, body=m.CreateUser(
            name="Alice", username="alice", password="alice-password-1"))
        assert self.call("users", "get_user", admin, 200, id=alice.id).device_provisioning == m.Level.NONE

        acme, sales, alice_t = (self.token(u, p) for u, p in
                                [("acme", "acme-password-1"), ("sales", "sales-password-1"),
                                 ("alice", "alice-password-1")])
        # P3: the view SP lowers its organization to view, then cannot raise it back (P2).
        lowered = self.call("organizations", "patch_organization", acme, 200, id=org.id,
                            body=m.PatchNode(device_provisioning=m.Level.VIEW))
        assert lowered.device_provisioning == m.Level.VIEW
        self.refused("organizations", "patch_organization", acme, 403, "level_exceeds_own", "P2", id=org.id,
                     body=m.PatchNode(device_provisioning=m.Level.MODIFY))
        # P1: only the parent sets a level.
        self.refused("users", "patch_user", acme, 403, "not_parent", "P1", id=alice.id,
                     body=m.PatchNode(device_provisioning=m.Level.MODIFY))
        assert self.call("users", "patch_user", sales, 200, id=alice.id,
                         body=m.PatchNode(device_provisioning=m.Level.VIEW)).device_provisioning == m.Level.VIEW

        # SIP devices: D4 and D9.
        self.call("users", "patch_user", admin, 200, id=alice.id, body=m.PatchNode(device_provisioning=m.Level.MODIFY))
        self.refused("devices", "add_sp_device", acme, 422, "assignment_required", "D4", id=sp.id,
                     body=m.CreateDevice(mac_address="00:04:F2:AB:CD:EF"))
        phone = self.call("devices", "add_sp_device", acme, 201, id=sp.id, body=m.CreateDevice(
            mac_address="00:04:F2:AB:CD:EF", vendor="Polycom", model="VVX 450",
            assigned_to=m.NodeLink(type_=m.NodeKind.USER, id=alice.id)))
        assert isinstance(phone, m.DeviceView) and phone.mac_address == "0004f2abcdef"
        seen = self.call("devices", "get_device", alice_t, 200, id=phone.id)
        assert seen.assigned_to.id == alice.id
        bob = self.call("users", "create_user", admin, 201, id=org.id, body=m.CreateUser(
            name="Bob", username="bob", password="bob-password-12", device_provisioning=m.Level.VIEW))
        self.refused("devices", "add_sp_device", acme, 403, "assignee_lacks_modify", "D4", id=sp.id,
                     body=m.CreateDevice(mac_address="0004.f2ab.0001",
                                         assigned_to=m.NodeLink(type_=m.NodeKind.USER, id=bob.id)))
        self.refused("devices", "add_sp_device", acme, 409, "mac_in_use", "D9", id=sp.id,
                     body=m.CreateDevice(mac_address="0004f2abcdef",
                                         assigned_to=m.NodeLink(type_=m.NodeKind.USER, id=alice.id)))
        page = self.call("devices", "list_sp_devices", acme, 200, id=sp.id, limit=50)
        assert isinstance(page, m.DevicePage) and [d.id for d in page.items] == [phone.id]

        # Accounts, lines and delegation.
        num = self.call("accounts", "create_account", sales, 201, id=alice.id, body=m.CreateAccount(
            number="+14155550123", display_name="Alice", location="Bldg 4, room 210",
            voicemail=m.VoicemailInput(enabled=True, pin="2468", email="alice@example.com")))
        assert isinstance(num, m.NewAccountView) and num.voicemail.pin_set and len(num.sip_password) >= 20
        lines = self.call("devices", "add_line", alice_t, 201, id=phone.id, body=m.LineInput(account_id=num.id))
        assert [(l.account_id, l.position) for l in lines.lines] == [(num.id, 1)]
        lit = self.call("devices", "patch_device", alice_t, 200, id=phone.id, body=m.PatchDevice(
            settings=m.SettingsInput(mwi=m.MwiInput(enabled=True, account_id=num.id))))
        assert lit.settings.mwi.account_id == num.id
        member = self.call("accounts", "add_account_administrator", alice_t, 201, id=num.id,
                           body=m.MemberInput(username="bob"))
        assert isinstance(member, m.Member) and member.username == "bob"
        bob_t = self.token("bob", "bob-password-12")
        moved = self.call("accounts", "patch_account", bob_t, 200, id=num.id,
                          body=m.PatchAccount(location="Bldg 4, room 212"))
        assert moved.location == "Bldg 4, room 212"
        self.refused("accounts", "add_account_owner", bob_t, 403, "owners_only", "A3", id=num.id,
                     body=m.MemberInput(username="bob"))
        self.refused("accounts", "delete_account", bob_t, 403, "tree_only", "A5", id=num.id)
        me = self.call("me", "me", bob_t, 200)
        assert isinstance(me, m.Me) and [(a.roles, a.portal_access) for a in me.accounts] == [(["administrator"], False)]
        self.call("accounts", "remove_account_administrator", bob_t, 204, id=num.id, username="bob")
        self.refused("accounts", "patch_account", bob_t, 404, "not_found", id=num.id,
                     body=m.PatchAccount(location="x"))
        # Invalid values: a 422 listing the field, in the API's terms.
        problem = self.call("accounts", "patch_account", sales, 422, id=num.id,
                            body=m.PatchAccount(voicemail=m.VoicemailInput(pin="12")))
        assert [(e.field, e.code) for e in problem.errors] == [("voicemail.pin", "invalid_pin")]


def main():
    binary = sys.argv[1]
    work = Path(tempfile.mkdtemp(prefix="siprov-client-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, SIPROV_LISTEN=f"127.0.0.1:{port}", SIPROV_DATABASE_URL=f"sqlite://{work}/client.db",
               SIPROV_BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD, RUST_LOG="warn")
    try:
        client_pkg = generate(work)
        server = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=open(work / "log", "w"))
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            walk = Walkthrough(client_pkg, base)
            walk.run()
            print(f"README walkthrough with the generated client: {walk.steps} calls, every answer parsed into "
                  f"its model")
        finally:
            server.terminate()
            server.wait(timeout=15)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
