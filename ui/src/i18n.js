// The one translation table (English, German). Language: localStorage "wgLang", else the
// browser's language, else English. t(key, {param}) replaces {param}; missing keys fall back to
// English, then to the key itself.
import { ref } from 'vue'

const en = {
  nav: { skip: 'Skip to content', main: 'Main navigation', interfaces: 'Interfaces', myPeers: 'My peers', users: 'Users', audit: 'Audit log', deliveries: 'Deliveries', cluster: 'Nodes', profile: 'Profile', logout: 'Log out', language: 'Language' },
  common: { actions: 'Actions', cancel: 'Cancel', close: 'Close', copied: 'Copied to clipboard', copy: 'Copy', copyFailed: 'Copy failed – select and copy manually', create: 'Create', delete: 'Delete', done: 'Done', edit: 'Edit', loading: 'Loading…', na: 'n/a', networkError: 'Server not reachable', progress: 'Progress', save: 'Save', saved: 'Saved', saving: 'Saving…' },
  form: { listHint: 'Comma-separated', required: 'Required' },
  caps: {
    unsupported: '{backend} does not support {what}', hooks: 'interface hooks', mtu: 'setting the MTU', fwmark: 'firewall marks', routes: 'routing tables',
    addresses: 'interface addresses', peer_statistics: 'peer statistics (rx/tx, handshake)', preshared_keys: 'preshared keys',
  },
  login: { intro: 'Sign in to manage your WireGuard access.', username: 'Username', password: 'Password', submit: 'Sign in', signingIn: 'Signing in…', invalid: 'Wrong username or password.', rateLimited: 'Too many login attempts. Please wait {s} seconds.', retryIn: 'retry in {s} s', or: 'or', with: 'Sign in with {name}', passkey: 'Sign in with a passkey', noPasskeys: 'This browser does not support passkeys.', providerFailed: 'The sign-in did not complete. Please try again.', },
  pager: { range: '{from}–{to} of {total}', first: 'First page', prev: 'Previous page', next: 'Next page', last: 'Last page', perPage: 'Rows per page' },
  table: { sortBy: 'Sort by {col}' },
  iface: {
    list: 'Interface list', new: 'New interface', newTitle: 'New interface', editTitle: 'Edit interface {id}', none: 'No interfaces yet. Create the first one.',
    general: 'General', network: 'Network', keys: 'Keys', hooks: 'Hooks', peerDefaults: 'Defaults for new peers',
    backend: 'Backend', backendFixed: 'The backend cannot be changed after creation.', backendNoCreate: 'cannot create interfaces', backendReadOnly: 'read-only',
    backendNotConfigured: 'Backend "{id}" is not configured in this portal: changes cannot reach the device.', backendUnreachable: 'Backend "{name}" does not answer; changes are applied when it is reachable again.',
    saveConfig: 'Keep a wg-quick file', saveConfigOff: 'advanced.config_storage_path is not set on this portal', createDefaultPeer: 'Create default peers', createDefaultPeerHint: 'Users get a peer here automatically (core.create_default_peer_* settings)', serverOnly: 'only for server interfaces',
    noEndpoint: 'Peers get no Endpoint in their config files and cannot connect until one is set.', noEndpointSave: 'This server interface has no "Endpoint for peers": its peers\' config files will have no Endpoint line and cannot connect. Save anyway?', saveAnyway: 'Save anyway', noEndpointShort: 'not set: peers cannot connect',
    showConfig: 'Show config', configTitle: 'wg-quick config of {id}', applyDefaults: 'Apply peer defaults', confirmApplyDefaults: 'Copy the peer defaults of {id} into all its peers (only fields that follow the defaults)?', appliedDefaults: 'Defaults applied to {n} peers',
    defaultPeers: 'Create default peers', confirmDefaultPeers: 'Create a default peer on {id} for every user who has none there?', createdDefaultPeers: '{n} default peers created',
    default: 'default', identifier: 'Interface name', identifierHint: 'Device name, e.g. wg0 (max. 15 characters)', displayName: 'Display name', mode: 'Mode', disabled: 'Disabled',
    statistics: 'Traffic statistics', listenPort: 'Listen port', addresses: 'Addresses', dns: 'DNS servers', mtu: 'MTU', fwmark: 'Firewall mark', routingTable: 'Routing table',
    publicKey: 'Public key', privateKey: 'Private key', peerDefNetwork: 'Peer networks', peerDefEndpoint: 'Endpoint for peers', endpointHint: 'host:port that clients connect to',
    peerDefAllowedIPs: 'Allowed IPs for peers', peerDefDns: 'DNS for peers', peerDefMtu: 'MTU for peers', peerDefKeepalive: 'Persistent keepalive (s)',
    status: 'Interface status', peers: 'Peers', enabledOfTotal: '{e} enabled of {n}', traffic: 'Traffic', reachable: 'reachable', unreachable: 'unreachable', up: 'up',
    confirmDelete: 'Delete interface {id} and its {n} peers?', deleted: 'Interface deleted',
  },
  peer: {
    tableLabel: 'Peers', search: 'Search peers', searchPlaceholder: 'Search name, key, user…', new: 'New peer', newTitle: 'New peer on {iface}', editTitle: 'Edit peer {name}',
    name: 'Name', user: 'User', interface: 'Interface', addresses: 'Addresses', status: 'Status', handshake: 'Last handshake', rxtx: 'Traffic',
    state: { connected: 'connected', idle: 'not connected', disabled: 'disabled', unknown: 'unknown', expired: 'expired' },
    expiresOn: 'expires {d}', expiredOn: 'expired {d}', never: 'never', viewFor: 'Show details of {name}', viewTitle: 'Peer {name}', qr: 'QR code', received: 'received', sent: 'sent',
    currentEndpoint: 'Current endpoint', sessionStart: 'Connected since', configPreview: 'Configuration', showPrivateKey: 'Show private key', hiddenKey: '(hidden)',
    multi: 'Add multiple', multiTitle: 'Add multiple peers on {iface}', multiUsers: 'Users', multiPrefix: 'Name prefix', multiPrefixHint: 'Peers are named "<prefix> Peer <key>"', multiCount: '{n} peers will be created', multiDone: '{n} peers created',
    pastedKey: 'The public key you entered is not the one generated here: the private key stays with you.', pastedKeyConfig: 'The downloaded config has a marked placeholder line where your private key goes.', downloadWithPlaceholder: 'Download config (private key placeholder)',
    pastedKeyHint: 'A public key of your own: its private key is never sent here; the config gets a placeholder for it.',
    noInterfaces: 'No interface is open for your own peers', chooseInterface: 'Choose an interface',
    noStats: 'This backend does not report peer statistics', none: 'No peers yet.', noMatch: 'No peer matches the search.',
    select: 'Select {name}', selectPage: 'Select all peers on this page', selected: '{n} selected', clearSelection: 'Clear selection', bulkLabel: 'Bulk actions',
    bulk: { enable: 'Enabling', disable: 'Disabling', delete: 'Deleting' }, bulkDone: '{n} peers done', bulkErrors: '{n} failed: {msg}',
    enable: 'Enable', disable: 'Disable', enableFor: 'Enable {name}', disableFor: 'Disable {name}', editFor: 'Edit {name}', deleteFor: 'Delete {name}',
    config: 'Config', download: 'Download config', downloadRaw: 'Download for wg setconf', downloadRawHint: 'Raw style: no Address, DNS, MTU or hooks, for wg setconf or a router', downloadFor: 'Download config of {name}', qrFor: 'Show QR code of {name}', qrTitle: 'QR code: {name}', qrAlt: 'WireGuard configuration of {name} as QR code',
    confirmDelete: 'Delete peer {name}?', confirmBulkDelete: 'Delete {n} peers?', deleted: 'Peer deleted', created: 'Peer created', disabledByAdmin: 'disabled by admin',
    general: 'General', keys: 'Keys', clientConfig: 'Client configuration', expiresAt: 'Expires on', disabledField: 'Disabled', notes: 'Notes',
    ownKeys: 'Use my own keys', ownKeysHint: 'The key pair is generated in this browser; only the public key is sent to the server.',
    publicKey: 'Public key', privateKey: 'Private key', presharedKey: 'Preshared key', endpoint: 'Endpoint', allowedIPs: 'Allowed IPs', extraAllowedIPs: 'Extra allowed IPs (server side)',
    dns: 'DNS', keepalive: 'Persistent keepalive (s)', mtu: 'MTU',
    privateKeyOnce: 'Save the private key now. The server does not know it and it will not be shown again.', downloadWithKey: 'Download config with private key',
    webcryptoMissing: 'This browser cannot generate X25519 keys', serverKeysInstead: 'the server generates the keys instead',
  },
  user: {
    new: 'New user', newTitle: 'New user', editTitle: 'Edit user {id}', search: 'Search users', identifier: 'User ID', email: 'E-mail', name: 'Name', peers: 'Peers', flags: 'Flags',
    admin: 'admin', disabled: 'Disabled', locked: 'Locked', enable: 'Enable', disable: 'Disable', lock: 'Lock', unlock: 'Unlock', editFor: 'Edit {id}', deleteFor: 'Delete {id}',
    confirmDelete: 'Delete user {id}?', deleted: 'User deleted', disabledByAdmin: 'disabled by admin', lockedByAdmin: 'locked by admin',
    select: 'Select {id}', selectPage: 'Select all users on this page', confirmBulkDelete: 'Delete {n} users?', bulkDone: '{n} users done',
    bulk: { enable: 'Enabling', disable: 'Disabling', lock: 'Locking', unlock: 'Unlocking', delete: 'Deleting' },
    account: 'Account', details: 'Details', password: 'Password', newPassword: 'New password', passwordKeep: 'Leave empty to keep the current password',
    isAdmin: 'Administrator', disabledReason: 'Reason for disabling', lockedReason: 'Reason for locking',
    f: { Email: 'E-mail', Firstname: 'First name', Lastname: 'Last name', Phone: 'Phone', Department: 'Department', Notes: 'Notes' },
  },
  cluster: {
    thisNode: 'This node', leader: 'Leader', noLeader: 'none at the moment', database: 'Database', dbOk: 'connected', node: 'Node', state: 'State',
    heartbeat: 'Last heartbeat', started: 'Started', address: 'Address', version: 'Version', self: 'this node', running: 'running', stopped: 'stopped',
    gone: 'not running', ms: '{n} ms ago', s: '{n} s ago', forget: 'Remove', confirmForget: 'Remove node {name} from the list? It comes back when it starts again.',
    forgotten: 'Node removed', servedBy: 'Who talks to the backends', eachNode: 'each node to its own host',
    single: 'One node: the database (SQLite or MySQL) serves this node alone. Several nodes need PostgreSQL.',
    servedByNode: 'Served by', onNode: 'on node {n}',
  },
  audit: { search: 'Search the audit log', time: 'Time', user: 'User', severity: 'Severity', origin: 'Origin', message: 'Message', none: 'No entries.' },
  passkey: {
    title: 'Passkeys', intro: 'Sign in without a password: with this device, a security key or a phone. A passkey sign-in needs no one-time code.',
    name: 'Name', namePlaceholder: 'Name of the new passkey (e.g. Laptop)', created: 'Added', lastUsed: 'Last used', none: 'No passkeys yet.',
    add: 'Add passkey', added: 'Passkey added', rename: 'Rename', renameFor: 'Rename {name}', deleteFor: 'Delete {name}', deleted: 'Passkey deleted',
    confirmDelete: 'Delete the passkey {name}?', cancelled: 'The passkey dialog was cancelled.',
  },
  totp: {
    title: 'Two-factor authentication', intro: 'After the password, ask for a code from an authenticator app (TOTP).',
    on: 'On: codes from your authenticator app are required ({n} recovery codes left).', off: 'Off.', requiredHint: 'Administrators must set it up.',
    enable: 'Set up', disable: 'Turn off', confirm: 'Confirm', verify: 'Verify', code: 'Code', scan: 'Scan the QR code with your authenticator app, then enter the code it shows.',
    manual: 'Or enter this key:', qrAlt: 'QR code to add this account to an authenticator app', enabled: 'Two-factor authentication is on', disabled: 'Two-factor authentication is off',
    recoveryOnce: 'Recovery codes: each works once when the authenticator is not at hand. Save them now, they are shown only once.',
    prompt: 'Enter the code from your authenticator app, or a recovery code.', enrolRequired: 'Administrators sign in with a one-time code. Scan the QR code with your authenticator app and enter the code it shows.',
  },
  mail: {
    send: 'Send config by mail', sendFor: 'Send the configuration of {name} by mail',
    queued: 'Mail queued for {to}', sent: 'Configuration sent by mail ({n})', failed: 'Mail not sent ({n}): {msg}',
  },
  delivery: {
    search: 'Search deliveries', kind: 'Kind', anyKind: 'Mails and webhooks', mail: 'Mail', webhook: 'Webhook',
    status: 'Status', anyStatus: 'Any status', event: 'Event', object: 'Object', recipient: 'Recipient',
    attempts: 'Attempts', answer: 'Last answer', created: 'Queued', done: 'Delivered', next: 'Next try',
    none: 'Nothing delivered yet.',
    state: { queued: 'queued', retrying: 'retrying', sent: 'sent', failed: 'failed' },
  },
  profile: {
    role: 'Role', user: 'user', api: 'API access', apiIntro: 'Scripts use HTTP Basic auth with the user name {user} and this token.', apiOn: 'An API token is active.', apiOff: 'No API token.',
    create: 'Create token', rotate: 'Create new token', revoke: 'Revoke token', revoked: 'Token revoked', confirmRevoke: 'Revoke the API token? Scripts using it stop working.',
    confirmRotate: 'A new token replaces the current one at once: scripts still using the current token get "401 invalid credentials". Create a new token?',
    password: 'Password', passwordIntro: 'Change the password of this account. Other browsers logged in as you are logged out.', pwCurrent: 'Current password', pwNew: 'New password', pwRepeat: 'Repeat the new password',
    pwMin: 'At least {n} characters', pwSubmit: 'Change password', pwChanged: 'Password changed; other sessions were logged out.', pwMismatch: 'The two new passwords differ.',
    token: 'API token', tokenOnce: 'Copy the token now – it is shown only once.', adminOnly: 'Only administrators can manage API tokens on this portal.',
  },
}

