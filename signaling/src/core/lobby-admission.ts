// Getting into a lobby (core): lobby.create, lobby.join (createIfMissing included) and
// lobby.restore, with their password checks (password-checks.ts: the slow hash runs in the
// adapter, the request finishes in finishCheck), and the key and view link a lobby answer carries.
import { encodeLobbyCode, isValidLobbyName, LOBBY_CODE_RANDOM_BYTES, lobbyRefProblem, normalizeLobbyCode } from '@meshpunch/protocol';
import type {
  LobbyCreateMessage, LobbyJoinedMessage, LobbyJoinMessage, LobbyMode, LobbyRestoreMessage, ResumeOkMessage, ServerMessage,
} from '@meshpunch/protocol';
import { constantTimeEqual, toBase64Url } from './bytes.js';
import type { Connection } from './connection.js';
import type { CoreContext } from './core-context.js';
import { Lobby, registryKey } from './lobby.js';
import { restartUnfinishedPairs } from './member-requests.js';
import type { Membership } from './membership.js';
import { PasswordChecks } from './password-checks.js';
import type { CheckRefusal, CheckSteps, PasswordJob } from './password-checks.js';
import { restoreMember, restorePairs } from './restore.js';
import type { HashedPassword } from './restore.js';
import { schedulePairs } from './pairing.js';

/** What a new lobby is made of: from lobby.create, or from a lobby.join with createIfMissing. */
interface NewLobbySpec {
  readonly name: string | undefined;
  readonly password: string | undefined;
  readonly maxPeers: number | undefined;
  readonly mode: LobbyMode;
  /** The request field that carried the name ('name' for lobby.create, 'lobby' for lobby.join). */
  readonly nameField: 'name' | 'lobby';
  /** The createIfMissing join this lobby comes from: it joins instead when the name got taken meanwhile. */
  readonly join: LobbyJoinMessage | undefined;
  /** The request's claim (1.3): the lobby is filed under name + claim (lobby.ts registryKey). */
  readonly claim: string | undefined;
}

/** What a finished password check completes: a join of an existing lobby, or a lobby to make. */
export type CheckWork =
  | { readonly kind: 'join'; readonly rid: number; readonly lobby: Lobby; readonly msg: LobbyJoinMessage; readonly tries: number }
  | { readonly kind: 'create'; readonly rid: number; readonly spec: NewLobbySpec; readonly tries: number }
  /** A lobby.restore that re-creates a lobby with a password (restore.ts). */
  | { readonly kind: 'restore'; readonly rid: number; readonly msg: LobbyRestoreMessage };

/** Tries at drawing a fresh random lobby code before giving up (collisions are ~never). */
const MAX_DRAWS = 64;
/** Bytes of salt for a lobby password hash. */
const SALT_BYTES = 16;
/**
 * Times one createIfMissing request may switch between creating and joining while its hashes
 * run (the name taken, then gone again): bounds the work of one request.
 */
const MAX_CHECK_TRIES = 2;
/** Bytes of a lobby's view token (128 bits: unguessable; the view shows no secrets, but members' names and links). */
const VIEW_TOKEN_BYTES = 16;
/** Bytes of a lobby key (128 bits: unguessable; restore.ts). */
const LOBBY_KEY_BYTES = 16;

/** Admission to lobbies for one SignalingCore; requests arrive from connections past hello. */
export class LobbyAdmission {
  /** Password checks waiting for or running in the adapter's hash (password-checks.ts). */
  readonly checks: PasswordChecks<CheckWork>;
  /** Path of the live lobby view (SignalingCore.viewPath); undefined: lobby answers carry no `view`. */
  viewPath: string | undefined = undefined;
  readonly #ctx: CoreContext;
  readonly #membership: Membership;
  readonly #conns: ReadonlyMap<number, Connection>;
  readonly #isShuttingDown: () => boolean;

  /**
   * @param conns the core's open connections (a finished check answers the one it belongs to)
   * @param isShuttingDown true once the core shuts down: finished checks are then dropped
   */
  constructor(ctx: CoreContext, membership: Membership, conns: ReadonlyMap<number, Connection>, isShuttingDown: () => boolean) {
    this.#ctx = ctx;
    this.#membership = membership;
    this.#conns = conns;
    this.#isShuttingDown = isShuttingDown;
    this.checks = new PasswordChecks(ctx.config);
  }

