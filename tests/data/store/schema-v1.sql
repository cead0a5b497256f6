-- A database written by wgportal's migration 1 only (schema version 1), with a few rows.
-- tests/unit/test_store.c loads it, lets store_open() upgrade it to the latest schema and reads
-- the rows back through the store API. The CREATE statements are migration 1 verbatim (the test
-- checks that); the rows are hand-written. Secrets are plain: this database has no passphrase.
BEGIN TRANSACTION;
CREATE TABLE schema_version (
  version INTEGER PRIMARY KEY,
  applied_at INTEGER NOT NULL
);
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE interfaces (
  identifier TEXT PRIMARY KEY,
  display_name TEXT NOT NULL DEFAULT '',
  mode TEXT NOT NULL DEFAULT '',
  private_key TEXT NOT NULL DEFAULT '',
  public_key TEXT NOT NULL DEFAULT '',
  disabled INTEGER NOT NULL DEFAULT 0,
  disabled_reason TEXT NOT NULL DEFAULT '',
  save_config INTEGER NOT NULL DEFAULT 0,
  listen_port INTEGER NOT NULL DEFAULT 0,
  addresses TEXT NOT NULL DEFAULT '',
  dns TEXT NOT NULL DEFAULT '',
  dns_search TEXT NOT NULL DEFAULT '',
  mtu INTEGER NOT NULL DEFAULT 0,
  firewall_mark INTEGER NOT NULL DEFAULT 0,
  routing_table TEXT NOT NULL DEFAULT '',
  pre_up TEXT NOT NULL DEFAULT '',
  post_up TEXT NOT NULL DEFAULT '',
  pre_down TEXT NOT NULL DEFAULT '',
  post_down TEXT NOT NULL DEFAULT '',
  peer_def_network TEXT NOT NULL DEFAULT '',
  peer_def_dns TEXT NOT NULL DEFAULT '',
  peer_def_dns_search TEXT NOT NULL DEFAULT '',
  peer_def_endpoint TEXT NOT NULL DEFAULT '',
  peer_def_allowed_ips TEXT NOT NULL DEFAULT '',
  peer_def_mtu INTEGER NOT NULL DEFAULT 0,
  peer_def_persistent_keepalive INTEGER NOT NULL DEFAULT 0,
  peer_def_firewall_mark INTEGER NOT NULL DEFAULT 0,
  peer_def_routing_table TEXT NOT NULL DEFAULT '',
  peer_def_pre_up TEXT NOT NULL DEFAULT '',
  peer_def_post_up TEXT NOT NULL DEFAULT '',
  peer_def_pre_down TEXT NOT NULL DEFAULT '',
  peer_def_post_down TEXT NOT NULL DEFAULT '',
  backend TEXT NOT NULL DEFAULT '',
  create_default_peer INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE interface_addresses (
  iface_id TEXT NOT NULL REFERENCES interfaces(identifier) ON DELETE CASCADE,
  addr TEXT NOT NULL
);
CREATE INDEX interface_addresses_iface ON interface_addresses(iface_id);
CREATE INDEX interface_addresses_addr ON interface_addresses(addr);
CREATE TABLE peers (
  identifier TEXT PRIMARY KEY,
  iface_id TEXT NOT NULL,
  display_name TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  disabled INTEGER NOT NULL DEFAULT 0,
  disabled_reason TEXT NOT NULL DEFAULT '',
  expires_at TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  endpoint TEXT NOT NULL DEFAULT '',
  endpoint_ovr INTEGER NOT NULL DEFAULT 0,
  endpoint_public_key TEXT NOT NULL DEFAULT '',
  endpoint_public_key_ovr INTEGER NOT NULL DEFAULT 0,
  allowed_ips TEXT NOT NULL DEFAULT '',
  allowed_ips_ovr INTEGER NOT NULL DEFAULT 0,
  extra_allowed_ips TEXT NOT NULL DEFAULT '',
  preshared_key TEXT NOT NULL DEFAULT '',
  persistent_keepalive INTEGER NOT NULL DEFAULT 0,
  persistent_keepalive_ovr INTEGER NOT NULL DEFAULT 0,
  private_key TEXT NOT NULL DEFAULT '',
  public_key TEXT NOT NULL DEFAULT '',
  mode TEXT NOT NULL DEFAULT '',
  addresses TEXT NOT NULL DEFAULT '',
  check_alive_address TEXT NOT NULL DEFAULT '',
  dns TEXT NOT NULL DEFAULT '',
  dns_ovr INTEGER NOT NULL DEFAULT 0,
  dns_search TEXT NOT NULL DEFAULT '',
  dns_search_ovr INTEGER NOT NULL DEFAULT 0,
  mtu INTEGER NOT NULL DEFAULT 0,
  mtu_ovr INTEGER NOT NULL DEFAULT 0,
  firewall_mark INTEGER NOT NULL DEFAULT 0,
  firewall_mark_ovr INTEGER NOT NULL DEFAULT 0,
  routing_table TEXT NOT NULL DEFAULT '',
  routing_table_ovr INTEGER NOT NULL DEFAULT 0,
  pre_up TEXT NOT NULL DEFAULT '',
  pre_up_ovr INTEGER NOT NULL DEFAULT 0,
  post_up TEXT NOT NULL DEFAULT '',
  post_up_ovr INTEGER NOT NULL DEFAULT 0,
  pre_down TEXT NOT NULL DEFAULT '',
  pre_down_ovr INTEGER NOT NULL DEFAULT 0,
  post_down TEXT NOT NULL DEFAULT '',
  post_down_ovr INTEGER NOT NULL DEFAULT 0,
  automatic INTEGER NOT NULL DEFAULT 0,
  addr_sort BLOB,
  created_at INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX peers_iface_id ON peers(iface_id, identifier);
CREATE INDEX peers_iface_disabled ON peers(iface_id, disabled);
CREATE INDEX peers_user ON peers(user_id);
CREATE TABLE peer_addresses (
  peer_id TEXT NOT NULL REFERENCES peers(identifier) ON DELETE CASCADE,
  iface_id TEXT NOT NULL,
  addr TEXT NOT NULL
);
CREATE INDEX peer_addresses_peer ON peer_addresses(peer_id);
CREATE INDEX peer_addresses_addr ON peer_addresses(addr);
CREATE TABLE users (
  identifier TEXT PRIMARY KEY,
  email TEXT NOT NULL DEFAULT '',
  auth_sources TEXT NOT NULL DEFAULT '',
  is_admin INTEGER NOT NULL DEFAULT 0,
  firstname TEXT NOT NULL DEFAULT '',
  lastname TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  department TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  password_hash TEXT,
  disabled INTEGER NOT NULL DEFAULT 0,
  disabled_reason TEXT NOT NULL DEFAULT '',
  locked INTEGER NOT NULL DEFAULT 0,
  locked_reason TEXT NOT NULL DEFAULT '',
  api_token_hash TEXT,
  created_at INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX users_email ON users(email COLLATE NOCASE);
CREATE TABLE peer_statuses (
  peer_id TEXT PRIMARY KEY,
  iface_id TEXT NOT NULL DEFAULT '',
  bytes_received INTEGER NOT NULL DEFAULT 0,
  bytes_transmitted INTEGER NOT NULL DEFAULT 0,
  last_handshake INTEGER NOT NULL DEFAULT 0,
  endpoint TEXT NOT NULL DEFAULT '',
  is_pingable INTEGER NOT NULL DEFAULT 0,
  last_ping INTEGER NOT NULL DEFAULT 0,
  last_session_start INTEGER NOT NULL DEFAULT 0,
  is_connected INTEGER NOT NULL DEFAULT 0,
  stats_available INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX peer_statuses_iface ON peer_statuses(iface_id);
CREATE TABLE interface_statuses (
  iface_id TEXT PRIMARY KEY,
  bytes_received INTEGER NOT NULL DEFAULT 0,
  bytes_transmitted INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL DEFAULT 0
);
INSERT INTO schema_version (version, applied_at) VALUES (1, 1700000000);
INSERT INTO interfaces (identifier, display_name, mode, private_key, public_key, disabled,
  disabled_reason, save_config, listen_port, addresses, dns, dns_search, mtu, firewall_mark,
  routing_table, pre_up, post_up, pre_down, post_down, peer_def_network, peer_def_dns,
  peer_def_dns_search, peer_def_endpoint, peer_def_allowed_ips, peer_def_mtu,
  peer_def_persistent_keepalive, peer_def_firewall_mark, peer_def_routing_table, peer_def_pre_up,
  peer_def_post_up, peer_def_pre_down, peer_def_post_down, backend, create_default_peer,
  created_at, updated_at)
VALUES ('wg0', 'Office VPN', 'server', 'IMzpPmy3qa5ex3nxwOR8o6YFgPHp1/Fg5AD0qV7cS0I=',
  '0iAokATsOghefSJczGnyLeqDpU0RuzN5teMkv/q2w0Y=', 0, '', 1, 51820,
  '10.11.12.1/24,fdfd:d3ad:c0de:1234::1/64', '1.1.1.1', 'corp.example', 1420, 0, '', '', '', '',
  '', '10.11.12.0/24,fdfd:d3ad:c0de:1234::/64', '10.11.12.1', '', 'vpn.example.com:51820',
  '0.0.0.0/0,::/0', 1420, 25, 0, '', '', '', '', '', 'local', 0, 1700000000, 1700000100);
INSERT INTO interface_addresses (iface_id, addr) VALUES ('wg0', '10.11.12.1');
INSERT INTO interface_addresses (iface_id, addr) VALUES ('wg0', 'fdfd:d3ad:c0de:1234::1');
INSERT INTO peers (identifier, iface_id, display_name, user_id, disabled, disabled_reason,
  expires_at, notes, endpoint, endpoint_ovr, endpoint_public_key, endpoint_public_key_ovr,
  allowed_ips, allowed_ips_ovr, extra_allowed_ips, preshared_key, persistent_keepalive,
  persistent_keepalive_ovr, private_key, public_key, mode, addresses, check_alive_address, dns,
  dns_ovr, dns_search, dns_search_ovr, mtu, mtu_ovr, firewall_mark, firewall_mark_ovr,
  routing_table, routing_table_ovr, pre_up, pre_up_ovr, post_up, post_up_ovr, pre_down,
  pre_down_ovr, post_down, post_down_ovr, automatic, addr_sort, created_at, updated_at)
VALUES ('RcAL9vt/2YmJUWN9YbvcHKi8a/OrPfkRLhhJGqFRhAg=', 'wg0', 'Alice laptop', 'alice', 0, '',
  '2030-01-31', 'first peer', 'vpn.example.com:51820', 1,
  '0iAokATsOghefSJczGnyLeqDpU0RuzN5teMkv/q2w0Y=', 1, '0.0.0.0/0,::/0', 1, '',
  'VEDQjKNuKT5YH1cqFQdN7In1q0vZnzrt+WGWzJEi+s0=', 25, 1,
  'eDt0DJ8laBbJg6aQRRapFno1lWVLMGuYJsTZ1zqNZW0=', 'RcAL9vt/2YmJUWN9YbvcHKi8a/OrPfkRLhhJGqFRhAg=',
  'client', '10.11.12.2/32', '', '10.11.12.1', 1, '', 1, 1420, 1, 0, 1, '', 1, '', 1, '', 1, '',
  1, '', 1, 0, X'040a0b0c02000000000000000000000000', 1700000200, 1700000300);
INSERT INTO peer_addresses (peer_id, iface_id, addr)
VALUES ('RcAL9vt/2YmJUWN9YbvcHKi8a/OrPfkRLhhJGqFRhAg=', 'wg0', '10.11.12.2');
INSERT INTO peers (identifier, iface_id, display_name, user_id, disabled, disabled_reason,
  private_key, public_key, mode, addresses, created_at, updated_at)
VALUES ('RAzXU538Z2SVhMgr0GiLw4hn8p7I2xxjVEB3JXjXkjE=', 'wg0', 'Bob phone', 'bob', 1, 'expired',
  '', 'RAzXU538Z2SVhMgr0GiLw4hn8p7I2xxjVEB3JXjXkjE=', 'client', '10.11.12.3/32', 1700000400,
  1700000400);
INSERT INTO peer_addresses (peer_id, iface_id, addr)
VALUES ('RAzXU538Z2SVhMgr0GiLw4hn8p7I2xxjVEB3JXjXkjE=', 'wg0', '10.11.12.3');
INSERT INTO users (identifier, email, auth_sources, is_admin, firstname, lastname, phone,
  department, notes, password_hash, disabled, disabled_reason, locked, locked_reason,
  api_token_hash, created_at, updated_at)
VALUES ('alice', 'Alice@Example.com', 'db', 1, 'Alice', 'Liddell', '+1 555 0100', 'IT', '',
  NULL, 0, '', 0, '', 'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319',
  1700000000, 1700000000);
INSERT INTO peer_statuses (peer_id, iface_id, bytes_received, bytes_transmitted, last_handshake,
  endpoint, is_pingable, last_ping, last_session_start, is_connected, stats_available, updated_at)
VALUES ('RcAL9vt/2YmJUWN9YbvcHKi8a/OrPfkRLhhJGqFRhAg=', 'wg0', 1234, 5678, 1700000500,
  '192.0.2.10:40000', 1, 1700000510, 1700000400, 1, 1, 1700000520);
COMMIT;
