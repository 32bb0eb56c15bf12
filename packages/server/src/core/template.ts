/**
 * Message templates: `{{Token}}` placeholders filled from a lead's columns.
 *
 * A token is a lead column name exactly as it was loaded — case-sensitive, and free to
 * contain spaces, dots or dashes (`{{First Name}}`, `{{addr.city}}`) — because column
 * names come from whatever spreadsheet the operator uploaded. Whitespace just inside the
 * braces is layout, not part of the name: `{{ FirstName }}` is `FirstName`.
 *
 * Text that only looks like a placeholder (`{{}}`, `{{ }}`, a lone `{{`) is kept verbatim,
 * so a message never loses characters the operator typed.
 */

/**
 * `{{`, then anything without braces, then `}}`. Braces are excluded so `{{a}} {{b}}` is
 * two tokens, not one spanning both.
 */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/** The token named by one placeholder's inner text, or null when it names nothing. */
function tokenName(inner: string): string | null {
  const name = inner.trim();
  return name === '' ? null : name;
}

/**
 * How one lead value appears in a message. Only scalars have an obvious SMS rendering;
 * objects and arrays (possible when leads arrive as JSON) render empty rather than as
 * `[object Object]` or raw JSON, and so do NaN/Infinity.
 */
function renderValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? String(value) : '';
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return '';
  }
}

/**
 * Fills every `{{Token}}` with `data[Token]`. A missing, null or non-scalar value renders
 * as the empty string (the spec: "a missing value renders empty and the editor warns" —
 * see `missingTokens` for the warning). Only the object's own properties count, so
 * `{{constructor}}` cannot reach into the prototype.
 */
export function renderTemplate(template: string, data: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (placeholder, inner: string) => {
    const name = tokenName(inner);
    if (name === null) return placeholder;
    return Object.hasOwn(data, name) ? renderValue(data[name]) : '';
  });
}

/** Every distinct token the template uses, in order of first appearance. */
export function templateTokens(template: string): string[] {
  const tokens = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = tokenName(match[1] ?? '');
    if (name !== null) tokens.add(name);
  }
  return [...tokens];
}

/**
 * The tokens that name no column (exact, case-sensitive match), in order of first
 * appearance — what the campaign editor warns about before the broadcast renders blanks.
 */
export function missingTokens(template: string, columns: string[]): string[] {
  const known = new Set(columns);
  return templateTokens(template).filter((token) => !known.has(token));
}
