#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""wg-portal v2 databases as wg-portal's GORM AutoMigrate leaves them, for the take-over tests.

    fixture.py ENGINE PROFILE [--passphrase P] [--peers N] [--schema-version V] > statements
    or, from Python: build(engine, profile, ...) -> (sql_text, expected)

ENGINE: sqlite, postgres, mysql. PROFILE: the wg-portal release whose tables to build:
  v2.0   schema 1 (sys_stats 1):     no passkeys, interfaces without backend
  v2.1   schema 1:                   + users.webauthn_id, user_webauthn_credentials,
                                       interfaces.backend
  v2.2.0 schema 3 (sys_stats 1,2,3): + user_authentications, users.persist_local_changes,
                                       interfaces.create_default_peer
  v2.3   schema 4 (sys_stats 1..4):  api_token encrypted (serializer:encstr) since v2.2.3
Every table and column below cites the model it comes from in h44z/wg-portal (file:line of the
tag named; the same model at v2.3.1 unless said). GORM names columns with its NamingStrategy
(gorm.io/gorm schema/naming.go toDBName: "PeerDefAllowedIPsStr" -> peer_def_allowed_ips_str);
ConfigOption fields are embedded with a prefix and the columns v and o
(internal/domain/options.go:3-6). Types per engine are GORM's dialect defaults: SQLite
(glebarez/sqlite) text/numeric/integer/datetime; PostgreSQL text/boolean/bigint/timestamptz;
MySQL longtext (varchar(191) for keys)/boolean/bigint/datetime(3), backtick quoting.
On SQLite wg-portal disables foreign keys (internal/adapters/database.go NewDatabase:
DisableForeignKeyConstraintWhenMigrating), so its fixture also holds orphans (join and child
rows of deleted records); on PostgreSQL and MySQL GORM creates the constraints and there are none.

