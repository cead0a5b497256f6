// What a backend can do (Capabilities from /backend/all or /ui/settings/session) and which form
// fields depend on it.
import { t } from './i18n.js'

export const FIELD_CAPS = {
  PreUp: 'hooks', PostUp: 'hooks', PreDown: 'hooks', PostDown: 'hooks',
  Mtu: 'mtu', FirewallMark: 'fwmark', RoutingTable: 'routes', Addresses: 'addresses',
  Statistics: 'peer_statistics', PresharedKey: 'preshared_keys',
}

export function hasCap(backend, cap) {
  return !!backend && Array.isArray(backend.Capabilities) && backend.Capabilities.includes(cap)
}

// The reason a field is disabled on this backend, or '' when it is supported.
export function capReason(backend, field) {
  const cap = FIELD_CAPS[field]
  if (!cap || !backend || hasCap(backend, cap)) return ''
  return t('caps.unsupported', { backend: backend.DisplayName || backend.Identifier, what: t('caps.' + cap) })
}

export function backendLabel(b) {
  return b ? (b.DisplayName || b.Identifier) : ''
}