  /** Finishes the request of check `j` with its `hash` (undefined: hashing failed). */
  finishCheck(now: number, j: PasswordJob<CheckWork>, hash: Uint8Array | undefined): void {
    const c = this.#conns.get(j.conn);
    if (c === undefined || this.#isShuttingDown()) return;
    const w = j.work;
    if (hash === undefined) return this.#ctx.outbox.error(c, w.rid, 'SIG_BUSY', 'the password could not be checked; retry');
    if (w.kind === 'create') return this.#makeLobby(now, c, w.rid, w.spec, hash, j.salt, w.tries);
    if (w.kind === 'restore') return this.restore(now, c, w.msg, { hash, salt: j.salt });
    if (c.member !== null) return this.#ctx.outbox.error(c, w.rid, 'SIG_ALREADY_IN_LOBBY', `already in lobby ${c.member.lobby.code}; leave it first`);
    const lobby = w.lobby;
    if (this.#membership.lobbies.get(lobby.registryKey) !== lobby) return this.#ctx.outbox.error(c, w.rid, 'SIG_LOBBY_NOT_FOUND', 'the lobby ended while the password was checked');
    if (!constantTimeEqual(hash, lobby.passwordHash!)) {
      this.checks.chargeFailure(now, c.ip, lobby);
      return this.#ctx.outbox.error(c, w.rid, 'SIG_BAD_PASSWORD', 'wrong password');
    }
    if (lobby.sealed) return this.#ctx.outbox.error(c, w.rid, 'SIG_LOBBY_SEALED', `lobby ${lobby.code} is sealed`);
    this.#admit(now, c, w.rid, lobby);
  }

  create(now: number, c: Connection, msg: LobbyCreateMessage): void {
    if (c.member !== null) return this.#ctx.outbox.error(c, msg.rid, 'SIG_ALREADY_IN_LOBBY', `already in lobby ${c.member.lobby.code}; leave it first`);
    this.#createLobby(now, c, msg.rid, { name: msg.name, password: msg.password, maxPeers: msg.maxPeers, mode: msg.mode ?? 'mesh', nameField: 'name', join: undefined, claim: msg.claim }, 0);
  }

  /**
   * Creates a lobby (under `spec.name` when free, else a drawn code) with `c` as peer 1 and
   * answers lobby.joined; `nameField` is the request's field a bad name is reported against.
   * With a password the lobby is made once its hash is back (handleHashed → #makeLobby).
   */
  #createLobby(now: number, c: Connection, rid: number, spec: NewLobbySpec, tries: number): void {
    if (this.#lobbyRefusal(c, rid, spec)) return;
    if (spec.password === undefined) {
      this.#makeLobby(now, c, rid, spec, undefined, undefined, tries);
      return;
    }
    const refusal = this.checks.refusal(now, c.id, c.ip, undefined);
    if (refusal !== undefined) return this.#refuseCheck(c, rid, refusal);
    const salt = new Uint8Array(SALT_BYTES);
    this.#ctx.config.random(salt);
    this.runChecks(this.checks.enqueue(now, c.id, c.ip, undefined, spec.password, salt, { kind: 'create', rid, spec, tries }));
  }

  /** Answers the first reason `spec` cannot become a lobby now (true), or returns false. */
  #lobbyRefusal(c: Connection, rid: number, spec: NewLobbySpec): boolean {
    if (this.#membership.lobbies.size >= this.#ctx.config.maxLobbies) {
      this.#ctx.outbox.error(c, rid, 'SIG_TOO_MANY_LOBBIES', `the service is at its limit of ${this.#ctx.config.maxLobbies} lobbies`);
      return true;
    }
    const maxPeers = spec.maxPeers ?? this.#ctx.config.defaultMaxPeers;
    if (maxPeers > this.#ctx.config.maxPeersCap) {
      this.#ctx.outbox.error(c, rid, 'SIG_BAD_MESSAGE', `maxPeers must be 2..${this.#ctx.config.maxPeersCap}, got ${maxPeers}`, { field: 'maxPeers' });
      return true;
    }
    if (spec.name !== undefined) {
      if (!isValidLobbyName(spec.name)) {
        this.#ctx.outbox.error(c, rid, 'SIG_BAD_MESSAGE', `${spec.nameField} ${lobbyRefProblem(spec.name, true)}`, { field: spec.nameField });
        return true;
      }
      if (this.#membership.lobbies.has(registryKey(spec.name, spec.claim))) {
        this.#ctx.outbox.error(c, rid, 'SIG_LOBBY_EXISTS', `a lobby named ${spec.name} already exists`);
        return true;
      }
    }
    return false;
  }

  /**
   * Makes the lobby of `spec` with `c` as peer 1 (after its password hash, if any, came back).
   * A createIfMissing join whose name was taken while its hash ran joins that lobby instead.
   */
  #makeLobby(now: number, c: Connection, rid: number, spec: NewLobbySpec, hash: Uint8Array | undefined, salt: Uint8Array | undefined, tries: number): void {
    if (spec.join !== undefined && spec.name !== undefined && this.#membership.lobbies.has(registryKey(spec.name, spec.claim)) && tries < MAX_CHECK_TRIES) {
      this.join(now, c, spec.join, tries + 1);
      return;
    }
    if (this.#lobbyRefusal(c, rid, spec)) return;
    let code = spec.name;
    if (code === undefined) {
      const bytes = new Uint8Array(LOBBY_CODE_RANDOM_BYTES);
      for (let i = 0; i < MAX_DRAWS && code === undefined; i++) {
        this.#ctx.config.random(bytes);
        const candidate = encodeLobbyCode(bytes);
        if (!this.#membership.lobbies.has(candidate)) code = candidate;
      }
      if (code === undefined) return this.#ctx.outbox.error(c, rid, 'SIG_TOO_MANY_LOBBIES', 'no free lobby code could be drawn');
    }
    const maxPeers = spec.maxPeers ?? this.#ctx.config.defaultMaxPeers;
    const keyOf = this.#ctx.config.lobbyKeyOf;
    const keyBytes = new Uint8Array(LOBBY_KEY_BYTES);
    if (keyOf === undefined) this.#ctx.config.random(keyBytes);
    const lobby = new Lobby(code, spec.mode, maxPeers, hash, salt, keyOf === undefined ? toBase64Url(keyBytes) : keyOf(code), spec.claim);
    // A LAN lobby's creator draws its id (config.ts lobbyKeyOf): a duplicate lobby's members restore here under theirs.
    const you = keyOf === undefined ? 1 : this.#membership.drawPeerId(lobby)!;
    lobby.owner = you;
    lobby.createdAt = now;
    this.#membership.lobbies.set(lobby.registryKey, lobby);
    this.#ctx.metrics.lobbiesCreated++;
    const m = this.#membership.add(lobby, c, you);
    this.#ctx.outbox.answer(c, this.withKey(c, { type: 'lobby.joined', rid, you, token: m.token, lobby: lobby.view(c.linkView) }));
    // Lifecycle records are `info`: what an operator follows (issue #12 item 8). Never a token,
    // password or pair secret; the lobby's code or name is how operators refer to it.
    this.#ctx.outbox.log('info', 'lobby.created', { lobby: code, mode: lobby.mode, maxPeers, password: hash !== undefined, claimed: spec.claim !== undefined, conn: c.id });
  }

  join(now: number, c: Connection, msg: LobbyJoinMessage, tries: number): void {
    if (c.member !== null) return this.#ctx.outbox.error(c, msg.rid, 'SIG_ALREADY_IN_LOBBY', `already in lobby ${c.member.lobby.code}; leave it first`);
    // With a claim only the lobby of that name and claim counts (a claimed lobby always has a
    // name); without one, claimed lobbies are never found.
    let lobby = this.#membership.lobbies.get(registryKey(msg.lobby, msg.claim));
    if (lobby === undefined && msg.claim === undefined) {
      const code = normalizeLobbyCode(msg.lobby);
      if (code !== undefined) lobby = this.#membership.lobbies.get(code);
    }
    if (lobby === undefined) {
      // createIfMissing: the first of several identical joins creates the lobby (one message,
      // so two of them can never both create it); it needs a name, as lobby.create does.
      if (msg.createIfMissing === true) {
        return this.#createLobby(now, c, msg.rid, { name: msg.lobby, password: msg.password, maxPeers: msg.maxPeers, mode: 'mesh', nameField: 'lobby', join: msg, claim: msg.claim }, tries);
      }
      return this.#ctx.outbox.error(c, msg.rid, 'SIG_LOBBY_NOT_FOUND', 'no lobby has that code or name');
    }
    if (lobby.sealed) return this.#ctx.outbox.error(c, msg.rid, 'SIG_LOBBY_SEALED', `lobby ${lobby.code} is sealed`);
    if (lobby.passwordHash === undefined) return this.#admit(now, c, msg.rid, lobby);
    if (msg.password === undefined) return this.#ctx.outbox.error(c, msg.rid, 'SIG_BAD_PASSWORD', `lobby ${lobby.code} needs a password`);
    // Cheap refusals first, so a full lobby costs no hash.
    if (!this.#membership.hasRoom(lobby)) return this.#ctx.outbox.error(c, msg.rid, 'SIG_LOBBY_FULL', `lobby ${lobby.code} is full (${lobby.maxPeers} peers)`);
    const refusal = this.checks.refusal(now, c.id, c.ip, lobby);
    if (refusal !== undefined) return this.#refuseCheck(c, msg.rid, refusal);
    this.runChecks(this.checks.enqueue(now, c.id, c.ip, lobby, msg.password, lobby.salt!, { kind: 'join', rid: msg.rid, lobby, msg, tries }));
  }

  /** `c` may enter `lobby` (password proven or none): gives it an id and schedules its pairs. */
  #admit(now: number, c: Connection, rid: number, lobby: Lobby): void {
    if (!this.#membership.hasRoom(lobby)) return this.#ctx.outbox.error(c, rid, 'SIG_LOBBY_FULL', `lobby ${lobby.code} is full (${lobby.maxPeers} peers)`);
    const id = this.#membership.drawPeerId(lobby);
    if (id === undefined) {
      return this.#ctx.outbox.error(c, rid, 'SIG_LOBBY_EXHAUSTED', `lobby ${lobby.code} has handed out its ${this.#ctx.config.maxIdsPerLobby} peer ids`);
    }
    // Only now that the newcomer is sure to get in: the member away longest gives way.
    this.#membership.makeRoom(now, lobby);
    const m = this.#membership.add(lobby, c, id);
    this.#ctx.outbox.broadcast(lobby, { type: 'peer.joined', peer: m.view() }, m);
    this.#ctx.outbox.answer(c, this.withKey(c, { type: 'lobby.joined', rid, you: id, token: m.token, lobby: lobby.view(c.linkView) }));
    this.#ctx.outbox.log('info', 'lobby.joined', { lobby: lobby.code, peer: id, members: lobby.members.size, conn: c.id });
    schedulePairs(this.#ctx, now, m);
  }

  /** Hands checks that may start now to the adapter (`hash` outputs); answers those refused meanwhile. */
  runChecks(steps: CheckSteps<CheckWork>): void {
    for (const j of steps.start) this.#ctx.outbox.hash(j.id, j.secret, j.salt);
    for (const { job, refusal } of steps.refused) {
      const c = this.#conns.get(job.conn);
      if (c !== undefined) this.#refuseCheck(c, job.work.rid, refusal);
    }
  }

  #refuseCheck(c: Connection, rid: number, r: CheckRefusal): void {
    if (r.code === 'SIG_TOO_MANY_ATTEMPTS') this.#ctx.outbox.error(c, rid, r.code, r.message, { retryMs: r.retryMs });
    else this.#ctx.outbox.error(c, rid, r.code, r.message);
  }

  /** lobby.restore (restore.ts): the lobby comes back under the ids its members hold. */
  restore(now: number, c: Connection, msg: LobbyRestoreMessage, hashed: HashedPassword | undefined): void {
    if (c.member !== null) return this.#ctx.outbox.error(c, msg.rid, 'SIG_ALREADY_IN_LOBBY', `already in lobby ${c.member.lobby.code}; leave it first`);
    const r = restoreMember(this.#ctx, this.#membership, c, msg, hashed);
    if (!r.ok && r.code === 'HASH_NEEDED') {
      // The re-created lobby keeps its password: hashed like lobby.create's, off the event loop
      // and within the same admission limits; the restore finishes in handleHashed.
      const refusal = this.checks.refusal(now, c.id, c.ip, undefined);
      if (refusal !== undefined) return this.#refuseCheck(c, msg.rid, refusal);
      const salt = new Uint8Array(SALT_BYTES);
      this.#ctx.config.random(salt);
      this.runChecks(this.checks.enqueue(now, c.id, c.ip, undefined, msg.password!, salt, { kind: 'restore', rid: msg.rid, msg }));
      return;
    }
    if (!r.ok) return this.#ctx.outbox.error(c, msg.rid, r.code, r.message);
    const m = r.member;
    m.lobby.createdAt ??= now;
    const joined: LobbyJoinedMessage = { type: 'lobby.joined', rid: msg.rid, you: m.id, token: m.token, lobby: m.lobby.view(c.linkView), key: m.lobby.key };
    this.#ctx.outbox.answer(c, this.#withView(m.lobby, joined));
    if (r.resumed) restartUnfinishedPairs(this.#ctx, now, m);
    restorePairs(this.#ctx, now, m);
  }

  /**
   * Adds the lobby key to a lobby answer for a client that offered the `restore` capability,
   * and the lobby's live view link when the service serves one.
   */
  withKey(c: Connection, msg: LobbyJoinedMessage | ResumeOkMessage): ServerMessage {
    if (c.member === null) return msg;
    if (c.restoreCap && c.member.lobby.key !== '') msg.key = c.member.lobby.key;
    return this.#withView(c.member.lobby, msg);
  }

  /** Adds `view` (1.4): the lobby view's path, `<viewPath>#lobby=<code>&token=<viewToken>`. */
  #withView(lobby: Lobby, msg: LobbyJoinedMessage | ResumeOkMessage): ServerMessage {
    if (this.viewPath === undefined) return msg;
    if (lobby.viewToken === undefined) {
      const b = new Uint8Array(VIEW_TOKEN_BYTES);
      this.#ctx.config.random(b);
      lobby.viewToken = toBase64Url(b);
    }
    msg.view = `${this.viewPath}#lobby=${encodeURIComponent(lobby.code)}&token=${lobby.viewToken}`;
    return msg;
  }
}
