// Config mails (POST /peer/config-mail) and their delivery status (GET /delivery/by-id/{id}).
// The server queues and answers at once; the status is followed here so the user learns
// whether the mail really went out, with the SMTP server's answer when it did not.
import { post, get } from './api.js'

export async function sendConfigMail(ids, linkOnly = false) {
  const r = await post('peer/config-mail', { Identifiers: ids, LinkOnly: linkOnly })
  return r?.Deliveries || []
}

// Resolves with the delivery once it is sent or failed, or with its last state after
// timeoutMs (a mail that is still being retried).
export async function followDelivery(id, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs
  let d = null
  for (let wait = 250; Date.now() < until; wait = Math.min(wait * 2, 2000)) {
    d = await get('delivery/by-id/' + id)
    if (d.Status === 'sent' || d.Status === 'failed') return d
    await new Promise((res) => setTimeout(res, wait))
  }
  return d
}