const de = {
  nav: { skip: 'Zum Inhalt springen', main: 'Hauptnavigation', interfaces: 'Interfaces', myPeers: 'Meine Peers', users: 'Benutzer', audit: 'Audit-Log', deliveries: 'Zustellungen', cluster: 'Knoten', profile: 'Profil', logout: 'Abmelden', language: 'Sprache' },
  common: { actions: 'Aktionen', cancel: 'Abbrechen', close: 'Schließen', copied: 'In die Zwischenablage kopiert', copy: 'Kopieren', copyFailed: 'Kopieren fehlgeschlagen – bitte manuell kopieren', create: 'Anlegen', delete: 'Löschen', done: 'Fertig', edit: 'Bearbeiten', loading: 'Lädt…', na: 'k. A.', networkError: 'Server nicht erreichbar', progress: 'Fortschritt', save: 'Speichern', saved: 'Gespeichert', saving: 'Speichert…' },
  form: { listHint: 'Durch Kommas getrennt', required: 'Pflichtfeld' },
  caps: {
    unsupported: '{backend} unterstützt keine {what}', hooks: 'Interface-Hooks', mtu: 'MTU-Einstellung', fwmark: 'Firewall-Marks', routes: 'Routing-Tabellen',
    addresses: 'Interface-Adressen', peer_statistics: 'Peer-Statistiken (rx/tx, Handshake)', preshared_keys: 'Preshared Keys',
  },
  login: { intro: 'Melden Sie sich an, um Ihren WireGuard-Zugang zu verwalten.', username: 'Benutzername', password: 'Passwort', submit: 'Anmelden', signingIn: 'Anmeldung…', invalid: 'Benutzername oder Passwort falsch.', rateLimited: 'Zu viele Anmeldeversuche. Bitte {s} Sekunden warten.', retryIn: 'erneut in {s} s', or: 'oder', with: 'Anmelden mit {name}', passkey: 'Mit Passkey anmelden', noPasskeys: 'Dieser Browser unterstützt keine Passkeys.', providerFailed: 'Die Anmeldung wurde nicht abgeschlossen. Bitte erneut versuchen.', },
  pager: { range: '{from}–{to} von {total}', first: 'Erste Seite', prev: 'Vorherige Seite', next: 'Nächste Seite', last: 'Letzte Seite', perPage: 'Zeilen pro Seite' },
  table: { sortBy: 'Nach {col} sortieren' },
  iface: {
    list: 'Interface-Liste', new: 'Neues Interface', newTitle: 'Neues Interface', editTitle: 'Interface {id} bearbeiten', none: 'Noch keine Interfaces. Legen Sie das erste an.',
    general: 'Allgemein', network: 'Netzwerk', keys: 'Schlüssel', hooks: 'Hooks', peerDefaults: 'Vorgaben für neue Peers',
    backend: 'Backend', backendFixed: 'Das Backend kann nach dem Anlegen nicht geändert werden.', backendNoCreate: 'kann keine Interfaces anlegen', backendReadOnly: 'nur lesend',
    backendNotConfigured: 'Backend „{id}“ ist in diesem Portal nicht konfiguriert: Änderungen erreichen das Gerät nicht.', backendUnreachable: 'Backend „{name}“ antwortet nicht; Änderungen werden übertragen, sobald es wieder erreichbar ist.',
    saveConfig: 'wg-quick-Datei ablegen', saveConfigOff: 'advanced.config_storage_path ist in diesem Portal nicht gesetzt', createDefaultPeer: 'Standard-Peers anlegen', createDefaultPeerHint: 'Benutzer bekommen hier automatisch einen Peer (Einstellungen core.create_default_peer_*)', serverOnly: 'nur für Server-Interfaces',
    noEndpoint: 'Peers bekommen keinen Endpunkt in ihre Konfiguration und können sich nicht verbinden, bis einer gesetzt ist.', noEndpointSave: 'Dieses Server-Interface hat keinen „Endpunkt für Peers“: die Konfigurationen seiner Peers haben keine Endpoint-Zeile und können sich nicht verbinden. Trotzdem speichern?', saveAnyway: 'Trotzdem speichern', noEndpointShort: 'nicht gesetzt: Peers können sich nicht verbinden',
    showConfig: 'Konfiguration anzeigen', configTitle: 'wg-quick-Konfiguration von {id}', applyDefaults: 'Peer-Vorgaben anwenden', confirmApplyDefaults: 'Die Peer-Vorgaben von {id} in alle seine Peers übernehmen (nur Felder, die den Vorgaben folgen)?', appliedDefaults: 'Vorgaben auf {n} Peers angewendet',
    defaultPeers: 'Standard-Peers anlegen', confirmDefaultPeers: 'Auf {id} für jeden Benutzer ohne Peer dort einen Standard-Peer anlegen?', createdDefaultPeers: '{n} Standard-Peers angelegt',
    default: 'Standard', identifier: 'Interface-Name', identifierHint: 'Gerätename, z. B. wg0 (max. 15 Zeichen)', displayName: 'Anzeigename', mode: 'Modus', disabled: 'Deaktiviert',
    statistics: 'Traffic-Statistik', listenPort: 'Port', addresses: 'Adressen', dns: 'DNS-Server', mtu: 'MTU', fwmark: 'Firewall-Mark', routingTable: 'Routing-Tabelle',
    publicKey: 'Öffentlicher Schlüssel', privateKey: 'Privater Schlüssel', peerDefNetwork: 'Peer-Netze', peerDefEndpoint: 'Endpunkt für Peers', endpointHint: 'host:port, mit dem sich Clients verbinden',
    peerDefAllowedIPs: 'Erlaubte IPs für Peers', peerDefDns: 'DNS für Peers', peerDefMtu: 'MTU für Peers', peerDefKeepalive: 'Persistent Keepalive (s)',
    status: 'Interface-Status', peers: 'Peers', enabledOfTotal: '{e} aktiv von {n}', traffic: 'Traffic', reachable: 'erreichbar', unreachable: 'nicht erreichbar', up: 'aktiv',
    confirmDelete: 'Interface {id} und seine {n} Peers löschen?', deleted: 'Interface gelöscht',
  },
  peer: {
    tableLabel: 'Peers', search: 'Peers durchsuchen', searchPlaceholder: 'Name, Schlüssel, Benutzer suchen…', new: 'Neuer Peer', newTitle: 'Neuer Peer auf {iface}', editTitle: 'Peer {name} bearbeiten',
    name: 'Name', user: 'Benutzer', interface: 'Interface', addresses: 'Adressen', status: 'Status', handshake: 'Letzter Handshake', rxtx: 'Traffic',
    state: { connected: 'verbunden', idle: 'nicht verbunden', disabled: 'deaktiviert', unknown: 'unbekannt', expired: 'abgelaufen' },
    expiresOn: 'läuft ab am {d}', expiredOn: 'abgelaufen am {d}', never: 'nie', viewFor: 'Details von {name} anzeigen', viewTitle: 'Peer {name}', qr: 'QR-Code', received: 'empfangen', sent: 'gesendet',
    currentEndpoint: 'Aktueller Endpunkt', sessionStart: 'Verbunden seit', configPreview: 'Konfiguration', showPrivateKey: 'Privaten Schlüssel zeigen', hiddenKey: '(verborgen)',
    multi: 'Mehrere anlegen', multiTitle: 'Mehrere Peers auf {iface} anlegen', multiUsers: 'Benutzer', multiPrefix: 'Namenspräfix', multiPrefixHint: 'Peers heißen „<Präfix> Peer <Schlüssel>“', multiCount: '{n} Peers werden angelegt', multiDone: '{n} Peers angelegt',
    pastedKey: 'Der eingegebene öffentliche Schlüssel ist nicht der hier erzeugte: der private Schlüssel bleibt bei Ihnen.', pastedKeyConfig: 'Die heruntergeladene Konfiguration enthält eine markierte Platzhalterzeile für Ihren privaten Schlüssel.', downloadWithPlaceholder: 'Konfiguration herunterladen (Platzhalter für den privaten Schlüssel)',
    pastedKeyHint: 'Ein eigener öffentlicher Schlüssel: sein privater Schlüssel wird nie hierher gesendet; die Konfiguration bekommt einen Platzhalter dafür.',
    noInterfaces: 'Kein Interface ist für eigene Peers freigegeben', chooseInterface: 'Interface wählen',
    noStats: 'Dieses Backend liefert keine Peer-Statistiken', none: 'Noch keine Peers.', noMatch: 'Kein Peer passt zur Suche.',
    select: '{name} auswählen', selectPage: 'Alle Peers dieser Seite auswählen', selected: '{n} ausgewählt', clearSelection: 'Auswahl aufheben', bulkLabel: 'Sammelaktionen',
    bulk: { enable: 'Aktiviere', disable: 'Deaktiviere', delete: 'Lösche' }, bulkDone: '{n} Peers erledigt', bulkErrors: '{n} fehlgeschlagen: {msg}',
    enable: 'Aktivieren', disable: 'Deaktivieren', enableFor: '{name} aktivieren', disableFor: '{name} deaktivieren', editFor: '{name} bearbeiten', deleteFor: '{name} löschen',
    config: 'Konfig', download: 'Konfiguration herunterladen', downloadRaw: 'Für wg setconf herunterladen', downloadRawHint: 'Raw-Format: ohne Address, DNS, MTU und Hooks, für wg setconf oder einen Router', downloadFor: 'Konfiguration von {name} herunterladen', qrFor: 'QR-Code von {name} anzeigen', qrTitle: 'QR-Code: {name}', qrAlt: 'WireGuard-Konfiguration von {name} als QR-Code',
    confirmDelete: 'Peer {name} löschen?', confirmBulkDelete: '{n} Peers löschen?', deleted: 'Peer gelöscht', created: 'Peer angelegt', disabledByAdmin: 'vom Admin deaktiviert',
    general: 'Allgemein', keys: 'Schlüssel', clientConfig: 'Client-Konfiguration', expiresAt: 'Läuft ab am', disabledField: 'Deaktiviert', notes: 'Notizen',
    ownKeys: 'Eigene Schlüssel verwenden', ownKeysHint: 'Das Schlüsselpaar wird in diesem Browser erzeugt; nur der öffentliche Schlüssel geht an den Server.',
    publicKey: 'Öffentlicher Schlüssel', privateKey: 'Privater Schlüssel', presharedKey: 'Preshared Key', endpoint: 'Endpunkt', allowedIPs: 'Erlaubte IPs', extraAllowedIPs: 'Zusätzliche erlaubte IPs (Serverseite)',
    dns: 'DNS', keepalive: 'Persistent Keepalive (s)', mtu: 'MTU',
    privateKeyOnce: 'Speichern Sie den privaten Schlüssel jetzt. Der Server kennt ihn nicht, er wird nicht erneut angezeigt.', downloadWithKey: 'Konfiguration mit privatem Schlüssel herunterladen',
    webcryptoMissing: 'Dieser Browser kann keine X25519-Schlüssel erzeugen', serverKeysInstead: 'die Schlüssel erzeugt stattdessen der Server',
  },
  user: {
    new: 'Neuer Benutzer', newTitle: 'Neuer Benutzer', editTitle: 'Benutzer {id} bearbeiten', search: 'Benutzer durchsuchen', identifier: 'Benutzer-ID', email: 'E-Mail', name: 'Name', peers: 'Peers', flags: 'Merkmale',
    admin: 'Admin', disabled: 'Deaktiviert', locked: 'Gesperrt', enable: 'Aktivieren', disable: 'Deaktivieren', lock: 'Sperren', unlock: 'Entsperren', editFor: '{id} bearbeiten', deleteFor: '{id} löschen',
    confirmDelete: 'Benutzer {id} löschen?', deleted: 'Benutzer gelöscht', disabledByAdmin: 'vom Admin deaktiviert', lockedByAdmin: 'vom Admin gesperrt',
    select: '{id} auswählen', selectPage: 'Alle Benutzer dieser Seite auswählen', confirmBulkDelete: '{n} Benutzer löschen?', bulkDone: '{n} Benutzer erledigt',
    bulk: { enable: 'Aktiviere', disable: 'Deaktiviere', lock: 'Sperre', unlock: 'Entsperre', delete: 'Lösche' },
    account: 'Konto', details: 'Details', password: 'Passwort', newPassword: 'Neues Passwort', passwordKeep: 'Leer lassen, um das Passwort zu behalten',
    isAdmin: 'Administrator', disabledReason: 'Grund der Deaktivierung', lockedReason: 'Grund der Sperre',
    f: { Email: 'E-Mail', Firstname: 'Vorname', Lastname: 'Nachname', Phone: 'Telefon', Department: 'Abteilung', Notes: 'Notizen' },
  },
  cluster: {
    thisNode: 'Dieser Knoten', leader: 'Leader', noLeader: 'im Moment keiner', database: 'Datenbank', dbOk: 'verbunden', node: 'Knoten', state: 'Zustand',
    heartbeat: 'Letztes Lebenszeichen', started: 'Gestartet', address: 'Adresse', version: 'Version', self: 'dieser Knoten', running: 'läuft', stopped: 'beendet',
    gone: 'läuft nicht', ms: 'vor {n} ms', s: 'vor {n} s', forget: 'Entfernen', confirmForget: 'Knoten {name} aus der Liste entfernen? Er erscheint wieder, wenn er startet.',
    forgotten: 'Knoten entfernt', servedBy: 'Wer mit den Backends spricht', eachNode: 'jeder Knoten mit seinem eigenen Host',
    single: 'Ein Knoten: die Datenbank (SQLite oder MySQL) bedient nur diesen Knoten. Mehrere Knoten brauchen PostgreSQL.',
    servedByNode: 'Bedient von', onNode: 'auf Knoten {n}',
  },
  audit: { search: 'Audit-Log durchsuchen', time: 'Zeit', user: 'Benutzer', severity: 'Schwere', origin: 'Herkunft', message: 'Meldung', none: 'Keine Einträge.' },
  passkey: {
    title: 'Passkeys', intro: 'Ohne Passwort anmelden: mit diesem Gerät, einem Sicherheitsschlüssel oder einem Telefon. Eine Anmeldung per Passkey braucht keinen Einmalcode.',
    name: 'Name', namePlaceholder: 'Name des neuen Passkeys (z. B. Laptop)', created: 'Hinzugefügt', lastUsed: 'Zuletzt benutzt', none: 'Noch keine Passkeys.',
    add: 'Passkey hinzufügen', added: 'Passkey hinzugefügt', rename: 'Umbenennen', renameFor: '{name} umbenennen', deleteFor: '{name} löschen', deleted: 'Passkey gelöscht',
    confirmDelete: 'Passkey {name} löschen?', cancelled: 'Der Passkey-Dialog wurde abgebrochen.',
  },
  totp: {
    title: 'Zwei-Faktor-Authentifizierung', intro: 'Nach dem Passwort einen Code aus einer Authenticator-App (TOTP) verlangen.',
    on: 'An: Codes aus Ihrer Authenticator-App sind nötig ({n} Wiederherstellungscodes übrig).', off: 'Aus.', requiredHint: 'Administratoren müssen sie einrichten.',
    enable: 'Einrichten', disable: 'Ausschalten', confirm: 'Bestätigen', verify: 'Prüfen', code: 'Code', scan: 'Scannen Sie den QR-Code mit Ihrer Authenticator-App und geben Sie den angezeigten Code ein.',
    manual: 'Oder diesen Schlüssel eingeben:', qrAlt: 'QR-Code, um dieses Konto einer Authenticator-App hinzuzufügen', enabled: 'Zwei-Faktor-Authentifizierung ist an', disabled: 'Zwei-Faktor-Authentifizierung ist aus',
    recoveryOnce: 'Wiederherstellungscodes: Jeder funktioniert einmal, wenn der Authenticator nicht zur Hand ist. Jetzt speichern, sie werden nur einmal angezeigt.',
    prompt: 'Code aus der Authenticator-App oder einen Wiederherstellungscode eingeben.', enrolRequired: 'Administratoren melden sich mit einem Einmalcode an. Scannen Sie den QR-Code mit Ihrer Authenticator-App und geben Sie den angezeigten Code ein.',
  },
  mail: {
    send: 'Konfiguration per Mail senden', sendFor: 'Konfiguration von {name} per Mail senden',
    queued: 'Mail an {to} eingereiht', sent: 'Konfiguration per Mail gesendet ({n})', failed: 'Mail nicht gesendet ({n}): {msg}',
  },
  delivery: {
    search: 'Zustellungen durchsuchen', kind: 'Art', anyKind: 'Mails und Webhooks', mail: 'Mail', webhook: 'Webhook',
    status: 'Status', anyStatus: 'Jeder Status', event: 'Ereignis', object: 'Objekt', recipient: 'Empfänger',
    attempts: 'Versuche', answer: 'Letzte Antwort', created: 'Eingereiht', done: 'Zugestellt', next: 'Nächster Versuch',
    none: 'Noch nichts zugestellt.',
    state: { queued: 'eingereiht', retrying: 'wird wiederholt', sent: 'gesendet', failed: 'fehlgeschlagen' },
  },
  profile: {
    role: 'Rolle', user: 'Benutzer', api: 'API-Zugang', apiIntro: 'Skripte verwenden HTTP-Basic-Auth mit dem Benutzernamen {user} und diesem Token.', apiOn: 'Ein API-Token ist aktiv.', apiOff: 'Kein API-Token.',
    create: 'Token erzeugen', rotate: 'Neues Token erzeugen', revoke: 'Token widerrufen', revoked: 'Token widerrufen', confirmRevoke: 'API-Token widerrufen? Skripte, die es nutzen, funktionieren dann nicht mehr.',
    confirmRotate: 'Ein neues Token ersetzt das aktuelle sofort: Skripte, die noch das aktuelle Token nutzen, bekommen „401 invalid credentials“. Neues Token erzeugen?',
    password: 'Passwort', passwordIntro: 'Das Passwort dieses Kontos ändern. Andere Browser, die als Sie angemeldet sind, werden abgemeldet.', pwCurrent: 'Aktuelles Passwort', pwNew: 'Neues Passwort', pwRepeat: 'Neues Passwort wiederholen',
    pwMin: 'Mindestens {n} Zeichen', pwSubmit: 'Passwort ändern', pwChanged: 'Passwort geändert; andere Sitzungen wurden abgemeldet.', pwMismatch: 'Die beiden neuen Passwörter unterscheiden sich.',
    token: 'API-Token', tokenOnce: 'Kopieren Sie das Token jetzt – es wird nur einmal angezeigt.', adminOnly: 'Auf diesem Portal können nur Administratoren API-Tokens verwalten.',
  },
}

export const messages = { en, de }
export const languages = [{ code: 'en', name: 'English' }, { code: 'de', name: 'Deutsch' }]

function initialLang() {
  try {
    const s = localStorage.getItem('wgLang')
    if (s && messages[s]) return s
  } catch { /* storage blocked */ }
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const c = String(l).slice(0, 2).toLowerCase()
    if (messages[c]) return c
  }
  return 'en'
}

export const lang = ref(initialLang())
document.documentElement.lang = lang.value

export function setLang(l) {
  if (!messages[l]) return
  lang.value = l
  document.documentElement.lang = l
  try { localStorage.setItem('wgLang', l) } catch { /* ignore */ }
}

const lookup = (table, key) => key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), table)

export function t(key, params) {
  let s = lookup(messages[lang.value], key)
  if (typeof s !== 'string') s = lookup(en, key)
  if (typeof s !== 'string') return key
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m))
  return s
}
