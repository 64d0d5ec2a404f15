/**
 * Telegram's MarkdownV2 parser as the Bot API describes it ("Formatting options", "MarkdownV2
 * style"), written for the stand-in from that description (not from our escaper): entities
 * `*bold*`, `_italic_`, `__underline__`, `~strike~`, `||spoiler||`, `` `code` ``, ```` ```pre``` ````,
 * `[text](url)` and `>` quotes at a line start; `\` escapes any character from 1 to 126; every
 * other reserved character outside code must be escaped. Failures read as Telegram's
 * `can't parse entities` descriptions. Returns the text as the recipient sees it.
 */

const RESERVED = new Set('_*[]()~`>#+-=|{}.!');

export type MarkdownResult = { ok: true; text: string } | { ok: false; description: string };

function byteOffset(input: string, index: number): number {
  return Buffer.byteLength(input.slice(0, index), 'utf8');
}

function refuse(message: string): MarkdownResult {
  return { ok: false, description: `Bad Request: can't parse entities: ${message}` };
}

export function parseMarkdownV2(input: string): MarkdownResult {
  let out = '';
  const open: { marker: string; at: number }[] = [];
  let i = 0;
  const toggle = (marker: string) => {
    const top = open[open.length - 1];
    if (top?.marker === marker) open.pop();
    else open.push({ marker, at: i });
    i += marker.length;
  };
  while (i < input.length) {
    const c = input[i]!;
    const lineStart = i === 0 || input[i - 1] === '\n';
    if (c === '\\') {
      const next = input[i + 1];
      const code = next?.charCodeAt(0) ?? 0;
      if (next === undefined || code < 1 || code > 126) {
        return refuse(
          `Character '\\' at byte offset ${byteOffset(input, i)} must be followed by an escaped character`,
        );
      }
      out += next;
      i += 2;
      continue;
    }
    if (c === '`') {
      const fence = input.startsWith('```', i) ? '```' : '`';
      let j = i + fence.length;
      let code = '';
      for (; j < input.length; j++) {
        if (input[j] === '\\' && (input[j + 1] === '`' || input[j + 1] === '\\')) {
          code += input[j + 1];
          j++;
          continue;
        }
        if (input.startsWith(fence, j)) break;
        code += input[j];
      }
      if (j >= input.length) {
        return refuse(
          `Can't find end of ${fence === '`' ? 'Code' : 'Pre'} entity at byte offset ${byteOffset(input, i)}`,
        );
      }
      out += code;
      i = j + fence.length;
      continue;
    }
    if (c === '*' || c === '~') {
      toggle(c);
      continue;
    }
    if (c === '_') {
      toggle(input[i + 1] === '_' ? '__' : '_');
      continue;
    }
    if (c === '|' && input[i + 1] === '|') {
      toggle('||');
      continue;
    }
    if (c === '[') {
      open.push({ marker: '[', at: i });
      i += 1;
      continue;
    }
    if (c === ']' && open[open.length - 1]?.marker === '[') {
      open.pop();
      if (input[i + 1] !== '(') {
        return refuse(`Can't find end of a URL at byte offset ${byteOffset(input, i)}`);
      }
      const close = input.indexOf(')', i + 2);
      if (close < 0)
        return refuse(`Can't find end of a URL at byte offset ${byteOffset(input, i)}`);
      i = close + 1;
      continue;
    }
    if (c === '>' && lineStart) {
      i += 1;
      continue;
    }
    if (RESERVED.has(c)) {
      return refuse(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
    }
    out += c;
    i += 1;
  }
  const unclosed = open[0];
  if (unclosed) {
    return refuse(
      `Can't find end of the entity starting at byte offset ${byteOffset(input, unclosed.at)}`,
    );
  }
  return { ok: true, text: out };
}
