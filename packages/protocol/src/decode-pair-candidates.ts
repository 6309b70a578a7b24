// A fast decoder of the one client message a forming lobby sends most, pair.candidates, straight
// from the frame's UTF-8 bytes (core; issue 19). The service's relay burst spent ~15 % of its busy
// time in decodeClientMessage (JSON.parse of a whole object tree, then a clean copy of it) and a
// fifth in the garbage collector, for a message whose shape is fixed.
//
// It decodes only the plain form: a JSON object holding nothing but type, rid, pair, candidates
// and done (each once, any order, any JSON whitespace), ASCII strings without escapes, integers
// written as plain digits, candidates with nothing but kind, family, address, port and priority.
// For that form it returns exactly what decodeClientMessage returns (a deep-equal message);
// anything else, valid or not, gives undefined and goes to decodeClientMessage, so every
// refusal and its error text stay that decoder's (test/unit/decode-pair-candidates.test.ts
// checks both directions on random input).
import { isIpv4, isIpv6 } from '@meshpunch/base';
import { CANDIDATE_KINDS, MAX_CANDIDATES_PER_PAIR } from './candidate.js';
import type { Candidate, CandidateKind } from './candidate.js';
import { MAX_RID } from './messages.js';
import type { PairCandidatesMessage } from './messages.js';

/** Largest pair id (decode-client.ts: a 32-bit field). */
const U32 = 0xffffffff;
/** A scan step's answer: not the plain form (hand the frame to decodeClientMessage). */
const NO = -1;
/** Most digits a plain integer here may have (U32 and MAX_RID have 10). */
const MAX_DIGITS = 10;

// Field bits, top level and per candidate (each key may appear once).
const TYPE = 1, RID = 2, PAIR = 4, CANDIDATES = 8, DONE = 16;
const TOP_REQUIRED = TYPE | RID | PAIR | CANDIDATES;
const KIND = 1, FAMILY = 2, ADDRESS = 4, PORT = 8, PRIORITY = 16;
const CANDIDATE_REQUIRED = KIND | FAMILY | ADDRESS | PORT;

// What the last readString / readDigits found (one thread; no object per token).
let strStart = 0;
let strEnd = 0;
let num = 0;
/** The candidates readCandidates found (the first scratchLength), before internedList gives them as a list. */
const scratch: Candidate[] = new Array<Candidate>(MAX_CANDIDATES_PER_PAIR);
let scratchLength = 0;
/** The address cache slot of scratch[0] (where internedList keeps the list). */
let firstSlot = 0;
/** skipSpace passed over whitespace since the last reset (inside a candidates array: not its canonical form). */
let spaced = false;
/** A candidate's keys came out of canonical order (kind, family, address, port, priority). */
let reordered = false;

/**
 * Where a decoded message's candidates array lies in its frame, when its bytes are exactly
 * JSON.stringify of the decoded candidates (no whitespace, keys in the order kind, family,
 * address, port, priority: what clients send): start and end (exclusive) of `[` … `]`; both
 * -1 otherwise. Those bytes can be copied into the frame the pair's other side gets instead of
 * encoding the candidates again (issue 19). The caller's record, filled when a message is returned.
 */
export interface CandidatesSpan {
  start: number;
  end: number;
}

/**
 * The message `bytes` holds when it is a pair.candidates in the plain form above and
 * decodeClientMessage would accept it; undefined otherwise (decode it with decodeClientMessage).
 * Its candidates, and their list, may be objects it returned before for equal ones: do not modify
 * them. Never throws.
 * @param bytes one text frame's payload (UTF-8)
 */
