// The display name a new lobby member gets: the one it asked for, made unique in the lobby (core).
// Issue #13 item 9: duplicate names were accepted silently, so two members could both show as
// "alice" and a newcomer could pass for an existing member.
import { MAX_PEER_NAME_LENGTH } from '@meshpunch/protocol';
import type { Lobby } from './lobby.js';

/**
 * `name` when no member of `lobby` (present or away) has it, compared case-insensitively; else
 * `<name>~N` with the smallest N ≥ 2 that is free, the name cut (never inside a surrogate pair)
 * so the result stays within MAX_PEER_NAME_LENGTH UTF-16 units. Undefined stays undefined.
 * O(members) per try, at most members + 1 tries (a lobby holds ≤ maxPeersCap members).
 */
export function uniqueMemberName(lobby: Lobby, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const taken = new Set<string>();
  for (const m of lobby.members.values()) if (m.name !== undefined) taken.add(m.name.toLowerCase());
  if (!taken.has(name.toLowerCase())) return name;
  for (let n = 2; n <= lobby.members.size + 2; n++) {
    const suffix = `~${n}`;
    let cut = Math.min(name.length, MAX_PEER_NAME_LENGTH - suffix.length);
    // Do not split a surrogate pair: a lone high surrogate is not valid text.
    if (cut > 0 && cut < name.length && isHighSurrogate(name.charCodeAt(cut - 1))) cut--;
    const candidate = name.slice(0, cut) + suffix;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
  // Unreachable: members + 1 suffixes cannot all be taken by `members` names.
  return undefined;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}
