// @meshpunch/enet as a bench contender (placeholder until ENetConnection lands on main).
import type { Contender } from './contender.js';

export function ours(): Contender {
  const missing = (): never => {
    throw new Error('ENetConnection is not on main yet');
  };
  return { name: '@meshpunch/enet', throughput: async () => missing(), pingPong: async () => missing() };
}
