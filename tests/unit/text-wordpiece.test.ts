/**
 * BERT WordPiece tokenizer: hand-derived cases on TINY_VOCAB (word pieces, accents, punctuation,
 * CJK, [UNK], cleaning), encode/encodeBatch ids with truncation and padding, vocab.txt and
 * tokenizer.json agreeing, loadTokenizer's file choice, and each file and option error.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSeqrecError } from '../../lib/errors.js';
import { basicTokenize } from '../../lib/text/basic-tokenizer.js';
import { loadTokenizer, WordPieceTokenizer, type WordPieceOptions } from '../../lib/text/wordpiece.js';
import { TINY_VOCAB, tokenizerJson } from '../helpers/tiny-bert.js';
import { rejection } from '../helpers/errors.js';
import { subfolders, tempDir } from '../helpers/temp.js';

const root = tempDir('wordpiece');
const freshDir = subfolders(root);
/** A fresh folder holding `files` (name → content). */
function folder(files: Record<string, string>): string {
  const dir = freshDir();
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const VOCAB_TXT = `${TINY_VOCAB.join('\n')}\n`;
const tiny = (options?: WordPieceOptions) => new WordPieceTokenizer(new Map(TINY_VOCAB.map((t, i) => [t, i])), options);
const id = (token: string) => TINY_VOCAB.indexOf(token);
const LOWER = { lowercase: true, stripAccents: true, splitCjk: true };

describe('basicTokenize', () => {
  it('splits ASCII symbols and Unicode punctuation, but not other symbols or numbers', () => {
    // $ ^ ` and - are ASCII non-alphanumerics; « » are Unicode Pi/Pf; € (Sc) and ½ (No) are not punctuation.
    expect(basicTokenize('$5^2 `x` «quoted» 5€ ½ a-b', LOWER)).toEqual(['$', '5', '^', '2', '`', 'x', '`', '«', 'quoted', '»', '5€', '½', 'a', '-', 'b']);
  });

  it('lowercases and strips accents only when asked', () => {
    expect(basicTokenize('Café NAÏVE', LOWER)).toEqual(['cafe', 'naive']);
    expect(basicTokenize('Café NAÏVE', { ...LOWER, lowercase: false, stripAccents: false })).toEqual(['Café', 'NAÏVE']);
    expect(basicTokenize('Café', { ...LOWER, lowercase: false })).toEqual(['Cafe']);
    expect(basicTokenize('Café', { ...LOWER, stripAccents: false })).toEqual(['café']);
  });

  it('drops control and format characters and treats tab, newline and no-break space as spaces', () => {
    expect(basicTokenize('toy\tstory\u00a0(1995)\n', LOWER)).toEqual(['toy', 'story', '(', '1995', ')']);
    // U+200B is a format character (Cf): dropped, so it joins rather than splits
    expect(basicTokenize('\u0000toy\u200bstory\ufffd', LOWER)).toEqual(['toystory']);
  });

  it('makes CJK ideographs single words but leaves kana and hangul words whole', () => {
    expect(basicTokenize('大家好play', LOWER)).toEqual(['大', '家', '好', 'play']);
    expect(basicTokenize('大家', { ...LOWER, splitCjk: false })).toEqual(['大家']);
    // uncased BERT's accent stripping also removes the kana voicing mark and decomposes hangul into jamo
    expect(basicTokenize('ひらがな 한국어', LOWER)).toEqual(['ひらかな', '한국어'.normalize('NFD')]);
  });

  // Expected words from a Python port of tokenization.py (unicodedata, Unicode 14) with Hugging Face's
  // changes (C* controls, NFC, 100 characters); transformers itself is not installed here.
  it.each([
    ['Ω≈ç√∫˜µ≤≥÷ «ÀÉÎÕÜ» ﬁ ① ＡＢＣ\u3000x', ['ω≈c√∫˜µ≤≥÷', '«', 'aeiou', '»', 'ﬁ', '①', 'ａｂｃ', 'x']],
    ['Straße İstanbul ǅ', ['straße', 'istanbul', 'ǆ']],
    ["don't 3.14 @user #tag", ['don', "'", 't', '3', '.', '14', '@', 'user', '#', 'tag']],
    ['\u2028line\u2029para\u0085x\u000bv\u000cf', ['line', 'paraxvf']],
  ])('matches the Python reference on %j', (text, words) => {
    expect(basicTokenize(text, LOWER)).toEqual(words);
  });

  it('composes decomposed accents (NFC) so cased text matches the vocabulary', () => {
    expect(basicTokenize('Cafe\u0301', { ...LOWER, lowercase: false, stripAccents: false })).toEqual(['Café']);
  });
});

describe('WordPieceTokenizer.tokenize', () => {
  const t = tiny();

  it.each([
    ['unaffable', ['un', '##aff', '##able']],
    ['Héllo, World!', ['hello', ',', 'world', '!']],
    ['Toy Story (1995)', ['toy', 'story', '(', '1995', ')']],
    ['playing toys', ['play', '##ing', 'toy', '##s']],
    ['大家好', ['大', '家', '好']],
    ['xyz', ['[UNK]']],
    // "toy" matches but "##x" does not: the whole word is unknown, not "toy [UNK]"
    ['toyx toy', ['[UNK]', 'toy']],
    ['CAFÉ', ['cafe']],
    ['', []],
  ])('%j → %j', (text, pieces) => {
    expect(t.tokenize(text)).toEqual(pieces);
  });

  it('spells words of up to 100 characters and makes longer ones [UNK]', () => {
    expect(t.tokenize('a'.repeat(100))).toEqual(['a', ...Array<string>(99).fill('##a')]);
    expect(t.tokenize('a'.repeat(101))).toEqual(['[UNK]']);
    expect(tiny({ maxInputCharsPerWord: 3 }).tokenize('aaaa aaa')).toEqual(['[UNK]', 'a', '##a', '##a']);
  });

  it('keeps case for cased vocabularies', () => {
    expect(tiny({ lowercase: false }).tokenize('Hello hello héllo')).toEqual(['[UNK]', 'hello', '[UNK]']);
    expect(tiny({ lowercase: false, stripAccents: true }).tokenize('héllo')).toEqual(['hello']);
  });
});

describe('WordPieceTokenizer.encode', () => {
  const t = tiny();
  const story = [id('[CLS]'), id('toy'), id('story'), id('('), id('1995'), id(')'), id('[SEP]')];

  it('wraps the ids in [CLS] … [SEP] with a full mask', () => {
    const { ids, attentionMask } = t.encode('Toy Story (1995)');
    expect([...ids]).toEqual(story);
    expect([...ids]).toEqual([2, 5, 6, 7, 9, 8, 3]);
    expect([...attentionMask]).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect([...t.encode('').ids]).toEqual([2, 3]);
  });

  it('truncates to maxLength, keeping [SEP] last', () => {
    expect([...t.encode('Toy Story (1995)', { maxLength: 4 }).ids]).toEqual([2, 5, 6, 3]);
    expect([...t.encode('Toy Story (1995)', { maxLength: 2 }).ids]).toEqual([2, 3]);
  });

  it('pads a batch to the longest row or to a fixed width', () => {
    const batch = t.encodeBatch(['toy', 'Toy Story (1995)', '']);
    expect(batch.shape).toEqual([3, 7]);
    expect([...batch.ids]).toEqual([2, 5, 3, 0, 0, 0, 0, ...story, 2, 3, 0, 0, 0, 0, 0]);
    expect([...batch.attentionMask]).toEqual([1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    const fixed = t.encodeBatch(['toy', 'Toy Story (1995)'], { padTo: 5 });
    expect(fixed.shape).toEqual([2, 5]);
    expect([...fixed.ids]).toEqual([2, 5, 3, 0, 0, 2, 5, 6, 7, 3]);
    expect([...fixed.attentionMask]).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    expect(t.encodeBatch(['Toy Story (1995)'], { maxLength: 3, padTo: 5 }).ids).toEqual(Int32Array.of(2, 5, 3, 0, 0));
    expect(t.encodeBatch([]).shape).toEqual([0, 0]);
  });

  it('rejects bad options and inputs with E_INVALID_OPTION naming them', async () => {
    for (const [run, name] of [
      [() => t.encode('x', { maxLength: 1 }), 'options.maxLength'],
      [() => t.encode('x', { maxLen: 3 } as never), 'options.maxLen'],
      [() => t.encodeBatch(['x'], { padTo: 'max' as never }), 'options.padTo'],
      [() => t.encodeBatch(['x', 3 as never]), 'texts[1]'],
      [() => t.tokenize(null as never), 'text'],
      [() => tiny({ lowercase: 'yes' as never }), 'options.lowercase'],
      [() => tiny({ unkToken: '<unk>' }), 'options.unkToken'],
      [() => tiny({ casing: true } as never), 'options.casing'],
    ] as const) {
      const error = await rejection(run);
      expect(isSeqrecError(error, 'E_INVALID_OPTION')).toBe(true);
      expect(error.message).toContain(name);
    }
  });
});

describe('tokenizer files', () => {
  const texts = ['Toy Story (1995)', 'unaffable', 'Héllo, World!', '大家好', 'playing toys xyz', 'a'.repeat(101)];

  it('vocab.txt and tokenizer.json give identical output', async () => {
    const dir = folder({ 'vocab.txt': VOCAB_TXT, 'tokenizer.json': tokenizerJson(TINY_VOCAB) });
    const fromTxt = await WordPieceTokenizer.fromVocabFile(join(dir, 'vocab.txt'));
    const fromJson = await WordPieceTokenizer.fromTokenizerJson(join(dir, 'tokenizer.json'));
    expect(fromJson.config).toEqual(fromTxt.config);
    expect(fromJson.vocabSize).toBe(TINY_VOCAB.length);
    for (const text of texts) expect([...fromJson.encode(text).ids]).toEqual([...fromTxt.encode(text).ids]);
    expect(fromJson.encodeBatch(texts)).toEqual(fromTxt.encodeBatch(texts));
  });

  it('reads vocab.txt with CRLF line ends and ids by line', async () => {
    const dir = folder({ 'vocab.txt': TINY_VOCAB.join('\r\n') });
    const t = await WordPieceTokenizer.fromVocabFile(join(dir, 'vocab.txt'));
    expect(t.idOf('toy')).toBe(5);
    expect(t.tokenize('Toy Story')).toEqual(['toy', 'story']);
  });

  it('loadTokenizer prefers tokenizer.json and otherwise reads casing from tokenizer_config.json', async () => {
    const cased = tokenizerJson(TINY_VOCAB, { lowercase: false });
    expect((await loadTokenizer(folder({ 'vocab.txt': VOCAB_TXT, 'tokenizer.json': cased }))).tokenize('Hello hello')).toEqual(['[UNK]', 'hello']);
    expect((await loadTokenizer(folder({ 'vocab.txt': VOCAB_TXT }))).tokenize('Hello')).toEqual(['hello']);
    const config = JSON.stringify({ do_lower_case: false, tokenizer_class: 'BertTokenizer' });
    expect((await loadTokenizer(folder({ 'vocab.txt': VOCAB_TXT, 'tokenizer_config.json': config }))).tokenize('Hello')).toEqual(['[UNK]']);
  });

  it('reads special tokens from a BertProcessing post-processor and the padding section', async () => {
    const json = JSON.parse(tokenizerJson([...TINY_VOCAB, '<s>', '</s>', '<pad>'])) as Record<string, unknown>;
    json.post_processor = { type: 'BertProcessing', cls: ['<s>', 28], sep: ['</s>', 29] };
    json.padding = { pad_token: '<pad>', pad_id: 30 };
    const t = await loadTokenizer(folder({ 'tokenizer.json': JSON.stringify(json) }));
    expect([t.clsId, t.sepId, t.padId]).toEqual([28, 29, 30]);
    expect(t.encodeBatch(['toy', ''])).toMatchObject({ ids: Int32Array.of(28, 5, 29, 28, 29, 30) });
  });

  const tokenizerCases: [string, Record<string, string>, string][] = [
    ['no tokenizer file', {}, 'expected tokenizer.json or vocab.txt'],
    ['an empty vocab.txt', { 'vocab.txt': '' }, 'vocab.txt: file is empty'],
    ['a vocab.txt without [UNK]', { 'vocab.txt': 'a\n[CLS]\n[SEP]\n[PAD]\n' }, 'options.unkToken'],
    ['invalid JSON', { 'tokenizer.json': '{"model":' }, 'tokenizer.json is not valid JSON'],
    ['a BPE model', { 'tokenizer.json': JSON.stringify({ model: { type: 'BPE', vocab: {} } }) }, 'model.type is "BPE"'],
    ['a bad vocab id', { 'tokenizer.json': tokenizerJson(TINY_VOCAB).replace('"toy":5', '"toy":-5') }, 'model.vocab["toy"]'],
    ['another normalizer', { 'tokenizer.json': tokenizerJson(TINY_VOCAB, { type: 'NFKC' }) }, 'normalizer.type is "NFKC"'],
    ['a non-boolean flag', { 'tokenizer.json': tokenizerJson(TINY_VOCAB, { lowercase: 'yes' }) }, 'normalizer.lowercase'],
    ['a non-boolean do_lower_case', { 'vocab.txt': VOCAB_TXT, 'tokenizer_config.json': '{"do_lower_case":1}' }, 'tokenizer_config.json: do_lower_case'],
  ];
  it.each(tokenizerCases)('loadTokenizer rejects %s with E_INVALID_DATA', async (_, files, message) => {
    const dir = folder(files);
    const error = await rejection(() => loadTokenizer(dir));
    expect(isSeqrecError(error, 'E_INVALID_DATA')).toBe(true);
    expect(error.message).toContain(message);
    expect(error.message).toContain(dir);
  });

  it('rejects a missing vocab file naming it', async () => {
    const path = join(root, 'missing', 'vocab.txt');
    await expect(WordPieceTokenizer.fromVocabFile(path)).rejects.toMatchObject({ code: 'E_INVALID_DATA', message: `cannot read ${path}: file does not exist` });
  });
});
