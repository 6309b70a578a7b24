// The client's copy of its lobby view (core): how each service notice changes it, so that
// SignalingClient.lobby stays current between `lobby.get` calls. Pure functions on a LobbyView.
import type { LinkView, LobbyView, MemberView } from '@meshpunch/protocol';

/** `peer.joined`: adds the member once, keeping members ordered by id. */
export function addMember(v: LobbyView, peer: MemberView): void {
  if (v.members.some((m) => m.id === peer.id)) return;
  v.members.push(peer);
  v.members.sort((a, b) => a.id - b.id);
}

/** `peer.left`: drops the member and every link it was part of. */
export function removeMember(v: LobbyView, id: number): void {
  v.members = v.members.filter((m) => m.id !== id);
  v.links = v.links.filter((l) => l.a !== id && l.b !== id);
}

/** `peer.away` / `peer.back`. */
export function markAway(v: LobbyView, id: number, away: boolean): void {
  const m = v.members.find((x) => x.id === id);
  if (m !== undefined) m.away = away;
}

/** `pair.start`: the link between `you` and `remote` starts over as pending under `pair`. */
export function restartLink(v: LobbyView, pair: number, you: number, remote: number): void {
  const a = Math.min(remote, you);
  const b = Math.max(remote, you);
  v.links = v.links.filter((l) => !(l.a === a && l.b === b));
  v.links.push({ pair, a, b, state: 'pending' });
}

/** `link.updated`: replaces the link of that pair, or adds it. */
export function updateLink(v: LobbyView, link: LinkView): void {
  const i = v.links.findIndex((l) => l.pair === link.pair);
  if (i >= 0) v.links[i] = link;
  else v.links.push(link);
}

/** The peers `you` has a connected link with, by our view. */
export function connectedPeers(v: LobbyView | undefined, you: number | undefined): number[] {
  const out: number[] = [];
  for (const l of v?.links ?? []) if (l.state === 'connected' && (l.a === you || l.b === you)) out.push(l.a === you ? l.b : l.a);
  return out;
}
