/**
 * Carrier names as providers report them ("CELLCO PARTNERSHIP DBA VERIZON WIRELESS ") → the name
 * people use ("Verizon Wireless"). Patterns are tried in order; unknown names are tidied, not lost.
 */
const KNOWN: [RegExp, string][] = [
  // Brands sold on a bigger network keep their own name: people and carriers' daily limits use it.
  [/\bcricket\b/i, 'Cricket Wireless'],
  [/\bus cellular\b|\bu\.s\. cellular\b|\bunited states cellular\b/i, 'US Cellular'],
  [/\bverizon\b|\bcellco\b|\balltel\b/i, 'Verizon Wireless'],
  [/\bcingular\b|\bat&t\b|\batt mobility\b|\bat and t\b|\bat&t mobility\b/i, 'AT&T'],
  // T-Mobile's predecessors still name many number blocks in LERG/LNP data.
  [/\bt-?mobile\b|\bmetro ?pcs\b|\bomnipoint\b|\bpowertel\b|\bvoicestream\b|\bsuncom\b|\baerial communications\b/i, 'T-Mobile'],
  [/\bsprint\b|\bnextel\b|\bvirgin mobile\b/i, 'T-Mobile'],
  [/\bgoogle\b.*\bvoice\b|\bgoogle \(grand central\)/i, 'Google Voice'],
  [/\bbandwidth\b/i, 'Bandwidth'],
  [/\bonvoy\b|\binteliquent\b/i, 'Inteliquent'],
  [/\bdish\b|\bboost\b/i, 'Boost Mobile'],
  [/\btwilio\b/i, 'Twilio'],
  [/\bcharter\b|\bspectrum mobile\b/i, 'Spectrum Mobile'],
  [/\bcomcast\b|\bxfinity mobile\b/i, 'Xfinity Mobile'],
  // Canada
  [/\brogers\b|\bfido\b/i, 'Rogers'],
  [/\bbell mobility\b|\bbell canada\b|\bvirgin plus\b/i, 'Bell Mobility'],
  [/\btelus\b|\bkoodo\b/i, 'Telus'],
  [/\bvid[eé]otron\b|\bfreedom mobile\b/i, 'Vidéotron'],
];

export function normalizeCarrier(raw: string | null | undefined): string | null {
  const name = raw?.replace(/\s+/g, ' ').trim();
  if (!name) return null;
  for (const [pattern, normalized] of KNOWN) if (pattern.test(name)) return normalized;
  // Unknown: drop corporate suffixes and shouting, keep the name.
  const tidied = name.replace(/,?\s*\b(inc|llc|l\.l\.c|corp|corporation|co|ltd|lp)\b\.?/gi, '').trim();
  return tidied === tidied.toUpperCase() ? tidied.toLowerCase().replace(/\b\w/g, (c) => c.toUpperCase()) : tidied;
}