Times are written the way each driver stores Go times: SQLite text with nanoseconds and the
local offset ("2025-07-01 12:05:00.123456789+02:00", zero time "0001-01-01 00:00:00+00:00"),
PostgreSQL timestamptz, MySQL DATETIME(3) in UTC (go-sql-driver's default loc).
Secrets use wg-portal's WG_ENC_ scheme (internal/app/gorm_encryption.go:121-148: AES-256-CBC,
key = passphrase cut/padded with '0' to 32 bytes, IV = its first 16 bytes, PKCS#7, base64);
passwords are bcrypt $2a$10$ (internal/domain/user.go HashPassword, golang.org/x/crypto/bcrypt).
"""
import base64
import datetime
import hashlib
import sys

# ---- the models --------------------------------------------------------------------------------
# (column, kind, first profile) in GORM field order. kinds: s text, k key text, b bool, i int,
# t time (NOT NULL in Go: zero time when unset), p *time.Time (NULL = nil)

PROFILES = ["v2.0", "v2.1", "v2.2.0", "v2.3"]
SCHEMA = {"v2.0": 1, "v2.1": 1, "v2.2.0": 3, "v2.3": 4}

BASE = [("created_by", "s", "v2.0"), ("updated_by", "s", "v2.0"),   # base.go:9-14 BaseModel
        ("created_at", "t", "v2.0"), ("updated_at", "t", "v2.0")]

TABLES = {
    # internal/adapters/database.go:27-30 (v2.2.3) SysStat. Its tag "primaryKey,column:..." uses
    # ',' where GORM expects ';': no primary key, the column name is the default one.
    "sys_stats": ([("migrated_at", "t", "v2.0"), ("schema_version", "i", "v2.0")], None),
    # internal/domain/user.go:37-75 (v2.2.3) User; webauthn_id since v2.1 (user.go v2.1.0:29),
    # persist_local_changes since v2.2.0; Source/ProviderName kept as deprecated columns
    "users": (BASE + [("identifier", "k", "v2.0"), ("email", "s", "v2.0"),
                      ("source", "s", "v2.0"), ("provider_name", "s", "v2.0"),
                      ("is_admin", "b", "v2.0"), ("persist_local_changes", "b", "v2.2.0"),
                      ("firstname", "s", "v2.0"), ("lastname", "s", "v2.0"),
                      ("phone", "s", "v2.0"), ("department", "s", "v2.0"), ("notes", "s", "v2.0"),
                      ("password", "s", "v2.0"), ("disabled", "p", "v2.0"),
                      ("disabled_reason", "s", "v2.0"), ("locked", "p", "v2.0"),
                      ("locked_reason", "s", "v2.0"), ("webauthn_id", "s", "v2.1"),
                      ("api_token", "s", "v2.0"), ("api_token_created", "p", "v2.0")],
              ["identifier"]),
    # internal/domain/user.go:28-34 (v2.2.3) UserAuthentication, since v2.2.0 (schema 3)
    "user_authentications": (BASE + [("user_identifier", "k", "v2.2.0"),
                                     ("source", "k", "v2.2.0"),
                                     ("provider_name", "k", "v2.2.0")],
                             ["user_identifier", "source", "provider_name"]),
    # internal/domain/user.go:346-352 (v2.2.3) UserWebauthnCredential, since v2.1 (:282)
    "user_webauthn_credentials": ([("user_identifier", "k", "v2.1"),
                                   ("credential_identifier", "k", "v2.1"),
                                   ("created_at", "t", "v2.1"), ("display_name", "s", "v2.1"),
                                   ("serialized_credential", "s", "v2.1")],
                                  ["user_identifier", "credential_identifier"]),
    # internal/domain/interface.go:31-84 (v2.2.3) Interface with the embedded KeyPair
    # (crypto.go:9-12, private_key serializer:encstr); backend since v2.1, create_default_peer
    # since v2.2.0
    "interfaces": (BASE + [("identifier", "k", "v2.0"), ("private_key", "s", "v2.0"),
                           ("public_key", "s", "v2.0"), ("listen_port", "i", "v2.0"),
                           ("dns_str", "s", "v2.0"), ("dns_search_str", "s", "v2.0"),
                           ("mtu", "i", "v2.0"), ("firewall_mark", "i", "v2.0"),
                           ("routing_table", "s", "v2.0"), ("pre_up", "s", "v2.0"),
                           ("post_up", "s", "v2.0"), ("pre_down", "s", "v2.0"),
                           ("post_down", "s", "v2.0"), ("save_config", "b", "v2.0"),
                           ("display_name", "s", "v2.0"), ("type", "s", "v2.0"),
                           ("create_default_peer", "b", "v2.2.0"), ("backend", "s", "v2.1"),
                           ("driver_type", "s", "v2.0"), ("disabled", "p", "v2.0"),
                           ("disabled_reason", "s", "v2.0"), ("peer_def_network_str", "s", "v2.0"),
                           ("peer_def_dns_str", "s", "v2.0"),
                           ("peer_def_dns_search_str", "s", "v2.0"),
                           ("peer_def_endpoint", "s", "v2.0"),
                           ("peer_def_allowed_ips_str", "s", "v2.0"),
                           ("peer_def_mtu", "i", "v2.0"),
                           ("peer_def_persistent_keepalive", "i", "v2.0"),
                           ("peer_def_firewall_mark", "i", "v2.0"),
                           ("peer_def_routing_table", "s", "v2.0"),
                           ("peer_def_pre_up", "s", "v2.0"), ("peer_def_post_up", "s", "v2.0"),
                           ("peer_def_pre_down", "s", "v2.0"),
                           ("peer_def_post_down", "s", "v2.0")],
                   ["identifier"]),
    # internal/domain/ip.go:11-15 Cidr (many2many target; primary key = the prefix text)
    "cidrs": ([("cidr", "k", "v2.0"), ("addr", "s", "v2.0"), ("net_len", "i", "v2.0")],
              ["cidr"]),
    # interface.go:40 Addresses many2many:interface_addresses (GORM join table:
    # <table singular>_<key>), read by internal/adapters/database.go GetInterfaceIps
    "interface_addresses": ([("interface_identifier", "k", "v2.0"), ("cidr_cidr", "k", "v2.0")],
                            ["interface_identifier", "cidr_cidr"]),
    # internal/domain/peer.go:32-59 Peer with ConfigOption prefixes (:37-42) and the embedded
    # PeerInterfaceConfig (:151-168, iface_* prefixes, KeyPair crypto.go:9-12)
    "peers": (BASE + [("endpoint_v", "s", "v2.0"), ("endpoint_o", "b", "v2.0"),
                      ("endpoint_pubkey_v", "s", "v2.0"), ("endpoint_pubkey_o", "b", "v2.0"),
                      ("allowed_ips_str_v", "s", "v2.0"), ("allowed_ips_str_o", "b", "v2.0"),
                      ("extra_allowed_ips_str", "s", "v2.0"), ("preshared_key", "s", "v2.0"),
                      ("persistent_keep_alive_v", "i", "v2.0"),
                      ("persistent_keep_alive_o", "b", "v2.0"),
                      ("display_name", "s", "v2.0"), ("identifier", "k", "v2.0"),
                      ("user_identifier", "k", "v2.0"), ("interface_identifier", "k", "v2.0"),
                      ("disabled", "p", "v2.0"), ("disabled_reason", "s", "v2.0"),
                      ("expires_at", "p", "v2.0"), ("notes", "s", "v2.0"),
                      ("auto_created", "b", "v2.0"), ("private_key", "s", "v2.0"),
                      ("public_key", "s", "v2.0"), ("iface_type", "s", "v2.0"),
                      ("check_alive_address", "s", "v2.0"),
                      ("iface_dns_str_v", "s", "v2.0"), ("iface_dns_str_o", "b", "v2.0"),
                      ("iface_dns_search_str_v", "s", "v2.0"),
                      ("iface_dns_search_str_o", "b", "v2.0"),
                      ("iface_mtu_v", "i", "v2.0"), ("iface_mtu_o", "b", "v2.0"),
                      ("iface_firewall_mark_v", "i", "v2.0"),
                      ("iface_firewall_mark_o", "b", "v2.0"),
                      ("iface_routing_table_v", "s", "v2.0"),
                      ("iface_routing_table_o", "b", "v2.0"),
                      ("iface_pre_up_v", "s", "v2.0"), ("iface_pre_up_o", "b", "v2.0"),
                      ("iface_post_up_v", "s", "v2.0"), ("iface_post_up_o", "b", "v2.0"),
                      ("iface_pre_down_v", "s", "v2.0"), ("iface_pre_down_o", "b", "v2.0"),
                      ("iface_post_down_v", "s", "v2.0"), ("iface_post_down_o", "b", "v2.0")],
              ["identifier"]),
    # peer.go:156 Addresses many2many:peer_addresses
    "peer_addresses": ([("peer_identifier", "k", "v2.0"), ("cidr_cidr", "k", "v2.0")],
                       ["peer_identifier", "cidr_cidr"]),
    # internal/domain/statistics.go:7-22 PeerStatus, :35-41 InterfaceStatus (not taken over)
    "peer_statuses": ([("identifier", "k", "v2.0"), ("updated_at", "t", "v2.0"),
                       ("connected", "b", "v2.0"), ("pingable", "b", "v2.0"),
                       ("last_ping", "p", "v2.0"), ("received", "i", "v2.0"),
                       ("transmitted", "i", "v2.0"), ("last_handshake", "p", "v2.0"),
                       ("endpoint", "s", "v2.0"), ("last_session_start", "p", "v2.0")],
                      ["identifier"]),
    "interface_statuses": ([("identifier", "k", "v2.0"), ("updated_at", "t", "v2.0"),
                            ("received", "i", "v2.0"), ("transmitted", "i", "v2.0")],
                           ["identifier"]),
    # internal/domain/audit.go:13-24 AuditEntry (id autoIncrement)
    "audit_entries": ([("id", "a", "v2.0"), ("created_at", "t", "v2.0"),
                       ("context_user", "s", "v2.0"), ("severity", "s", "v2.0"),
                       ("origin", "s", "v2.0"), ("message", "s", "v2.0")], ["id"]),
}
# GORM's constraints on PostgreSQL/MySQL (many2many join tables, has-many children)
FOREIGN = {
    "interface_addresses": [("interface_identifier", "interfaces", "identifier"),
                            ("cidr_cidr", "cidrs", "cidr")],
    "peer_addresses": [("peer_identifier", "peers", "identifier"), ("cidr_cidr", "cidrs", "cidr")],
    "user_authentications": [("user_identifier", "users", "identifier")],
    "user_webauthn_credentials": [("user_identifier", "users", "identifier")],
}
SINCE = {"user_authentications": "v2.2.0", "user_webauthn_credentials": "v2.1"}


def has(profile, since):
    return PROFILES.index(profile) >= PROFILES.index(since)


def sql_type(engine, kind):
    return {
        "sqlite": {"s": "text", "k": "text", "b": "numeric", "i": "integer", "t": "datetime",
                   "p": "datetime", "a": "integer"},
        "postgres": {"s": "text", "k": "text", "b": "boolean", "i": "bigint",
                     "t": "timestamptz", "p": "timestamptz", "a": "bigserial"},
        "mysql": {"s": "longtext", "k": "varchar(191)", "b": "boolean", "i": "bigint",
                  "t": "datetime(3)", "p": "datetime(3) NULL", "a": "bigint unsigned AUTO_INCREMENT"},
    }[engine][kind]


def q(engine, name):
    return f"`{name}`" if engine in ("sqlite", "mysql") else f'"{name}"'


def ddl(engine, profile):
    out = []
    for table, (cols, pk) in TABLES.items():
        if table in SINCE and not has(profile, SINCE[table]):
            continue
        defs = [f"{q(engine, c)} {sql_type(engine, k)}" for c, k, since in cols if has(profile, since)]
        if pk:
            defs.append("PRIMARY KEY (" + ",".join(q(engine, c) for c in pk) + ")")
        if engine != "sqlite":
            for c, ref, rc in FOREIGN.get(table, []):
                defs.append(f"CONSTRAINT {q(engine, 'fk_' + table + '_' + c)} FOREIGN KEY "
                            f"({q(engine, c)}) REFERENCES {q(engine, ref)}({q(engine, rc)})")
        out.append(f"CREATE TABLE {q(engine, table)} ({','.join(defs)});")
    # users.disabled/locked and interfaces.disabled are indexed (gorm:"index")
    for table, col in (("users", "disabled"), ("users", "locked"), ("interfaces", "disabled"),
                       ("peers", "user_identifier"), ("peers", "interface_identifier")):
        if engine == "mysql" and col.endswith("identifier"):
            continue  # varchar(191) indexed in the column definition's stead
        out.append(f"CREATE INDEX {q(engine, 'idx_' + table + '_' + col)} ON "
                   f"{q(engine, table)}({q(engine, col)});")
    return out


# ---- values -------------------------------------------------------------------------------------

ZERO = "0001-01-01 00:00:00+00:00"


def gotime(y, mo, d, h, mi, s, ns, off_h):
    """A Go time in the local zone off_h as glebarez/sqlite writes it."""
    sign = "+" if off_h >= 0 else "-"
    return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}.{ns:09d}{sign}{abs(off_h):02d}:00"


def unix(t):
    """Unix seconds of a gotime() text (the expectation)."""
    if t is None or t.startswith("0001-"):
        return 0
    base, off = t[:19], t[-6:]
    dt = datetime.datetime.strptime(base, "%Y-%m-%d %H:%M:%S")
    sign = 1 if off[0] == "+" else -1
    delta = datetime.timedelta(hours=int(off[1:3]), minutes=int(off[4:6]))
    return int((dt - sign * delta).replace(tzinfo=datetime.timezone.utc).timestamp())


def lit(engine, kind, v):
    if v is None:
        return "NULL"
    if kind == "b":
        return ("true" if v else "false") if engine == "postgres" else ("1" if v else "0")
    if kind in ("i", "a"):
        return str(int(v))
    if kind in ("t", "p"):
        if engine == "mysql":  # DATETIME(3) in UTC, as go-sql-driver writes with loc=UTC
            if v.startswith("0001-"):
                return "'0000-00-00 00:00:00.000'"  # go-sql-driver writes the zero time so
            dt = datetime.datetime.fromtimestamp(unix(v), datetime.timezone.utc)
            return "'" + dt.strftime("%Y-%m-%d %H:%M:%S") + "." + v[20:23] + "'"
        return "'" + v + "'"
    return "'" + str(v).replace("'", "''") + "'"


def insert(engine, profile, table, row):
    cols = [(c, k) for c, k, since in TABLES[table][0] if has(profile, since) and c in row]
    return (f"INSERT INTO {q(engine, table)} (" + ",".join(q(engine, c) for c, _ in cols) +
            ") VALUES (" + ",".join(lit(engine, k, row[c]) for c, k in cols) + ");")


def wg_enc(plain, passphrase):
    """WG_ENC_ value exactly as gorm_encryption.go:121-148 EncryptAES256 writes it."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    key = passphrase.encode()[:32].ljust(32, b"0")
    data = plain.encode()
    pad = 16 - len(data) % 16
    data += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return "WG_ENC_" + base64.b64encode(enc.update(data) + enc.finalize()).decode()


def key_pair(n):
    """A deterministic WireGuard key pair (X25519 from a seed)."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives import serialization
    seed = bytearray(hashlib.sha256(f"wg-portal-fixture-{n}".encode()).digest())
    seed[0] &= 248
    seed[31] = (seed[31] & 127) | 64
    priv = X25519PrivateKey.from_private_bytes(bytes(seed))
    pub = priv.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)
    return base64.b64encode(bytes(seed)).decode(), base64.b64encode(pub).decode()


# bcrypt $2a$10$ of the passwords below (computed once with libxcrypt's crypt with a fixed
# salt: the same format golang.org/x/crypto/bcrypt writes at DefaultCost 10)
PASSWORDS = {
    "admin@example.com": ("wgportal-Admin-1",
                          "$2a$10$ABCDEFGHIJKLMNOPQRSTUusCuz0gN7TVU4YHAZbZBoamM2TdAJ/NS"),
    "alice@example.com": ("alice-Pass-22",
                          "$2a$10$bcdefghijklmnopqrstuvufaSJSqEXxWvZ6yE9ANtZEoHdmgw.sQ2"),
    "dave@example.com": ("bob-Pass-333",
                         "$2a$10$0123456789abcdefghijku.VkIonyXtE597Epw2vRCR01NuEDkO.S"),
}
TOKENS = {"admin@example.com": "tok-admin-plain-0001", "alice@example.com": "tok-alice-0002"}


def build(engine, profile, passphrase="", peers=0, schema_version=None, ifnames=("wg0", "wg1"),
          passkey=None):
    """(statements, expected) for a wg-portal database of profile on engine. passphrase: the
    WG_ENC_ secrets' (empty: secrets in clear); peers: extra peers for benchmarks;
    schema_version: a different sys_stats maximum (to test unknown versions); ifnames: the two
    interfaces' names (tests use names of their own: wireguard-go's sockets are shared);
    passkey: (credential_identifier, serialized_credential) of a real passkey alice registered
    in wg-portal (v2.1+), named "Phone"."""
    wg0, wg1 = ifnames
    st = ddl(engine, profile)
    ins = lambda t, r: st.append(insert(engine, profile, t, r))  # noqa: E731
    enc = (lambda v: wg_enc(v, passphrase) if passphrase and v else v)
    orphans = engine == "sqlite"
    exp = {"users": {}, "ifaces": {}, "peers": {}, "audit": [], "auths": {}, "passkeys": {}}
    t0 = gotime(2024, 3, 1, 9, 30, 0, 123456789, 1)
    t1 = gotime(2025, 7, 1, 12, 5, 0, 123456789, 2)
    t2 = gotime(2025, 7, 2, 8, 0, 0, 5, -5)

    for v in range(1, (schema_version or SCHEMA[profile]) + 1):
        ins("sys_stats", {"migrated_at": t0, "schema_version": v})

    # users: admin (created_at zero before v2.2.3's fix), alice (encrypted token where the
    # profile encrypts tokens), carol (LDAP + OAuth, disabled, no password), dave (locked, a
    # row not saved since v2.1: persist_local_changes NULL)
    tok_enc = profile == "v2.3"
    users = [
        dict(identifier="admin@example.com", email="admin@example.com", source="db",
             provider_name="", is_admin=True, persist_local_changes=False, firstname="Ada",
             lastname="Admin", password=PASSWORDS["admin@example.com"][1],
             api_token=TOKENS["admin@example.com"], api_token_created=t1,
             created_at=ZERO if SCHEMA[profile] < 4 else t0, updated_at=t1,
             auths=[("db", "")]),
        dict(identifier="alice@example.com", email="Alice@Example.com", source="db",
             provider_name="", is_admin=False, persist_local_changes=True, firstname="Alice",
             lastname="O'Hara", phone="+41 1", department="R&D", notes="line1\nline2",
             password=PASSWORDS["alice@example.com"][1], webauthn_id="d2ViYXV0aG4tYWxpY2U=",
             api_token=enc(TOKENS["alice@example.com"]) if tok_enc else
             TOKENS["alice@example.com"], created_at=t0, updated_at=t1, auths=[("db", "")]),
        dict(identifier="carol@corp", email="carol@corp.example", source="ldap",
             provider_name="corp-ldap", is_admin=False, disabled=t2,
             disabled_reason="missing in ldap", created_at=t0, updated_at=t2,
             auths=[("ldap", "corp-ldap"), ("oauth", "google")]),
        dict(identifier="dave@example.com", email="dave@example.com", source="db",
             provider_name="", locked=t1, locked_reason="locked by admin",
             password=PASSWORDS["dave@example.com"][1], created_at=t0, updated_at=t0,
             auths=[("db", "")]),
    ]
    for u in users:
        row = {k: v for k, v in u.items() if k != "auths"}
        if u["identifier"] == "dave@example.com":
            row.pop("persist_local_changes", None)
        if SCHEMA[profile] < 3:
            row.pop("persist_local_changes", None)
        ins("users", row)
        created = unix(u["created_at"]) or unix(u["updated_at"])
        srcs = [a[0] for a in u["auths"]] if SCHEMA[profile] >= 3 else [u["source"]]
        exp["users"][u["identifier"]] = dict(
            email=u["email"], is_admin=u.get("is_admin", False), disabled=bool(u.get("disabled")),
            locked=bool(u.get("locked")), sources=sorted(set(srcs)), created=created,
            password=PASSWORDS.get(u["identifier"], (None,))[0],
            token=TOKENS.get(u["identifier"]), firstname=u.get("firstname", ""),
            lastname=u.get("lastname", ""), notes=u.get("notes", ""))
        if SCHEMA[profile] >= 3:
            for src, prov in u["auths"]:
                ins("user_authentications", dict(user_identifier=u["identifier"], source=src,
                                                 provider_name=prov, created_at=t0,
                                                 updated_at=t1, created_by="_WG_SYS_DB_MIGRATOR_",
                                                 updated_by="_WG_SYS_DB_MIGRATOR_"))
            exp["auths"][u["identifier"]] = sorted(u["auths"])
        else:
            exp["auths"][u["identifier"]] = [(u["source"], u["provider_name"])]
    if SCHEMA[profile] >= 3 and orphans:
        ins("user_authentications", dict(user_identifier="ghost@gone", source="ldap",
                                         provider_name="corp-ldap", created_at=t0, updated_at=t0))
    if has(profile, "v2.1"):
        ins("user_webauthn_credentials", dict(user_identifier="alice@example.com",
                                              credential_identifier="Y3JlZC1hbGljZQ==",
                                              created_at=t1, display_name="YubiKey 5",
                                              serialized_credential="eyJJRCI6IlkzSmxaQzFoYkdsalpRPT0ifQ=="))
        exp["passkeys"]["alice@example.com"] = [("Y3JlZC1hbGljZQ==", "YubiKey 5")]
        if passkey:
            ins("user_webauthn_credentials", dict(user_identifier="alice@example.com",
                                                  credential_identifier=passkey[0],
                                                  created_at=t1, display_name="Phone",
                                                  serialized_credential=passkey[1]))
            exp["passkeys"]["alice@example.com"].append((passkey[0], "Phone"))
        if orphans:
            ins("user_webauthn_credentials", dict(user_identifier="ghost@gone",
                                                  credential_identifier="Z2hvc3Q=", created_at=t1,
                                                  display_name="gone", serialized_credential="e30="))

    # interfaces: wg0 (server, keys encrypted), wg1 (client, disabled, on a MikroTik backend,
    # its private key still plain: written before the passphrase was set, read lazily)
    k0, k9 = key_pair(0), key_pair(900)
    ifaces = [
        dict(identifier=wg0, private_key=enc(k0[0]), public_key=k0[1], listen_port=51820,
             dns_str="1.1.1.1, 9.9.9.9", dns_search_str="corp.example", mtu=1420,
             firewall_mark=3405643776, routing_table="off", pre_up="echo 'up' %i",
             save_config=True, display_name="Office VPN", type="server",
             create_default_peer=True, backend="local", driver_type="linux",
             peer_def_network_str="10.11.12.0/24, fdfd:d3ad:c0de:1234::/64",
             peer_def_dns_str="10.11.12.1", peer_def_endpoint="vpn.example.com:51820",
             peer_def_allowed_ips_str="0.0.0.0/0, ::/0", peer_def_mtu=1380,
             peer_def_persistent_keepalive=25, created_at=t0, updated_at=t1,
             addrs=["10.11.12.1/24", "fdfd:d3ad:c0de:1234::1/64"], priv=k0[0]),
        dict(identifier=wg1, private_key=k9[0], public_key=k9[1], listen_port=0,
             display_name="Branch uplink", type="client", backend="mt1", disabled=t2,
             disabled_reason="disabled by admin", created_at=t0, updated_at=t0,
             addrs=["10.22.0.2/32"], priv=k9[0]),
    ]
    cidrs = set()
    for i in ifaces:
        row = {k: v for k, v in i.items() if k not in ("addrs", "priv")}
        if i["identifier"] == wg1:
            row.pop("create_default_peer", None)  # NULL: not saved since v2.2.0 added it
        ins("interfaces", row)
        for a in i["addrs"]:
            if a not in cidrs:
                cidrs.add(a)
                ins("cidrs", dict(cidr=a, addr=a.split("/")[0], net_len=int(a.split("/")[1])))
            ins("interface_addresses", dict(interface_identifier=i["identifier"], cidr_cidr=a))
        exp["ifaces"][i["identifier"]] = dict(
            priv=i["priv"], pub=i["public_key"], addrs=i["addrs"], disabled=bool(i.get("disabled")),
            mode=i["type"], dns=[x.strip() for x in i.get("dns_str", "").split(",") if x.strip()],
            allowed=[x.strip() for x in i.get("peer_def_allowed_ips_str", "").split(",") if x.strip()],
            backend=i["backend"] if has(profile, "v2.1") else "",
            cdp=bool(i.get("create_default_peer")) and SCHEMA[profile] >= 3,
            mark=i.get("firewall_mark", 0), display=i["display_name"])

    psk = base64.b64encode(hashlib.sha256(b"psk-1").digest()).decode()
    peers_rows = []
    k1, k2, k3 = key_pair(1), key_pair(2), key_pair(3)
    peers_rows.append(dict(
        identifier=k1[1], public_key=k1[1], private_key=enc(k1[0]), preshared_key=enc(psk),
        interface_identifier=wg0, user_identifier="alice@example.com",
        display_name="Alice laptop", endpoint_v="vpn.example.com:51820", endpoint_o=True,
        endpoint_pubkey_v=k0[1], endpoint_pubkey_o=True, allowed_ips_str_v="0.0.0.0/0, ::/0",
        allowed_ips_str_o=False, extra_allowed_ips_str="192.168.50.0/24",
        persistent_keep_alive_v=25, persistent_keep_alive_o=True, iface_type="client",
        iface_dns_str_v="10.11.12.1", iface_dns_str_o=True, iface_mtu_v=1380, iface_mtu_o=False,
        iface_firewall_mark_v=0, iface_firewall_mark_o=True, created_at=t1, updated_at=t1,
        expires_at=None, addrs=["10.11.12.2/32", "fdfd:d3ad:c0de:1234::2/128"],
        priv=k1[0], psk=psk))
    peers_rows.append(dict(
        identifier=k2[1], public_key=k2[1], private_key="", preshared_key="",
        interface_identifier=wg0, user_identifier="dave@example.com",
        display_name="Bob phone", disabled=t2, disabled_reason="expired",
        # the API's "YYYY-MM-DD" parsed as midnight UTC (api/v0/model/models_peer.go
        # ExpiryDate), written in the host's zone
        expires_at=gotime(2030, 1, 31, 2, 0, 0, 0, 2), notes="note with 'quotes'",
        allowed_ips_str_v="10.11.12.0/24", iface_type="client", created_at=t0,
        updated_at=t2, addrs=["10.11.12.3/32"], priv="", psk=""))
    peers_rows.append(dict(
        identifier=k3[1], public_key=k3[1], private_key=k3[0], preshared_key="",
        interface_identifier=wg1, display_name="", auto_created=True, iface_type="server",
        check_alive_address="10.22.0.1", created_at=t0, updated_at=t0, addrs=["10.22.0.3/32"],
        priv=k3[0], psk=""))
    for n in range(peers):
        kn = key_pair(1000 + n)
        peers_rows.append(dict(
            identifier=kn[1], public_key=kn[1], private_key=enc(kn[0]),
            preshared_key=enc(psk), interface_identifier=wg0,
            user_identifier="alice@example.com", display_name=f"bulk peer {n}",
            allowed_ips_str_v="0.0.0.0/0, ::/0", allowed_ips_str_o=True, iface_type="client",
            created_at=t1, updated_at=t1,
            addrs=[f"10.100.{n // 250}.{n % 250 + 2}/32"], priv=kn[0], psk=psk))
    for p in peers_rows:
        ins("peers", {k: v for k, v in p.items() if k not in ("addrs", "priv", "psk")})
        for a in p["addrs"]:
            if a not in cidrs:
                cidrs.add(a)
                ins("cidrs", dict(cidr=a, addr=a.split("/")[0], net_len=int(a.split("/")[1])))
            ins("peer_addresses", dict(peer_identifier=p["identifier"], cidr_cidr=a))
        exp["peers"][p["identifier"]] = dict(
            iface=p["interface_identifier"], user=p.get("user_identifier", ""),
            name=p["display_name"], priv=p["priv"], psk=p["psk"], addrs=p["addrs"],
            disabled=bool(p.get("disabled")),
            expires=(p.get("expires_at") or "")[:10], automatic=bool(p.get("auto_created")),
            endpoint=(p.get("endpoint_v", ""), bool(p.get("endpoint_o"))),
            allowed=([x.strip() for x in p.get("allowed_ips_str_v", "").split(",") if x.strip()],
                     bool(p.get("allowed_ips_str_o"))),
            keepalive=(p.get("persistent_keep_alive_v", 0), bool(p.get("persistent_keep_alive_o"))),
            mtu=(p.get("iface_mtu_v", 0), bool(p.get("iface_mtu_o"))),
            notes=p.get("notes", ""), created=unix(p["created_at"]))
    if orphans:  # a deleted peer's address rows (no foreign keys in wg-portal's SQLite)
        ins("cidrs", dict(cidr="10.11.12.99/32", addr="10.11.12.99", net_len=32))
        ins("peer_addresses", dict(peer_identifier="ghostpeer", cidr_cidr="10.11.12.99/32"))
    ins("peer_statuses", dict(identifier=k1[1], updated_at=t1, connected=True, received=1234,
                              transmitted=5678, endpoint="203.0.113.5:40000"))
    ins("interface_statuses", dict(identifier=wg0, updated_at=t1, received=1, transmitted=2))

    audit = [(t0, "admin@example.com", "info", "auth", "logged in"),
             (t1, "alice@example.com", "warning", "peer", "peer 'x' created; \"quoted\""),
             (t2, "", "error", "interface", f"{wg1} disabled by admin")]
    for i, (t, u, sev, origin, msg) in enumerate(audit):
        ins("audit_entries", dict(id=i + 1, created_at=t, context_user=u, severity=sev,
                                  origin=origin, message=msg))
        exp["audit"].append(dict(user=u, severity=sev, origin=origin, message=msg,
                                 created=unix(t)))
    exp["schema"] = schema_version or SCHEMA[profile]
    return st, exp


def load(engine, statements, target):
    """Writes the statements into target: a SQLite file path, or a dbservers server object
    plus database name as (srv, name)."""
    import subprocess
    if engine == "sqlite":
        import sqlite3
        con = sqlite3.connect(target)
        con.executescript("BEGIN;\n" + "\n".join(statements) + "\nCOMMIT;")
        con.close()
        return
    srv, name = target
    script = "\n".join(statements) + "\n"
    if engine == "postgres":
        env = dict(__import__("os").environ, PGPASSWORD=__import__("dbservers").PASSWORD)
        subprocess.run([f"{__import__('dbservers').PG_BIN}/psql", "-h", srv.dir, "-p",
                        str(srv.port), "-U", __import__("dbservers").USER, "-d", name, "-q",
                        "-v", "ON_ERROR_STOP=1", "-1"], input=script, text=True, check=True,
                       env=env, capture_output=True)
    else:
        import dbservers
        subprocess.run(["mariadb", "--no-defaults", f"--socket={srv.sock}", f"-u{dbservers.USER}",
                        f"-p{dbservers.PASSWORD}", name], input="SET sql_mode='';\n" + script,
                       text=True, check=True, capture_output=True)


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("engine", choices=["sqlite", "postgres", "mysql"])
    ap.add_argument("profile", choices=PROFILES)
    ap.add_argument("--passphrase", default="")
    ap.add_argument("--peers", type=int, default=0)
    ap.add_argument("--schema-version", type=int)
    a = ap.parse_args()
    sql, _ = build(a.engine, a.profile, a.passphrase, a.peers, a.schema_version)
    sys.stdout.write("\n".join(sql) + "\n")