export function decodePairCandidatesBytes(bytes: Uint8Array, span?: CandidatesSpan): PairCandidatesMessage | undefined {
  const b = bytes;
  let listStart = -1;
  let listEnd = -1;
  let i = skipSpace(b, 0);
  if (b[i] !== 0x7b) return undefined;
  i = skipSpace(b, i + 1);
  let seen = 0;
  let rid = 0;
  let pair = 0;
  let done: boolean | undefined;
  let candidates: Candidate[] | undefined;
  for (;;) {
    i = readString(b, i);
    if (i === NO) return undefined;
    const key = topKey(b, strStart, strEnd);
    if (key === 0 || (seen & key) !== 0) return undefined;
    seen |= key;
    i = skipSpace(b, i);
    if (b[i] !== 0x3a) return undefined;
    i = skipSpace(b, i + 1);
    if (key === TYPE) {
      i = readString(b, i);
      if (i === NO || !isText(b, strStart, strEnd, 'pair.candidates')) return undefined;
    } else if (key === RID) {
      i = readDigits(b, i);
      if (i === NO || num > MAX_RID) return undefined;
      rid = num;
    } else if (key === PAIR) {
      i = readDigits(b, i);
      if (i === NO || num < 1 || num > U32) return undefined;
      pair = num;
    } else if (key === DONE) {
      if (isText(b, i, i + 4, 'true')) {
        done = true;
        i += 4;
      } else if (isText(b, i, i + 5, 'false')) {
        done = false;
        i += 5;
      } else {
        return undefined;
      }
    } else {
      const at = i;
      let canonical: boolean;
      if (isLastArray(b, at)) {
        // The bytes of the array decoded last (a member's message on its next pair): the same list.
        i = at + lastArrayLength;
        candidates = lastArrayList;
        canonical = lastArrayCanonical;
      } else {
        spaced = false;
        reordered = false;
        i = readCandidates(b, i);
        if (i === NO) return undefined;
        candidates = internedList();
        canonical = !spaced && !reordered;
        keepLastArray(b, at, i, candidates, canonical);
      }
      if (canonical) {
        listStart = at;
        listEnd = i;
      }
    }
    i = skipSpace(b, i);
    if (b[i] === 0x2c) {
      i = skipSpace(b, i + 1);
      continue;
    }
    if (b[i] !== 0x7d) return undefined;
    break;
  }
  if (skipSpace(b, i + 1) !== b.length || (seen & TOP_REQUIRED) !== TOP_REQUIRED) return undefined;
  // Built in decode-client.ts's order, so both decoders' messages have the same shape.
  const m: PairCandidatesMessage = { type: 'pair.candidates', rid, pair, candidates: candidates! };
  if (done !== undefined) m.done = done;
  if (span !== undefined) {
    span.start = listStart;
    span.end = listEnd;
  }
  return m;
}

/** `[` candidate, … `]` (at most MAX_CANDIDATES_PER_PAIR) into `scratch`; the index after `]`, or NO. */
function readCandidates(b: Uint8Array, at: number): number {
  scratchLength = 0;
  if (b[at] !== 0x5b) return NO;
  let i = skipSpace(b, at + 1);
  if (b[i] === 0x5d) return i + 1;
  for (;;) {
    if (scratchLength === MAX_CANDIDATES_PER_PAIR) return NO;
    i = readCandidate(b, i);
    if (i === NO) return NO;
    i = skipSpace(b, i);
    if (b[i] === 0x2c) {
      i = skipSpace(b, i + 1);
      continue;
    }
    return b[i] === 0x5d ? i + 1 : NO;
  }
}

/** One candidate object that checkCandidate (candidate.ts) accepts, its clean copy added to `scratch`; or NO. */
function readCandidate(b: Uint8Array, at: number): number {
  if (b[at] !== 0x7b) return NO;
  let i = skipSpace(b, at + 1);
  let seen = 0;
  let kind: CandidateKind | undefined;
  let family = 0;
  let addressAt = 0;
  let addressEnd = 0;
  let port = 0;
  let priority = -1;
  for (;;) {
    i = readString(b, i);
    if (i === NO) return NO;
    const key = candidateKey(b, strStart, strEnd);
    if (key === 0 || (seen & key) !== 0) return NO;
    // Canonical order: every key's bit above all bits seen before it.
    if (key < seen) reordered = true;
    seen |= key;
    i = skipSpace(b, i);
    if (b[i] !== 0x3a) return NO;
    i = skipSpace(b, i + 1);
    if (key === KIND) {
      i = readString(b, i);
      if (i === NO) return NO;
      kind = kindOf(b, strStart, strEnd);
      if (kind === undefined) return NO;
    } else if (key === ADDRESS) {
      i = readString(b, i);
      if (i === NO) return NO;
      addressAt = strStart;
      addressEnd = strEnd;
    } else {
      i = readDigits(b, i);
      if (i === NO) return NO;
      if (key === FAMILY) {
        if (num !== 4 && num !== 6) return NO;
        family = num;
      } else if (key === PORT) {
        if (num < 1 || num > 65535) return NO;
        port = num;
      } else {
        if (num > U32) return NO;
        priority = num;
      }
    }
    i = skipSpace(b, i);
    if (b[i] === 0x2c) {
      i = skipSpace(b, i + 1);
      continue;
    }
    if (b[i] !== 0x7d) return NO;
    break;
  }
  if ((seen & CANDIDATE_REQUIRED) !== CANDIDATE_REQUIRED) return NO;
  const slot = addressSlot(b, addressAt, addressEnd, family);
  if (slot < 0) return NO;
  const address = cachedAddress[slot]!;
  const last = cachedCandidate[slot];
  if (scratchLength === 0) firstSlot = slot;
  if (last !== undefined && last.address === address && last.family === family && last.kind === kind && last.port === port && (last.priority ?? -1) === priority) {
    scratch[scratchLength++] = last;
  } else {
    const f = family as 4 | 6;
    const c: Candidate = priority < 0 ? { kind: kind!, family: f, address, port } : { kind: kind!, family: f, address, port, priority };
    cachedCandidate[slot] = c;
    scratch[scratchLength++] = c;
  }
  return i + 1;
}

