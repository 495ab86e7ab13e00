/**
 * Side information beside a Dataset: item metadata (title, genres, text) and user attributes, keyed
 * by the original ids and aligned to dense indices through `itemIds` / `userIds`, with a report of
 * what matched so nothing is dropped silently. Also the views the rest of seqrec reads: genre lists
 * for the ild metric, one text per item for text encoders, and group labels for fairness.
 * Attaching happens in Dataset.withItemInfo / withUserAttributes; this file holds the logic.
 */
import type { Dataset } from './dataset.js';
import { SeqrecError } from '../errors.js';
import { invalid } from '../validate.js';

/** Metadata of one item; any extra fields are kept as given. */
export interface ItemInfo {
  /** (str) display title, e.g. "Toy Story (1995)". */
  title?: string;
  /** (str[]) genre or category labels. */
  genres?: readonly string[];
  /** (str) free text: a description, a plot, a review summary. */
  text?: string;
  [key: string]: unknown;
}

/** Attributes of one user, e.g. { gender: 'F', age: 25 }. */
export type UserAttributes = Record<string, string | number>;

/** How a side file's ids met the dataset's ids. */
export interface SideInfoMatch {
  /** (int) dataset ids that have side information */
  matched: number;
  /** (str[]) dataset ids without side information, in dense order */
  missing: string[];
  /** (str[]) side-file ids that are not in the dataset, in the side file's order */
  unused: string[];
}

/** (V+1) item info aligned to dense ids ([0] unused) and the match report; E_INVALID_DATA for malformed info. */
export function alignItemInfo(
  itemIds: readonly string[] | undefined,
  info: ReadonlyMap<string, ItemInfo>,
): { values: (ItemInfo | undefined)[]; match: SideInfoMatch } {
  const aligned = align('itemIds', itemIds, 'info', info, 1);
  aligned.values.forEach((v, i) => v !== undefined && checkItemInfo(v, itemIds![i]!));
  return aligned;
}

/** (U) user attributes aligned to user indices and the match report; E_INVALID_DATA for malformed records. */
export function alignUserAttributes(
  userIds: readonly string[] | undefined,
  attrs: ReadonlyMap<string, UserAttributes>,
): { values: (UserAttributes | undefined)[]; match: SideInfoMatch } {
  const aligned = align('userIds', userIds, 'attrs', attrs, 0);
  aligned.values.forEach((v, u) => v !== undefined && checkUserAttributes(v, userIds![u]!));
  return aligned;
}

/** (V+1) genre list per dense item for the ild metric; [0] and items without genres get []. */
export function itemGenres(dataset: Dataset): string[][] {
  return requireItemInfo(dataset).map((info) => [...(info?.genres ?? [])]);
}

/**
 * (V+1) one text per dense item for text encoders: "title. genres. text" with genres joined by ", "
 * and empty parts left out; [0] and items without info get ''.
 */
export function itemText(dataset: Dataset): string[] {
  return requireItemInfo(dataset).map((info) =>
    [info?.title ?? '', (info?.genres ?? []).join(', '), info?.text ?? ''].filter((part) => part !== '').join('. '),
  );
}

/**
 * A label per user from one attribute (String(value)), e.g. `userGroups(train, test.users, 'gender')`
 * for groupFairness; users without the attribute get `missing`. `users` are indices into `dataset`.
 */
export function userGroups(dataset: Dataset, users: Int32Array, field: string, missing = 'unknown'): string[] {
  const attrs = dataset.userAttributes;
  if (attrs === undefined) throw noSideInfo('userAttributes', 'withUserAttributes');
  if (!(users instanceof Int32Array)) throw invalid('users', 'an Int32Array of user indices', users);
  if (typeof field !== 'string' || field === '') throw invalid('field', 'a non-empty string', field);
  return Array.from(users, (u, e) => {
    if (u < 0 || u >= attrs.length) {
      throw new SeqrecError('E_INVALID_DATA', `Expected users[${e}] in 0..${attrs.length - 1} but found ${u}`, { field: 'users', index: e });
    }
    const value = attrs[u]?.[field];
    return value === undefined ? missing : String(value);
  });
}

function align<T>(idsName: string, ids: readonly string[] | undefined, mapName: string, map: ReadonlyMap<string, T>, first: number) {
  if (ids === undefined) {
    throw new SeqrecError('E_INVALID_DATA', `side information is matched through ${idsName}, but this dataset has none`, { field: idsName });
  }
  if (!(map instanceof Map)) throw invalid(mapName, 'a Map from original id to side information', map);
  const values: (T | undefined)[] = new Array(ids.length).fill(undefined);
  const match: SideInfoMatch = { matched: 0, missing: [], unused: [] };
  for (let i = first; i < ids.length; i++) {
    values[i] = map.get(ids[i]!);
    if (values[i] === undefined) match.missing.push(ids[i]!);
    else match.matched++;
  }
  const known = new Set(ids.slice(first));
  for (const id of map.keys()) if (!known.has(id)) match.unused.push(id);
  return { values, match };
}

function checkItemInfo(info: ItemInfo, id: string): void {
  const where = `info.get(${JSON.stringify(id)})`;
  if (info === null || typeof info !== 'object') throw sideError(where, id, 'an object');
  if (info.title !== undefined && typeof info.title !== 'string') throw sideError(`${where}.title`, id, 'a string');
  if (info.text !== undefined && typeof info.text !== 'string') throw sideError(`${where}.text`, id, 'a string');
  if (info.genres !== undefined && !(Array.isArray(info.genres) && info.genres.every((g) => typeof g === 'string'))) {
    throw sideError(`${where}.genres`, id, 'an array of strings');
  }
}

function checkUserAttributes(attrs: UserAttributes, id: string): void {
  const where = `attrs.get(${JSON.stringify(id)})`;
  if (attrs === null || typeof attrs !== 'object') throw sideError(where, id, 'an object');
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
      throw sideError(`${where}.${key}`, id, 'a string or a finite number');
    }
  }
}

function requireItemInfo(dataset: Dataset): readonly (ItemInfo | undefined)[] {
  if (dataset.itemInfo === undefined) throw noSideInfo('itemInfo', 'withItemInfo');
  return dataset.itemInfo;
}

function noSideInfo(field: string, method: string): SeqrecError {
  return new SeqrecError('E_INVALID_DATA', `this dataset has no ${field}; attach it with dataset.${method}(...)`, { field });
}

function sideError(field: string, id: string, expected: string): SeqrecError {
  return new SeqrecError('E_INVALID_DATA', `Expected ${field} to be ${expected}`, { field, id });
}
