// The TLS 1.2 PRF and what it derives (core): extended master secret, key block, Finished
// verify_data. RFC 5246 §5 (P_SHA256), RFC 7627 §4 (extended master secret), RFC 5246 §6.3.
import { concat } from './bytes.js';
import { MASTER_SECRET_LENGTH, VERIFY_DATA_LENGTH, suiteKeyLengths, type CipherSuiteId } from './constants.js';
import type { DtlsCrypto } from './crypto-provider.js';

const encoder = new TextEncoder();
const LABEL_EMS = encoder.encode('extended master secret');
const LABEL_KEY_EXPANSION = encoder.encode('key expansion');
const LABEL_CLIENT_FINISHED = encoder.encode('client finished');
const LABEL_SERVER_FINISHED = encoder.encode('server finished');

/** PRF(secret, label, seed) = P_SHA256(secret, label + seed), `length` bytes (RFC 5246 §5). */
export function prf(crypto: DtlsCrypto, secret: Uint8Array, label: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const labelSeed = concat([label, seed]);
  const out = new Uint8Array(length);
  let a = crypto.hmacSha256(secret, [labelSeed]);
  for (let o = 0; ;) {
    const block = crypto.hmacSha256(secret, [a, labelSeed]);
    const n = Math.min(block.length, length - o);
    out.set(block.subarray(0, n), o);
    o += n;
    if (o >= length) return out;
    // A(i+1) only when another block follows: a handshake makes 28 HMACs instead of 36.
    a = crypto.hmacSha256(secret, [a]);
  }
}

/** master_secret = PRF(pre_master_secret, "extended master secret", session_hash) (RFC 7627 §4). */
export function extendedMasterSecret(crypto: DtlsCrypto, preMaster: Uint8Array, sessionHash: Uint8Array): Uint8Array {
  return prf(crypto, preMaster, LABEL_EMS, sessionHash, MASTER_SECRET_LENGTH);
}

/** The four AEAD inputs of one connection (RFC 5246 §6.3; AEAD suites have no MAC keys). */
export interface KeyBlock {
  clientWriteKey: Uint8Array;
  serverWriteKey: Uint8Array;
  clientWriteIv: Uint8Array;
  serverWriteIv: Uint8Array;
}

/** key_block = PRF(master, "key expansion", server_random + client_random), cut per suite. */
export function keyBlock(crypto: DtlsCrypto, suite: CipherSuiteId, master: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): KeyBlock {
  const { key, iv } = suiteKeyLengths(suite);
  const kb = prf(crypto, master, LABEL_KEY_EXPANSION, concat([serverRandom, clientRandom]), 2 * key + 2 * iv);
  return {
    clientWriteKey: kb.subarray(0, key),
    serverWriteKey: kb.subarray(key, 2 * key),
    clientWriteIv: kb.subarray(2 * key, 2 * key + iv),
    serverWriteIv: kb.subarray(2 * key + iv, 2 * key + 2 * iv),
  };
}

/** verify_data = PRF(master, finished_label, Hash(handshake_messages))[0..12] (RFC 5246 §7.4.9). */
export function finishedVerifyData(crypto: DtlsCrypto, master: Uint8Array, fromClient: boolean, transcriptHash: Uint8Array): Uint8Array {
  return prf(crypto, master, fromClient ? LABEL_CLIENT_FINISHED : LABEL_SERVER_FINISHED, transcriptHash, VERIFY_DATA_LENGTH);
}
