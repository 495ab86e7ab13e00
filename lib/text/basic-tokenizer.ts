/**
 * BERT's "basic" tokenizer: the clean-up and pre-tokenization that runs before WordPiece, as in
 * Google's tokenization.py BasicTokenizer and Hugging Face's BertTokenizer (BertNormalizer +
 * BertPreTokenizer in tokenizer.json). The WordPiece step and the vocabularies live in wordpiece.ts.
 * Left out on purpose: special tokens written inside the text ("[MASK]" becomes "[", "mask", "]"),
 * because item titles and descriptions do not carry them.
 */

export interface BasicTokenizerOptions {
  /** (bool) lowercase every word. */
  lowercase: boolean;
  /** (bool) NFD-decompose and drop non-spacing marks (Mn), so "é" becomes "e". */
  stripAccents: boolean;
  /** (bool) make each CJK ideograph its own word. */
  splitCjk: boolean;
}

// Hugging Face drops every C* category (Google's original only Cc and Cf); tab, newline and
// carriage return count as whitespace instead.
const CONTROL = /^\p{C}$/u;
const SPACE_SEPARATOR = /^\p{Zs}$/u;
const PUNCTUATION = /^\p{P}$/u;
const NON_SPACING_MARKS = /\p{Mn}/gu;
const WHITESPACE_RUN = /\s+/u;

/** Split `text` into BERT words: cleaned, optionally lowercased and accent-stripped, punctuation apart. */
export function basicTokenize(text: string, options: BasicTokenizerOptions): string[] {
  // NFC as Hugging Face's BertTokenizer does, so "e" + U+0301 and "é" give the same word when casing is kept.
  const cleaned = cleanText(text, options.splitCjk).normalize('NFC');
  const words: string[] = [];
  for (const raw of cleaned.split(WHITESPACE_RUN)) {
    if (raw === '') continue;
    let word = options.lowercase ? raw.toLowerCase() : raw;
    if (options.stripAccents) word = stripAccents(word);
    splitOnPunctuation(word, words);
  }
  return words;
}

/** NFD, then drop the combining marks: BERT's accent stripping. */
export function stripAccents(text: string): string {
  return text.normalize('NFD').replace(NON_SPACING_MARKS, '');
}

/** Drop NUL, U+FFFD and control characters, map whitespace to ' ', and space out CJK ideographs. */
function cleanText(text: string, splitCjk: boolean): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (isWhitespace(ch)) out += ' ';
    else if (cp === 0 || cp === 0xfffd || CONTROL.test(ch)) continue;
    else if (splitCjk && isCjkIdeograph(cp)) out += ` ${ch} `;
    else out += ch;
  }
  return out;
}

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || SPACE_SEPARATOR.test(ch);
}

/**
 * The CJK Unified Ideographs blocks BERT treats as one-character words. Hangul, Hiragana and
 * Katakana are not in them: those scripts write space-separated words.
 */
export function isCjkIdeograph(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/**
 * Unicode punctuation (P*) plus every non-alphanumeric printable ASCII character: BERT counts
 * "$", "^", "`", "+" and friends as punctuation although Unicode files them as symbols.
 */
export function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return PUNCTUATION.test(ch);
}

/** Push the runs of `word` between punctuation characters, and each punctuation character alone. */
function splitOnPunctuation(word: string, out: string[]): void {
  let run = '';
  for (const ch of word) {
    if (!isPunctuation(ch)) {
      run += ch;
      continue;
    }
    if (run !== '') out.push(run);
    out.push(ch);
    run = '';
  }
  if (run !== '') out.push(run);
}
