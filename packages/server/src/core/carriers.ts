/**
 * Carrier names as providers report them ("CELLCO PARTNERSHIP DBA VERIZON WIRELESS ") → the name
 * people use ("Verizon Wireless"). Patterns are tried in order; unknown names are tidied, not lost.
 */
const KNOWN: [RegExp, string][] = [
  [/\bverizon\b|\bcellco\b/i, 'Verizon Wireless'],
  [/\bcingular\b|\bat&t\b|\batt mobility\b|\bat and t\b/i, 'AT&T'],
  [/\bt-?mobile\b|\bmetro ?pcs\b|\bmetro by t-mobile\b/i, 'T-Mobile'],
  [/\bsprint\b/i, 'T-Mobile'],
  [/\bus cellular\b|\bunited states cellular\b/i, 'US Cellular'],
  [/\bcricket\b/i, 'Cricket Wireless'],
  [/\bgoogle\b.*\bvoice\b|\bgoogle \(grand central\)/i, 'Google Voice'],
  [/\bbandwidth\b/i, 'Bandwidth'],
  [/\bonvoy\b|\binteliquent\b/i, 'Inteliquent'],
  [/\bdish\b|\bboost\b/i, 'Boost Mobile'],
];

export function normalizeCarrier(raw: string | null | undefined): string | null {
  const name = raw?.replace(/\s+/g, ' ').trim();
  if (!name) return null;
  for (const [pattern, normalized] of KNOWN) if (pattern.test(name)) return normalized;
  // Unknown: drop corporate suffixes and shouting, keep the name.
  const tidied = name.replace(/,?\s*\b(inc|llc|l\.l\.c|corp|corporation|co|ltd|lp)\b\.?/gi, '').trim();
  return tidied === tidied.toUpperCase() ? tidied.toLowerCase().replace(/\b\w/g, (c) => c.toUpperCase()) : tidied;
}
