/**
 * Reads the first rows of a CSV file in the browser for the column-mapping step (the server
 * parses the whole file; this only needs enough for a preview). Handles quoted fields, doubled
 * quotes, CRLF and a UTF-8 BOM.
 */

export function parseCsvRows(text: string, maxRows: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length && rows.length < maxRows; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += ch;
  }
  if (rows.length < maxRows && (field !== '' || row.length > 0)) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** The first rows of a file (reads at most its first 256 KB). */
export async function previewFile(file: Blob, maxRows = 6): Promise<string[][]> {
  const text = await file.slice(0, 256 * 1024).text();
  return parseCsvRows(text, maxRows);
}

/** A lead column name for a CSV header: the names Engage recognises for phone and ZIP, else the header. */
export function suggestColumn(header: string): string {
  const h = header.toLowerCase().replace(/[\s_-]/g, '');
  if (['phone', 'phonenumber', 'phoneno', 'mobile', 'mobilephone', 'mobilenumber', 'cell', 'cellphone', 'cellnumber', 'telephone', 'tel', 'wireless'].includes(h)) return 'Phone';
  if (['zip', 'zipcode', 'postalcode', 'postcode'].includes(h)) return 'Zip';
  if (['firstname', 'first', 'givenname'].includes(h)) return 'FirstName';
  if (['lastname', 'last', 'surname', 'familyname'].includes(h)) return 'LastName';
  return header.trim();
}
