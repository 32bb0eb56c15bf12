/** Display helpers shared by the widget and the console. Everything returns plain text. */

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export const formatDay = (iso: string) => dayFormat.format(new Date(iso));
export const formatTime = (iso: string) => timeFormat.format(new Date(iso));
export const formatDateTime = (iso: string) => fullFormat.format(new Date(iso));

/** Same calendar day in the viewer's time zone. */
export const sameDay = (a: string, b: string) => new Date(a).toDateString() === new Date(b).toDateString();

/** `+15555551212` → `(555) 555-1212`; other numbers stay as they are. */
export function formatPhone(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164;
}

/** A lead's display name from its loaded columns (any casing of FirstName/LastName/Name), else null. */
export function leadName(leadData: Record<string, unknown> | null | undefined): string | null {
  if (!leadData) return null;
  const get = (...names: string[]) => {
    for (const [k, v] of Object.entries(leadData)) {
      if (names.includes(k.toLowerCase().replace(/[\s_-]/g, '')) && typeof v === 'string' && v.trim()) return v.trim();
    }
    return null;
  };
  const full = [get('firstname', 'first'), get('lastname', 'last')].filter(Boolean).join(' ');
  return full || get('name', 'fullname');
}

/** Up to two initials for an avatar. */
export function initials(name: string | null, fallback: string): string {
  const src = name ?? fallback;
  const letters = src.split(/\s+/).map((w) => Array.from(w)[0] ?? '').filter((c) => /\p{L}/u.test(c));
  return (letters.slice(0, 2).join('') || '#').toUpperCase();
}

/** Human words for a message's delivery status. */
export function deliveryLabel(status: string | undefined): string {
  switch (status) {
    case 'PENDING':
    case 'SENDING':
    case 'QUEUED':
      return 'Sending';
    case 'SENT':
      return 'Sent';
    case 'DELIVERED':
      return 'Delivered';
    case 'UNDELIVERED':
      return 'Not delivered';
    case 'FAILED':
      return 'Failed';
    case 'RECEIVED':
      return 'Received';
    default:
      return status ? status.toLowerCase() : '';
  }
}

export const isFailedStatus = (status: string | undefined) => status === 'FAILED' || status === 'UNDELIVERED';
