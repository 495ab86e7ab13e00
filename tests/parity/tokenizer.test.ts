/**
 * seqrec's WordPiece tokenizer against Hugging Face's BertTokenizerFast (transformers, Rust tokenizers)
 * on the same vocab.txt, trained by `tokenizers` on the texts themselves: identical ids for every
 * MovieLens-1M title and genre string (../shared/data, when present) and for adversarial Unicode
 * (accents, CJK, emoji, control and zero-width characters, combining marks, very long words).
 * Skipped, with the reason printed, only where the Python side is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../lib/text/wordpiece.js';
import { PYTHON, pythonHas } from '../helpers/python.js';
import { tempDir } from '../helpers/temp.js';

const SCRIPT = fileURLToPath(new URL('./reference_tokenizer.py', import.meta.url));
const MOVIES = fileURLToPath(new URL('../../../shared/data/ml-1m/movies.dat', import.meta.url));
const ready = pythonHas('transformers', 'tokenizers');
if (!ready) console.log(`tokenizer parity skipped: ${PYTHON} cannot import transformers and tokenizers (run scripts/setup.sh)`);
const dir = tempDir('tok');

const ADVERSARIAL = [
  "Amélie (Le Fabuleux Destin d'Amélie Poulain) (2001)",
  'Crème Brûlée à la Façon de Ñandú',
  'naïve café résumé ÉCOLE',
  '千と千尋の神隠し (2001)',
  '大家好，世界！',
  '북한 영화',
  'Ελληνικά και Русский текст',
  'Emoji 🎬🍿 movie night 👨‍👩‍👧',
  'tabs\tand\nnewlines\r\nhere',
  'control\u0000chars\u0007and\u001bescape',
  'zero\u200bwidth\u200cjoiner\u200d here',
  'combining e\u0301 and a\u0300 marks',
  'ﬁ ligature and ＦＵＬＬ width',
  'supercalifragilisticexpialidocious'.repeat(4),
  'x'.repeat(150),
  `${'word '.repeat(600)}end`,
  '!!!???...,,,;;;',
  "It's a don't-won't (1999)",
  'C++ & C# vs. F#: 2+2=4',
  '$100 · 50% · №5 · ©2001 · ™',
  '   ',
  '',
  'Å Ø Æ ß ẞ ı İ',
  'السلام عليكم',
  'שלום',
  'हिन्दी',
  '\u00ad soft hyphen',
  'Wall-E • Up • Ratatouille',
];

function movieLensTexts(): string[] {
  if (!existsSync(MOVIES)) return [];
  const texts: string[] = [];
  for (const line of readFileSync(MOVIES, 'latin1').split('\n')) {
    const [, title, genres] = line.split('::');
    if (title === undefined || genres === undefined) continue;
    texts.push(title, genres.replace(/\|/g, ' '));
  }
  return texts;
}

describe.skipIf(!ready)('WordPiece vs transformers.BertTokenizerFast', () => {
  it('gives identical ids on every MovieLens title and genre string and on adversarial Unicode', async () => {
    const texts = [...movieLensTexts(), ...ADVERSARIAL];
    const corpus = [...movieLensTexts(), ...ADVERSARIAL.slice(0, 14)];
    const run = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify({ folder: dir, corpus, texts }), encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(run.status, run.stderr).toBe(0);
    const reference = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as number[]);
    expect(reference).toHaveLength(texts.length);
    const tokenizer = await loadTokenizer(dir);
    const mismatches = texts.flatMap((text, i) => {
      const ids = Array.from(tokenizer.encode(text, { maxLength: 512 }).ids);
      return JSON.stringify(ids) === JSON.stringify(reference[i]) ? [] : [{ text, seqrec: ids.slice(0, 20), transformers: reference[i]!.slice(0, 20) }];
    });
    console.log(`tokenizer parity: ${texts.length - mismatches.length} of ${texts.length} texts identical (${movieLensTexts().length} MovieLens strings)`);
    expect(mismatches).toEqual([]);
  });
});
