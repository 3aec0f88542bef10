/**
 * Where a JSON text stops being valid, as line and column. Node 20's JSON.parse says only
 * "Unexpected token" without a position, and a config error without a line number sends the
 * user hunting; this small scanner follows RFC 8259's grammar just far enough to find the spot.
 * @see {@link https://www.rfc-editor.org/rfc/rfc8259.html#section-2 RFC 8259 §2}
 */

export interface JsonErrorPosition {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  /** 0-based offset into the text. */
  offset: number;
}

class Stop extends Error {
  constructor(readonly offset: number) {
    super('json syntax error');
  }
}

/** The position of the first syntax error in `text`, or `undefined` when it is valid JSON. */
export function findJsonErrorPosition(text: string): JsonErrorPosition | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i += 1;
  };
  const expect = (literal: string) => {
    for (const ch of literal) {
      if (text[i] !== ch) throw new Stop(i);
      i += 1;
    }
  };
  const string = () => {
    expect('"');
    for (;;) {
      const ch = text[i];
      if (ch === undefined || ch < ' ') throw new Stop(i);
      i += 1;
      if (ch === '"') return;
      if (ch === '\\') {
        const esc = text[i];
        if (esc === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) throw new Stop(i);
          i += 5;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) i += 1;
        else throw new Stop(i);
      }
    }
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (match === null || match[0] === '' || match[0] === '-') throw new Stop(i);
    i += match[0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i += 1;
      ws();
      if (text[i] === '}') {
        i += 1;
        return;
      }
      for (;;) {
        ws();
        string();
        ws();
        expect(':');
        value();
        ws();
        if (text[i] === ',') i += 1;
        else return expect('}');
      }
    }
    if (ch === '[') {
      i += 1;
      ws();
      if (text[i] === ']') {
        i += 1;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i += 1;
        else return expect(']');
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return expect('true');
    if (ch === 'f') return expect('false');
    if (ch === 'n') return expect('null');
    return number();
  };

  try {
    if (text.charCodeAt(0) === 0xfeff) i = 1;
    value();
    ws();
    if (i < text.length) throw new Stop(i);
    return undefined;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return positionOf(text, error.offset);
  }
}

function positionOf(text: string, offset: number): JsonErrorPosition {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k += 1) {
    if (text[k] === '\n') {
      line += 1;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1, offset };
}