/** Index of the first byte at or after `i` that is not JSON whitespace (RFC 8259 §2). */
function skipSpace(b: Uint8Array, i: number): number {
  const from = i;
  while (i < b.length) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  if (i !== from) spaced = true;
  return i;
}

/**
 * A string of printable ASCII without escapes at `at` (its bytes: strStart..strEnd); the index
 * after its closing quote, or NO for anything else.
 */
function readString(b: Uint8Array, at: number): number {
  if (b[at] !== 0x22) return NO;
  for (let i = at + 1; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x22) {
      strStart = at + 1;
      strEnd = i;
      return i + 1;
    }
    if (c === 0x5c || c < 0x20 || c > 0x7e) return NO;
  }
  return NO;
}

/**
 * A non-negative integer in plain digits at `at` (its value: num), no leading zero; the index
 * after it, or NO. A fraction or exponent that follows is refused by the caller's next check.
 */
function readDigits(b: Uint8Array, at: number): number {
  if (at >= b.length) return NO;
  const c0 = b[at]!;
  if (c0 === 0x30) {
    num = 0;
    return at + 1;
  }
  if (c0 < 0x31 || c0 > 0x39) return NO;
  let v = 0;
  let i = at;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x30 || c > 0x39) break;
    v = v * 10 + (c - 0x30);
    i++;
  }
  if (i - at > MAX_DIGITS) return NO;
  num = v;
  return i;
}

/** True when bytes start..end are exactly `text` (ASCII). */
function isText(b: Uint8Array, start: number, end: number, text: string): boolean {
  if (end - start !== text.length || end > b.length) return false;
  for (let k = 0; k < text.length; k++) if (b[start + k] !== text.charCodeAt(k)) return false;
  return true;
}

function topKey(b: Uint8Array, s: number, e: number): number {
  if (isText(b, s, e, 'type')) return TYPE;
  if (isText(b, s, e, 'rid')) return RID;
  if (isText(b, s, e, 'pair')) return PAIR;
  if (isText(b, s, e, 'candidates')) return CANDIDATES;
  if (isText(b, s, e, 'done')) return DONE;
  return 0;
}

function candidateKey(b: Uint8Array, s: number, e: number): number {
  if (isText(b, s, e, 'kind')) return KIND;
  if (isText(b, s, e, 'family')) return FAMILY;
  if (isText(b, s, e, 'address')) return ADDRESS;
  if (isText(b, s, e, 'port')) return PORT;
  if (isText(b, s, e, 'priority')) return PRIORITY;
  return 0;
}

/** The kind (the list's own string: no new string per candidate), or undefined. */
function kindOf(b: Uint8Array, s: number, e: number): CandidateKind | undefined {
  for (let k = 0; k < CANDIDATE_KINDS.length; k++) if (isText(b, s, e, CANDIDATE_KINDS[k]!)) return CANDIDATE_KINDS[k];
  return undefined;
}

/**
 * Slots of the address cache (a power of two). A member sends the same candidates on each of
 * its pairs (nine in a lobby of ten), so most addresses were decoded a moment before; making
 * the string and parsing it again was 40 % of this decoder's time (issue 19).
 */
