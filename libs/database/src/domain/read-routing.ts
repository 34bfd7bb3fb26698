export interface ReplicaState {
  name: string;
  up: boolean;
  /** Seconds behind the primary; undefined until measured. */
  lagSeconds?: number;
}

/**
 * Which replica serves the next lag-tolerant read: one that is up and measured within the bound, taken
 * in turn so load spreads. Undefined means "use the primary".
 */
export function chooseReplica(replicas: readonly ReplicaState[], maxLagSeconds: number, turn: number): number | undefined {
  const eligible = replicas
    .map((replica, index) => ({ replica, index }))
    .filter(({ replica }) => replica.up && replica.lagSeconds !== undefined && replica.lagSeconds <= maxLagSeconds);
  if (eligible.length === 0) return undefined;
  return eligible[turn % eligible.length].index;
}
