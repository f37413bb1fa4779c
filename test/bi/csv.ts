/**
 * An RFC 4180 reader for the tests, written apart from the server's writer so that the two can
 * disagree: records end in CRLF, a field in double quotes may hold commas, CR, LF and doubled quotes.
 * Throws on anything else (a bare quote inside an unquoted field, text after a closing quote, a bare
 * LF ending a record).
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let afterQuote = false;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && field === '' && !afterQuote) {
      // A quoted field: up to the quote that is not doubled.
      i += 1;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        field += text[i];
        i += 1;
      }
      afterQuote = true;
      continue;
    }
    if (c === ',') {
      record.push(field);
      field = '';
      afterQuote = false;
      i += 1;
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      afterQuote = false;
      i += 2;
    } else if (afterQuote || c === '"' || c === '\n' || c === '\r') {
      throw new Error(`not RFC 4180 at ${i}: ${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))}`);
    } else {
      field += c;
      i += 1;
    }
  }
  if (field !== '' || record.length > 0) throw new Error('the last record does not end in CRLF');
  return records;
}