const ADDRESS_CACHE_SLOTS = 256;
/** Addresses decoded lately, each valid for the family beside it (0: empty slot). */
const cachedAddress: string[] = new Array<string>(ADDRESS_CACHE_SLOTS).fill('');
const cachedFamily = new Uint8Array(ADDRESS_CACHE_SLOTS);
/**
 * The last candidate made with each slot's address, given again for an equal one: the nine
 * messages of a member then hold one set of candidate objects, not nine, in the pairs' live-view
 * records (each relayed message left ~350 B behind, most of the relay burst's scavenging;
 * issue 19). So the decoder's candidates may be shared: nobody modifies them.
 */
const cachedCandidate: Array<Candidate | undefined> = new Array<Candidate | undefined>(ADDRESS_CACHE_SLOTS).fill(undefined);
/**
 * The last list made with each slot's address first, given again for a list of the same
 * candidate objects: a member's nine messages (one per pair) then hold one list, not nine, in
 * the pairs' live-view records and candidate counts. A list made by push was ~190 B with its
 * spare capacity, two per pair, kept for the pair's life (issue 19). Lists are therefore shared
 * too: nobody modifies them.
 */
const cachedList: Array<Candidate[] | undefined> = new Array<Candidate[] | undefined>(ADDRESS_CACHE_SLOTS).fill(undefined);

/**
 * Longest candidates array kept as the last one decoded, bytes (16 candidates with long IPv6
 * addresses and priorities stay under it).
 */
const LAST_ARRAY_BYTES = 2048;
/**
 * The bytes of the last candidates array decoded (the first lastArrayLength; 0: none), the list
 * it gave and whether it was canonical. A member sends the same array on each of its pairs, nine
 * messages in a row in a lobby of ten: comparing the bytes skips parsing every candidate again
 * (readCandidate was the decoder's largest share of the kit's relay burst; issue 19). Equal
 * bytes decode to an equal list, so the answer is the same.
 */
const lastArray = new Uint8Array(LAST_ARRAY_BYTES);
let lastArrayLength = 0;
let lastArrayList: Candidate[] = [];
let lastArrayCanonical = false;

/** Whether the last array's bytes stand at `at` in `b`. */
function isLastArray(b: Uint8Array, at: number): boolean {
  const n = lastArrayLength;
  if (n === 0 || at + n > b.length) return false;
  for (let k = 0; k < n; k++) if (b[at + k] !== lastArray[k]) return false;
  return true;
}

/** Keeps bytes start..end of `b` (a candidates array that decoded to `list`) as the last array. */
function keepLastArray(b: Uint8Array, start: number, end: number, list: Candidate[], canonical: boolean): void {
  if (end - start > LAST_ARRAY_BYTES) {
    lastArrayLength = 0;
    return;
  }
  for (let k = start; k < end; k++) lastArray[k - start] = b[k]!;
  lastArrayLength = end - start;
  lastArrayList = list;
  lastArrayCanonical = canonical;
}

/** The scratch candidates as a list of their own size: the cached one when it holds the same objects. */
function internedList(): Candidate[] {
  const n = scratchLength;
  if (n === 0) return [];
  const hit = cachedList[firstSlot];
  if (hit !== undefined && hit.length === n) {
    let same = true;
    for (let k = 0; k < n; k++) {
      if (hit[k] !== scratch[k]) {
        same = false;
        break;
      }
    }
    if (same) return hit;
  }
  const list = scratch.slice(0, n);
  cachedList[firstSlot] = list;
  return list;
}

/**
 * The cache slot holding bytes s..e (printable ASCII, checked by readString) as an address of
 * `family`, or -1 when they are not one (isIpv4 / isIpv6, as checkCandidate decides). Equal
 * addresses decoded lately give the same string.
 */
function addressSlot(b: Uint8Array, s: number, e: number, family: number): number {
  // FNV-1a over the bytes picks the slot.
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const slot = (h >>> 0) & (ADDRESS_CACHE_SLOTS - 1);
  const hit = cachedAddress[slot]!;
  if (cachedFamily[slot] === family && isText(b, s, e, hit)) return slot;
  const text = String.fromCharCode.apply(null, b.subarray(s, e) as unknown as number[]);
  if (family === 4 ? !isIpv4(text) : !isIpv6(text)) return -1;
  cachedAddress[slot] = text;
  cachedFamily[slot] = family;
  cachedCandidate[slot] = undefined;
  cachedList[slot] = undefined;
  return slot;
}
